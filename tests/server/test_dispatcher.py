"""The dispatcher: leases, restarts, re-checks at send time, and how fast a send-now goes out."""

from __future__ import annotations

import threading
from datetime import time as clock
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from inbox_app.models import tables as t
from inbox_app.server.dispatcher import Dispatcher, dispatch_once
from tests.conftest import login, make_user
from tests.fakes.twilio import FakeTwilio
from tests.harness import free_port, make_settings, serve_in_thread
from tests.server.conftest import conversation_for, message_of


@pytest.fixture
def fake():
    with FakeTwilio() as running:
        yield running


def _live_settings(db_url, tmp_path, fake, **overrides):
    return make_settings(
        db_url, tmp_path, free_port(), send_mode="live", twilio_api_base=fake.url, **overrides
    )


def _add_outbound(server, conversation_id: int, body: str, **fields) -> int:
    with server.app.state.sessionmaker() as session, session.begin():
        conversation = session.get(t.Conversation, conversation_id)
        message = t.Message(
            firm_id=conversation.firm_id,
            conversation_id=conversation_id,
            direction="outbound",
            body=body,
            segments=1,
            from_number="+12015550100",
            to_number=conversation.phone,
            **fields,
        )
        session.add(message)
        session.flush()
        return message.id


def test_expired_lease_is_reclaimed_and_due_messages_checked_again(db_url, tmp_path, fake):
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        cid = conversation_for(admin)["id"]
        client = admin.post("/api/v1/clients", json={"first_name": "Ann"}).json()
        admin.post(f"/api/v1/clients/{client['id']}/contacts", json={"phone": "+12015550166"})
        archived_cid = conversation_for(admin, "+12015550166")["id"]
        to_archived = admin.post(
            f"/api/v1/conversations/{archived_cid}/messages", json={"body": "to an archived one"}
        ).json()
        balance = admin.get("/api/v1/credits").json()["balance"]
        with server.app.state.sessionmaker() as session, session.begin():
            session.execute(update(t.Contact).values(archived=True))
        past = t.utcnow() - timedelta(minutes=5)
        dead = dict(status="sending", claimed_by="dead-process", claimed_until=past)
        orphan = _add_outbound(server, cid, "orphaned mid-send", is_debited=True, **dead)
        handed = _add_outbound(
            server, cid, "already handed over", carrier_sid="SM" + "1" * 32, **dead
        )
        busy = _add_outbound(
            server,
            cid,
            "another process is on it",
            status="sending",
            claimed_by="live-process",
            claimed_until=t.utcnow() + timedelta(minutes=5),
        )

        dispatch_once(server.app.state)
        dispatch_once(server.app.state)

        assert [r.params["Body"] for r in fake.requests] == ["orphaned mid-send"]
        with server.app.state.sessionmaker() as session:
            rows = {m.id: m for m in session.scalars(select(t.Message))}
            assert rows[orphan].carrier_sid and rows[orphan].claimed_by is None
            assert rows[handed].carrier_sid == "SM" + "1" * 32 and rows[handed].claimed_by is None
            assert rows[busy].claimed_by == "live-process" and rows[busy].carrier_sid is None
        # Checked again at send time: the contact was archived after the message was accepted.
        canceled = message_of(admin, archived_cid, to_archived["id"])
        assert (canceled["status"], canceled["error"]) == ("canceled", "The contact is archived")
        assert admin.get("/api/v1/credits").json()["balance"] == balance + 1


def test_restart_sends_due_scheduled_messages_once(db_url, tmp_path, fake):
    first = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(first) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        with server.app.state.sessionmaker() as session, session.begin():
            # Send at any hour: this test is about restarts, not quiet hours.
            session.execute(
                update(t.Firm).values(quiet_start=clock(0, 0), quiet_end=clock(23, 59, 59, 999999))
            )
        cid = conversation_for(admin)["id"]
        later = (t.utcnow() + timedelta(days=1)).isoformat()
        ids = [
            admin.post(
                f"/api/v1/conversations/{cid}/messages", json={"body": f"r{i}", "send_at": later}
            ).json()["id"]
            for i in range(3)
        ]
        balance = admin.get("/api/v1/credits").json()["balance"]
        with server.app.state.sessionmaker() as session, session.begin():
            # The server was down while they fell due.
            session.execute(update(t.Message).values(send_at=t.utcnow() - timedelta(minutes=1)))
    assert fake.requests == []

    second = first.model_copy(update={"dispatcher_enabled": True})
    with serve_in_thread(second) as server:
        admin = login(server, "alice")
        fake.wait_for(3)
        dispatch_once(server.app.state)
        assert sorted(r.params["Body"] for r in fake.requests) == ["r0", "r1", "r2"]
        for message_id in ids:
            assert message_of(admin, cid, message_id)["carrier_sid"]
        assert admin.get("/api/v1/credits").json()["balance"] == balance - 3


def test_two_dispatchers_at_once_send_each_message_once(db_url, tmp_path, fake):
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        cid = conversation_for(admin)["id"]
        for i in range(12):
            _add_outbound(server, cid, f"m{i}", status="queued")
        workers = [Dispatcher(server.app.state), Dispatcher(server.app.state)]
        barrier = threading.Barrier(2)

        def drain(worker: Dispatcher) -> None:
            barrier.wait()
            while worker.dispatch_once():
                pass

        threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        for worker in workers:
            worker.close()

        bodies = sorted(r.params["Body"] for r in fake.requests)
        assert bodies == sorted(f"m{i}" for i in range(12))
        assert admin.get("/api/v1/credits").json()["balance"] == 100 - 12
