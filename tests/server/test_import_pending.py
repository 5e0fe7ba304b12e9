"""A large import leaves its reminders to the dispatcher, right after its commit: the court dates
are committed flagged (`events.reminders_pending`), so a server killed in between finishes the
job when it starts again, and every court date ends with its reminders exactly once."""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace

from sqlalchemy import func, select

from inbox_app.models import tables as t
from inbox_app.server.db import make_engine, make_sessionmaker
from inbox_app.server.services import reminders
from inbox_app.server.services.auth import create_user
from tests.conftest import PASSWORD, login
from tests.harness import free_port, serve_in_process
from tests.import_files import BAD_LINES, clio_rows
from tests.server.conftest import wait_until
from tests.server.test_import import _body, _flow
from tests.server.test_metrics import TOKEN as METRICS_TOKEN
from tests.server.test_metrics import scrape

ROWS = 2 * reminders.PENDING_CHUNK + 500  # three chunks, the last a part (less the bad lines)
GOOD = ROWS - len(BAD_LINES)


def _state(url: str) -> tuple[int, int, set[int]]:
    """Court dates still flagged, reminders made, and the reminder counts per court date."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            pending = reminders.pending_count(session)
            made = session.scalar(
                select(func.count()).select_from(t.Message).where(t.Message.origin == "flow")
            )
            per_event = set(
                session.scalars(
                    select(func.count(t.Message.id))
                    .select_from(t.Event)
                    .outerjoin(t.Message, t.Message.event_id == t.Event.id)
                    .group_by(t.Event.id)
                )
            )
            return pending, made, per_event
    finally:
        engine.dispose()


def test_a_large_import_makes_its_reminders_after_it_even_across_two_kill_9s(db_url, tmp_path):
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        create_user(session, "alice", PASSWORD, is_admin=True, firm_name="Doe & Roe Law")
    engine.dispose()
    port = free_port()

    def env(dispatcher: bool) -> dict[str, str]:
        return {
            "INBOX_DATABASE_URL": db_url,
            "INBOX_MEDIA_DIR": str(tmp_path / "media"),
            "INBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "INBOX_SECRET_KEY": "pending-test-secret-" + "x" * 32,
            "INBOX_SEND_MODE": "simulate",
            "INBOX_DISPATCHER_ENABLED": "true" if dispatcher else "false",
            "INBOX_DISPATCHER_INTERVAL": "0.1",
            "INBOX_METRICS_TOKEN": METRICS_TOKEN,
            "HOME": str(tmp_path),
        }

    # A process that answers the API only: the import commits, nobody makes the reminders yet.
    with serve_in_process(env(dispatcher=False), port) as first:
        api = login(SimpleNamespace(base_url=f"http://127.0.0.1:{port}"), "alice")
        flow = _flow(api)
        response = api.post("/api/v1/import", json=_body(clio_rows(ROWS), flow_id=flow["id"]))
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["imported"], report["rejected"]) == (GOOD, len(BAD_LINES))
        assert (report["events_resynced"], report["events_pending"]) == (0, GOOD)
        assert _state(db_url)[:2] == (GOOD, 0)
        # What an operator sees: court dates waiting (and, here, no process to make them).
        awaiting = scrape(SimpleNamespace(base_url=api.base_url))
        assert awaiting[("inbox_court_dates_awaiting_reminders", ())] == GOOD
        os.kill(first.pid, signal.SIGKILL)
        first.wait()

    # A dispatcher starts on them; it is killed too, perhaps halfway.
    with serve_in_process(env(dispatcher=True), port) as second:
        wait_until(lambda: _state(db_url)[0] < GOOD, timeout=60, interval=0.005)
        os.kill(second.pid, signal.SIGKILL)
        second.wait()
    pending_at_kill, made_at_kill, _ = _state(db_url)
    # Whole chunks only: each one's reminders and flags commit together.
    assert made_at_kill == 3 * (GOOD - pending_at_kill)

    with serve_in_process(env(dispatcher=True), port):
        wait_until(lambda: _state(db_url)[0] == 0, timeout=60, interval=0.05)
    pending, made, per_event = _state(db_url)
    assert (pending, made, per_event) == (0, 3 * GOOD, {3})


def test_a_court_date_moved_while_its_reminders_wait_gets_them_for_its_new_date(server, admin):
    flow = _flow(admin)
    rows = clio_rows(reminders.PENDING_CHUNK + 100)
    response = admin.post("/api/v1/import", json=_body(rows, flow_id=flow["id"]))
    assert response.json()["events_pending"] > 0
    with server.app.state.sessionmaker() as session:
        last = session.scalar(select(t.Event).order_by(t.Event.id.desc()).limit(1))
    # The same time of day (UTC), on a date no row of the file has.
    moved_to = "2031-06-03T" + last.starts_at.strftime("%H:%M:%S") + "Z"
    patched = admin.patch(f"/api/v1/events/{last.id}", json={"starts_at": moved_to})
    assert patched.status_code == 200, patched.text

    def pending() -> int:
        with server.app.state.sessionmaker() as session:
            return reminders.pending_count(session)

    wait_until(lambda: pending() == 0, timeout=60)
    with server.app.state.sessionmaker() as session:
        sends = sorted(
            session.scalars(select(t.Message.send_at).where(t.Message.event_id == last.id))
        )
    assert len(sends) == 3
    assert sends[-1].date().isoformat() == "2031-06-03"
