"""One place shows every failure: exceptions escaping slots, tasks and the asyncio loop.

`install(loop)` routes `sys.excepthook` (qasync's `asyncSlot` and PySide's slots end there) and
the loop's exception handler (tasks nobody awaited) to `report()`, which logs the traceback and
shows a sentence with a "Details" expander: in the main window's failure bar while it is on
screen, else in a small dialog. Never only logged.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.ui import strings as S
from inbox_app.ui import theme

if TYPE_CHECKING:
    import asyncio  # imported where used: the first paint comes before asyncio (ui/app.py)

log = logging.getLogger("inbox.ui.errors")


def sentence_for(exc: BaseException) -> str:
    """What the user reads: the server's own words for a refused call, else a plain apology."""
    from inbox_app.sync.errors import ApiError

    if isinstance(exc, ApiError):
        return S.describe_error(exc)
    return S.FAILURE_UNEXPECTED


class FailureBar(QFrame):
    """A red bar over the window: the sentence, a "Details" toggle with the traceback, close."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("failureBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        t = theme.current()
        self.setStyleSheet(
            f"QFrame#failureBar {{ background: {t.danger_soft}; border-bottom: 1px solid"
            f" {t.danger}; }} QLabel#failureText {{ color: {t.text}; }}"
        )
        self.text = QLabel(self)
        self.text.setObjectName("failureText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton(self)
        self.details_button.setObjectName("failureDetailsButton")
        self.details_button.setText(S.FAILURE_DETAILS)
        self.details_button.setCheckable(True)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("failureCloseButton")
        self.close_button.setText("×")
        self.close_button.setToolTip(S.FAILURE_DISMISS)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("failureDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMaximumHeight(180)
        self.details.hide()
        self.details_button.toggled.connect(self.details.setVisible)
        self.close_button.clicked.connect(self.dismiss)

        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 8, 10, 8)
        column.addLayout(row)
        column.addWidget(self.details)
        self.hide()

    def show_failure(self, sentence: str, details: str) -> None:
        """Show (or replace) the failure; the details stay folded until asked for."""
        self.text.setText(sentence)
        self.details.setPlainText(details)
        self.details_button.setChecked(False)
        self.details_button.setVisible(bool(details))
        self.show()

    def dismiss(self) -> None:
        self.details_button.setChecked(False)
        self.hide()


class FailureReporter(QObject):
    """Logs a failure and puts it in front of the user.

    Signals:
        failed(str sentence, str details): a failure was shown (details: the traceback).
    """

    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bar: Callable[[], FailureBar | None] = lambda: None
        self.dialog: QMessageBox | None = None

    def attach(self, bar: FailureBar) -> None:
        """Show failures in `bar` while its window is on screen."""
        self._bar = lambda: bar
        bar.destroyed.connect(self._detach)

    def _detach(self, *_args) -> None:
        self._bar = lambda: None

    def report(self, exc: BaseException, context: str = "") -> None:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        log.error("unexpected error%s:\n%s", f" ({context})" if context else "", details.rstrip())
        self.show(sentence_for(exc), details)

    def show(self, sentence: str, details: str = "") -> None:
        bar = self._bar()
        if bar is not None and bar.window().isVisible():
            bar.show_failure(sentence, details)
        else:
            self._show_dialog(sentence, details)
        log.info("failure shown: %s", sentence)
        self.failed.emit(sentence, details)

    def _show_dialog(self, sentence: str, details: str) -> None:
        if QApplication.instance() is None:
            return
        if self.dialog is not None:
            self.dialog.close()
        dialog = QMessageBox(QMessageBox.Icon.Warning, S.APP_NAME, sentence)
        dialog.setObjectName("failureDialog")
        if details:
            dialog.setDetailedText(details)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()


_reporter: FailureReporter | None = None


def reporter() -> FailureReporter:
    """The one reporter of this process."""
    global _reporter
    if _reporter is None:
        _reporter = FailureReporter()
    return _reporter


def report(exc: BaseException, context: str = "") -> None:
    reporter().report(exc, context)


def spawn(coro, context: str = "") -> asyncio.Task:
    """`asyncio.ensure_future(coro)`, its failure shown at once (not when it is collected)."""
    import asyncio

    task = asyncio.ensure_future(coro)

    def done(finished: asyncio.Task) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            report(finished.exception(), context)

    task.add_done_callback(done)
    return task


def _excepthook(kind, value, tb) -> None:
    if issubclass(kind, KeyboardInterrupt | SystemExit):
        sys.__excepthook__(kind, value, tb)
        return
    if value.__traceback__ is None:
        value = value.with_traceback(tb)
    try:
        report(value)
    except Exception:  # the reporter itself must never take the app down
        sys.__excepthook__(kind, value, tb)


def _loop_exception(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    import asyncio

    exc = context.get("exception")
    if exc is None or isinstance(exc, asyncio.CancelledError):
        log.warning("asyncio: %s", context.get("message"))
        return
    report(exc, str(context.get("message") or ""))


def install(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Route every uncaught exception of this process to `report()`."""
    sys.excepthook = _excepthook
    if loop is not None:
        loop.set_exception_handler(_loop_exception)
