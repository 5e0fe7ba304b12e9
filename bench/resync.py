"""Reminder generation and resync at scale, against a bare bulk insert of as many rows.

A firm with 20,000 events, two contacts each, on a 3-step flow. Both timings go through the
service function the `PATCH /api/v1/events/{id}` route calls (reminders.update_events: change the
events, then resync them in the same transaction), `--batch` events per transaction:

- generate: assign the flow to every event (which creates its 6 reminders);
- move: move every event a day later (which rewrites all 120,000 reminders in place).

Each is given as a ratio of a bare SQLAlchemy Core insert of the same number of rows with every
column a reminder has, into the (then empty) messages table, in the same run. Higher is better;
the target is >= 0.3 for both; exit status 1 when missed.

    .venv/bin/python bench/resync.py [--events 20000] [--batch 500]     # SQLite, temporary dir
    .venv/bin/python bench/resync.py --postgres postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text

from inbox_app.models import tables as t
from inbox_app.models.schemas import EventPatch
from inbox_app.server.db import make_engine, make_sessionmaker
from inbox_app.server.migrate import upgrade
from inbox_app.server.services import firms, reminders

TARGET = 0.3
TEMPLATE = (
    "Hi [ClientFirstName], your hearing is on [EventDate] at [EventTime] at [EventLocation]."
    "[% Case %CaseNumber.] Questions? Call [FirmName] at [FirmPhone]. Reply STOP to opt out."
)


def _postgres_database(url: str) -> tuple[str, callable]:
    """A fresh database beside the one `url` names, and a function that drops it."""
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"inbox_bench_{uuid.uuid4().hex[:8]}"
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


@dataclass
class Seeded:
    user: t.User
    flow_id: int
    step_ids: list[int]
    events: list[tuple[int, datetime, int, int]]  # id, starts_at, client, first contact


def _seed(sessionmaker, events: int) -> Seeded:
    """The firm, a user, its flow, clients, contacts and events (no flow assigned yet)."""
    now = datetime.now(UTC)
    with sessionmaker() as session, session.begin():
        firm = firms.create_firm_in(session, "Bench & Co", phone="+12015550100")
        user = t.User(firm_id=firm.id, username="bench", password_hash="-", role="admin")
        session.add(user)
        flow = t.Flow(firm_id=firm.id, name="Court date")
        for position, (days, send_time) in enumerate(((-7, "09:00"), (-3, None), (0, "08:00"))):
            step = t.FlowStep(
                position=position,
                offset_days=days,
                send_time=datetime.strptime(send_time, "%H:%M").time() if send_time else None,
            )
            step.templates.append(t.Template(language="en", body=TEMPLATE))
            flow.steps.append(step)
        session.add(flow)
        session.flush()
        firm_id, flow_id = firm.id, flow.id
        step_ids = [step.id for step in flow.steps]
        session.expunge(user)
    with sessionmaker() as session, session.begin():
        session.execute(
            insert(t.Client),
            [
                {"firm_id": firm_id, "first_name": f"Client{i}", "last_name": "Bench"}
                for i in range(events)
            ],
        )
        client_ids = list(session.scalars(select(t.Client.id).where(t.Client.firm_id == firm_id)))
        session.execute(
            insert(t.Contact),
            [
                {"firm_id": firm_id, "client_id": client_id, "phone": f"+1201{2000000 + 2 * i + k}"}
                for i, client_id in enumerate(client_ids)
                for k in range(2)
            ],
        )
        session.execute(
            insert(t.Event),
            [
                {
                    "firm_id": firm_id,
                    "client_id": client_id,
                    "starts_at": now + timedelta(days=10 + i % 30, hours=i % 7),
                    "location": f"Courtroom {i % 12 + 1}",
                }
                for i, client_id in enumerate(client_ids)
            ],
        )
        contact_of = dict(
            session.execute(
                select(t.Contact.client_id, func.min(t.Contact.id))
                .where(t.Contact.firm_id == firm_id)
                .group_by(t.Contact.client_id)
            ).all()
        )
        rows = session.execute(
            select(t.Event.id, t.Event.starts_at, t.Event.client_id)
            .where(t.Event.firm_id == firm_id)
            .order_by(t.Event.id)
        ).all()
    seeded_events = [
        (row.id, row.starts_at, row.client_id, contact_of[row.client_id]) for row in rows
    ]
    return Seeded(user, flow_id, step_ids, seeded_events)


class _Clock:
    """Wall and process CPU seconds of a block (CPU shows the work when the machine is busy)."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _bare_insert(sessionmaker, seeded: Seeded, rows: int) -> _Clock:
    """Seconds to insert `rows` reminder-shaped rows (every column) with one Core executemany."""
    firm_id = seeded.user.firm_id
    now = datetime.now(UTC)
    with sessionmaker() as session, session.begin():
        conversation = t.Conversation(firm_id=firm_id, phone="+12015559999")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    body = (
        "Hi Client1234, your hearing is on Tuesday, December 1, 2026 at 9:00 AM at Courtroom 4. "
        "Questions? Call Bench & Co at (201) 555-0100. Reply STOP to opt out."
    )
    steps = seeded.step_ids
    values = [
        {
            "firm_id": firm_id,
            "conversation_id": conversation_id,
            "direction": "outbound",
            "body": body,
            "status": "scheduled",
            "segments": 2,
            "encoding": "GSM-7",
            "from_number": "",
            "to_number": "+12015559999",
            "send_at": now + timedelta(days=10, minutes=n),
            "created_at": now,
            "updated_at": now,
            "error_code": None,
            "error_text": None,
            "origin": "flow",
            "simulated": False,
            "respects_quiet_hours": True,
            "contact_id": event[3],
            "event_id": event[0],
            "flow_step_id": steps[n % len(steps)],
            "matter_id": None,
        }
        for n, event in zip(range(rows), _cycle(seeded.events), strict=False)
    ]
    with _Clock() as elapsed, sessionmaker() as session, session.begin():
        session.connection().execute(insert(t.Message.__table__), values)
    with sessionmaker() as session, session.begin():
        session.execute(delete(t.Message).where(t.Message.conversation_id == conversation_id))
        session.execute(delete(t.Conversation).where(t.Conversation.id == conversation_id))
    if session.get_bind().dialect.name == "postgresql":
        # Leave the table as empty as it was, not full of dead rows for the real run to skip.
        engine = session.get_bind()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE messages"))
    return elapsed


