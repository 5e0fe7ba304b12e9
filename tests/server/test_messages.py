"""Sending over real HTTP in simulate mode: credits, idempotency, length, scheduling, editing."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import update

from inbox_app.models import tables as t
from tests.server.conftest import conversation_for, inbound, message_of, wait_until


def _balance(api) -> int:
    return api.get("/api/v1/credits").json()["balance"]


def test_sent_message_reaches_delivered_and_takes_one_credit(server, admin, staff):
    inbound(server, "Can you call me?")
    conversation = admin.get("/api/v1/conversations").json()[0]
    staff.post(f"/api/v1/conversations/{conversation['id']}/leave")
    before = _balance(admin)

    response = staff.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Calling you now"}
    )

    assert response.status_code == 201
    sent = response.json()
    assert (sent["status"], sent["direction"], sent["sent_by"]) == ("queued", "outbound", "paula")
    assert (sent["segments"], sent["encoding"]) == (1, "GSM-7")
    delivered = wait_until(
        lambda: (
            (m := message_of(staff, conversation["id"], sent["id"]))["status"] == "delivered" and m
        )
    )
    assert delivered["carrier_sid"].startswith("SM") and delivered["simulated"] is True
    assert delivered["sent_at"] is not None
    assert _balance(admin) == before - 1
    # Replying brought the thread back to my inbox, bell on.
    mine = staff.get("/api/v1/conversations").json()
    assert [(c["id"], c["muted"], c["has_outbound"]) for c in mine] == [
        (conversation["id"], False, True)
    ]


def test_repeated_key_returns_the_first_message_and_bad_sends_are_422(server, admin):
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    body = {"body": "Your hearing moved to 10am", "idempotency_key": "outbox-0001-abcdef"}

    first = admin.post(url, json=body)
    again = admin.post(url, json=body)

    assert first.status_code == 201
    assert again.status_code == 201  # CONTRACT.md: a repeated send answers 201 too
    assert again.json()["id"] == first.json()["id"]
    assert len(admin.get(url).json()["messages"]) == 1

    too_long = admin.post(url, json={"body": "a" * 1531})  # 11 GSM-7 segments
    empty = admin.post(url, json={"body": "   "})
    naive = admin.post(url, json={"body": "hi", "send_at": "2099-01-01T09:00:00"})
    not_json = admin.post(url, content=b"hello", headers={"Content-Type": "text/plain"})
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.Firm).values(max_segments=2))
    over_firm_cap = admin.post(url, json={"body": "b" * 400})

    assert too_long.status_code == 422
    assert "the limit is 10" in too_long.json()["detail"]
    assert empty.status_code == 422
    assert "Write a message" in empty.json()["detail"]
    assert naive.status_code == 422
    assert "time zone" in naive.json()["detail"]
    assert not_json.status_code == 422
    assert over_firm_cap.status_code == 422
    assert "the limit is 2" in over_firm_cap.json()["detail"]
    assert len(admin.get(url).json()["messages"]) == 1
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.Firm).values(max_segments=10))
    assert admin.post(url, json={"body": "a" * 1530}).status_code == 201  # exactly 10

    picture = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(picture, format="PNG")
    png = ("photo.png", picture.getvalue(), "image/png")
    with_image = admin.post(url, data={"body": ""}, files=[("images", png)])
    too_many = admin.post(url, data={"body": "six"}, files=[("images", png)] * 6)
    not_image = admin.post(url, files=[("images", ("notes.txt", b"hello", "text/plain"))])
    assert with_image.status_code == 201, with_image.text
    assert [(m["status"], m["width"]) for m in with_image.json()["media"]] == [("stored", 64)]
    assert too_many.status_code == 422
    assert "at most 5 images" in too_many.json()["detail"]
    assert not_image.status_code == 422
    assert "notes.txt" in not_image.json()["detail"]


def test_scheduled_message_waits_for_daytime_and_can_be_edited_or_canceled(server, admin):
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    new_york = ZoneInfo("America/New_York")
    tomorrow = (datetime.now(new_york) + timedelta(days=2)).date()
    at_3am = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 3, 0, tzinfo=new_york)

    scheduled = admin.post(url, json={"body": "Court at 9", "send_at": at_3am.isoformat()}).json()
    assert scheduled["status"] == "scheduled"
    moved = datetime.fromisoformat(scheduled["send_at"]).astimezone(new_york)
    assert (moved.date(), moved.hour, moved.minute) == (tomorrow, 8, 0)

    edited = admin.patch(f"/api/v1/messages/{scheduled['id']}", json={"body": "Court at 10"})
    assert edited.status_code == 200
    assert edited.json()["body"] == "Court at 10"
    too_long = admin.patch(f"/api/v1/messages/{scheduled['id']}", json={"body": "z" * 2000})
    assert too_long.status_code == 422
    canceled = admin.delete(f"/api/v1/messages/{scheduled['id']}")
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert message_of(admin, conversation["id"], scheduled["id"])["status"] == "canceled"
    assert admin.patch(f"/api/v1/messages/{scheduled['id']}", json={"body": "x"}).status_code == 409

    other = admin.post(url, json={"body": "Bring ID", "send_at": at_3am.isoformat()}).json()
    with server.app.state.sessionmaker() as session, session.begin():
        session.get(t.Message, other["id"]).claimed_by = "another-process"
    claimed = admin.delete(f"/api/v1/messages/{other['id']}")
    assert claimed.status_code == 409
    assert "already being sent" in claimed.json()["detail"]

    # The firm's review delay schedules a live reply, which quiet hours never move.
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.Firm).values(default_send_delay_seconds=300))
    reply = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "On my way"}
    ).json()
    assert reply["status"] == "scheduled"
    delay = datetime.fromisoformat(reply["send_at"]) - datetime.fromisoformat(reply["created_at"])
    assert timedelta(seconds=295) < delay < timedelta(seconds=305)
    with server.app.state.sessionmaker() as session:
        assert session.get(t.Message, reply["id"]).respects_quiet_hours is False


def test_out_of_credits_is_201_and_the_message_is_kept_held(server, admin):
    conversation = conversation_for(admin)
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.CreditBalance).values(balance=0))

    response = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Reminder"}
    )

    assert response.status_code == 201
    held = message_of(admin, conversation["id"], response.json()["id"])
    assert held == response.json()
    assert held["status"] == "held"
    assert held["held_reason"].startswith("Out of credits")
    assert _balance(admin) == 0


def test_mms_and_long_texts_cost_one_credit_each_and_inbound_is_free(live):
    admin, fake = live.admin, live.fake
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    before = _balance(admin)
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(picture, format="PNG")
    png = ("notice.png", picture.getvalue(), "image/png")

    mms = admin.post(url, data={"body": "The notice"}, files=[("images", png), ("images", png)])
    long_text = admin.post(url, json={"body": "word " * 100})  # 4 GSM-7 segments

    assert mms.status_code == 201 and long_text.status_code == 201
    assert long_text.json()["segments"] == 4
    first, second = fake.wait_for(2)
    assert len(first.media_urls) == 2 and second.params["Body"] == "word " * 100
    assert _balance(admin) == before - 2
    debits = [e for e in admin.get("/api/v1/credits/ledger").json() if e["kind"] == "debit"]
    assert sorted((e["message_id"], e["amount"]) for e in debits) == [
        (mms.json()["id"], -1),
        (long_text.json()["id"], -1),
    ]

    # Replies cost nothing, however long.
    assert inbound(live.server, "Got it, thanks").status_code == 200
    assert inbound(live.server, "long reply " * 40).status_code == 200
    wait_until(
        lambda: [m["direction"] for m in admin.get(url).json()["messages"]].count("inbound") == 2
    )
    assert _balance(admin) == before - 2
    assert len([e for e in admin.get("/api/v1/credits/ledger").json() if e["kind"] == "debit"]) == 2


def test_quiet_hours_follow_the_recipients_zone_across_a_time_zone_boundary(server, admin):
    """Firm in New York; 06:30 there is 03:30 in Los Angeles, so a text scheduled for 06:30 New
    York time goes to a Los Angeles number at 08:00 Los Angeles time (11:00 in New York)."""
    new_york, los_angeles = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
    admin.put("/api/v1/firm/settings", json={"time_zone": "America/New_York"})
    day = (datetime.now(new_york) + timedelta(days=10)).date()
    early = datetime(day.year, day.month, day.day, 6, 30, tzinfo=new_york)
    to_la = conversation_for(admin, "+12135550104")["id"]
    to_ny = conversation_for(admin, "+12015550123")["id"]

    sent = {
        cid: admin.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"body": "Your hearing is today", "send_at": early.isoformat()},
        ).json()
        for cid in (to_la, to_ny)
    }

    la_time = datetime.fromisoformat(sent[to_la]["send_at"])
    ny_time = datetime.fromisoformat(sent[to_ny]["send_at"])
    assert sent[to_la]["status"] == sent[to_ny]["status"] == "scheduled"
    assert la_time == datetime(day.year, day.month, day.day, 8, 0, tzinfo=los_angeles)
    assert la_time.astimezone(new_york).hour == 11
    assert ny_time == datetime(day.year, day.month, day.day, 8, 0, tzinfo=new_york)
