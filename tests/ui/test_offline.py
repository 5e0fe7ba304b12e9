"""Losing the server: the window says so, keeps working from the cache, and the outbox is sent
exactly once (with its idempotency key) when the server is back."""

from __future__ import annotations

from tests.harness import ServerThread
from tests.ui.helpers import compose, inbound, messages

MARIA = "+12025550111"


def test_offline_reply_waits_in_the_outbox_and_is_sent_once_after_restart(
    server, admin, window, qtbot, run
):
    conversation = compose(admin, MARIA)
    inbound(server, MARIA, "Are we still on for Friday?")
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)

    # The server goes away for real: open connections (the live stream) are dropped.
    server.server.force_exit = True
    server.stop()
    assert not server.thread.is_alive()
    qtbot.waitUntil(lambda: not window.sync.is_online, timeout=5000)
    assert "Offline" in window.connection_label.text()

    # Still usable offline: the list and the thread come from the local cache.
    run(window.refresh_list())
    assert window.list_model.row_of(conversation["id"]) >= 0
    window.open_conversation(conversation["id"])
    assert [m.body for m in window.thread_model.messages()] == ["Are we still on for Friday?"]

    assert run(window.send(conversation["id"], "Yes, 10 AM at our office")) is None
    assert [m.status for m in window.thread_model._pending] == ["pending"]
    assert "1 waiting" in window.outbox_label.text()
    key = window.sync.outbox()[0].key

    restarted = ServerThread(server.settings, server.port).start()
    try:
        qtbot.waitUntil(lambda: window.sync.is_online, timeout=10000)
        qtbot.waitUntil(lambda: not window.sync.outbox(), timeout=10000)
        qtbot.waitUntil(
            lambda: any(
                m.body == "Yes, 10 AM at our office" for m in window.thread_model.messages()
            ),
            timeout=5000,
        )
        assert window.thread_model._pending == []
        # Sending the same outbox entry again (a lost answer) does not make a second message.
        again = run(
            window.sync.api.send(
                conversation["id"], "Yes, 10 AM at our office", idempotency_key=key
            )
        )
        bodies = [m["body"] for m in messages(admin, conversation["id"])]
        assert bodies.count("Yes, 10 AM at our office") == 1
        assert again.body == "Yes, 10 AM at our office"
    finally:
        restarted.server.force_exit = True
        restarted.stop()


def test_events_missed_while_the_stream_was_down_arrive_on_reconnect(
    server, admin, window, sync, qtbot, run
):
    conversation = compose(admin, MARIA)
    inbound(server, MARIA, "Are we still on for Friday?")
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)
    seen = sync.store.get_meta("last_event_id")
    assert seen

    run(sync.stop())  # the live stream is down; nothing else polls
    inbound(server, MARIA, "Running 10 minutes late")
    admin.post(f"/api/v1/conversations/{conversation['id']}/mute")
    assert [m.body for m in window.thread_model.messages()] == ["Are we still on for Friday?"]

    asked = []
    stream = sync.api.stream

    def recording_stream(last_event_id=None):
        asked.append(last_event_id)
        return stream(last_event_id)

    sync.api.stream = recording_stream
    sync.start()
    qtbot.waitUntil(
        lambda: (
            [m.body for m in window.thread_model.messages()]
            == ["Are we still on for Friday?", "Running 10 minutes late"]
        ),
        timeout=5000,
    )
    qtbot.waitUntil(lambda: window.current_conversation().muted, timeout=5000)
    assert asked[0] == seen  # resumed after the last event it had, not from scratch
