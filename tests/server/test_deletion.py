"""Deletion that deletes (CONTRACT.md, stream and tokens): a thread deleted by a block leaves no
stream history to replay, ids the outside sees never come back, and the carrier's public image
links carry a random token of their own and expire. Over real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import Text, cast, func, select, update

from inbox_app.models import tables as t
from inbox_app.server.services import media
from tests.server.conftest import CLIENT, conversation_for, inbound, message_of, wait_until
from tests.server.fixtures_media import jpeg, png
from tests.server.test_stream import StreamClient

SECRET = "the alibi is at 42 Elm Street"
OTHER = "+12015550166"


def link_for(server, admin, conversation_id: int, message: dict) -> str:
    """The carrier's link to the message's first image, once the dispatcher has sent it."""
    wait_until(
        lambda: message_of(admin, conversation_id, message["id"])["status"] in ("sent", "delivered")
    )
    with server.app.state.sessionmaker() as session, session.begin():
        row = session.get(t.Media, message["media"][0]["id"])
        return media.public_url_in(session, server.settings, row)


def stream_rows_mentioning(server, text: str) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(
            select(func.count())
            .select_from(t.StreamEvent)
            .where(cast(t.StreamEvent.payload, Text).contains(text))
        )


async def test_a_blocked_and_deleted_thread_cannot_be_replayed_from_the_stream(
    server, admin, staff
):
    assert inbound(server, SECRET).status_code == 200
    assert inbound(server, "unrelated", sender=OTHER).status_code == 200
    [thread] = [c for c in admin.get("/api/v1/conversations").json() if c["phone"] == CLIENT]
    reply = admin.post(f"/api/v1/conversations/{thread['id']}/messages", json={"body": SECRET})
    assert reply.status_code == 201
    assert stream_rows_mentioning(server, SECRET) > 0

    assert admin.post(f"/api/v1/conversations/{thread['id']}/block").status_code == 204

    assert stream_rows_mentioning(server, SECRET) == 0
    # Any user of the firm replaying the whole history gets the deletion, not the thread.
    async with StreamClient(server.base_url, staff.token, last_event_id=0) as replay:
        events = await replay.wait_for(1)
        deleted = await _until(replay, lambda e: e.kind == "conversation.deleted")
    assert deleted.data == {"id": thread["id"]}
    for event in events:
        assert SECRET not in str(event.data), event
        assert event.data.get("conversation_id") != thread["id"], event
        if event.kind == "conversation.updated":
            assert event.data["id"] != thread["id"], event
    assert any("unrelated" in str(e.data) for e in events)


async def _until(stream, match, timeout: float = 5.0):
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in stream.events:
            if match(event):
                return event
        await asyncio.sleep(0.05)
    raise AssertionError(f"no matching event in {stream.events}")


def test_ids_never_come_back_and_an_old_image_link_never_serves_a_new_photo(server, admin):
    """SQLite reused the highest deleted id; the old public link then showed another photo."""
    first = conversation_for(admin, CLIENT)["id"]
    sent = admin.post(
        f"/api/v1/conversations/{first}/messages",
        data={"body": "Photo of the lease"},
        files=[("images", ("lease.png", png(), "image/png"))],
    )
    assert sent.status_code == 201, sent.text
    old_message = sent.json()["id"]
    old_media = sent.json()["media"][0]["id"]
    old_link = link_for(server, admin, first, sent.json())
    assert httpx.get(old_link).status_code == 200

    assert admin.post(f"/api/v1/conversations/{first}/block").status_code == 204
    assert httpx.get(old_link).status_code == 404

    second = conversation_for(admin, OTHER)["id"]
    again = admin.post(
        f"/api/v1/conversations/{second}/messages",
        data={"body": "Another client's photo"},
        files=[("images", ("id.jpg", jpeg(), "image/jpeg"))],
    )
    assert again.status_code == 201, again.text
    assert second > first
    assert again.json()["id"] > old_message
    new_media = again.json()["media"][0]["id"]
    assert new_media > old_media
    # The old link names the old id and a token that was never this photo's.
    assert httpx.get(old_link).status_code == 404
    new_link = link_for(server, admin, second, again.json())
    token = new_link.rsplit("/", 1)[1]
    assert len(token) >= 32
    assert httpx.get(new_link.replace(f"/{new_media}/", f"/{old_media}/")).status_code == 404
    assert httpx.get(new_link).status_code == 200


def test_a_public_image_link_expires(server, admin):
    cid = conversation_for(admin, CLIENT)["id"]
    sent = admin.post(
        f"/api/v1/conversations/{cid}/messages",
        data={"body": "Photo"},
        files=[("images", ("a.png", png(), "image/png"))],
    ).json()
    media_id = sent["media"][0]["id"]
    link = link_for(server, admin, cid, sent)
    assert httpx.get(link).status_code == 200
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Media)
            .where(t.Media.id == media_id)
            .values(public_until=t.utcnow() - timedelta(seconds=1))
        )
    expired = httpx.get(link)
    assert expired.status_code == 404
    assert expired.json()["code"] == "not_found"
    # The signed-in route still serves it to the firm.
    assert admin.get(f"/api/v1/media/{media_id}").status_code == 200


def test_the_carrier_gets_a_working_expiring_link_for_each_image(live):
    cid = conversation_for(live.admin, CLIENT)["id"]
    sent = live.admin.post(
        f"/api/v1/conversations/{cid}/messages",
        data={"body": "Two photos"},
        files=[
            ("images", ("a.png", png(), "image/png")),
            ("images", ("b.jpg", jpeg(), "image/jpeg")),
        ],
    )
    assert sent.status_code == 201, sent.text
    [request] = live.fake.wait_for(1)
    assert len(request.media_urls) == 2
    for url in request.media_urls:
        assert httpx.get(url).status_code == 200
    with live.server.app.state.sessionmaker() as session:
        rows = session.scalars(select(t.Media).order_by(t.Media.id)).all()
        assert all(r.public_until > t.utcnow() + timedelta(hours=47) for r in rows)
