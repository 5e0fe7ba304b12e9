"""Start-up: silent sign-in from the keyring, live removal of a blocked thread, notifications
that open their thread, and `inbox-app --demo --screenshot`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QImage

from inbox_app.sync.session import SyncClient
from inbox_app.ui import theme
from inbox_app.ui.app import open_main_window
from inbox_app.ui.notifications import SoundPlayer
from tests.conftest import PASSWORD
from tests.ui.helpers import compose, inbound

ROOT = Path(__file__).resolve().parents[2]


def test_next_start_signs_in_silently_and_shows_the_inbox(server, admin, tmp_path, run, qtbot):
    first = SyncClient(server.base_url, cache_dir=tmp_path)
    run(first.sign_in("alice", PASSWORD))
    run(first.close())
    inbound(server, "+12025550111", "Hello")

    sync = SyncClient(None, cache_dir=tmp_path, retry_interval=0.2)
    window = run(open_main_window(sync, interactive=False))
    assert window is not None
    qtbot.addWidget(window)
    assert window.isVisible()
    assert window.windowTitle() == "Doe & Roe Law — Inbox"
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 1, timeout=5000)
    window.close()
    run(sync.close())


def test_without_a_saved_session_nothing_opens_silently(server, tmp_path, run):
    sync = SyncClient(server.base_url, cache_dir=tmp_path)
    assert run(open_main_window(sync, interactive=False)) is None
    run(sync.close())


def test_a_thread_blocked_by_a_colleague_disappears_live(server, admin, staff, window, qtbot):
    conversation = compose(admin, "+12025550111")
    admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi"})
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    inbound(server, "+12025550111", "You will regret this")
    toast = window.notifier.toast  # offscreen there is no tray: the in-app toast
    qtbot.waitUntil(toast.isVisible, timeout=5000)
    assert toast.conversation_id == conversation["id"]
    window.select_conversation(conversation["id"])
    response = staff.post(f"/api/v1/conversations/{conversation['id']}/block", json={})
    assert response.status_code == 204
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) < 0, timeout=3000)
    assert window.current_id is None
    # The blocked number's notification does not stay up.
    qtbot.waitUntil(lambda: not toast.isVisible(), timeout=3000)
    assert window.last_notification is None


def test_clicking_a_notification_opens_its_thread(server, admin, window, qtbot):
    conversation = compose(admin, "+12025550111")
    admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi"})
    inbound(server, "+12025550111", "Got it, thanks")
    qtbot.waitUntil(lambda: window.last_notification is not None, timeout=5000)
    assert window.current_id is None
    window.notifier.activated.emit(window.last_notification["conversation_id"])
    qtbot.waitUntil(lambda: window.current_id == conversation["id"], timeout=3000)
    qtbot.waitUntil(
        lambda: [m.body for m in window.thread_model.messages()] == ["Hi", "Got it, thanks"],
        timeout=5000,
    )


def test_demo_screenshot_saves_a_png_and_exits_zero(tmp_path):
    """At 2x (a high-DPI screen) the window is painted at full device resolution. (At 1x the
    demo runs in tests/e2e/test_demo.py, on a real display.)"""
    scale = 2
    target = tmp_path / "demo.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": str(scale)}
    env = {k: v for k, v in env.items() if not k.startswith("INBOX_")}
    result = subprocess.run(
        [sys.executable, "-m", "inbox_app", "--demo", "--screenshot", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    image = QImage(str(target))
    assert image.width() >= 1200 * scale and image.height() >= 700 * scale


def test_inbound_texts_chime_until_switched_off_in_the_view_menu(server, window, qtbot, tmp_path):
    marker = tmp_path / "played.txt"
    fake_player = [
        sys.executable,
        "-c",
        "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])",
        str(marker),
    ]
    window.notifier.player = player = SoundPlayer(command=fake_player)
    inbound(server, "+12025550111", "Hello, is this the law office?")
    qtbot.waitUntil(lambda: marker.exists(), timeout=10_000)
    assert marker.read_text() == str(theme.resource("notify.wav"))

    switch = window.findChild(QAction, "actionNotifications")
    assert switch in window.view_menu.actions() and switch.isChecked()
    switch.trigger()
    player.last_method = None
    window.notifier._last_sound = float("-inf")
    window.last_notification = None
    inbound(server, "+12025550112", "Anyone there?")
    qtbot.waitUntil(lambda: window.last_notification is not None, timeout=5000)
    assert player.last_method is None  # no sound
    assert not window.notifier.toast.isVisible()
    assert QSettings().value("notifications/enabled") in (False, "false")


def test_a_screenshot_of_a_window_whose_data_never_loads_fails_and_writes_nothing(
    window, tmp_path, run
):
    from inbox_app.__main__ import ScreenshotFailed, save_screenshot

    target = tmp_path / "empty.png"
    with pytest.raises(ScreenshotFailed, match="conversation list was still empty"):
        run(save_screenshot(window, target, None, timeout=0.2))
    assert not target.exists()
