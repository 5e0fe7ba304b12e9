"""The API client's wire handling: SSE parsing and errors carrying the server's sentence."""

from __future__ import annotations

import pytest

from inbox_app.sync.api import ApiClient, SseParser
from inbox_app.sync.errors import ApiError, Unreachable


def parse(text: str):
    parser = SseParser()
    return [e for line in text.split("\n") if (e := parser.feed(line)) is not None]


def test_sse_events_carry_id_kind_and_json_payload():
    events = parse(
        ": connected\n\n"
        'id: 7\nevent: message.created\ndata: {"id": 3,\n'
        'data: "body": "hi"}\n\n'
        'event: credits.changed\ndata: {"balance": 41}\n\n'
    )
    assert [(e.id, e.kind) for e in events] == [("7", "message.created"), ("7", "credits.changed")]
    assert events[0].data == {"id": 3, "body": "hi"}
    assert events[1].data == {"balance": 41}


def test_a_keep_alive_comment_is_not_an_event():
    assert parse(": ping\n\n") == []


async def test_errors_carry_the_servers_sentence_and_code(server, admin):
    api = ApiClient(server.base_url, admin.token)
    with pytest.raises(ApiError) as caught:
        await api.send(999_999, "hello")
    assert caught.value.status == 404
    assert caught.value.code == "conversation_not_found"
    assert "does not exist" in caught.value.detail
    await api.close()


async def test_a_server_that_cannot_be_reached_is_unreachable():
    from tests.harness import free_port

    api = ApiClient(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Unreachable) as caught:
        await api.conversations()
    assert caught.value.status == 0
    assert not await api.health()
    await api.close()


async def test_the_client_manages_users_for_an_admin(server, admin):
    from inbox_app.models.schemas import UserCreateIn, UserPatchIn

    api = ApiClient(server.base_url, admin.token)
    try:
        bob = await api.create_user(UserCreateIn(username="bob", password="bob's password"))
        assert (bob.role, bob.is_active) == ("staff", True)
        promoted = await api.update_user(bob.id, UserPatchIn(role="admin"))
        assert promoted.role == "admin"
        assert (await api.reset_password(bob.id, "another password")).id == bob.id
        assert (await api.set_user_active(bob.id, False)).is_active is False
        assert [u.username for u in await api.users()] == ["alice", "bob"]
        with pytest.raises(ApiError) as caught:
            await api.set_user_active(admin.user["id"], False)
        assert caught.value.code == "last_admin"
    finally:
        await api.close()
