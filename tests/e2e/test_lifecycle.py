"""Closing, quitting and the tray, from the real process: where a tray exists, closing the
window keeps Inbox running (and notifying) and says so once; Quit ends it with exit code 0;
without a tray, closing the window ends it cleanly. (File > Quit: test_sign_in_errors.py.)"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import start_app


@pytest.fixture
def tray_app(tray_display, inbox_server, e2e_dir):
    process = start_app(tray_display, inbox_server, e2e_dir, name="tray")
    yield process
    process.stop()
    process.check_log()


def test_closing_the_window_keeps_notifying_from_the_tray_until_quit(tray_app, inbox_server):
    app = tray_app
    app.sign_in("alice")
    assert app.geometry()["tray"] is not None
    app.close_window()
    app.wait_for("main window hidden; still running in the tray")
    app.wait_for("tray hint shown")
    app.screenshot("tray-hint-after-closing")
    assert app.returncode is None

    inbox_server.inbound("Are you still there? I have a question about Monday.")
    app.wait_for(r"notification shown \d+")

    # Back from the tray, and away again: the hint does not come twice.
    app.tray_menu("Open Inbox")
    app.widget("mainWindow")
    app.close_window()
    app.wait_for("main window hidden; still running in the tray")
    app.command("ping")
    app.wait_for("e2e pong")
    assert not [r.text for r in app.records if "tray hint shown" in r.text and not r.waited]

    app.tray_menu("Quit")
    app.wait_for("main window closed")
    app.wait_for("^INFO inbox.ui quit$")
    assert app.wait_exit() == 0


def test_without_a_tray_closing_the_window_quits_cleanly(app):
    app.sign_in("bob")
    assert app.geometry()["tray"] is None
    app.close_window()
    app.wait_for("main window closed")
    assert app.wait_exit() == 0
