"""Moving through a long thread without loading it all: open at a message (a search hit), jump
to a date or to the first message, load newer pages below a page from the middle, and find in
the thread (the server's search scoped to the conversation; next / previous hit).

`ThreadNavigator` works on the main window's thread model and view; the window owns it and
calls it from its actions. The find bar is its widget.
"""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import QDate, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCalendarWidget,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
)

from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings

log = logging.getLogger("inbox.ui.thread")

PAGE = 50
FIND_LIMIT = 500


class FindBar(QFrame):
    """Find in the open thread: a text box, "3 of 12", previous / next, close.

    Signals:
      query_changed(str): the text to find (after a short pause in typing).
      step(int): +1 the next older hit (Enter, F3), -1 the next newer (Shift+Enter, Shift+F3).
      closed(): Escape or the close button.
    """

    query_changed = Signal(str)
    step = Signal(int)
    closed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(18, 6, 12, 6)
        row.setSpacing(6)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("findEdit")
        self.edit.setPlaceholderText(strings.FIND_PLACEHOLDER)
        self.edit.setClearButtonEnabled(True)
        self.count = QLabel(self)
        self.count.setObjectName("findCount")
        # Hits run newest first: "up" is the next older one, as the thread reads.
        self.previous = self._button("findOlder", "▲", strings.FIND_OLDER, 1)
        self.next = self._button("findNewer", "▼", strings.FIND_NEWER, -1)
        close = QToolButton(self)
        close.setObjectName("findClose")
        close.setText("✕")
        close.setToolTip(strings.FIND_CLOSE)
        close.setAccessibleName(strings.FIND_CLOSE)
        close.setAutoRaise(True)
        close.clicked.connect(self.closed)
        row.addWidget(self.edit, 1)
        row.addWidget(self.count)
        row.addWidget(self.previous)
        row.addWidget(self.next)
        row.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setObjectName("findTimer")
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(lambda: self.query_changed.emit(self.edit.text().strip()))
        self.edit.textChanged.connect(lambda _t: self._timer.start())
        self.edit.returnPressed.connect(self._enter)
        for keys, delta in (("F3", 1), ("Shift+F3", -1), ("Shift+Return", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda d=delta: self.step.emit(d))
        escape = QShortcut(QKeySequence("Escape"), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.closed)
        self.hide()

    def _button(self, name: str, text: str, tip: str, delta: int) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda: self.step.emit(delta))
        return button

    def _enter(self) -> None:
        if self._timer.isActive():
            # Enter before the pause: search now; the first hit is shown when it answers.
            self._timer.stop()
            self.query_changed.emit(self.edit.text().strip())
            return
        self.step.emit(1)

    def show_count(self, current: int, total: int, more: bool) -> None:
        if not total:
            self.count.setText(strings.FIND_NONE if self.edit.text().strip() else "")
        else:
            self.count.setText(strings.find_count(current, total, more))
        self.previous.setEnabled(total > 1)
        self.next.setEnabled(total > 1)


