"""Migration 0026 on a database that already holds messages and pending reminders (SQLite and
PostgreSQL): the pending flow reminders leave the search index, the rest stays, and new writes
follow the rule; a downgrade puts them back."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sqlalchemy import MetaData, text, update

from inbox_app.models import tables as t
from inbox_app.server.db import make_engine, make_sessionmaker
from inbox_app.server.migrate import upgrade
from tests.models.test_migrations import empty_url  # noqa: F401 (a fixture)
from tests.models.test_search_migration import _add, _firm_user_conversation

BEFORE = "0025_autoincrement_again"
REVISION = "0026_search_pending_reminders"


def _check_index(url: str) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')")


def _found(url: str, user_id: int, q: str) -> list[int]:
    from inbox_app.server.services import search

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            user = session.get(t.User, user_id)
            session.commit()
            return [hit.id for hit in search.search(session, user, q).messages]
    finally:
        engine.dispose()


def _index_definition(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        definition = conn.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_messages_body_trgm'")
        )
    engine.dispose()
    return definition


def test_upgrade_takes_pending_reminders_out_of_the_index(empty_url):  # noqa: F811
    upgrade(empty_url, BEFORE)
    engine = make_engine(empty_url)
    meta = MetaData()
    meta.reflect(engine)
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        firm, user, cid = _firm_user_conversation(conn, meta, now)
        ids = {
            name: _add(
                conn,
                meta,
                "messages",
                firm_id=firm,
                conversation_id=cid,
                direction="outbound",
                body=f"Your hearing at the annex ({name})",
                status=status,
                origin=origin,
                created_at=now,
                updated_at=now,
            )
            for name, status, origin in [
                ("sent reminder", "sent", "flow"),
                ("pending reminder", "scheduled", "flow"),
                ("scheduled by hand", "scheduled", "manual"),
                ("canceled reminder", "canceled", "flow"),
                ("another pending", "scheduled", "flow"),
            ]
        }
    engine.dispose()
    everything = sorted(ids.values(), reverse=True)
    sqlite = empty_url.startswith("sqlite")
    if sqlite:
        # Before: the index holds every message (PostgreSQL's search already asks for less).
        assert _found(empty_url, user, "annex") == everything

    upgrade(empty_url)
    _check_index(empty_url)
    pending = {ids["pending reminder"], ids["another pending"]}
    assert _found(empty_url, user, "annex") == [i for i in everything if i not in pending]
    if not sqlite:
        assert "WHERE" in _index_definition(empty_url)

    # After the upgrade: a pending reminder sent is found, one deleted leaves nothing behind.
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            update(t.Message).where(t.Message.id == ids["pending reminder"]).values(status="sent")
        )
        conn.execute(t.Message.__table__.delete().where(t.Message.id == ids["another pending"]))
    engine.dispose()
    _check_index(empty_url)
    assert _found(empty_url, user, "annex") == [
        i for i in everything if i != ids["another pending"]
    ]

    # Down again: every message is indexed, as 0014 had it.
    from alembic import command

    from inbox_app.server.migrate import alembic_config

    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            update(t.Message)
            .where(t.Message.id == ids["pending reminder"])
            .values(status="scheduled")
        )
    engine.dispose()
    command.downgrade(alembic_config(empty_url), BEFORE)
    _check_index(empty_url)
    if sqlite:
        assert _found(empty_url, user, "annex") == [
            i for i in everything if i != ids["another pending"]
        ]
    else:
        assert "WHERE" not in _index_definition(empty_url)
    upgrade(empty_url, REVISION)
    _check_index(empty_url)
    assert ids["pending reminder"] not in _found(empty_url, user, "annex")
