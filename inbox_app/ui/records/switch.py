"""The main window's view switch: a rail of Inbox | Clients | Upcoming beside the pages."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.sync.records import Records
from inbox_app.sync.session import SyncClient
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.records.clients import ClientsPage
from inbox_app.ui.records.upcoming import UpcomingPage

log = logging.getLogger("inbox.ui.records")

INBOX, CLIENTS, UPCOMING = "inbox", "clients", "upcoming"
_VIEWS = (
    (INBOX, "VIEW_INBOX", "inbox", "viewInbox"),
    (CLIENTS, "VIEW_CLIENTS", "clients", "viewClients"),
    (UPCOMING, "VIEW_UPCOMING", "calendar", "viewUpcoming"),
)


class ViewSwitch(QWidget):
    """The rail and the page it shows; the inbox page is the main window's own splitter.

    Signals:
      view_changed(str name): "inbox", "clients" or "upcoming" is now shown.
      conversation_requested(str phone, object client_id): open (or start) the thread with
        this number in the inbox.
    """

    view_changed = Signal(str)
    conversation_requested = Signal(str, object)

    def __init__(self, sync: SyncClient, inbox: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewSwitch")
        self.records = Records(sync, self)
        self.rail = QFrame(self)
        self.rail.setObjectName("viewRail")
        self.rail.setFixedWidth(88)
        rail_layout = QVBoxLayout(self.rail)
        rail_layout.setContentsMargins(6, 10, 6, 10)
        rail_layout.setSpacing(4)
        self.stack = QStackedWidget(self)
        self.clients_page = ClientsPage(self.records, self.stack)
        self.upcoming_page = UpcomingPage(self.records, self.stack)
        pages = {INBOX: inbox, CLIENTS: self.clients_page, UPCOMING: self.upcoming_page}
        self._pages = pages
        self.buttons: dict[str, QToolButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        for number, (name, label, icon, object_name) in enumerate(_VIEWS, start=1):
            self.stack.addWidget(pages[name])
            button = QToolButton(self.rail)
            button.setObjectName(object_name)
            button.setText(getattr(S, label))
            button.setToolTip(f"{getattr(S, label)} (Ctrl+{number})")
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(QSize(22, 22))
            button.setProperty("icon_name", icon)
            button.clicked.connect(lambda _checked=False, n=name: self.show_view(n))
            self._group.addButton(button)
            rail_layout.addWidget(button)
            self.buttons[name] = button
            action = QAction(getattr(S, label), self)
            action.setObjectName(f"action{object_name[0].upper()}{object_name[1:]}")
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, n=name: self.show_view(n))
            self.addAction(action)
        rail_layout.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.rail)
        layout.addWidget(self.stack, 1)
        self.clients_page.conversation_requested.connect(self._open_conversation)
        self.upcoming_page.client_requested.connect(self.open_client)
        self.buttons[INBOX].setChecked(True)
        self._group.buttonToggled.connect(lambda *_: self.refresh_icons())
        self.refresh_icons()

    @property
    def current(self) -> str:
        widget = self.stack.currentWidget()
        return next(name for name, page in self._pages.items() if page is widget)

    def show_view(self, name: str) -> None:
        if name not in self._pages:
            return
        self.buttons[name].setChecked(True)
        if self.stack.currentWidget() is not self._pages[name]:
            self.stack.setCurrentWidget(self._pages[name])
            log.info("view shown %s", name)
            self.view_changed.emit(name)
        page = self._pages[name]
        if hasattr(page, "activate"):
            page.activate()

    def open_client(self, client_id: int) -> None:
        self.show_view(CLIENTS)
        self.clients_page.open_client(client_id)

    def _open_conversation(self, phone: str, client_id) -> None:
        self.show_view(INBOX)
        self.conversation_requested.emit(phone, client_id)

    def refresh_icons(self, *_args) -> None:
        t = theme.current()
        for button in self.buttons.values():
            color = t.accent if button.isChecked() else t.muted
            button.setIcon(theme.icon(button.property("icon_name"), color))
        self.clients_page.refresh_icons()
        self.upcoming_page.refresh_icons()
