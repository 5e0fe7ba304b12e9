"""Start, sign in, sign out, close: the window goes to the tray where there is one, Quit ends
the app, a desktop without a keyring is told so in the sign-in dialog."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QSystemTrayIcon

from inbox_app.sync import credentials
from inbox_app.sync.session import SyncClient
from inbox_app.ui import strings as S


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_without_a_keyring_the_dialog_says_so_in_one_line_and_nothing_warns(
    qtbot, qloop, tmp_path, no_keyring, caplog
):
    from inbox_app.ui.dialogs import SignInDialog

    assert not credentials.is_available()
    dialog = SignInDialog(SyncClient("http://127.0.0.1:9", cache_dir=tmp_path, remember=True))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.keyring_note.isVisible()
    assert dialog.keyring_note.text() == S.SIGN_IN_NOT_REMEMBERED
    with caplog.at_level(logging.INFO):
        assert credentials.save_token("http://x", "alice", "t") is False
        assert credentials.load() is None
        credentials.forget()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_with_a_keyring_there_is_no_such_line(qtbot, qloop, tmp_path):
    from inbox_app.ui.dialogs import SignInDialog

    assert credentials.is_available()  # the tests' in-memory keyring
    dialog = SignInDialog(SyncClient(None, cache_dir=tmp_path, remember=True))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.keyring_note.isVisible()


def test_a_long_error_wraps_and_the_dialog_grows_to_show_all_of_it(qtbot, qloop, tmp_path):
    from inbox_app.ui.dialogs import SignInDialog

    dialog = SignInDialog(SyncClient(None, cache_dir=tmp_path, remember=False))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = dialog.height()
    dialog._refuse("The server answered something long. " * 12)
    label = dialog.error_label
    qtbot.waitUntil(lambda: dialog.height() > before)
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))
    assert label.geometry().bottom() < dialog.buttons.geometry().top()
    assert dialog.width() >= 420


@pytest.fixture
def tray_window(sync, qtbot, run, monkeypatch):
    """The main window on a desktop with a system tray."""
    from inbox_app.ui.main_window import MainWindow

    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    win = MainWindow(sync)
    qtbot.addWidget(win)
    win.show()
    assert win.notifier.tray is not None
    win.notifier.tray.show()
    yield win
    win.quit()


def test_closing_the_window_with_a_tray_keeps_it_running_and_hints_once(tray_window, qtbot):
    win = tray_window
    shown = []
    win.notifier.tray.showMessage = lambda *args: shown.append(args)
    with qtbot.assertNotEmitted(win.closed):
        win.close()
    assert not win.isVisible() and not win._closed and win.runs_in_tray()
    assert [args[0] for args in shown] == [S.TRAY_HINT_TITLE]
    win.show()
    win.close()
    assert len(shown) == 1  # once per computer
    assert win._spawn is not None and not win._closed  # still takes live updates


def test_quit_closes_for_real_even_with_a_tray(tray_window, qtbot):
    with qtbot.waitSignal(tray_window.closed, timeout=2000):
        tray_window.notifier.quit_requested.emit()
    assert tray_window._closed and not tray_window.notifier.tray.isVisible()


def test_without_a_tray_closing_the_window_closes_it(window, qtbot):
    assert not window.runs_in_tray()  # offscreen has no tray
    with qtbot.waitSignal(window.closed, timeout=2000):
        window.close()
    assert window._closed


def test_sign_out_then_in_as_someone_else_shows_the_window_again(
    server, admin, staff, tmp_path, run, qtbot, monkeypatch
):
    from inbox_app.ui import app as app_module
    from tests.conftest import PASSWORD

    sync = SyncClient(server.base_url, cache_dir=tmp_path / "c", retry_interval=0.2)
    run(sync.sign_in("alice", PASSWORD))
    answers = iter(["paula"])

    async def sign_in_as_next(client, parent=None):
        await client.sign_in(next(answers), PASSWORD)
        return True

    monkeypatch.setattr(app_module, "sign_in_interactively", sign_in_as_next)
    lifecycle = app_module.Lifecycle(sync)
    window = run(lifecycle.start())
    qtbot.addWidget(window)
    assert window.isVisible() and window.user_label.text() == "alice"
    window.sign_out()
    qtbot.waitUntil(lambda: sync.user is not None and sync.user.username == "paula", timeout=10000)
    qtbot.waitUntil(lambda: window.isVisible() and window.user_label.text() == "paula")
    window.quit()
    assert run(lifecycle.wait()) == 0
    app = app_module.QApplication.instance()
    app.setQuitOnLastWindowClosed(True)


def test_return_after_a_refused_sign_in_tries_again_and_never_cancels(qtbot, qloop, tmp_path):
    from PySide6.QtCore import Qt

    from inbox_app.ui.dialogs import SignInDialog
    from tests.harness import free_port

    url = f"http://127.0.0.1:{free_port()}"
    dialog = SignInDialog(
        SyncClient(None, cache_dir=tmp_path, remember=False), server_url=url, username="alice"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.password_edit.setText("first try")
    refusals = []
    dialog.error_label.setText = lambda text, _f=dialog.error_label.setText: (
        refusals.append(text),
        _f(text),
    )
    for attempt in (1, 2):
        dialog.password_edit.setFocus()
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda n=attempt: len([r for r in refusals if r]) >= n, timeout=10000)
        qtbot.waitUntil(dialog.sign_in_button.isEnabled)
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.sign_in_button.isDefault()
