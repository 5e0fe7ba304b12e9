"""The client's local cache and outbox (stdlib sqlite3): survives restarts, filters offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_app.models.schemas import ConversationOut, MessageOut
from inbox_app.sync.cache import LocalStore, cache_path


def conversation(id_: int, **kw) -> ConversationOut:
    base = dict(
        id=id_,
        phone=f"+1202555{id_:04d}",
        last_message=f"message {id_}",
        last_message_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=id_),
    )
    return ConversationOut(**(base | kw))


def message(id_: int, conversation_id: int, body: str) -> MessageOut:
    return MessageOut(
        id=id_,
        conversation_id=conversation_id,
        direction="inbound",
        body=body,
        status="received",
        segments=1,
        encoding="GSM-7",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_outbox_survives_a_restart_in_order_with_its_idempotency_keys(tmp_path):
    path = tmp_path / "cache.sqlite3"
    store = LocalStore(path)
    first = store.outbox_add(1, "first")
    second = store.outbox_add(2, "second", images=[("a.png", "image/png", b"\x89PNG")])
    store.close()

    reopened = LocalStore(path)
    items = reopened.outbox()
    assert [(i.key, i.body) for i in items] == [(first.key, "first"), (second.key, "second")]
    assert items[1].images == [("a.png", "image/png", b"\x89PNG")]
    assert len({first.key, second.key}) == 2 and len(first.key) >= 8
    reopened.outbox_done(first.key)
    assert [i.body for i in reopened.outbox()] == ["second"]
    assert [i.body for i in reopened.outbox(2)] == ["second"]
    assert reopened.outbox(1) == []


def test_a_refused_outbox_entry_keeps_the_reason(tmp_path):
    store = LocalStore(tmp_path / "c.sqlite3")
    item = store.outbox_add(1, "hello")
    store.outbox_failed(item.key, "This number has opted out.")
    assert store.outbox()[0].error == "This number has opted out."


def test_cached_inbox_filters_like_the_server(tmp_path):
    store = LocalStore(tmp_path / "c.sqlite3")
    store.save_conversations(
        [
            conversation(1, contact_name="Maria Alvarez", unread_count=2),
            conversation(2, contact_name="James Okafor"),
            conversation(3, archived=True),
        ],
        replace=True,
    )
    store.save_messages([message(10, 2, "See you Thursday")])
    assert [c.id for c in store.conversations()] == [2, 1]
    assert [c.id for c in store.conversations(unread=True)] == [1]
    assert [c.id for c in store.conversations(archived=True)] == [3]
    assert [c.id for c in store.conversations(q="maria")] == [1]
    assert [c.id for c in store.conversations(q="thursday")] == [2]
    assert [c.id for c in store.conversations(q="555-0002")] == [2]


def test_cached_messages_page_backwards(tmp_path):
    store = LocalStore(tmp_path / "c.sqlite3")
    store.save_messages([message(i, 7, f"m{i}") for i in range(1, 8)])
    page, has_more = store.messages(7, limit=3)
    assert [m.id for m in page] == [5, 6, 7] and has_more
    page, has_more = store.messages(7, before=5, limit=10)
    assert [m.id for m in page] == [1, 2, 3, 4] and not has_more


def test_each_server_and_user_gets_its_own_file(tmp_path):
    a = cache_path("https://a.example", "alice", tmp_path)
    assert a == cache_path("https://a.example/", "alice", tmp_path)
    assert a != cache_path("https://a.example", "bob", tmp_path)
    assert a != cache_path("https://b.example", "alice", tmp_path)


def test_a_deleted_conversation_leaves_no_messages_images_or_outbox_in_the_cache(tmp_path):
    from inbox_app.models.schemas import MediaOut

    store = LocalStore(tmp_path / "cache.sqlite3")
    store.save_conversations([conversation(1), conversation(2)], replace=True)
    photo = message(10, 1, "photo").model_copy(
        update={"media": [MediaOut(id=7, content_type="image/png", size=3)]}
    )
    store.save_messages([photo, message(11, 2, "kept")])
    store.save_image(7, "thumbnail", b"png")
    store.save_image(7, "full", b"png")
    store.save_image(8, "thumbnail", b"other")
    store.outbox_add(1, "queued to the blocked number")
    store.outbox_add(2, "queued elsewhere")

    store.delete_conversation(1)

    assert store.conversation(1) is None and store.messages(1) == ([], False)
    assert store.image(7, "thumbnail") is None and store.image(7, "full") is None
    assert store.image(8, "thumbnail") == b"other"
    assert [item.body for item in store.outbox()] == ["queued elsewhere"]
    assert store.messages(2)[0][0].body == "kept"


def test_a_message_of_an_origin_a_newer_server_added_is_read_and_cached(tmp_path):
    # A closed list of origins would make this desktop fail on the whole thread.
    wire = message(7, 1, "Office hours changed").model_dump(mode="json") | {"origin": "future"}
    parsed = MessageOut.model_validate(wire)
    store = LocalStore(tmp_path / "cache.db")
    store.save_messages([parsed])
    assert [m.origin for m in store.messages(1)[0]] == ["future"]
