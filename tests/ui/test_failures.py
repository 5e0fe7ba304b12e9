"""One place shows every failure: an exception nobody expected, in a slot, a task or the loop,
is shown to the user (a sentence and a Details expander with the traceback) and logged."""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

from inbox_app.ui import errors
from inbox_app.ui import strings as S


async def _boom(*_args, **_kwargs):
    raise RuntimeError("the disk caught fire")


def _bar_shows_the_failure(window, qtbot) -> None:
    bar = window.failure_bar
    qtbot.waitUntil(bar.isVisible, timeout=5000)
    assert bar.text.text() == S.FAILURE_UNEXPECTED
    assert not bar.details.isVisible()
    bar.details_button.click()
    assert bar.details.isVisible()
    details = bar.details.toPlainText()
    assert "Traceback" in details and "RuntimeError: the disk caught fire" in details
    bar.close_button.click()
    assert not bar.isVisible()


def test_an_exception_in_an_async_slot_is_shown_with_its_details(
    window, qtbot, monkeypatch, caplog
):
    # As in `inbox-app`: qasync's asyncSlot hands a failed slot to sys.excepthook.
    monkeypatch.setattr(sys, "excepthook", errors._excepthook)
    monkeypatch.setattr(window, "current_conversation", lambda: SimpleNamespace(id=1))
    monkeypatch.setattr(window.sync, "action", _boom)  # a bug in the action, say
    with caplog.at_level(logging.ERROR, logger="inbox.ui.errors"):
        window.mark_unread()
        _bar_shows_the_failure(window, qtbot)
    assert any("the disk caught fire" in r.getMessage() for r in caplog.records)


def test_a_failed_background_task_is_shown_not_only_logged(window, qtbot, caplog):
    with caplog.at_level(logging.ERROR, logger="inbox.ui.errors"):
        window._spawn(_boom())
        _bar_shows_the_failure(window, qtbot)
    assert any("the disk caught fire" in r.getMessage() for r in caplog.records)


def test_the_loops_exception_handler_shows_a_task_nobody_awaited(window, qtbot, qloop, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    errors.install(qloop)
    try:
        failure = RuntimeError("the disk caught fire")
        qloop.call_exception_handler(
            {"message": "Task exception was never retrieved", "exception": failure}
        )
        qtbot.waitUntil(window.failure_bar.isVisible, timeout=5000)
        assert "RuntimeError: the disk caught fire" in window.failure_bar.details.toPlainText()
    finally:
        qloop.set_exception_handler(None)


def test_without_a_window_on_screen_the_failure_opens_a_dialog(qapp, qtbot):
    reporter = errors.FailureReporter()
    shown = []
    reporter.failed.connect(lambda sentence, details: shown.append((sentence, details)))
    try:
        raise ValueError("no window to show this in")
    except ValueError as exc:
        reporter.report(exc)
    dialog = reporter.dialog
    assert dialog is not None and dialog.objectName() == "failureDialog"
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    assert dialog.text() == S.FAILURE_UNEXPECTED
    assert "ValueError: no window to show this in" in dialog.detailedText()
    assert shown and shown[0][0] == S.FAILURE_UNEXPECTED
    dialog.close()


def test_a_refused_call_reaching_the_hook_shows_the_servers_sentence(window, qtbot):
    from inbox_app.sync.errors import ApiError

    errors.report(ApiError(409, "That number has opted out of texts.", "opted_out"))
    qtbot.waitUntil(window.failure_bar.isVisible, timeout=5000)
    assert window.failure_bar.text.text() == "That number has opted out of texts."


def test_a_spawned_task_that_fails_is_shown_at_once(window, qtbot):
    errors.spawn(_boom(), "a test")
    _bar_shows_the_failure(window, qtbot)
