"""Sending exactly once (CONTRACT.md): a text the carrier may have taken is looked up there
(Twilio's Messages list by To, From and DateSent, matched on the body) before it is sent again;
when the carrier cannot say, it is `failed` / `no_answer` and never resent automatically."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from inbox_app.models import tables as t
from inbox_app.server import dispatcher
from inbox_app.server.carrier.base import NO_ANSWER
from inbox_app.server.carrier.live import LiveCarrier
from inbox_app.server.services import credits
from tests.conftest import login, make_user
from tests.fakes.twilio import FakeTwilio
from tests.harness import ACCOUNT_SID, AUTH_TOKEN, free_port, make_settings, serve_in_thread
from tests.server.conftest import CLIENT, conversation_for

FROM = "+12015550100"


@pytest.fixture
def fake():
    with FakeTwilio() as running:
        yield running


@pytest.fixture
def live_server(db_url, tmp_path, fake, monkeypatch):
    """Live mode against the fake, no dispatcher loop (the test runs the passes), a 0.3 s
    carrier timeout and no wait before a lookup."""
    from inbox_app.server.carrier import live as live_carrier

    monkeypatch.setattr(live_carrier, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(dispatcher, "RECONCILE_DELAY_SECONDS", 0.0)
    settings = make_settings(
        db_url,
        tmp_path,
        free_port(),
        send_mode="live",
        twilio_api_base=fake.url,
        dispatcher_enabled=False,
    )
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        yield server, login(server, "alice")


def _message(server, message_id: int) -> t.Message:
    with server.app.state.sessionmaker() as session:
        message = session.get(t.Message, message_id)
        session.expunge(message)
        return message


def _ledger_matches_balance(server, firm_id: int) -> bool:
    with server.app.state.sessionmaker() as session, session.begin():
        return credits.ledger_sum(session, firm_id) == credits.balance(session, firm_id)


def test_the_fake_lists_messages_as_twilio_does_for_the_real_client(fake):
    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, fake.url)
    for n in range(120):
        carrier.send(CLIENT if n % 2 else "+12015550124", FROM, f"text {n % 7}", [], None)
    before = datetime.now(UTC) - timedelta(minutes=1)

    listed = carrier.client.messages.list(to=CLIENT, from_=FROM, date_sent_after=before)
    found = carrier.find(CLIENT, FROM, "text 3", before)
    today = carrier.client.messages.list(to=CLIENT, date_sent=datetime.now(UTC).date())
    tomorrow = carrier.client.messages.list(date_sent_after=before + timedelta(days=2))

    assert len(listed) == 60  # two pages of 50: the client follows next_page_uri
    assert all(m.to == CLIENT and m.from_ == FROM and m.date_sent for m in listed)
    assert [m.date_created for m in listed] == sorted(
        (m.date_created for m in listed), reverse=True
    )
    assert len(found) == len([n for n in range(1, 120, 2) if n % 7 == 3])
    assert len(today) == 60 and tomorrow == []
    first = fake.list_requests[0]
    assert (first["To"], first["From"], first["DateSent>"]) == (
        CLIENT,
        FROM,
        before.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert fake.list_requests[1]["Page"] == "1" and fake.list_requests[1]["PageToken"]
    carrier.close()


def test_a_lost_answer_is_looked_up_at_the_carrier_and_not_sent_again(live_server, fake):
    server, admin = live_server
    conversation = conversation_for(admin)
    fake.stall_next(1.5)  # the carrier takes the text; its answer never arrives in time
    sent = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Court at 9"}
    ).json()
    balance = admin.get("/api/v1/credits").json()["balance"]

    dispatcher.dispatch_once(server.app.state)
    waiting = _message(server, sent["id"])
    assert (waiting.status, waiting.carrier_sid, waiting.error_code) == ("sending", None, None)
    assert waiting.carrier_attempted_at is not None
    dispatcher.dispatch_once(server.app.state)
    dispatcher.dispatch_once(server.app.state)

    found = _message(server, sent["id"])
    [taken] = fake.sent
    assert [r.params["Body"] for r in fake.requests] == ["Court at 9"]  # once
    assert found.carrier_sid == fake.messages[0][1]["sid"] and found.status == "sent"
    assert fake.list_requests and fake.list_requests[0]["To"] == CLIENT
    assert admin.get("/api/v1/credits").json()["balance"] == balance
    assert _ledger_matches_balance(server, admin.user["firm_id"])
    assert taken.params["To"] == CLIENT


def test_when_the_carrier_cannot_say_the_text_is_failed_no_answer_and_kept_charged(
    live_server, fake
):
    server, admin = live_server
    conversation = conversation_for(admin)
    fake.stall_next(1.5)
    fake.fail_list_next("server_error", times=3)
    sent = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Court at 9"}
    ).json()
    balance = admin.get("/api/v1/credits").json()["balance"]

    for _ in range(3):
        dispatcher.dispatch_once(server.app.state)

    failed = _message(server, sent["id"])
    assert (failed.status, failed.error_code) == ("failed", NO_ANSWER)
    assert (
        "may have been sent" in failed.error_text and "Check before resending" in failed.error_text
    )
    assert failed.next_attempt_at is None and failed.is_debited
    assert len(fake.requests) == 1  # never sent again
    assert admin.get("/api/v1/credits").json()["balance"] == balance
    assert _ledger_matches_balance(server, admin.user["firm_id"])


def test_a_text_handed_over_by_a_process_that_died_is_sent_only_when_the_carrier_lacks_it(
    live_server, fake
):
    """Two texts whose process died mid-call (lease run out, attempted, no sid): the one the
    carrier took gets its sid from the carrier's list, the one that never arrived is sent."""
    server, admin = live_server
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.Firm).values(default_send_delay_seconds=3600))
    arrived = admin.post(url, json={"body": "arrived before the crash"}).json()
    lost = admin.post(url, json={"body": "never left the server"}).json()
    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, fake.url)
    receipt = carrier.send(CLIENT, FROM, "arrived before the crash", [], None)
    carrier.close()
    past = t.utcnow() - timedelta(minutes=5)
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message)
            .where(t.Message.id.in_([arrived["id"], lost["id"]]))
            .values(
                status="sending",
                from_number=FROM,
                claimed_by="dead-process",
                claimed_until=past,
                carrier_attempted_at=past + timedelta(seconds=1),
                attempts=1,
                is_debited=True,
            )
        )

    dispatcher.dispatch_once(server.app.state)

    bodies = Counter(r.params["Body"] for r in fake.requests)
    assert bodies == {"arrived before the crash": 1, "never left the server": 1}
    assert _message(server, arrived["id"]).carrier_sid == receipt.sid
    resent = _message(server, lost["id"])
    assert resent.carrier_sid and resent.carrier_sid != receipt.sid
    with server.app.state.sessionmaker() as session:
        order = session.scalars(select(t.Message.body).order_by(t.Message.id)).all()
    assert order == ["arrived before the crash", "never left the server"]


