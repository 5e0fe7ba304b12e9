"""The main window's view switch: a rail of Inbox | Clients | Upcoming beside the pages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.ui import strings as S
from inbox_app.ui import theme

if TYPE_CHECKING:
    from inbox_app.sync.records import Records
    from inbox_app.sync.session import SyncClient
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

    The Clients and Upcoming pages are built just after the window's first paint (or when
    wanted sooner): a start shows the inbox, and building them first cost a fifth of the
    cold start (bench/cold_start.py). They are still built at once, not on first use, because
    the window's minimum size counts them.

    Signals:
      view_changed(str name): "inbox", "clients" or "upcoming" is now shown.
      conversation_requested(str phone, object client_id): open (or start) the thread with
        this number in the inbox.
    """

    view_changed = Signal(str)
    conversation_requested = Signal(str, object)

    def __init__(
        self, sync: SyncClient | None, inbox: QWidget, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("viewSwitch")
        self.records: Records | None = None
        self.rail = QFrame(self)
        self.rail.setObjectName("viewRail")
        self.rail.setFixedWidth(88)
        rail_layout = QVBoxLayout(self.rail)
        rail_layout.setContentsMargins(6, 10, 6, 10)
        rail_layout.setSpacing(4)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(inbox)
        self._inbox = inbox
        self._clients_page: ClientsPage | None = None
        self._upcoming_page: UpcomingPage | None = None
        self._pages_queued = False
        self.buttons: dict[str, QToolButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        for number, (name, label, icon, object_name) in enumerate(_VIEWS, start=1):
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
        self.buttons[INBOX].setChecked(True)
        self._group.buttonToggled.connect(lambda *_: self.refresh_icons())
        self.refresh_icons()
        if sync is not None:
            self.attach(sync)

    def attach(self, sync: SyncClient) -> None:
        """The session the Clients and Upcoming pages read (built once painted)."""
        from inbox_app.sync.records import Records

        self.records = Records(sync, self)
        if self._pages_queued:
            self._queue_pages()

    @property
    def clients_page(self) -> ClientsPage:
        if self._clients_page is None:
            from inbox_app.ui.records.clients import ClientsPage

            page = ClientsPage(self.records, self.stack)
            page.conversation_requested.connect(self._open_conversation)
            self._add_page(page)
            self._clients_page = page
        return self._clients_page

    @property
    def upcoming_page(self) -> UpcomingPage:
        if self._upcoming_page is None:
            from inbox_app.ui.records.upcoming import UpcomingPage

            page = UpcomingPage(self.records, self.stack)
            page.client_requested.connect(self.open_client)
            self._add_page(page)
            self._upcoming_page = page
        return self._upcoming_page

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._pages_queued:
            self._pages_queued = True
            if self.records is not None:
                self._queue_pages()

    def _queue_pages(self) -> None:
        # Two turns later: after the conversation list's own first-paint callback, which
        # the same paint queued one turn later (it says "conversation list painted").
        QTimer.singleShot(0, self, lambda: QTimer.singleShot(0, self, self.build_pages))

    def build_pages(self) -> None:
        """Build the Clients and Upcoming pages now if they are not yet."""
        self.clients_page  # noqa: B018 (the property builds it)
        self.upcoming_page  # noqa: B018

    def _add_page(self, page: QWidget) -> None:
        self.stack.addWidget(page)
        self.tab_before_rail(page)
        page.refresh_icons()

    def tab_before_rail(self, page: QWidget) -> None:
        """Tab order as when `page` was built with the stack: its widgets before the rail's."""
        tab = Qt.FocusPolicy.TabFocus
        widgets, widget = [], page.nextInFocusChain()
        while widget is not page:
            if page.isAncestorOf(widget) and widget.focusPolicy() & tab:
                widgets.append(widget)
            widget = widget.nextInFocusChain()
        rail = self.buttons[INBOX]
        anchor = rail.previousInFocusChain()
        while anchor is not rail and not (anchor.focusPolicy() & tab):
            anchor = anchor.previousInFocusChain()
        if anchor is rail:
            return
        for widget in widgets:
            QWidget.setTabOrder(anchor, widget)
            anchor = widget

    def _page(self, name: str) -> QWidget | None:
        if name == INBOX:
            return self._inbox
        if name == CLIENTS:
            return self.clients_page
        if name == UPCOMING:
            return self.upcoming_page
        return None

    @property
    def current(self) -> str:
        widget = self.stack.currentWidget()
        if widget is self._inbox:
            return INBOX
        return CLIENTS if widget is self._clients_page else UPCOMING

    def show_view(self, name: str) -> None:
        page = self._page(name)
        if page is None:
            return
        self.buttons[name].setChecked(True)
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)
            log.info("view shown %s", name)
            self.view_changed.emit(name)
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
        for page in (self._clients_page, self._upcoming_page):
            if page is not None:
                page.refresh_icons()
