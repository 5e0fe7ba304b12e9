"""Desktop notifications: the tray icon with the unread count, or an in-app toast without a tray.

Sound: QtMultimedia's QSoundEffect plays resources/notify.wav when PySide6 has it (the full
wheel); PySide6-Essentials lacks QtMultimedia, and then `QApplication.beep()` is used.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    QRectF,
    QSettings,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.ui import strings as S
from inbox_app.ui import theme

log = logging.getLogger(__name__)

ENABLED_KEY = "notifications/enabled"
SOUND_KEY = "notifications/sound"
TOAST_MS = 6000
TOAST_MARGIN = 16

try:  # Only the full PySide6 wheel ships QtMultimedia.
    from PySide6.QtMultimedia import QSoundEffect
except ImportError:  # pragma: no cover - depends on the installed wheel
    QSoundEffect = None


def badge_icon(base: QIcon, count: int, size: int = 64) -> QIcon:
    """`base` with a red badge carrying `count` (99+ beyond); `base` itself when zero."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if base.isNull():
        painter.setBrush(QColor("#2f5bc0"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(4, 4, size - 8, size - 8), 12, 12)
    else:
        painter.drawPixmap(0, 0, base.pixmap(QSize(size, size)))
    if count > 0:
        text = "99+" if count > 99 else str(count)
        diameter = size * (0.62 if len(text) < 3 else 0.72)
        rect = QRectF(size - diameter, 0, diameter, diameter)
        painter.setBrush(QColor("#d92d20"))
        painter.setPen(QColor("#ffffff"))
        painter.drawEllipse(rect)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(diameter * (0.55 if len(text) < 3 else 0.42)))
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


