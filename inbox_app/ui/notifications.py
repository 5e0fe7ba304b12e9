"""Desktop notifications: the tray icon with the unread count, or an in-app toast without a tray.

Sound: PySide6-Essentials has no QtMultimedia, so resources/notify.wav is handed to the
platform's own player, detached so the UI never waits: `winsound` (stdlib) on Windows,
`afplay` on macOS, the first of `paplay`, `pw-play`, `aplay` on Linux; a beep when none exists.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    QProcess,
    QRectF,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
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
TRAY_HINT_KEY = "notifications/tray_hint_shown"
TOAST_MS = 6000
TOAST_MARGIN = 14
# Texts arriving in a burst (a reconnect) chime once, not once each.
SOUND_GAP_S = 1.5

# Linux players, most likely to reach the user's speakers first (PulseAudio / PipeWire, ALSA).
LINUX_PLAYERS = (("paplay",), ("pw-play",), ("aplay", "-q"))


def default_player_command() -> list[str] | None:
    """The command that plays a wav file here (the file is appended), or None."""
    if sys.platform == "darwin":
        candidates: Sequence[tuple[str, ...]] = (("afplay",),)
    elif sys.platform.startswith("win"):
        return None  # winsound, in-process and asynchronous
    else:
        candidates = LINUX_PLAYERS
    for program, *args in candidates:
        found = shutil.which(program)
        if found:
            return [found, *args]
    return None


class SoundPlayer:
    """Plays one wav file without blocking: winsound, a detached player process, or a beep.

    `command` overrides the platform's player (tests pass a fake one); the file path is
    appended to it.
    """

    def __init__(self, path: Path | None = None, command: Sequence[str] | None = None) -> None:
        self.path = path if path is not None else theme.resource("notify.wav")
        self.command = list(command) if command is not None else default_player_command()
        self.use_winsound = command is None and sys.platform.startswith("win")
        self.last_method: str | None = None

    def play(self) -> str:
        """Start playing; returns how: "winsound", "process" or "beep"."""
        if self.path.exists():
            if self.use_winsound:
                try:
                    import winsound

                    winsound.PlaySound(
                        str(self.path),
                        winsound.SND_FILENAME | winsound.SND_ASYNC | winsound.SND_NODEFAULT,
                    )
                    self.last_method = "winsound"
                    return self.last_method
                except (ImportError, RuntimeError):
                    log.warning("winsound could not play %s", self.path)
            elif self.command:
                started = QProcess.startDetached(
                    self.command[0], [*self.command[1:], str(self.path)]
                )
                ok = started[0] if isinstance(started, tuple) else bool(started)
                if ok:
                    self.last_method = "process"
                    return self.last_method
                log.warning("could not start the sound player %s", self.command[0])
        QApplication.beep()
        self.last_method = "beep"
        return self.last_method


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
    """A small frameless card at the top-right of the thread (clear of the compose box and its
    Send buttons); click it to open the thread. Its colours come from the app stylesheet, so
    it follows a switch between the light and dark palettes.

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
        self.conversation_id = 0
        self.anchor: QWidget | None = None

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
        self.title_label.ensurePolished()  # its bold font comes from the stylesheet
        self.title_label.setText(
            self.title_label.fontMetrics().elidedText(
                title, Qt.TextElideMode.ElideRight, self._title_width()
            )
        )
        self.title_label.setToolTip(title)
        elided = self.body_label.fontMetrics().elidedText(
            body.replace("\n", " "), Qt.TextElideMode.ElideRight, 280 * 2
        )
        self.body_label.setText(elided)
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self.timer.start(msecs)

    def _title_width(self) -> int:
        """The width the title has beside the icon and the close button, in pixels."""
        row = self.layout()
        left, _top, right, _bottom = row.getContentsMargins()
        spacing = max(row.spacing(), 0)
        return max(
            40,
            self.width()
            - left
            - right
            - self.icon_label.sizeHint().width()
            - self.close_button.sizeHint().width()
            - 2 * spacing,
        )

    def set_anchor(self, widget: QWidget | None) -> None:
        """Sit at the top-right of `widget` (e.g. the message list) while it is visible."""
        if self.anchor is not None:
            self.anchor.removeEventFilter(self)
        self.anchor = widget
        if widget is not None:
            widget.installEventFilter(self)

    def _place(self) -> None:
        window = self.parentWidget()
        if window is not None:
            if self.anchor is not None and self.anchor.isVisible():
                top_right = self.anchor.mapTo(window, self.anchor.rect().topRight())
            else:
                central = getattr(window, "centralWidget", lambda: None)() or window
                top_right = central.mapTo(window, central.rect().topRight())
            self.move(top_right.x() - self.width() - TOAST_MARGIN + 1, top_right.y() + TOAST_MARGIN)
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
        if (
            event.type() in (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide)
            and self.isVisible()
            and watched is not self
        ):
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
    `notifications/enabled` is off; `notifications/sound` silences only the sound. The two
    checkable actions `enabled_action` and `sound_action` switch them (the tray menu has them;
    the window puts them in its View menu).

    Signals:
        activated(int): the user clicked a notification; open this conversation.
        show_requested(): the user clicked the tray icon itself; bring the window up.
        quit_requested(): "Quit" in the tray menu.
    """

    activated = Signal(int)
    show_requested = Signal()
    quit_requested = Signal()
    # enabled_changed(bool): the user switched notifications on or off in a menu.
    enabled_changed = Signal(bool)

    def __init__(
        self,
        window: QWidget | None = None,
        settings: QSettings | None = None,
        *,
        use_tray: bool | None = None,
        player: SoundPlayer | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings if settings is not None else QSettings()
        self.unread = 0
        self._last_conversation_id = 0
        self._last_sound = float("-inf")
        self._base_icon = theme.app_icon()
        self.player = player if player is not None else SoundPlayer()
        self.enabled_action = QAction(S.NOTIFY_ENABLED, self)
        self.enabled_action.setObjectName("actionNotifications")
        self.enabled_action.setCheckable(True)
        self.enabled_action.toggled.connect(self._enabled_toggled)
        self.sound_action = QAction(S.NOTIFY_SOUND, self)
        self.sound_action.setObjectName("actionNotificationSound")
        self.sound_action.setCheckable(True)
        self.sound_action.toggled.connect(self.set_sound_on)
        self._sync_actions()
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
        menu.addSeparator()
        menu.addAction(self.enabled_action)
        menu.addAction(self.sound_action)
        menu.addSeparator()
        menu.addAction(S.NOTIFY_QUIT, self.quit_requested.emit)
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
        """Turn notifications (and with them the sound) on or off, remembered on this computer."""
        self.settings.setValue(ENABLED_KEY, bool(enabled))
        self.settings.sync()
        if not enabled and self.toast is not None:
            self.toast.hide()
        self._sync_actions()

    def _enabled_toggled(self, enabled: bool) -> None:
        self.set_enabled(enabled)
        self.enabled_changed.emit(enabled)

    def seed_from_user(self, user) -> None:
        """Follow the user's `notifications_enabled` from the server: the choice is theirs, on
        every computer (the server also stops sending them notification events)."""
        self.set_enabled(bool(getattr(user, "notifications_enabled", True)))

    def is_sound_on(self) -> bool:
        return _as_bool(self.settings.value(SOUND_KEY, True))

    def set_sound_on(self, on: bool) -> None:
        self.settings.setValue(SOUND_KEY, bool(on))
        self.settings.sync()
        self._sync_actions()

    def _sync_actions(self) -> None:
        enabled = self.is_enabled()
        for action, checked in (
            (self.enabled_action, enabled),
            (self.sound_action, self.is_sound_on()),
        ):
            if action.isChecked() != checked:
                action.blockSignals(True)
                action.setChecked(checked)
                action.blockSignals(False)
        self.sound_action.setEnabled(enabled)

    # --- showing -----------------------------------------------------------------------------

    def set_anchor(self, widget: QWidget | None) -> None:
        """Where the in-app toast sits: the top-right of `widget` (the thread)."""
        if self.toast is not None:
            self.toast.set_anchor(widget)

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
        log.info("notification shown %d", conversation_id)
        self._play()
        return True

    def forget(self, conversation_id: int) -> None:
        """The conversation is gone (its number blocked): take down what still shows it.

        The in-app toast is hidden; a tray balloon about it is closed (Qt's own balloon, where
        the desktop has no notification service) and clicking the tray no longer opens it.
        """
        if self.toast is not None and self.toast.conversation_id == conversation_id:
            self.toast.timer.stop()
            self.toast.hide()
        if self._last_conversation_id != conversation_id:
            return
        self._last_conversation_id = 0
        for widget in QApplication.topLevelWidgets():
            if widget.metaObject().className() == "QBalloonTip" and widget.isVisible():
                widget.hide()
        log.info("notification withdrawn %d", conversation_id)

    def hint_still_running(self) -> bool:
        """The window went to the tray: say once (per computer) that Inbox keeps running."""
        if self.tray is None or _as_bool(self.settings.value(TRAY_HINT_KEY, False)):
            return False
        self.settings.setValue(TRAY_HINT_KEY, True)
        self.settings.sync()
        self.tray.showMessage(S.TRAY_HINT_TITLE, S.TRAY_HINT, badge_icon(self._base_icon, 0))
        log.info("tray hint shown")
        return True

    def _play(self) -> None:
        if not self.is_sound_on():
            return
        now = time.monotonic()
        if now - self._last_sound < SOUND_GAP_S:
            return
        self._last_sound = now
        self.player.play()


def _as_bool(value) -> bool:
    # QSettings' INI backend gives back "true"/"false" strings.
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)
