"""A start's first paint: the last session's cached inbox, before the session exists (issue 15).

`paint_cached_start` shows the main window with the cached rows (sync/quick_start.py: a plain
note of whose cache that is, the rows read without pydantic); `Lifecycle.start(first)` then
brings that same window to life, or closes it when the keyring's session is not the one it
shows. What the first paint imports is checked in tests/ui/test_cold_start.py.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

from inbox_app.models.schemas import ConversationOut
from inbox_app.sync import credentials, quick_start
from inbox_app.sync.session import SyncClient
from tests.conftest import PASSWORD
from tests.ui.helpers import compose


def _signed_in_once(server, tmp_path, run, username="alice") -> None:
    """A session that filled the cache and was left signed in (the app quit)."""
    client = SyncClient(server.base_url, cache_dir=tmp_path)
    run(client.sign_in(username, PASSWORD))
    run(client.conversations())
    run(client.close())


def test_a_session_notes_whose_cache_to_paint_first_but_never_the_token(
    server, admin, tmp_path, run, monkeypatch
):
    assert quick_start.recall(tmp_path) is None
    client = SyncClient(server.base_url, cache_dir=tmp_path)
    run(client.sign_in("alice", PASSWORD))
    assert quick_start.recall(tmp_path) == (server.base_url, "alice")
    token = credentials.load()[2]
    assert token not in (tmp_path / quick_start.LAST_SESSION).read_text()
    run(client.sign_out())
    assert quick_start.recall(tmp_path) is None  # signed out: nothing is painted first

    # A session the keyring could not keep is not painted first either (it would be closed).
    monkeypatch.setattr(credentials, "save_token", lambda *args: False)
    run(client.sign_in("alice", PASSWORD))
    assert quick_start.recall(tmp_path) is None
    run(client.close())


def test_a_refused_token_forgets_the_note_too(server, admin, tmp_path, run):
    _signed_in_once(server, tmp_path, run)
    credentials.save_token(server.base_url, "alice", "forged-token")
    client = SyncClient(None, cache_dir=tmp_path)
    assert client.resume_cached() is not None
    assert not run(client.verify())
    assert quick_start.recall(tmp_path) is None
    run(client.close())


def test_the_first_paint_reads_the_rows_the_cache_lists_with_every_field(
    server, admin, tmp_path, run
):
    for number in ("+12025550111", "+12025550112", "+12025550113"):
        compose(admin, number)
    archived = compose(admin, "+12025550114")
    admin.post(f"/api/v1/conversations/{archived['id']}/archive")
    _signed_in_once(server, tmp_path, run)

    start = quick_start.peek(None, tmp_path)
    assert start is not None and (start.server_url, start.username) == (server.base_url, "alice")
    assert start.user["username"] == "alice" and start.user["role"] == "admin"
    client = SyncClient(server.base_url, cache_dir=tmp_path)
    client.resume_cached()
    cached = client.store.conversations(limit=200)
    run(client.close())
    assert [r.id for r in start.rows] == [c.id for c in cached]
    assert archived["id"] not in [r.id for r in start.rows]
    for row, model in zip(start.rows, cached, strict=True):
        for name in ConversationOut.model_fields:
            assert getattr(row, name) == getattr(model, name), name
        assert ConversationOut.model_validate(row.data) == model

    assert [r.phone_display for r in start.rows] == [
        "(202) 555-0113",
        "(202) 555-0112",
        "(202) 555-0111",
    ]

    assert quick_start.peek("http://127.0.0.1:9", tmp_path) is None  # another server
    assert quick_start.peek(server.base_url + "/", tmp_path) is not None
    (tmp_path / quick_start.LAST_SESSION).write_text(
        json.dumps({"server_url": server.base_url, "username": "nobody"})
    )
    assert quick_start.peek(None, tmp_path) is None  # no cache for that user
    (tmp_path / quick_start.LAST_SESSION).write_text("not json")
    assert quick_start.peek(None, tmp_path) is None


def test_a_light_row_paints_exactly_as_its_model(qtbot, qloop):
    from inbox_app.ui.thread_list import ThreadListModel, ThreadListView

    data = [
        {"id": 1, "phone": "+12025550111", "contact_name": "Maria Lopez", "matter": "Lease",
         "last_message": "See you at the hearing", "last_message_at": "2026-11-30T15:04:00Z",
         "unread_count": 3, "mentioned": True, "assignee_id": 7, "assignee": "Dana Reyes"},
        {"id": 2, "phone": "+12025550112", "last_message": "Thanks!", "muted": True,
         "last_message_at": "2026-11-20T09:00:00Z", "has_failed": True, "opted_out": True},
    ]  # fmt: skip
    from inbox_app.domain.phone import format_display

    images = []
    for rows in (
        [quick_start.CachedConversation(d, format_display(d["phone"])) for d in data],
        [quick_start.CachedConversation(d) for d in data],  # cached before the number was kept
        [ConversationOut.model_validate(d) for d in data],
    ):
        view = ThreadListView()
        qtbot.addWidget(view)
        model = ThreadListModel(view)
        model.set_conversations(rows)
        view.setModel(model)
        view.resize(360, 200)
        view.show()
        qtbot.waitExposed(view)
        images.append(view.viewport().grab().toImage())
    assert images[0] == images[1] == images[2]


def test_a_start_from_the_cache_brings_the_painted_window_to_life(
    server, admin, tmp_path, run, qtbot
):
    from inbox_app.ui import app as app_module
    from inbox_app.ui.application import paint_cached_start

    for number in ("+12025550111", "+12025550112"):
        compose(admin, number)
    _signed_in_once(server, tmp_path, run)

    first = paint_cached_start(None, tmp_path)
    assert first is not None
    qtbot.addWidget(first)
    assert first.isVisible() and first.sync is None
    assert first.list_model.rowCount() == 2
    assert "Connecting" in first.connection_label.text()
    assert first.user_label.text() == "alice"

    sync = SyncClient(None, cache_dir=tmp_path, retry_interval=0.2)
    lifecycle = app_module.Lifecycle(sync, interactive=False)
    window = run(lifecycle.start(first))
    assert window is first and window.isVisible()  # the same window, now live
    assert all(isinstance(c, ConversationOut) for c in window.list_model.conversations())
    qtbot.waitUntil(lambda: sync.is_online, timeout=5000)
    assert "Connected" in window.connection_label.text()
    conversation = window.list_model.conversation(0)
    with qtbot.waitSignal(window.thread_loaded, timeout=5000):
        window.select_conversation(conversation.id)
    qtbot.waitUntil(lambda: window.views._clients_page is not None)  # built once attached
    window.quit()
    assert run(lifecycle.wait()) == 0
    QApplication.instance().setQuitOnLastWindowClosed(True)


def test_a_start_whose_keyring_lost_the_session_closes_the_painted_window(
    server, admin, tmp_path, run, qtbot
):
    from inbox_app.ui import app as app_module
    from inbox_app.ui.application import paint_cached_start

    compose(admin, "+12025550111")
    _signed_in_once(server, tmp_path, run)
    credentials.forget()  # e.g. the keyring was cleared while the app was closed

    first = paint_cached_start(None, tmp_path)
    assert first is not None and first.isVisible()
    sync = SyncClient(None, cache_dir=tmp_path)
    lifecycle = app_module.Lifecycle(sync, interactive=False)
    assert run(lifecycle.start(first)) is None  # signed out: the sign-in (here: none) comes
    qtbot.waitUntil(lambda: not isValid(first))  # hidden at once, then deleted
    assert quick_start.recall(tmp_path) is None  # the next start paints nothing first
    run(sync.close())


def test_another_users_session_gets_its_own_window(server, admin, staff, tmp_path, run, qtbot):
    from inbox_app.ui import app as app_module
    from inbox_app.ui.application import paint_cached_start

    compose(admin, "+12025550111")
    _signed_in_once(server, tmp_path, run, "paula")
    _signed_in_once(server, tmp_path, run, "alice")
    # The keyring holds paula's session, the note says alice (the keyring changed meanwhile).
    client = SyncClient(server.base_url, cache_dir=tmp_path)
    run(client.sign_in("paula", PASSWORD))
    run(client.close())
    quick_start.remember(server.base_url, "alice", tmp_path)

    first = paint_cached_start(None, tmp_path)
    assert first.user_label.text() == "alice"
    sync = SyncClient(None, cache_dir=tmp_path, retry_interval=0.2)
    lifecycle = app_module.Lifecycle(sync, interactive=False)
    window = run(lifecycle.start(first))
    qtbot.addWidget(window)
    assert window is not first
    qtbot.waitUntil(lambda: not isValid(first))
    assert window.user_label.text() == "paula" and window.isVisible()
    assert quick_start.recall(tmp_path) == (server.base_url, "paula")
    window.quit()
    assert run(lifecycle.wait()) == 0
    QApplication.instance().setQuitOnLastWindowClosed(True)


def test_a_cache_from_before_the_kept_numbers_still_paints_first_and_gains_the_column(
    server, admin, tmp_path, run
):
    import sqlite3

    from inbox_app.sync.cache import LocalStore, cache_path

    compose(admin, "+12025550111")
    _signed_in_once(server, tmp_path, run)
    path = cache_path(server.base_url, "alice", tmp_path)
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE conversations DROP COLUMN phone_display")
    db.commit()
    db.close()
    start = quick_start.peek(None, tmp_path)
    assert start is not None and [r.phone_display for r in start.rows] == [None]
    LocalStore(path).close()  # the next session's store adds the column back
    db = sqlite3.connect(path)
    assert "phone_display" in {row[1] for row in db.execute("PRAGMA table_info(conversations)")}
    db.close()


def test_the_session_coming_to_the_painted_window_changes_nothing_on_screen(
    server, admin, tmp_path, run, qtbot, qapp
):
    from inbox_app.ui.application import paint_cached_start

    for number in ("+12025550111", "+12025550112"):
        compose(admin, number)
    _signed_in_once(server, tmp_path, run)
    first = paint_cached_start(None, tmp_path)
    qtbot.addWidget(first)
    before = first.grab().toImage()
    sync = SyncClient(None, cache_dir=tmp_path)
    assert sync.resume_cached() is not None
    first.attach(sync)  # the thread pane, hits, notifier and pages: built, not shown
    for _ in range(5):
        qapp.processEvents()
    assert first.grab().toImage() == before
    first.close()
    run(sync.close())


def test_a_refused_token_signs_the_painted_window_out(server, admin, tmp_path, run, qtbot):
    from inbox_app.ui import app as app_module
    from inbox_app.ui.application import paint_cached_start

    compose(admin, "+12025550111")
    _signed_in_once(server, tmp_path, run)
    credentials.save_token(server.base_url, "alice", "forged-token")  # revoked meanwhile

    first = paint_cached_start(None, tmp_path)
    qtbot.addWidget(first)
    sync = SyncClient(None, cache_dir=tmp_path, retry_interval=0.2)
    lifecycle = app_module.Lifecycle(sync, interactive=False)
    window = run(lifecycle.start(first))
    assert window is first
    qtbot.waitUntil(lambda: window._closed, timeout=10_000)  # signed out; no one to ask
    assert not window.isVisible()
    assert credentials.load() is None and quick_start.recall(tmp_path) is None
    assert run(lifecycle.wait()) == 0
    QApplication.instance().setQuitOnLastWindowClosed(True)


def test_the_first_page_is_read_in_index_order_not_sorted(server, admin, tmp_path, run):
    import sqlite3

    from inbox_app.sync.cache import cache_path

    _signed_in_once(server, tmp_path, run)
    db = sqlite3.connect(cache_path(server.base_url, "alice", tmp_path))
    plan = " ".join(str(row) for row in db.execute("EXPLAIN QUERY PLAN " + quick_start.LISTING))
    db.close()
    assert "ix_conversations_recent" in plan and "TEMP B-TREE" not in plan