class JumpToDateDialog(QDialog):
    """A calendar; `.day` is the chosen date once accepted."""

    def __init__(self, initial: QDate, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("jumpToDateDialog")
        self.setWindowTitle(strings.JUMP_TO_DATE_TITLE)
        self.calendar = QCalendarWidget(self)
        self.calendar.setObjectName("jumpCalendar")
        self.calendar.setSelectedDate(initial)
        # Texting began in the 1990s; the calendar's own minimum (4714 BC) is no date Python has.
        self.calendar.setMinimumDate(QDate(1990, 1, 1))
        self.calendar.setMaximumDate(QDate.currentDate())
        self.calendar.activated.connect(lambda _d: self.accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(strings.JUMP_GO)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.calendar)
        layout.addWidget(buttons)

    @property
    def day(self) -> datetime:
        """Local midnight of the chosen day, aware."""
        d = self.calendar.selectedDate()
        return datetime(d.year(), d.month(), d.day()).astimezone()


class ThreadNavigator(QObject):
    """Opens the window's thread at a message or a date and finds within it.

    Signals:
      jumped(int message_id): the thread now shows (and marks) this message.
      find_updated(int current, int total): the find bar's position changed.
    """

    jumped = Signal(int)
    find_updated = Signal(int, int)

    def __init__(self, window, find_bar: FindBar) -> None:
        super().__init__(window)
        self.window = window
        self.find_bar = find_bar
        self.hits: list[int] = []  # newest first, as the server answers
        self.position = -1
        self.has_more_hits = False
        self._find_query = ""
        self._find_generation = 0
        self._loading_newer = False
        find_bar.query_changed.connect(self._find_changed)
        find_bar.step.connect(self.step)
        find_bar.closed.connect(self.close_find)

    @property
    def model(self):
        return self.window.thread_model

    @property
    def view(self):
        return self.window.message_view

    # --- opening at a message or a date --------------------------------------------------------

    async def open_at(self, conversation_id: int, message_id: int) -> None:
        """Open the conversation with `message_id` in view and marked (a search hit)."""
        if self.window.current_id != conversation_id:
            self.window.open_conversation_at(conversation_id, message_id)
            return
        await self.show_message(conversation_id, message_id)

    async def show_message(self, conversation_id: int, message_id: int) -> None:
        """Scroll to a message of the open thread, loading the page around it if needed."""
        if self.model.conversation_id == conversation_id and self.model.row_of(message_id) >= 0:
            self.mark(message_id)
            return
        if self.model.message(message_id) is not None:
            self.model.reveal_older(self.model.hidden_older())
            self.mark(message_id)
            return
        since = self.model.mark()  # live changes while the page is on its way win
        page = await self._page(conversation_id, around=message_id)
        if page is None or self.window.current_id != conversation_id:
            return
        self.model.set_thread(
            conversation_id, page.messages, page.has_more, page.has_more_after, since=since
        )
        if not page.has_more_after:
            self.window._show_pending()
        self.mark(message_id)

    async def jump_to_date(self, when: datetime) -> None:
        conversation_id = self.window.current_id
        if conversation_id is None:
            return
        since = self.model.mark()
        page = await self._page(conversation_id, at=when)
        if page is None or self.window.current_id != conversation_id or page.anchor_id is None:
            return
        self.model.set_thread(
            conversation_id, page.messages, page.has_more, page.has_more_after, since=since
        )
        if not page.has_more_after:
            self.window._show_pending()
        self.mark(page.anchor_id)

    async def jump_to_first(self) -> None:
        conversation_id = self.window.current_id
        if conversation_id is None:
            return
        since = self.model.mark()
        page = await self._page(conversation_id, after=0)
        if page is None or self.window.current_id != conversation_id or not page.messages:
            return
        self.model.set_thread(
            conversation_id, page.messages, False, page.has_more_after, since=since
        )
        self.model.set_highlight(None)
        self.view.scrollToTop()
        self.jumped.emit(page.messages[0].id)

    async def jump_to_latest(self) -> None:
        conversation_id = self.window.current_id
        if conversation_id is None:
            return
        since = self.model.mark()
        page = await self._page(conversation_id)
        if page is None or self.window.current_id != conversation_id:
            return
        self.model.set_thread(conversation_id, page.messages, page.has_more, since=since)
        self.window._show_pending()
        self.view.scroll_to_end()

    async def load_newer(self) -> None:
        """The bottom of a page from the middle was reached: fetch the next newer page."""
        conversation_id = self.window.current_id
        newest = self.model.newest_id()
        if self._loading_newer or conversation_id is None or not self.model.has_more_after:
            return
        self._loading_newer = True
        try:
            page = await self._page(conversation_id, after=newest or 0)
        finally:
            self._loading_newer = False
        if page is not None and self.window.current_id == conversation_id:
            self.model.append_page(page.messages, page.has_more_after)
            if not page.has_more_after:
                self.window._show_pending()

    def mark(self, message_id: int) -> None:
        """Highlight a loaded message and bring it to the middle of the view."""
        self.model.set_highlight(message_id)
        self.view.scroll_to_message(message_id)
        # Lay-out of rows above may still change their heights; center again once settled.
        QTimer.singleShot(0, lambda: self.view.scroll_to_message(message_id))
        log.info("message marked %d", message_id)
        self.jumped.emit(message_id)

    async def _page(self, conversation_id: int, **where):
        try:
            return await self.window.sync.messages(conversation_id, limit=PAGE, **where)
        except ApiError as exc:
            self.window.show_error(exc.detail)
            return None

    # --- find in thread -------------------------------------------------------------------

    def open_find(self) -> None:
        if self.window.current_id is None:
            return
        self.find_bar.show()
        self.find_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_bar.edit.selectAll()

    def close_find(self) -> None:
        self.find_bar.hide()
        self.reset_find()
        self.model.set_highlight(None)

    def reset_find(self) -> None:
        """A different thread was opened: forget the hits (the text stays in the box)."""
        self._find_generation += 1
        self.hits, self.position, self.has_more_hits, self._find_query = [], -1, False, ""
        self.find_bar.show_count(0, 0, False)
        if self.find_bar.isVisible() and self.find_bar.edit.text().strip():
            self._find_changed(self.find_bar.edit.text().strip())

    def _find_changed(self, query: str) -> None:
        self.window._spawn(self.find(query))

    async def find(self, query: str) -> None:
        """Ask the server for the thread's hits of `query` and show the newest one."""
        conversation_id = self.window.current_id
        self._find_generation += 1
        generation = self._find_generation
        self._find_query = query
        if not query or conversation_id is None:
            self.hits, self.position = [], -1
            self.find_bar.show_count(0, 0, False)
            self.model.set_highlight(None)
            return
        try:
            found = await self.window.sync.search(
                query, conversation_id=conversation_id, limit=FIND_LIMIT
            )
        except ApiError as exc:
            self.window.show_error(exc.detail)
            return
        if generation != self._find_generation or conversation_id != self.window.current_id:
            return
        self.hits = [hit.id for hit in found.messages]
        self.has_more_hits = found.has_more_messages
        self.position = 0 if self.hits else -1
        self._show_position()
        if self.hits:
            await self.show_message(conversation_id, self.hits[0])

    def step(self, delta: int) -> None:
        """+1: the next older hit (up the thread); -1: the next newer one. Wraps around."""
        if not self.hits or self.window.current_id is None:
            return
        self.position = (self.position + delta) % len(self.hits)
        self._show_position()
        self.window._spawn(self.show_message(self.window.current_id, self.hits[self.position]))

    def _show_position(self) -> None:
        total = len(self.hits)
        self.find_bar.show_count(self.position + 1 if total else 0, total, self.has_more_hits)
        self.find_updated.emit(self.position + 1 if total else 0, total)