def _cycle(items):
    while True:
        yield from items


def _in_batches(sessionmaker, user: t.User, changes: list[tuple[int, EventPatch]], size: int):
    """Apply the changes as the PATCH route would, `size` events per transaction."""
    for start in range(0, len(changes), size):
        with sessionmaker() as session:
            reminders.update_events(session, user, changes[start : start + size])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (a scratch database)")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="events per transaction")
    args = parser.parse_args()

    cleanup = None
    if args.postgres:
        url, cleanup = _postgres_database(args.postgres)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='inbox-bench-')) / 'bench.db'}"
    try:
        upgrade(url)
        engine = make_engine(url)
        sessionmaker = make_sessionmaker(engine)
        print(f"database: {engine.dialect.name}; seeding {args.events} events ...", flush=True)
        seeded = _seed(sessionmaker, args.events)
        firm_id = seeded.user.firm_id
        count = args.events * 6

        # The bare insert first, while the messages table is empty.
        bare = _bare_insert(sessionmaker, seeded, count)

        def reminders_count(*where) -> int:
            with sessionmaker() as session:
                return session.scalar(
                    select(func.count())
                    .select_from(t.Message)
                    .where(t.Message.firm_id == firm_id, t.Message.origin == "flow", *where)
                )

        assign = [(event[0], EventPatch(flow_id=seeded.flow_id)) for event in seeded.events]
        with _Clock() as generate:
            _in_batches(sessionmaker, seeded.user, assign, args.batch)
        made = reminders_count()
        assert made == count, (made, count)

        move = [
            (event[0], EventPatch(starts_at=event[1] + timedelta(days=1)))
            for event in seeded.events
        ]
        moved_at = t.utcnow()
        with _Clock() as resync:
            _in_batches(sessionmaker, seeded.user, move, args.batch)
        rewritten = reminders_count(t.Message.updated_at >= moved_at)
        assert rewritten == count == reminders_count(), (rewritten, count)

        ratios = (bare.wall / generate.wall, bare.wall / resync.wall)
        print(f"reminders:              {count}  ({args.batch} events per transaction)")
        print("                          wall        ratio  | this process's CPU, ratio")
        for name, clock in (
            ("bare Core insert", bare),
            ("assign flow (generate)", generate),
            ("move every event", resync),
        ):
            print(
                f"{name + ':':24}{clock.wall:7.2f} s   {bare.wall / clock.wall:5.2f}  |"
                f"{clock.cpu:7.2f} s  {bare.cpu / clock.cpu:5.2f}"
            )
        if engine.dialect.name == "postgresql":
            print("(CPU: this process only; the server's share is not in it)")
        print(f"target wall ratio >= {TARGET:.2f}: {'met' if min(ratios) >= TARGET else 'MISSED'}")
        engine.dispose()
        return 0 if min(ratios) >= TARGET else 1
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    sys.exit(main())
