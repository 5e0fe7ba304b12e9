"""Carrier webhooks over real HTTP: signatures, idempotency, order, keywords, blocks, bad forms."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.conftest import login, make_user
from tests.harness import post_webhook, sign
from tests.server.conftest import (
    CLIENT,
    conversation_for,
    inbound,
    message_of,
    status,
    wait_until,
)

MESSAGES = "/webhooks/twilio/messages"


def _count(server, model, *where) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _notified(server, conversation_id: int) -> set[int]:
    with server.app.state.sessionmaker() as session:
        rows = session.scalars(select(t.StreamEvent).where(t.StreamEvent.kind == "notification"))
        return {r.user_id for r in rows if r.payload["conversation_id"] == conversation_id}


def test_inbound_text_is_stored_once_even_when_replayed(server, admin, staff):
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "a" * 32,
        "From": "(201) 555-0123",
        "To": "+12015550100",
        "Body": "Is my hearing still on Monday?",
        "NumMedia": "0",
    }
    first = post_webhook(server.base_url, "/webhooks/twilio/messages", params)
    again = post_webhook(server.base_url, "/webhooks/twilio/messages", params)

    assert first.status_code == again.status_code == 200
    assert "<Response" in first.text and first.headers["content-type"].startswith("application/xml")
    assert _count(server, t.Message) == 1
    [conversation] = admin.get("/api/v1/conversations").json()
    assert conversation["phone"] == CLIENT
    assert conversation["unread_count"] == 1
    assert conversation["last_message"] == "Is my hearing still on Monday?"
    page = admin.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
    assert [(m["direction"], m["status"]) for m in page["messages"]] == [("inbound", "received")]
    # A number the firm never texted: everyone allowed to text hears of it.
    assert _notified(server, conversation["id"]) == {admin.user["id"], staff.user["id"]}

    # Once the firm texted it, only those taking part with the bell on hear of it.
    make_user(server, "bob")
    bob = login(server, "bob")
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    staff.post(url, json={"body": "Yes, 9am"})
    bob.post(url, json={"body": "Bring your ID"})
    bob.post(f"/api/v1/conversations/{conversation['id']}/mute")
    inbound(server, "thanks")
    with server.app.state.sessionmaker() as session:
        last = session.scalars(
            select(t.StreamEvent)
            .where(t.StreamEvent.kind == "notification")
            .order_by(t.StreamEvent.id.desc())
        ).all()
        assert [(e.user_id, e.payload["body"]) for e in last[:1]] == [(staff.user["id"], "thanks")]
        assert len([e for e in last if e.payload["body"] == "thanks"]) == 1


def test_bad_signatures_are_403_and_odd_forms_never_a_500(server, admin):
    params = {"MessageSid": "SM" + "1" * 32, "From": CLIENT, "To": "+12015550100", "Body": "hi"}
    url = server.base_url + "/webhooks/twilio/messages"
    forged = post_webhook(server.base_url, "/webhooks/twilio/messages", params, token="wrong")
    missing = httpx.post(url, data=params)
    other_url = httpx.post(
        url, data=params, headers={"X-Twilio-Signature": sign("https://evil.example/x", params)}
    )
    tampered = httpx.post(
        url,
        data={**params, "Body": "changed"},
        headers={"X-Twilio-Signature": sign(url, params)},
    )
    status_forged = post_webhook(
        server.base_url,
        "/webhooks/twilio/status",
        {"MessageSid": "SM1", "MessageStatus": "delivered"},
        signature="bm90IGEgc2lnbmF0dXJl",
    )

    for response in (forged, missing, other_url, tampered, status_forged):
        assert response.status_code == 403
        assert "X-Twilio-Signature" in response.json()["detail"]
    assert _count(server, t.Message) == 0
    assert _count(server, t.Conversation) == 0

    short_code = inbound(server, "Your code is 1234", sender="12345")
    named = inbound(server, "Sale today", sender="MYBANK")
    bad_count = inbound(server, "pic?", sender="+12015550111", NumMedia="lots")
    negative = inbound(server, "pic!", sender="+12015550112", NumMedia="-3")
    long_body = inbound(server, "x" * 1600, sender="+12015550113")
    for response in (short_code, named, bad_count, negative, long_body):
        assert response.status_code == 200, response.text
    phones = {c["phone"] for c in admin.get("/api/v1/conversations").json()}
    assert {"12345", "MYBANK", "+12015550111", "+12015550112", "+12015550113"} <= phones
    assert _count(server, t.Message, t.Message.body == "x" * 1600) == 1

    no_sid = post_webhook(server.base_url, "/webhooks/twilio/messages", {"From": CLIENT})
    assert no_sid.status_code == 400
    assert "MessageSid" in no_sid.json()["detail"]
    huge = inbound(server, "y" * 70_000)
    assert huge.status_code == 413
    url = server.base_url + "/webhooks/twilio/messages"
    as_json = httpx.post(url, json={"MessageSid": "SM1"}, headers={"X-Twilio-Signature": "x"})
    assert as_json.status_code == 400
    bad_bytes = httpx.post(
        url,
        content=b"Body=%FF%FE&From=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad_bytes.status_code in (400, 403)
    assert _count(server, t.Message) == 5


def test_status_callbacks_never_move_a_message_backwards(server, admin):
    conversation = conversation_for(admin)
    sent = admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi"})
    message_id = sent.json()["id"]
    delivered = wait_until(
        lambda: (
            (m := message_of(admin, conversation["id"], message_id))["status"] == "delivered" and m
        )
    )
    sid = delivered["carrier_sid"]
    assert sid.startswith("SM") and delivered["simulated"] is True

    for late in ("sent", "queued", "failed", "sending"):
        assert status(server, sid, late, ErrorCode="30003").status_code == 200
    after = message_of(admin, conversation["id"], message_id)
    assert after["status"] == "delivered"
    assert after["error_code"] is None

    unknown_sid = status(server, "SM" + "f" * 32, "delivered")
    unknown_status = status(server, sid, "teleported")
    missing_status = post_webhook(server.base_url, "/webhooks/twilio/status", {"MessageSid": sid})
    assert unknown_sid.status_code == 200
    assert unknown_status.status_code == 200
    assert missing_status.status_code == 400
    assert "MessageStatus" in missing_status.json()["detail"]

    # A message the carrier has, in flight (written directly: no simulator races it here).
    with server.app.state.sessionmaker() as session, session.begin():
        message = t.Message(
            firm_id=admin.user["firm_id"],
            conversation_id=conversation["id"],
            direction="outbound",
            body="Hi",
            status="sent",
            to_number=CLIENT,
            carrier_sid="SM" + "e" * 32,
        )
        session.add(message)
        session.flush()
        message_id = message.id
    status(server, "SM" + "e" * 32, "undelivered", ErrorCode="30003")
    failed = message_of(admin, conversation["id"], message_id)
    assert failed["status"] == "undelivered"
    assert failed["error_code"] == "30003"
    assert "Unreachable" in failed["error"]


def test_stop_start_and_help_keywords(server, admin):
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    in_a_month = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    later = admin.post(url, json={"body": "Reminder", "send_at": in_a_month}).json()

    stop = inbound(server, "Stop.")
    assert stop.status_code == 200 and "<Message>" not in stop.text
    assert admin.get(f"/api/v1/conversations/{conversation['id']}").json()["opted_out"] is True
    assert message_of(admin, conversation["id"], later["id"])["status"] == "canceled"
    refused = admin.post(url, json={"body": "Are you there?"})
    assert refused.status_code == 409
    assert "opted out" in refused.json()["detail"]

    start = inbound(server, "START")
    assert start.status_code == 200
    assert admin.post(url, json={"body": "Welcome back"}).status_code == 201

    help_reply = inbound(server, "help")
    assert help_reply.status_code == 200
    assert "<Message>Doe &amp; Roe Law: for help call" in help_reply.text
    bodies = [m["body"] for m in admin.get(url).json()["messages"] if m["direction"] == "inbound"]
    assert bodies == ["Stop.", "START", "help"]
    with server.app.state.sessionmaker() as session:
        events = session.scalars(select(t.ConsentEvent).order_by(t.ConsentEvent.id)).all()
        assert [(e.opted_in, e.source) for e in events] == [(False, "keyword"), (True, "keyword")]
        assert all(e.message_id for e in events)


def test_blocked_number_is_acknowledged_but_not_stored(server, admin):
    inbound(server, "first text")
    conversation = admin.get("/api/v1/conversations").json()[0]
    assert admin.post(f"/api/v1/conversations/{conversation['id']}/block").status_code == 204

    assert admin.get(f"/api/v1/conversations/{conversation['id']}").status_code == 404
    later = inbound(server, "let me in")
    assert later.status_code == 200
    assert "<Message>" not in later.text
    assert _count(server, t.Message) == 0
    assert _count(server, t.Conversation) == 0
    # The block deleted the thread's stream history (its first notification too); the later
    # text added none.
    assert _notified(server, conversation["id"]) == set()
    # Composing to it says why, and opens (or creates) nothing.
    refused = admin.post("/api/v1/conversations", json={"phone": CLIENT})
    assert refused.status_code == 409
    assert refused.json()["code"] == "blocked"
    assert "(201) 555-0123 is blocked" in refused.json()["detail"]
    assert _count(server, t.Conversation) == 0

    inbound(server, "harassing text", sender="+12015550199")
    conversation = admin.get("/api/v1/conversations").json()[0]
    response = admin.post(
        f"/api/v1/conversations/{conversation['id']}/block", json={"keep_record": True}
    )
    assert response.status_code == 204

    assert admin.get("/api/v1/conversations").json() == []
    kept = admin.get(f"/api/v1/conversations/{conversation['id']}").json()
    assert kept["blocked"] is True
    inbound(server, "another one", sender="+12015550199")
    page = admin.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
    assert [m["body"] for m in page["messages"]] == ["harassing text"]
    send = admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "x"})
    assert send.status_code == 409


def test_archived_or_left_conversation_comes_back_on_a_new_text(server, admin, staff):
    inbound(server, "hello")
    conversation = admin.get("/api/v1/conversations").json()[0]
    cid = conversation["id"]
    admin.post(f"/api/v1/conversations/{cid}/archive")
    assert admin.get("/api/v1/conversations").json() == []
    assert [c["id"] for c in staff.get("/api/v1/conversations?archived=true").json()] == [cid]
    inbound(server, "anyone?")
    assert [c["id"] for c in staff.get("/api/v1/conversations").json()] == [cid]

    staff.post(f"/api/v1/conversations/{cid}/leave")
    assert staff.get("/api/v1/conversations").json() == []
    assert [c["id"] for c in admin.get("/api/v1/conversations").json()] == [cid]
    inbound(server, "still there?")
    back = staff.get("/api/v1/conversations").json()
    assert [c["id"] for c in back] == [cid]
    assert back[0]["unread_count"] == 3


def test_simulate_inbound_command_posts_a_signed_text_with_an_image(
    server, admin, tmp_path, monkeypatch, capsys
):
    import argparse
    import io

    from PIL import Image

    from inbox_app.server.simulate import simulate_inbound
    from tests.harness import AUTH_TOKEN

    picture = tmp_path / "license.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    monkeypatch.setenv("INBOX_PUBLIC_URL", server.settings.public_url)
    monkeypatch.setenv("INBOX_TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("INBOX_MEDIA_DIR", str(server.settings.effective_media_dir))
    # The command texts the server's number, which the firm owns (texts to others are dropped).
    monkeypatch.setenv("INBOX_TWILIO_FROM", server.settings.twilio_from)
    args = argparse.Namespace(
        from_="201-555-0188", to=None, body="Here is my license", media=[str(picture)], server=None
    )

    assert simulate_inbound(args) == 0

    assert "Delivered SM" in capsys.readouterr().out
    [conversation] = admin.get("/api/v1/conversations").json()
    assert conversation["phone"] == "+12015550188"
    [message] = admin.get(f"/api/v1/conversations/{conversation['id']}/messages").json()["messages"]
    assert message["body"] == "Here is my license"
    assert [(m["status"], m["width"], m["height"]) for m in message["media"]] == [
        ("stored", 40, 30)
    ]


def test_without_an_auth_token_webhooks_need_the_installs_own_secret(
    db_url, tmp_path, monkeypatch, capsys
):
    import argparse
    import stat

    from inbox_app.server import config
    from inbox_app.server.simulate import simulate_inbound
    from tests.harness import free_port, make_settings, serve_in_thread

    # On PostgreSQL the secret lives in the user data directory: keep it in this test's.
    monkeypatch.setattr(config, "data_dir", lambda: tmp_path)
    port = free_port()
    settings = make_settings(db_url, tmp_path, port, twilio_auth_token=None)
    with serve_in_thread(settings) as running:
        make_user(running, "alice", admin=True)
        admin = login(running, "alice")
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": CLIENT,
            "To": "+12015550100",
            "Body": "hi",
        }
        # The key every install used to share no longer opens the door.
        old = post_webhook(running.base_url, MESSAGES, params, token="simulate-auth-token")
        assert old.status_code == 403
        assert _count(running, t.Message) == 0

        secret_file = settings.state_dir / config.SECRET_FILE
        assert secret_file.parent == tmp_path
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        secret = secret_file.read_text().strip()
        assert len(secret) >= 32 and settings.webhook_token == secret
        assert post_webhook(running.base_url, MESSAGES, params, token=secret).status_code == 200

        # `simulate-inbound` with the same settings finds the same secret and is let in.
        for name, value in {
            "INBOX_DATABASE_URL": db_url,
            "INBOX_PUBLIC_URL": settings.public_url,
            "INBOX_MEDIA_DIR": str(settings.effective_media_dir),
            "INBOX_TWILIO_FROM": settings.twilio_from,
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("INBOX_TWILIO_AUTH_TOKEN", raising=False)
        monkeypatch.delenv("INBOX_SECRET_KEY", raising=False)
        args = argparse.Namespace(from_=CLIENT, to=None, body="again", media=[], server=None)
        assert simulate_inbound(args) == 0, capsys.readouterr().err
        [conversation] = admin.get("/api/v1/conversations").json()
        page = admin.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
        assert [m["body"] for m in page["messages"]] == ["hi", "again"]


def test_install_secret_is_made_once_and_shared(tmp_path):
    from inbox_app.server import config

    path = tmp_path / "data" / config.SECRET_FILE
    first = config.install_secret(path)
    config._install_secrets.clear()  # as a second process would: read from the file
    assert config.install_secret(path) == first
    assert config.install_secret(tmp_path / "other" / config.SECRET_FILE) != first
    assert [p.name for p in path.parent.iterdir()] == [config.SECRET_FILE]  # no temp left over
