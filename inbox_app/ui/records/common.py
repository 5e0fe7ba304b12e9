"""Pieces the records pages share: their background tasks and the "offline" line."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import shiboken6
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from inbox_app.sync.errors import ApiError
from inbox_app.sync.records import Records
from inbox_app.ui import errors
from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import ask, dialog_style


class Tasks:
    """Coroutines a page started: an `ApiError` goes to `on_error` (the page's message line),
    anything else to the failure bar, once."""

    def __init__(self, owner: QWidget, on_error: Callable[[str], None] | None = None) -> None:
        self._owner = owner
        self._tasks: set[asyncio.Task] = set()
        self.on_error = on_error
        owner.destroyed.connect(self.cancel)

    def cancel(self, *_args) -> None:
        """The page is going: what it started would only touch deleted widgets."""
        for task in list(self._tasks):
            task.cancel()

    def spawn(self, coro) -> asyncio.Task | None:
        try:
            task = asyncio.ensure_future(coro)
        except RuntimeError:
            # No event loop any more: the app is shutting down (a reload timer fired after the
            # loop closed). Nothing to run it on, and nothing left to show it.
            coro.close()
            return None
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if not shiboken6.isValid(self._owner):
            return  # finished after the window closed: nothing left to tell
        if isinstance(exc, ApiError):
            if self.on_error is not None:
                self.on_error(exc.detail)
        elif exc is not None:
            errors.report(exc, "records")

    @property
    def busy(self) -> bool:
        return bool(self._tasks)


class OfflineBanner(QLabel):
    """Says the view shows the copy last read because the server is away (hidden online)."""

    def __init__(self, records: Records, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordsOffline")
        self.setWordWrap(True)
        self._records = records
        self.hide()

    def refresh(self, failure: str | None = None) -> None:
        """Online: hidden, or the server's refusal `failure`. Offline: showing the cached copy,
        or (`failure` given: nothing cached) that there is nothing to show."""
        if self._records.is_online:
            self.setText(failure or "")
            self.setVisible(failure is not None)
            return
        self.setText(S.RECORDS_UNAVAILABLE if failure else S.RECORDS_OFFLINE)
        self.show()


async def confirm_cancel_event(page: QWidget) -> bool:
    """Ask before canceling a court date (its reminders are canceled with it); the box is
    `page.dialog` while open, for tests to find."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        S.CANCEL_EVENT,
        S.CANCEL_EVENT_CONFIRM,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        page,
    )
    box.setObjectName("cancelEventConfirm")
    box.button(QMessageBox.StandardButton.Yes).setObjectName("cancelEventYes")
    box.setDefaultButton(QMessageBox.StandardButton.No)  # Enter keeps the court date
    box.setStyleSheet(dialog_style())
    page.dialog = box
    return await ask(box) == QMessageBox.StandardButton.Yes
