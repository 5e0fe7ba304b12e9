"""The schema: migrations from empty on both databases, idempotent init-db, constraints."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from inbox_app.models import tables as t
from inbox_app.server.db import make_engine, make_sessionmaker
from tests.conftest import _pg_admin, _pg_url


def _init_db(url: str, tmp_path) -> subprocess.CompletedProcess:
    env = {"INBOX_DATABASE_URL": url, "PATH": "", "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "inbox_app.server.cli", "init-db"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    # Random, not from tmp_path: several test runs share the machine's PostgreSQL.
    name = f"inbox_empty_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _schema_snapshot(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        return {
            name: sorted(c["name"] for c in inspector.get_columns(name))
            for name in sorted(inspector.get_table_names())
        }
    finally:
        engine.dispose()


def test_init_db_creates_schema_and_second_run_changes_nothing(empty_url, tmp_path):
    first = _init_db(empty_url, tmp_path)
    assert first.returncode == 0, first.stderr
    snapshot = _schema_snapshot(empty_url)
    assert {"firms", "users", "conversations", "messages", "credit_ledger", "events"} <= set(
        snapshot
    )
    second = _init_db(empty_url, tmp_path)
    assert second.returncode == 0, second.stderr
    assert _schema_snapshot(empty_url) == snapshot


def test_migrations_match_the_models(db_url):
    """Autogenerate finds nothing to add: the migrations and tables.py agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": t.is_mapped_object})
            diff = compare_metadata(context, t.Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


@pytest.fixture
def session(db_url):
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def _firm_with_conversation(session):
    firm = t.Firm(name="Doe & Roe")
    session.add(firm)
    session.flush()
    conversation = t.Conversation(firm_id=firm.id, phone="+12015550123")
    session.add(conversation)
    session.flush()
    return firm, conversation


def test_one_conversation_per_firm_and_number(session):
    firm, _ = _firm_with_conversation(session)
    session.add(t.Conversation(firm_id=firm.id, phone="+12015550123"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_carrier_sid_is_unique(session):
    firm, conversation = _firm_with_conversation(session)
    for _ in range(2):
        session.add(
            t.Message(
                firm_id=firm.id,
                conversation_id=conversation.id,
                direction="inbound",
                status="received",
                carrier_sid="SM" + "1" * 32,
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_balance_can_never_go_negative(session):
    firm, _ = _firm_with_conversation(session)
    session.add(t.CreditBalance(firm_id=firm.id, balance=-1))
    with pytest.raises(IntegrityError):
        session.flush()


def test_times_come_back_aware_utc(session):
    firm, conversation = _firm_with_conversation(session)
    when = datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    message = t.Message(
        firm_id=firm.id,
        conversation_id=conversation.id,
        direction="outbound",
        status="scheduled",
        send_at=when,
    )
    session.add(message)
    session.commit()
    session.expire_all()
    stored = session.scalars(select(t.Message)).one()
    assert stored.send_at == when
    assert stored.send_at.tzinfo is not None


def test_unknown_status_is_refused_by_the_database(session):
    firm, conversation = _firm_with_conversation(session)
    session.add(
        t.Message(
            firm_id=firm.id, conversation_id=conversation.id, direction="outbound", status="lost"
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_ids_are_never_reused_after_every_migration_on_sqlite(tmp_path):
    """0015 gave every SQLite table AUTOINCREMENT; a later migration that rebuilt a table
    (alembic's batch mode copies it from a reflection, which knows nothing of AUTOINCREMENT)
    would quietly bring id reuse back. At head every table with an integer id still has it,
    and a deleted newest message's id is not handed out again."""
    from sqlalchemy import delete, insert

    from inbox_app.server.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
            ).all()
            with_ids = {n: sql for n, sql in tables if re.search(r"[\s(,]id INTEGER NOT NULL", sql)}
            assert {"messages", "contacts", "firms", "media", "stream_events"} <= set(with_ids)
            missing = [n for n, sql in with_ids.items() if "AUTOINCREMENT" not in sql.upper()]
            assert missing == []
        sessions = make_sessionmaker(engine)
        with sessions() as session, session.begin():
            firm, conversation = _firm_with_conversation(session)
            cid, firm_id = conversation.id, firm.id
        row = {
            "firm_id": firm_id,
            "conversation_id": cid,
            "direction": "inbound",
            "body": "first",
            "status": "received",
        }
        with engine.begin() as conn:
            first = conn.execute(insert(t.Message).values(**row)).inserted_primary_key[0]
            conn.execute(delete(t.Message).where(t.Message.id == first))
            second = conn.execute(insert(t.Message).values(**row)).inserted_primary_key[0]
        assert second > first
    finally:
        engine.dispose()
