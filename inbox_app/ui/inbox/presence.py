"""The line under an open thread: who on the team is typing in it, and who has seen its latest
inbound text.

"Dana is typing…" comes from the stream's `presence.typing` (never my own) and goes when its
few seconds are up or Dana's text arrives. "Seen by Dana, Marcus" starts from the thread's
messages page (`seen_by`), follows `conversation.seen`, and empties when a new inbound text
arrives (nobody has seen that one yet). I am left out of it: I am looking at the thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QSizePolicy, QWidget

from inbox_app.models.schemas import MessageOut
from inbox_app.ui import strings

# When a signal says nothing of how long it lasts (the server says 6 s).
DEFAULT_SECONDS = 6.0


class ThreadPresence(QWidget):
    """One quiet line between the messages and the compose box; kept while a thread is open,
    so the thread does not jump each time somebody starts or stops typing."""

    def __init__(self, parent=None, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.setObjectName("threadPresence")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.clock = clock
        self.conversation_id: int | None = None
        self.my_id: int | None = None
        # user id -> (name, when it stops showing, on `clock`)
        self._typers: dict[int, tuple[str, float]] = {}
        self._seen: list[dict] = []

        self.typing_label = QLabel(self)
        self.typing_label.setObjectName("typingLabel")
        self.typing_label.setTextFormat(Qt.TextFormat.PlainText)
        self.seen_label = QLabel(self)
        self.seen_label.setObjectName("seenByLabel")
        self.seen_label.setTextFormat(Qt.TextFormat.PlainText)
        self.seen_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for label in (self.typing_label, self.seen_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(18, 2, 18, 0)
        row.setSpacing(12)
        row.addWidget(self.typing_label, 1)
        row.addWidget(self.seen_label, 1)
        # One line's height whether or not anything is said.
        self.setFixedHeight(self.fontMetrics().height() + 6)

        self._expiry = QTimer(self)
        self._expiry.setObjectName("typingExpiry")
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(self._expire)

    # --- what the window tells it ---------------------------------------------------------------

    def set_me(self, user_id: int | None) -> None:
        self.my_id = user_id

    def set_thread(self, conversation_id: int | None, seen_by: Iterable[dict] = ()) -> None:
        """Another thread opened: nobody is typing in it yet (as far as we know)."""
        if conversation_id != self.conversation_id:
            self._typers.clear()
        self.conversation_id = conversation_id
        self._seen = [dict(row) for row in seen_by]
        self._refresh()

    def set_seen_by(self, conversation_id: int, seen_by: Iterable) -> None:
        """The thread's "Seen by" list ([{id, name}] or SeenByOut), if it is the open one."""
        if conversation_id != self.conversation_id:
            return
        self._seen = [row if isinstance(row, dict) else row.model_dump() for row in seen_by]
        self._refresh()

    def colleague_typing(self, data: dict) -> None:
        """A `presence.typing` payload from the stream."""
        user_id = int(data.get("user_id") or 0)
        if data.get("conversation_id") != self.conversation_id or user_id in (0, self.my_id):
            return
        name = str(data.get("display_name") or data.get("user") or strings.NOTE_SOMEONE)
        try:
            seconds = float(data.get("seconds") or DEFAULT_SECONDS)
        except (TypeError, ValueError):
            seconds = DEFAULT_SECONDS
        self._typers[user_id] = (name, self.clock() + max(0.0, seconds))
        self._refresh()

    def message_arrived(self, message: MessageOut) -> None:
        """A message in the open thread: its sender has stopped typing; an inbound text is
        one nobody has seen yet."""
        if message.conversation_id != self.conversation_id:
            return
        changed = self._typers.pop(message.sent_by_id, None) is not None
        if message.direction == "inbound" and self._seen:
            self._seen = []
            changed = True
        if changed:
            self._refresh()

    # --- reading it -------------------------------------------------------------------------

    def typing_names(self) -> list[str]:
        now = self.clock()
        return sorted(name for name, until in self._typers.values() if until > now)

    def seen_names(self) -> list[str]:
        return [str(row.get("name")) for row in self._seen if row.get("id") != self.my_id]

    def _expire(self) -> None:
        now = self.clock()
        for user_id in [u for u, (_name, until) in self._typers.items() if until <= now]:
            del self._typers[user_id]
        self._refresh()

    def _refresh(self) -> None:
        typing = strings.typing_line(self.typing_names())
        seen = strings.seen_by_line(self.seen_names())
        self.typing_label.setText(typing)
        self.typing_label.setAccessibleName(typing)
        self.seen_label.setText(seen)
        self.seen_label.setAccessibleName(seen)
        self.seen_label.setToolTip(seen)
        if self._typers:
            soonest = min(until for _name, until in self._typers.values())
            self._expiry.start(max(0, int((soonest - self.clock()) * 1000)) + 20)
        else:
            self._expiry.stop()


def ask_recent_reply(
    parent: QWidget, name: str, seconds: int
) -> tuple[QMessageBox, asyncio.Future]:
    """ "Dana replied 40 s ago: send anyway?" as a window-modal box; the future is True for
    Send anyway, False for Keep the draft (also Esc or closing it)."""
    box = QMessageBox(parent)
    box.setObjectName("recentReplyConfirm")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(strings.RECENT_REPLY_TITLE)
    box.setText(strings.recent_reply_question(name, seconds))
    send = box.addButton(strings.RECENT_REPLY_SEND, QMessageBox.ButtonRole.AcceptRole)
    send.setObjectName("recentReplySendButton")
    keep = box.addButton(strings.RECENT_REPLY_KEEP, QMessageBox.ButtonRole.RejectRole)
    keep.setObjectName("recentReplyKeepButton")
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    answer: asyncio.Future = asyncio.get_running_loop().create_future()

    def done(_result: int) -> None:
        if not answer.done():
            answer.set_result(box.clickedButton() is send)
        box.deleteLater()

    box.finished.connect(done)
    # open(), not exec(): a nested event loop would re-enter running asyncio tasks.
    box.open()
    return box, answer
