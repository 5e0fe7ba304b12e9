"""The dispatcher: leases, restarts, re-checks at send time, and how fast a send-now goes out."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

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


def test_a_message_whose_lease_was_lost_or_ran_out_is_not_sent(db_url, tmp_path, fake):
    # A lease this short is always checked against the database right before the carrier call.
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False, lease_seconds=5)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        cid = conversation_for(admin)["id"]
        ids = [_add_outbound(server, cid, f"m{i}", status="queued") for i in range(3)]
        worker = Dispatcher(server.app.state)
        try:
            with server.app.state.sessionmaker() as session:
                _acted, jobs = worker._claim(session)
            assert [job.message_id for job in jobs] == ids
            with server.app.state.sessionmaker() as session, session.begin():
                # While the batch waited: another process reclaimed one, another's lease ran out.
                session.execute(
                    update(t.Message)
                    .where(t.Message.id == ids[1])
                    .values(
                        claimed_by="other-process", claimed_until=t.utcnow() + timedelta(minutes=1)
                    )
                )
                session.execute(
                    update(t.Message)
                    .where(t.Message.id == ids[2])
                    .values(claimed_until=t.utcnow() - timedelta(seconds=1))
                )
            worker._finish(worker._start(jobs))
        finally:
            worker.close()

        assert [r.params["Body"] for r in fake.requests] == ["m0"]
        with server.app.state.sessionmaker() as session:
            rows = {m.id: m for m in session.scalars(select(t.Message))}
        assert rows[ids[0]].carrier_sid is not None
        assert rows[ids[1]].claimed_by == "other-process" and rows[ids[1]].carrier_sid is None
        # Left to be reclaimed (by this or any process) now that its lease is over.
        assert rows[ids[2]].status == "sending" and rows[ids[2]].carrier_sid is None


def test_a_stopping_dispatcher_gives_back_what_it_claimed_but_did_not_send(db_url, tmp_path, fake):
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        cid = conversation_for(login(server, "alice"))["id"]
        ids = [_add_outbound(server, cid, f"m{i}", status="queued") for i in range(2)]
        worker = Dispatcher(server.app.state)
        with server.app.state.sessionmaker() as session:
            _acted, jobs = worker._claim(session)
        worker.close()  # the server stops between the claim and the carrier calls

        worker._finish(worker._start(jobs))

        assert fake.requests == []
        with server.app.state.sessionmaker() as session:
            rows = [session.get(t.Message, i) for i in ids]
            assert [(m.status, m.claimed_by, m.attempts) for m in rows] == [("queued", None, 0)] * 2
            # Clients that showed them as `sending` are told they wait again.
            last = {}
            for event in session.scalars(
                select(t.StreamEvent)
                .where(t.StreamEvent.kind == "message.updated")
                .order_by(t.StreamEvent.id)
            ):
                last[event.payload["id"]] = event.payload["status"]
            assert [last.get(i) for i in ids] == ["queued", "queued"]
        # Debited once at claim time, not again when the next pass sends them.
        dispatch_once(server.app.state)
        assert sorted(r.params["Body"] for r in fake.requests) == ["m0", "m1"]
        with server.app.state.sessionmaker() as session:
            debits = session.scalar(
                select(func.count()).select_from(t.CreditEntry).where(t.CreditEntry.kind == "debit")
            )
        assert debits == 2


def test_the_send_rate_per_number_holds_across_two_dispatchers(db_url, tmp_path, fake):
    rate = 5.0
    settings = _live_settings(
        db_url, tmp_path, fake, dispatcher_enabled=False, send_rate_per_second=rate
    )
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        # Different recipients, one sender number: nothing but the rate keeps them apart.
        cids = [conversation_for(admin, f"+1201555{n:04d}")["id"] for n in range(200, 206)]
        for n, cid in enumerate(cids):
            _add_outbound(server, cid, f"r{n}", status="queued")
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

    arrivals = sorted(r.received_at for r in fake.requests)
    assert len(arrivals) == 6
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # Each process alone would allow 5/s, so two would squeeze six sends into ~0.4 s.
    assert arrivals[-1] - arrivals[0] >= 5 / rate * 0.9, gaps
    assert min(gaps) >= 1 / rate * 0.5, gaps


def test_quiet_hours_are_checked_again_at_claim_time_in_the_recipients_zone(db_url, tmp_path, fake):
    """A firm in New York texts Los Angeles: the window is open in New York, not yet in LA."""
    new_york, los_angeles = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    now_ny = datetime.now(new_york)
    midnight = now_ny.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now_ny - timedelta(hours=1), midnight).time().replace(second=0, microsecond=0)
    end = min(now_ny + timedelta(hours=1), midnight + timedelta(hours=23, minutes=59)).time()
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        with server.app.state.sessionmaker() as session, session.begin():
            session.execute(
                update(t.Firm).values(
                    time_zone="America/New_York", quiet_start=start, quiet_end=end
                )
            )
        to_la = conversation_for(admin, "+12135550104")["id"]
        to_ny = conversation_for(admin, "+12015550123")["id"]
        due = t.utcnow() - timedelta(minutes=1)
        fields = dict(status="scheduled", send_at=due, respects_quiet_hours=True)
        la_id = _add_outbound(server, to_la, "to Los Angeles", **fields)
        _add_outbound(server, to_ny, "to New York", **fields)

        dispatch_once(server.app.state)

        assert [r.params["Body"] for r in fake.requests] == ["to New York"]
        with server.app.state.sessionmaker() as session:
            moved = session.get(t.Message, la_id)
        assert moved.status == "scheduled" and moved.claimed_by is None
        local = moved.send_at.astimezone(los_angeles)
        assert (local.hour, local.minute) == (start.hour, start.minute)
        assert moved.send_at > t.utcnow()
        assert not moved.is_debited


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_server_processes_race_forty_sends_for_twenty_five_credits(db_url, tmp_path, fake):
    """Two `inbox-server` processes on one PostgreSQL database, auto top-up off: the balance
    decides, not timing. Exactly 25 reach the carrier, once each; 15 are held (201 `held`)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services import credits
    from inbox_app.server.services.auth import create_user
    from tests.conftest import PASSWORD
    from tests.harness import ACCOUNT_SID, AUTH_TOKEN
    from tests.server.conftest import wait_until
    from tests.server.test_stream import servers_in_processes

    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as session:
            user = create_user(session, "alice", PASSWORD, is_admin=True, firm_name="Doe Law")
        firm_id = user.firm_id
        with sessions() as session, session.begin():
            # 75 of the free 100 spent earlier, through the ledger like any debit.
            session.execute(
                update(t.CreditBalance).where(t.CreditBalance.firm_id == firm_id).values(balance=25)
            )
            session.add(
                t.CreditEntry(
                    firm_id=firm_id, kind="debit", amount=-75, balance_after=25, note="earlier"
                )
            )
        ports = [free_port()]
        while len(ports) < 2:
            port = free_port()
            if port not in ports:  # the OS may hand the same free port out twice in a row
                ports.append(port)
        envs = [
            {
                "INBOX_DATABASE_URL": db_url,
                "INBOX_MEDIA_DIR": str(tmp_path / "media"),
                "INBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "INBOX_SECRET_KEY": "race-test-secret-" + "x" * 32,
                "INBOX_SEND_MODE": "live",
                "INBOX_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "INBOX_TWILIO_FROM": "+12015550100",
                "INBOX_TWILIO_API_BASE": fake.url,
                "INBOX_SEND_RATE_PER_SECOND": "0",
                "INBOX_DISPATCHER_INTERVAL": "0.05",
            }
            for port in ports
        ]
        with servers_in_processes(envs, ports):
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            token = httpx.post(
                f"{bases[0]}/api/v1/auth/token",
                json={"username": "alice", "password": PASSWORD},
                timeout=15,
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            threads = []
            for n in range(5):
                response = httpx.post(
                    f"{bases[n % 2]}/api/v1/conversations",
                    json={"phone": f"+1201555{300 + n:04d}"},
                    headers=headers,
                    timeout=15,
                )
                threads.append(response.json()["id"])
            barrier = threading.Barrier(40)

            def send(n: int) -> tuple[str, int]:
                body = f"race {n}"
                with httpx.Client(base_url=bases[n % 2], headers=headers, timeout=30) as http:
                    barrier.wait()
                    response = http.post(
                        f"/api/v1/conversations/{threads[n % 5]}/messages", json={"body": body}
                    )
                assert response.status_code == 201, response.text
                return body, response.json()["status"]

            with ThreadPoolExecutor(40) as pool:
                answers = list(pool.map(send, range(40)))

            accepted = {body for body, status in answers if status != "held"}
            refused = {body for body, status in answers if status == "held"}
            assert (len(accepted), len(refused)) == (25, 15), answers

            def settled() -> bool:
                with sessions() as session:
                    # "sending" with a carrier sid is handed over, waiting for status callbacks.
                    busy = session.scalar(
                        select(func.count())
                        .select_from(t.Message)
                        .where(
                            t.Message.status.in_(("queued", "sending", "scheduled")),
                            t.Message.carrier_sid.is_(None),
                        )
                    )
                return busy == 0 and len(fake.requests) >= 25

            wait_until(settled, timeout=20)
            at_carrier = [r.params["Body"] for r in fake.requests]
            assert sorted(at_carrier) == sorted(accepted)  # each once, none of the held ones
            with sessions() as session, session.begin():
                assert credits.balance(session, firm_id) == 0
                assert credits.ledger_sum(session, firm_id) == 0
                rows = session.scalars(select(t.Message)).all()
                held = {m.body for m in rows if m.status == "held"}
                handed = {m.body for m in rows if m.carrier_sid}
                debits = session.scalar(
                    select(func.count())
                    .select_from(t.CreditEntry)
                    .where(t.CreditEntry.kind == "debit", t.CreditEntry.message_id.is_not(None))
                )
            assert held == refused and handed == accepted and debits == 25
    finally:
        engine.dispose()


def test_a_text_waits_while_an_earlier_one_to_the_same_client_is_still_on_its_way(
    db_url, tmp_path, fake
):
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        cid = conversation_for(admin)["id"]
        other_cid = conversation_for(admin, "+12015550177")["id"]
        now = t.utcnow()
        # Another process has the first text and has not handed it to the carrier yet.
        first = _add_outbound(
            server,
            cid,
            "Court is at 10am",
            status="sending",
            claimed_by="other-process",
            claimed_until=now + timedelta(minutes=2),
            is_debited=True,
        )
        second = _add_outbound(server, cid, "Bring your ID", status="queued")
        _add_outbound(server, other_cid, "Unrelated", status="queued")

        dispatch_once(server.app.state)
        assert [r.params["Body"] for r in fake.requests] == ["Unrelated"]
        assert message_of(admin, cid, second)["status"] == "queued"

        # The other process hands the first one over: the second follows.
        with server.app.state.sessionmaker() as session, session.begin():
            session.execute(
                update(t.Message)
                .where(t.Message.id == first)
                .values(status="sent", carrier_sid="SM" + "f" * 32, claimed_by=None)
            )
        dispatch_once(server.app.state)
        assert [r.params["Body"] for r in fake.requests] == ["Unrelated", "Bring your ID"]


def test_a_text_waiting_for_a_retry_keeps_the_later_ones_behind_it(db_url, tmp_path, fake):
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        cid = conversation_for(login(server, "alice"))["id"]
        retry_at = t.utcnow() + timedelta(minutes=5)
        first = _add_outbound(server, cid, "one", status="queued", next_attempt_at=retry_at)
        _add_outbound(server, cid, "two", status="queued")

        dispatch_once(server.app.state)
        assert fake.requests == []

        with server.app.state.sessionmaker() as session, session.begin():
            session.execute(
                update(t.Message).where(t.Message.id == first).values(next_attempt_at=None)
            )
        dispatch_once(server.app.state)
        assert [r.params["Body"] for r in fake.requests] == ["one", "two"]


def test_a_retry_holds_back_the_same_clients_text_already_claimed_in_the_next_batch(
    db_url, tmp_path, fake, monkeypatch
):
    from inbox_app.server import dispatcher

    # One message per batch: the second text is claimed while the first is at the carrier.
    monkeypatch.setattr(dispatcher, "BATCH", 1)
    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        cid = conversation_for(login(server, "alice"))["id"]
        first = _add_outbound(server, cid, "one", status="queued")
        second = _add_outbound(server, cid, "two", status="queued")
        fake.fail_next("rate_limited")

        dispatch_once(server.app.state)
        assert [r.params["Body"] for r in fake.requests] == ["one"]  # the 429, nothing else
        with server.app.state.sessionmaker() as session:
            rows = {i: session.get(t.Message, i) for i in (first, second)}
            assert [rows[i].status for i in (first, second)] == ["queued", "queued"]

            # Both due again: they go out in the order they were written.
            session.execute(
                update(t.Message)
                .where(t.Message.id.in_([first, second]))
                .values(next_attempt_at=None)
            )
            session.commit()
        dispatch_once(server.app.state)
        assert [r.params["Body"] for r in fake.requests] == ["one", "one", "two"]


def test_a_failing_chunk_of_import_reminders_never_holds_up_due_texts(
    db_url, tmp_path, fake, monkeypatch, caplog
):
    """The reminders a large import leaves come first in a pass; when making them fails (a bug,
    a database error), the pass still sends what is due, and tries them again only later."""
    from inbox_app.server.services import reminders

    settings = _live_settings(db_url, tmp_path, fake, dispatcher_enabled=False)
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        cid = conversation_for(admin)["id"]
        _add_outbound(server, cid, "due now", status="queued")
        tries = []

        def broken(session, limit=reminders.PENDING_CHUNK):
            tries.append(limit)
            raise RuntimeError("resync exploded")

        monkeypatch.setattr(reminders, "resync_pending", broken)
        worker = Dispatcher(server.app.state)
        try:
            worker.dispatch_once()
            fake.wait_for(1)
            assert [r.params["Body"] for r in fake.requests] == ["due now"]
            assert len(tries) == 1 and "resync exploded" in caplog.text
            worker.dispatch_once()  # within PENDING_RETRY_SECONDS: not tried again
            assert len(tries) == 1
            worker._pending_retry_at = 0.0  # PENDING_RETRY_SECONDS later
            worker.dispatch_once()
            assert len(tries) == 2
        finally:
            worker.close()