class NotificationToast(QFrame):
    """A small frameless card in the window's bottom-right corner; click it to open the thread.

    Signals:
        clicked(int): the conversation id of the shown notification.
    """

    clicked = Signal(int)

    def __init__(self, window: QWidget | None = None) -> None:
        super().__init__(window)
        if window is None:
            self.setWindowFlags(
                Qt.WindowType.ToolTip
                | Qt.WindowType.FramelessWindowHint
                | Qt.WindowType.WindowStaysOnTopHint
            )
        self.setObjectName("notificationToast")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        t = theme.current()
        self.setStyleSheet(
            f"QFrame#notificationToast {{ background: {t.raised}; border: 1px solid {t.border};"
            f" border-left: 4px solid {t.accent}; border-radius: 8px; }}"
            f" QLabel#toastTitle {{ font-weight: 600; color: {t.text}; }}"
            f" QLabel#toastBody {{ color: {t.muted}; }}"
            " QToolButton#toastClose { border: none; font-size: 14pt; padding: 0 4px; }"
        )
        self.conversation_id = 0

        self.icon_label = QLabel()
        self.icon_label.setPixmap(theme.app_icon().pixmap(QSize(28, 28)))
        self.title_label = QLabel()
        self.title_label.setObjectName("toastTitle")
        self.body_label = QLabel()
        self.body_label.setObjectName("toastBody")
        self.body_label.setWordWrap(True)
        self.close_button = QToolButton()
        self.close_button.setObjectName("toastClose")
        self.close_button.setText("×")
        self.close_button.clicked.connect(self.hide)

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.body_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 10, 8, 10)
        row.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setFixedWidth(320)

        self.timer = QTimer(self)
        self.timer.setObjectName("toastTimer")
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.hide)
        if window is not None:
            window.installEventFilter(self)
        self.hide()

    def pop(self, conversation_id: int, title: str, body: str, msecs: int = TOAST_MS) -> None:
        """Show (or replace) the card and start its hide timer."""
        self.conversation_id = conversation_id
        self.title_label.setText(title)
        elided = self.body_label.fontMetrics().elidedText(
            body.replace("\n", " "), Qt.TextElideMode.ElideRight, 280 * 2
        )
        self.body_label.setText(elided)
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self.timer.start(msecs)

    def _place(self) -> None:
        window = self.parentWidget()
        if window is not None:
            area = window.rect()
            self.move(
                area.right() - self.width() - TOAST_MARGIN,
                area.bottom() - self.height() - TOAST_MARGIN,
            )
            return
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(
                QPoint(
                    area.right() - self.width() - TOAST_MARGIN,
                    area.bottom() - self.height() - TOAST_MARGIN,
                )
            )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def enterEvent(self, event) -> None:
        self.timer.stop()  # reading it: keep it up
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:
        if self.isVisible():
            self.timer.start(TOAST_MS // 2)
        super().leaveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.hide()
            self.clicked.emit(self.conversation_id)
        super().mouseReleaseEvent(event)


class Notifier(QObject):
    """Tells the user about new texts: tray balloon (or in-app toast), sound, unread badge.

    Connect `SyncClient.notify` to `handle`. Everything is silent while the per-user setting
    `notifications/enabled` is off.

    Signals:
        activated(int): the user clicked a notification; open this conversation.
        show_requested(): the user clicked the tray icon itself; bring the window up.
    """

    activated = Signal(int)
    show_requested = Signal()

    def __init__(
        self,
        window: QWidget | None = None,
        settings: QSettings | None = None,
        *,
        use_tray: bool | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings if settings is not None else QSettings()
        self.unread = 0
        self._last_conversation_id = 0
        self._base_icon = theme.app_icon()
        self.sound = None
        if QSoundEffect is not None and theme.resource("notify.wav").exists():
            self.sound = QSoundEffect(self)
            self.sound.setSource(QUrl.fromLocalFile(str(theme.resource("notify.wav"))))
        if use_tray is None:
            use_tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: QSystemTrayIcon | None = None
        self.toast: NotificationToast | None = None
        if use_tray:
            self._make_tray()
        else:
            self.toast = NotificationToast(window)
            self.toast.clicked.connect(self.activated)

    def _make_tray(self) -> None:
        self.tray = QSystemTrayIcon(badge_icon(self._base_icon, 0), self)
        self.tray.setObjectName("trayIcon")
        self.tray.setToolTip(S.NOTIFY_APP)
        menu = QMenu()
        menu.setObjectName("trayMenu")
        menu.addAction(S.NOTIFY_SHOW, self.show_requested.emit)
        self._menu = menu  # the tray does not own its menu
        self.tray.setContextMenu(menu)
        self.tray.messageClicked.connect(lambda: self.activated.emit(self._last_conversation_id))
        self.tray.activated.connect(self._tray_activated)
        self.tray.show()

    def _tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    # --- settings -----------------------------------------------------------------------------

    def is_enabled(self) -> bool:
        return _as_bool(self.settings.value(ENABLED_KEY, True))

    def set_enabled(self, enabled: bool) -> None:
        self.settings.setValue(ENABLED_KEY, bool(enabled))
        if not enabled and self.toast is not None:
            self.toast.hide()

    def seed_from_user(self, user) -> None:
        """Take the server's `notifications_enabled` unless this computer already has a choice."""
        if not self.settings.contains(ENABLED_KEY):
            self.set_enabled(bool(getattr(user, "notifications_enabled", True)))

    def is_sound_on(self) -> bool:
        return _as_bool(self.settings.value(SOUND_KEY, True))

    def set_sound_on(self, on: bool) -> None:
        self.settings.setValue(SOUND_KEY, bool(on))

    # --- showing -----------------------------------------------------------------------------

    def set_unread(self, count: int) -> None:
        """Draw `count` on the tray icon and the desktop's app badge."""
        self.unread = max(0, count)
        if self.tray is not None:
            self.tray.setIcon(badge_icon(self._base_icon, self.unread))
            self.tray.setToolTip(S.unread_tooltip(self.unread) if self.unread else S.NOTIFY_APP)
        app = QGuiApplication.instance()
        if app is not None:
            app.setBadgeNumber(self.unread)  # dock / taskbar badge where the desktop has one

    def handle(self, payload: dict) -> None:
        """Slot for `SyncClient.notify`: {conversation_id, title, body}."""
        self.show(
            int(payload.get("conversation_id") or 0),
            str(payload.get("title") or S.NOTIFY_APP),
            str(payload.get("body") or ""),
        )

    def show(self, conversation_id: int, title: str, body: str) -> bool:
        """Notify about a text in `conversation_id`; False when notifications are off."""
        if not self.is_enabled():
            return False
        self._last_conversation_id = conversation_id
        if self.tray is not None:
            self.tray.showMessage(title, body, badge_icon(self._base_icon, 0), TOAST_MS)
        else:
            self.toast.pop(conversation_id, title, body)
        self._play()
        return True

    def _play(self) -> None:
        if not self.is_sound_on():
            return
        if self.sound is not None:
            self.sound.play()
        else:
            QApplication.beep()


def _as_bool(value) -> bool:
    # QSettings' INI backend gives back "true"/"false" strings.
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)
