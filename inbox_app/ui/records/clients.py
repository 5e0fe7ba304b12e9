"""The Clients view: a searchable list of the firm's clients beside the page of the one picked."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.domain.phone import format_display
from inbox_app.models.schemas import ClientOut
from inbox_app.sync.errors import ApiError
from inbox_app.sync.records import Records, client_name
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.admin.table_model import RowsTableModel
from inbox_app.ui.dialogs._common import ask
from inbox_app.ui.records.client_page import ClientPage
from inbox_app.ui.records.common import OfflineBanner, Tasks
from inbox_app.ui.records.dialogs import ClientDialog
from inbox_app.ui.thread_list import (
    KeyboardFocusRing,
    avatar_color,
    initials,
    paint_focus_ring,
    shows_focus_ring,
)

log = logging.getLogger("inbox.ui.records")


def client_subtitle(client: ClientOut) -> str:
    """Second line of a row: the numbers, and the language when it is not English."""
    numbers = [format_display(c.phone) for c in client.contacts[:2]]
    if len(client.contacts) > 2:
        numbers.append(f"+{len(client.contacts) - 2}")
    parts = [", ".join(numbers)] if numbers else []
    if client.language != "en":
        parts.append(S.language_name(client.language))
    return " · ".join(parts)


class ClientListModel(RowsTableModel):
    """The firm's clients by last name (the server's order)."""

    COLUMNS = ("CLIENTS",)

    def cell(self, client: ClientOut, column: int) -> str:
        return client_name(client)


class ClientDelegate(QStyledItemDelegate):
    """Paints a client row: avatar, name, numbers and language."""

    ROW_HEIGHT = 60
    AVATAR = 36
    PAD = 14

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(option.rect.width() or 280, self.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        client: ClientOut | None = index.data(RowsTableModel.RowRole)
        if client is None:
            return
        t = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect: QRect = option.rect
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, t.color("selection"))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), t.color("accent"))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, t.color("hover"))
        name = client_name(client)
        avatar = QRectF(
            rect.left() + self.PAD,
            rect.top() + (rect.height() - self.AVATAR) / 2,
            self.AVATAR,
            self.AVATAR,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(avatar_color(f"client:{client.id}"))
        painter.drawEllipse(avatar)
        base: QFont = option.font
        bold = QFont(base)
        bold.setWeight(QFont.Weight.DemiBold)
        painter.setFont(bold)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(avatar, Qt.AlignmentFlag.AlignCenter, initials(name))
        left = int(avatar.right()) + 12
        width = rect.right() - self.PAD - left
        name_font = QFont(base)
        name_font.setPointSizeF(base.pointSizeF() * 1.05)
        name_font.setWeight(QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.9)
        name_fm, small_fm = QFontMetrics(name_font), QFontMetrics(small)
        subtitle = client_subtitle(client)
        height = name_fm.height() + (small_fm.height() + 2 if subtitle else 0)
        top = rect.top() + (rect.height() - height) // 2
        painter.setFont(name_font)
        painter.setPen(t.color("text"))
        painter.drawText(
            QRect(left, top, width, name_fm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name_fm.elidedText(name, Qt.TextElideMode.ElideRight, width),
        )
        if subtitle:
            painter.setFont(small)
            painter.setPen(t.color("muted"))
            painter.drawText(
                QRect(left, top + name_fm.height() + 2, width, small_fm.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                small_fm.elidedText(subtitle, Qt.TextElideMode.ElideRight, width),
            )
        if shows_focus_ring(option):
            paint_focus_ring(painter, QRectF(rect).adjusted(2, 2, -2, -2), 6)
        painter.restore()


class ClientListView(KeyboardFocusRing, QListView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clientList")
        self.setItemDelegate(ClientDelegate(self))
        self.setMouseTracking(True)
        self.setUniformItemSizes(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)


class ClientsPage(QWidget):
    """List and search clients; the picked one's page on the right.

    Signals:
      clients_loaded(): the list was (re)read.
      conversation_requested(str phone, object client_id): open this number's thread.
    """

    clients_loaded = Signal()
    conversation_requested = Signal(str, object)

    def __init__(self, records: Records, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clientsPage")
        self.records = records
        self.tasks = Tasks(self)
        self.model = ClientListModel(self)
        self.query = ""
        self._loaded = False
        self._generation = 0

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("clientsSplitter")
        splitter.setHandleWidth(1)
        splitter.setChildrenCollapsible(False)
        side = QFrame(splitter)
        side.setObjectName("clientsSidebar")
        side.setMinimumWidth(280)
        title_row = QHBoxLayout()
        title = QLabel(S.CLIENTS, side)
        title.setObjectName("sidebarTitle")
        self.new_button = QToolButton(side)
        self.new_button.setObjectName("newClientButton")
        self.new_button.setToolTip(S.NEW_CLIENT)
        self.new_button.setIconSize(QSize(20, 20))
        self.new_button.setAutoRaise(True)
        self.new_button.clicked.connect(lambda: self.tasks.spawn(self.new_client()))
        title_row.addWidget(title, 1)
        title_row.addWidget(self.new_button)
        self.search_edit = QLineEdit(side)
        self.search_edit.setObjectName("clientSearch")
        self.search_edit.setPlaceholderText(S.CLIENT_SEARCH)
        self.search_edit.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setObjectName("clientSearchTimer")
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.reload)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.count_label = QLabel(side)
        self.count_label.setObjectName("listCount")
        self.offline = OfflineBanner(records, side)
        self.list_view = ClientListView(side)
        self.list_view.setModel(self.model)
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.empty_label = QLabel(S.NO_CLIENTS, side)
        self.empty_label.setObjectName("emptyList")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()
        left = QVBoxLayout(side)
        left.setContentsMargins(0, 14, 0, 0)
        left.setSpacing(10)
        head = QVBoxLayout()
        head.setContentsMargins(16, 0, 12, 0)
        head.setSpacing(10)
        head.addLayout(title_row)
        head.addWidget(self.search_edit)
        head.addWidget(self.count_label)
        left.addLayout(head)
        left.addWidget(self.offline)
        left.addWidget(self.list_view, 1)
        left.addWidget(self.empty_label, 1)

        self.right = QStackedWidget(splitter)
        self.right.setObjectName("clientPane")
        empty = QWidget()
        empty.setObjectName("emptyThread")
        empty.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        self.empty_icon = QLabel(empty)
        self.empty_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_title = QLabel(S.PICK_A_CLIENT, empty)
        empty_title.setObjectName("emptyThreadTitle")
        empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_hint = QLabel(S.PICK_A_CLIENT_HINT, empty)
        empty_hint.setObjectName("emptyThreadHint")
        empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for widget in (self.empty_icon, empty_title, empty_hint):
            empty_layout.addWidget(widget)
        empty_layout.addStretch(1)
        self.right.addWidget(empty)
        self.page = ClientPage(records, self.right)
        self.page.conversation_requested.connect(self.conversation_requested)
        self.page.client_saved.connect(self._client_saved)
        self.right.addWidget(self.page)
        splitter.addWidget(side)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 850])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self._reload_timer = QTimer(self)
        self._reload_timer.setObjectName("clientsReloadTimer")
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(60)
        self._reload_timer.timeout.connect(self.reload)
        records.changed.connect(self._record_changed)
        records.sync.online_changed.connect(self._online_changed)

    # --- loading -----------------------------------------------------------------------------

    def activate(self) -> None:
        """Shown: read the list the first time (later the stream keeps it current)."""
        if not self._loaded:
            self._loaded = True
            self.reload()
        if self.page.client_id is None:
            self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def reload(self) -> asyncio.Task | None:
        return self.tasks.spawn(self.load())

    async def load(self) -> None:
        self._generation += 1
        generation = self._generation
        query = self.search_edit.text().strip()
        try:
            rows = await self.records.clients(query)
        except ApiError as exc:
            self.offline.refresh(exc.detail)
            return
        if generation != self._generation:
            return
        self.query = query
        current = self.page.client_id
        self.model.set_rows(rows)
        self.offline.refresh()
        if current is not None:
            row = self.model.row_of(current)
            if row >= 0:
                self.list_view.selectionModel().blockSignals(True)
                self.list_view.setCurrentIndex(self.model.index(row, 0))
                self.list_view.selectionModel().blockSignals(False)
        self._update_empty()
        log.info("clients loaded (%d)", len(rows))
        self.clients_loaded.emit()

    def _update_empty(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(S.client_count(n) if n else "")
        self.empty_label.setText(
            S.NO_CLIENT_MATCHES.format(q=self.query) if self.query else S.NO_CLIENTS
        )
        self.empty_label.setVisible(n == 0)
        self.list_view.setVisible(n > 0)

    def _record_changed(self, kind: str, _id: int, client_id) -> None:
        if not self._loaded:
            return
        if kind.startswith(("client.", "contact.")) or client_id is None:
            self._reload_timer.start()
        if self.page.client_id is not None and (client_id in (None, self.page.client_id)):
            if kind == "client.deleted" and client_id == self.page.client_id:
                self.page.clear()
                self.right.setCurrentIndex(0)
            else:
                self.page.reload_soon()

    def _online_changed(self, online: bool) -> None:
        self.offline.refresh()
        if online and self._loaded:
            self._reload_timer.start()
            if self.page.client_id is not None:
                self.page.reload_soon()

    # --- picking and adding --------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        client = current.data(RowsTableModel.RowRole) if current.isValid() else None
        if client is not None:
            self.open_client(client.id)

    def open_client(self, client_id: int) -> None:
        row = self.model.row_of(client_id)
        if row >= 0 and self.list_view.currentIndex().row() != row:
            self.list_view.selectionModel().blockSignals(True)
            self.list_view.setCurrentIndex(self.model.index(row, 0))
            self.list_view.selectionModel().blockSignals(False)
        self.right.setCurrentWidget(self.page)
        self.page.show_client(client_id)

    def select(self, client_id: int) -> bool:
        row = self.model.row_of(client_id)
        if row < 0:
            return False
        self.list_view.setCurrentIndex(self.model.index(row, 0))
        return True

    async def new_client(self) -> None:
        dialog = ClientDialog(self.records, None, self)
        self.client_dialog = dialog
        if await ask(dialog) and dialog.saved is not None:
            self.model.replace(dialog.saved)
            self._update_empty()
            self.open_client(dialog.saved.id)

    def _client_saved(self, client: ClientOut) -> None:
        if self.model.row_of(client.id) >= 0:
            self.model.replace(client)

    def refresh_icons(self) -> None:
        t = theme.current()
        self.new_button.setIcon(theme.icon("plus", t.accent))
        self.empty_icon.setPixmap(theme.pixmap("clients", 56, t.faint, self.devicePixelRatioF()))
        self.page.refresh_icons()
        self.list_view.viewport().update()