def test_the_same_words_sent_twice_are_matched_to_two_carrier_messages(live_server, fake):
    """Two texts with one body, both at the carrier when their process died: each takes one
    of the carrier's two messages, neither is sent again."""
    server, admin = live_server
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.Firm).values(default_send_delay_seconds=3600))
    ids = [admin.post(url, json={"body": "Reply C to confirm"}).json()["id"] for _ in range(2)]
    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, fake.url)
    sids = {carrier.send(CLIENT, FROM, "Reply C to confirm", [], None).sid for _ in range(2)}
    carrier.close()
    past = t.utcnow() - timedelta(minutes=5)
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message)
            .where(t.Message.id.in_(ids))
            .values(
                status="sending",
                from_number=FROM,
                claimed_by="dead-process",
                claimed_until=past,
                carrier_attempted_at=past + timedelta(seconds=1),
                attempts=1,
                is_debited=True,
            )
        )

    dispatcher.dispatch_once(server.app.state)

    assert len(fake.requests) == 2  # only the two made above
    assert {_message(server, i).carrier_sid for i in ids} == sids


# --- kill -9 in the middle of 500 sends ------------------------------------------------------

SENDS = 500
RECIPIENTS = 25


def _seed(db_url: str) -> int:
    """A firm with 1000 credits (through the ledger) and 500 queued texts to 25 clients."""
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services.auth import create_user
    from tests.conftest import PASSWORD

    engine = make_engine(db_url)
    try:
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            firm_id = create_user(session, "alice", PASSWORD, is_admin=True).firm_id
        with sessions() as session, session.begin():
            credits.add_in(session, firm_id, 900, "grant", note="test credits")
            conversations = []
            for n in range(RECIPIENTS):
                conversation = t.Conversation(firm_id=firm_id, phone=f"+1201555{1000 + n:04d}")
                session.add(conversation)
                conversations.append(conversation)
            session.flush()
            now = t.utcnow()
            session.add_all(
                t.Message(
                    firm_id=firm_id,
                    conversation_id=conversations[n % RECIPIENTS].id,
                    direction="outbound",
                    body=f"reminder number {n}",
                    segments=1,
                    status="queued",
                    from_number=FROM,
                    to_number=conversations[n % RECIPIENTS].phone,
                    created_at=now,
                )
                for n in range(SENDS)
            )
        return firm_id
    finally:
        engine.dispose()


