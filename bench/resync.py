"""Reminder generation and resync at scale, against a bare bulk insert of as many rows.

A firm with 20,000 events, two contacts each, on a 3-step flow: time to generate every reminder,
then to resync after moving every event by a day, each as a ratio of a bare SQLAlchemy Core
insert of the same number of message rows in the same run (higher is better; target >= 0.3).

    .venv/bin/python bench/resync.py                       # SQLite in a temporary directory
    .venv/bin/python bench/resync.py --postgres postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text

from inbox_app.models import tables as t
from inbox_app.server.db import make_engine, make_sessionmaker
from inbox_app.server.migrate import upgrade
from inbox_app.server.services import firms, reminders

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


def _seed(sessionmaker, events: int) -> tuple[int, list[int]]:
    """The firm, its flow, clients, contacts and events (without reminders yet)."""
    now = datetime.now(UTC)
    with sessionmaker() as session, session.begin():
        firm = firms.create_firm_in(session, "Bench & Co", phone="+12015550100")
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
                    "flow_id": flow_id,
                    "starts_at": now + timedelta(days=10 + i % 30, hours=i % 7),
                    "location": f"Courtroom {i % 12 + 1}",
                }
                for i, client_id in enumerate(client_ids)
            ],
        )
        event_ids = list(session.scalars(select(t.Event.id).where(t.Event.firm_id == firm_id)))
    return firm_id, event_ids


def _bare_insert(sessionmaker, firm_id: int, rows: int) -> float:
    """Seconds to insert `rows` message rows with a plain Core executemany, nothing else."""
    now = datetime.now(UTC)
    with sessionmaker() as session, session.begin():
        conversation = t.Conversation(firm_id=firm_id, phone="+12015559999")
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
    body = "Hi Client1, your hearing is on Tuesday, December 1, 2026 at 9:00 AM at Courtroom 4."
    values = [
        {
            "firm_id": firm_id,
            "conversation_id": conversation_id,
            "direction": "outbound",
            "body": body,
            "status": "scheduled",
            "segments": 1,
            "encoding": "GSM-7",
            "from_number": "",
            "to_number": "+12015559999",
            "send_at": now,
            "created_at": now,
            "updated_at": now,
            "origin": "flow",
            "simulated": False,
            "respects_quiet_hours": True,
        }
        for _ in range(rows)
    ]
    started = time.perf_counter()
    with sessionmaker() as session, session.begin():
        session.connection().execute(insert(t.Message.__table__), values)
    elapsed = time.perf_counter() - started
    with sessionmaker() as session, session.begin():
        session.execute(delete(t.Message).where(t.Message.conversation_id == conversation_id))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (a scratch database)")
    parser.add_argument("--events", type=int, default=20_000)
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
        firm_id, event_ids = _seed(sessionmaker, args.events)

        started = time.perf_counter()
        with sessionmaker() as session, session.begin():
            made = reminders.sync_events_in(session, firm_id, event_ids)
        generate = time.perf_counter() - started
        with sessionmaker() as session:
            count = session.scalar(
                select(func.count()).select_from(t.Message).where(t.Message.firm_id == firm_id)
            )
        assert made.created == count == args.events * 6, (made, count)

        started = time.perf_counter()
        with sessionmaker() as session, session.begin():
            plus_one_day = (
                "starts_at + interval '1 day'"
                if engine.dialect.name == "postgresql"
                else "datetime(starts_at, '+1 day')"
            )
            session.execute(
                text(f"UPDATE events SET starts_at = {plus_one_day} WHERE firm_id = :firm"),
                {"firm": firm_id},
            )
            moved = reminders.sync_events_in(session, firm_id, event_ids)
        resync = time.perf_counter() - started
        assert moved.updated == count, moved

        bare = _bare_insert(sessionmaker, firm_id, count)
        print(f"reminders:           {count}")
        print(f"bare Core insert:    {bare:7.2f} s")
        print(f"generate all:        {generate:7.2f} s   ratio {bare / generate:.2f}")
        print(f"move all + resync:   {resync:7.2f} s   ratio {bare / resync:.2f}")
        print("target ratio >= 0.30")
        engine.dispose()
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
