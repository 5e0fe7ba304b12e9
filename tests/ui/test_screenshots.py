"""Screenshots of the window on the demo firm, saved for people to look at (artifacts/)."""

from __future__ import annotations

import pytest

from inbox_app.server import demo


@pytest.fixture
def demo_window(server, tmp_path, qtbot, run):
    """The window signed in to the real server, seeded with the demo firm."""
    from inbox_app.sync.session import SyncClient
    from inbox_app.ui.main_window import MainWindow

    seeded = demo.seed(server.app.state.sessionmaker, server.settings)
    client = SyncClient(server.base_url, cache_dir=tmp_path / "client", retry_interval=0.2)
    run(client.sign_in(demo.DEMO_USER, demo.DEMO_PASSWORD))
    win = MainWindow(client)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    client.start()
    run(win.load())
    yield win, seeded
    win.close()
    run(client.close())


def open_and_wait(window, qtbot, conversation_id: int) -> None:
    window.select_conversation(conversation_id)
    qtbot.waitUntil(lambda: window.thread_model.conversation_id == conversation_id)
    model = window.thread_model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)

    # The images in view (at some hours an early one sits above it, behind a day header).
    qtbot.waitUntil(window.message_view.shown_thumbnails_loaded, timeout=8000)
    qtbot.wait(50)


def test_screenshots_of_the_demo_firm(demo_window, qtbot, artifacts_dir):
    window, seeded = demo_window
    assert window.list_model.rowCount() == len(demo.CLIENTS)

    # A text-only thread with a scheduled reply and a reminder.
    robert = seeded.conversation_ids[3]
    open_and_wait(window, qtbot, robert)
    path = artifacts_dir / "main_window.png"
    assert window.grab().save(str(path))

    showcase = seeded.showcase_conversation_id
    open_and_wait(window, qtbot, showcase)
    model = window.thread_model
    album = next(m for m in model.messages() if len(m.media) > 1)
    last_photo = [m for m in model.messages() if m.media][-1]
    # A taller window, scrolled so the last photo's bubble ends at the bottom: every image of
    # the thread is whole on screen (none cut off by the edge of the view).
    window.resize(1280, 920)
    view = window.message_view
    qtbot.waitUntil(lambda: view.viewport().height() > 700)
    view.scrollTo(model.index(model.row_of(last_photo.id)), view.ScrollHint.PositionAtBottom)
    qtbot.wait(50)
    shown = view.viewport().rect()
    for m in (album, last_photo):
        assert shown.contains(view.visualRect(model.index(model.row_of(m.id)))), m.body
    path = artifacts_dir / "thread_with_images.png"
    assert window.grab().save(str(path))
    window.resize(1280, 800)

    window.compose.set_text(
        "It\u2019s \u201cconfirmed\u201d \u2014 see you Thursday at 10 AM at our office on"
        " 5th Street. Please bring your ID and the letter from the court."
    )
    assert window.compose.ucs2.isVisible()
    path = artifacts_dir / "compose_ucs2.png"
    assert window.grab().save(str(path))