def _settled(db_url: str) -> tuple[int, dict[str, int]]:
    from sqlalchemy import func

    from inbox_app.server.db import make_engine, make_sessionmaker

    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(t.Message.status, func.count()).group_by(t.Message.status)
            ).all()
            unsent = session.scalar(
                select(func.count()).select_from(t.Message).where(t.Message.carrier_sid.is_(None))
            )
        return unsent, dict(rows)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_9_mid_dispatch_then_restart_sends_each_text_exactly_once(db_url, tmp_path, fake):
    """A real `inbox-server` process is killed (SIGKILL) while it hands 500 texts to the carrier,
    then started again; on PostgreSQL a second process runs throughout and takes over too."""
    import os
    import signal

    from tests.harness import serve_in_process
    from tests.server.conftest import wait_until
    from tests.server.test_stream import servers_in_processes

    firm_id = _seed(db_url)
    # Each answer comes 50 ms after the carrier took the text: a kill lands in that window.
    fake.stall_next(0.05, times=2 * SENDS)
    is_postgres = db_url.startswith("postgresql")
    ports = [free_port()]
    while len(ports) < (2 if is_postgres else 1):
        port = free_port()
        if port not in ports:
            ports.append(port)

    def env(port: int) -> dict[str, str]:
        return {
            "INBOX_DATABASE_URL": db_url,
            "INBOX_MEDIA_DIR": str(tmp_path / "media"),
            "INBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "INBOX_SECRET_KEY": "kill-test-secret-" + "x" * 32,
            "INBOX_SEND_MODE": "live",
            "INBOX_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "INBOX_TWILIO_FROM": FROM,
            "INBOX_TWILIO_API_BASE": fake.url,
            "INBOX_SEND_RATE_PER_SECOND": "0",
            "INBOX_DISPATCHER_INTERVAL": "0.1",
            # A dead process's texts come back to the others after 5 s.
            "INBOX_LEASE_SECONDS": "5",
            "HOME": str(tmp_path),
        }

    with servers_in_processes([env(port) for port in ports], ports) as processes:
        wait_until(lambda: len(fake.requests) >= 120, timeout=60, interval=0.001)
        os.kill(processes[0].pid, signal.SIGKILL)
        processes[0].wait()
        killed_at = len(fake.requests)
        with serve_in_process(env(ports[0]), ports[0]):
            wait_until(lambda: _settled(db_url)[0] == 0, timeout=120, interval=0.2)

    unsent, by_status = _settled(db_url)
    bodies = Counter(r.params["Body"] for r in fake.sent)
    twice = {body: n for body, n in bodies.items() if n > 1}
    assert killed_at < SENDS, "the kill came after every text was sent"
    assert twice == {}, f"{len(twice)} texts reached the carrier twice"
    assert len(bodies) == SENDS and unsent == 0
    assert set(by_status) <= {"sending", "sent"}, by_status  # sent, or handed over
    from inbox_app.server.db import make_engine, make_sessionmaker

    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            assert credits.ledger_sum(session, firm_id) == credits.balance(session, firm_id)
            assert credits.balance(session, firm_id) == 1000 - SENDS
    finally:
        engine.dispose()
