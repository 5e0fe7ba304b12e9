"""Who is replying and who has seen it: typing signals on the stream (never stored), the
"replied moments ago" guard on a send, and the "Seen by" list of a thread."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from inbox_app.models import tables as t
from inbox_app.server.services import presence
from tests.conftest import PASSWORD, login, make_user
from tests.server.conftest import conversation_for, inbound
from tests.server.test_stream import StreamClient, _next_of, publish


def _stored_events(server) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(t.StreamEvent))


async def test_typing_reaches_the_firms_other_users_and_seen_by_goes_live(
    server, admin, staff, monkeypatch
):
    # Every signal of this test is announced: the server's own floor is taken out of the way.
    monkeypatch.setattr(presence, "MIN_INTERVAL", 0.0)
    make_user(server, "olga", firm="Other Firm")
    other = await asyncio.to_thread(login, server, "olga")
    cid = (await asyncio.to_thread(conversation_for, admin))["id"]
    sessions = server.app.state.sessionmaker
    firm_id = admin.user["firm_id"]
    async with (
        StreamClient(server.base_url, admin.token) as alice,
        StreamClient(server.base_url, staff.token) as paula,
        StreamClient(server.base_url, other.token) as olga,
    ):
        stored = _stored_events(server)
        answer = await asyncio.to_thread(admin.post, f"/api/v1/conversations/{cid}/typing")
        assert answer.status_code == 204, answer.text
        typing = await _next_of(paula, "presence.typing")
        assert typing.id == 0  # no id: a reconnect's Last-Event-ID never points at it
        assert typing.data["conversation_id"] == cid
        assert typing.data["user_id"] == admin.user["id"]
        assert typing.data["display_name"] == admin.user["display_name"] or "alice"
        assert typing.data["seconds"] == presence.TYPING_SECONDS
        assert typing.data["until"]
        assert _stored_events(server) == stored  # nothing written for a keystroke

        # Markers published after it: once they are in, a typing signal would have been too.
        publish(sessions, firm_id, "conversation.updated", {"id": -1})
        publish(sessions, other.user["firm_id"], "conversation.updated", {"id": -2})
        await _next_of(alice, "conversation.updated", lambda d: d["id"] == -1)
        await _next_of(olga, "conversation.updated", lambda d: d["id"] == -2)
        assert [e.kind for e in alice.events] == ["conversation.updated"]  # never my own
        assert [e.kind for e in olga.events] == ["conversation.updated"]  # never another firm

    # Another firm's thread is not found; a user who may not text has nothing to type.
    answer = await asyncio.to_thread(other.post, f"/api/v1/conversations/{cid}/typing")
    assert answer.status_code == 404
    assert answer.json()["code"] == "conversation_not_found"
    from inbox_app.server.services.auth import create_user

    with sessions() as session:
        create_user(session, "reader", PASSWORD, firm_name="Doe & Roe Law", can_text=False)
    reader = await asyncio.to_thread(login, server, "reader")
    answer = await asyncio.to_thread(reader.post, f"/api/v1/conversations/{cid}/typing")
    assert answer.status_code == 403
    answer = await asyncio.to_thread(
        httpx.post, f"{server.base_url}/api/v1/conversations/{cid}/typing"
    )
    assert answer.status_code == 401

    # One server for both (a server and its users cost seconds to set up).
    await _seen_by_lists_who_read_the_latest_inbound_text_live(server, admin, staff)


async def test_typing_reaches_only_the_desktops_that_have_the_thread_open(
    server, admin, staff, monkeypatch
):
    """A desktop says which thread it has open (`…/viewing`); typing elsewhere skips its stream.
    Paula has two desktops: one says, the other (an older build) never does and hears all."""
    monkeypatch.setattr(presence, "MIN_INTERVAL", 0.0)
    first = (await asyncio.to_thread(conversation_for, admin))["id"]
    second = (await asyncio.to_thread(conversation_for, admin, "+12025550188"))["id"]
    laptop = await asyncio.to_thread(login, server, staff.user["username"])

    async def typed(cid: int) -> None:
        answer = await asyncio.to_thread(admin.post, f"/api/v1/conversations/{cid}/typing")
        assert answer.status_code == 204, answer.text

    async def opened(api, cid: int) -> None:
        answer = await asyncio.to_thread(api.post, f"/api/v1/conversations/{cid}/viewing")
        assert answer.status_code == 204, answer.text

    def typing_in(stream) -> list[int]:
        return [e.data["conversation_id"] for e in stream.events if e.kind == "presence.typing"]

    async with (
        StreamClient(server.base_url, staff.token) as desk,
        StreamClient(server.base_url, laptop.token) as old_build,
    ):
        stored = _stored_events(server)
        await opened(staff, second)
        await typed(first)  # not for the desk: it has the second thread open
        await typed(second)
        await _next_of(desk, "presence.typing")
        await _next_of(old_build, "presence.typing", lambda d: d["conversation_id"] == second)
        assert typing_in(desk) == [second]
        assert typing_in(old_build) == [first, second]

        # The desk moves to the first thread: that word replaces the last one.
        await opened(staff, first)
        await typed(second)
        await typed(first)
        await _next_of(desk, "presence.typing", lambda d: d["conversation_id"] == first)
        assert typing_in(desk) == [second, first]
        await _next_of(old_build, "presence.typing", lambda d: d["conversation_id"] == first,
                       after=len(old_build.events) - 1)  # fmt: skip
        assert _stored_events(server) == stored  # nothing written for either word

    # Another firm's thread is not found; no token, no word.
    make_user(server, "olga", firm="Other Firm")
    other = await asyncio.to_thread(login, server, "olga")
    answer = await asyncio.to_thread(other.post, f"/api/v1/conversations/{first}/viewing")
    assert answer.status_code == 404
    answer = await asyncio.to_thread(
        httpx.post, f"{server.base_url}/api/v1/conversations/{first}/viewing"
    )
    assert answer.status_code == 401


def test_send_with_check_recent_reply_is_stopped_by_a_colleagues_text(server, admin, staff):
    cid = conversation_for(admin)["id"]
    url = f"/api/v1/conversations/{cid}/messages"
    mine = admin.post(url, json={"body": "Court is at 10.", "check_recent_reply": True})
    assert mine.status_code == 201, mine.text  # nobody else replied: it goes

    guarded = {"body": "Hi, it is at 10am", "check_recent_reply": True}
    refused = staff.post(url, json=guarded)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "recent_reply"
    assert body["sent_by_id"] == admin.user["id"]
    assert body["sent_by"] == (admin.user["display_name"] or "alice")
    assert body["message_id"] == mine.json()["id"]
    assert 0 <= body["seconds_ago"] < 120
    assert "ago" in body["detail"]
    messages = staff.get(url).json()["messages"]
    assert [m["body"] for m in messages] == ["Court is at 10."]  # a 4xx stored nothing

    # My own texts never stop me; "send anyway" is the same send without the check.
    assert admin.post(url, json={"body": "See you", "check_recent_reply": True}).status_code == 201
    assert staff.post(url, json={"body": guarded["body"]}).status_code == 201

    # Two minutes on, the colleague's text no longer stops anyone.
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message)
            .where(t.Message.conversation_id == cid)
            .values(created_at=t.utcnow() - timedelta(minutes=2, seconds=1))
        )
    again = admin.post(url, json={"body": "One more thing", "check_recent_reply": True})
    assert again.status_code == 201, again.text


async def _seen_by_lists_who_read_the_latest_inbound_text_live(server, admin, staff):
    """The thread's \"Seen by\": read state of each user, announced when it changes."""
    await asyncio.to_thread(inbound, server, "Is court still on?")
    cid = (await asyncio.to_thread(admin.get, "/api/v1/conversations")).json()[0]["id"]
    page_url = f"/api/v1/conversations/{cid}/messages"

    async def seen_by(api) -> list[str]:
        page = (await asyncio.to_thread(api.get, page_url)).json()
        return [row["name"] for row in page["seen_by"]]

    assert await seen_by(admin) == []
    async with StreamClient(server.base_url, staff.token) as paula:
        await asyncio.to_thread(admin.post, f"/api/v1/conversations/{cid}/read")
        seen = await _next_of(paula, "conversation.seen")
        alice_name = admin.user["display_name"] or "alice"
        assert seen.data == {
            "conversation_id": cid,
            "seen_by": [{"id": admin.user["id"], "name": alice_name}],
        }
        # Reading again with nothing new announces nothing (the marker comes next).
        await asyncio.to_thread(admin.post, f"/api/v1/conversations/{cid}/read")
        publish(server.app.state.sessionmaker, admin.user["firm_id"], "marker", {})
        await _next_of(paula, "marker")
        assert [e.kind for e in paula.events].count("conversation.seen") == 1
    assert await seen_by(staff) == [alice_name]
    await asyncio.to_thread(staff.post, f"/api/v1/conversations/{cid}/read")
    assert sorted(await seen_by(admin)) == sorted(
        [alice_name, staff.user["display_name"] or "paula"]
    )

    # A newer inbound text has been seen by nobody yet.
    await asyncio.to_thread(inbound, server, "Hello?")
    assert await seen_by(admin) == []
