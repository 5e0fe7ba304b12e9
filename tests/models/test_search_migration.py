"""Migration 0014 on a database that already holds a firm's history (SQLite and PostgreSQL):
the search index covers the old messages and unread counts are what they were."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import MetaData, insert, select

from inbox_app.models import tables as t
from inbox_app.server.db import make_engine, make_sessionmaker
from inbox_app.server.migrate import alembic_config, upgrade
from tests.models.test_migrations import empty_url  # noqa: F401 (a fixture)

SEARCH_REVISION = "0014"


def _before_search() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_revision(SEARCH_REVISION).down_revision


def _filled(column, values: dict):
    """A value for every NOT NULL column the test leaves out (whatever later revisions add)."""
    if column.name in values or column.nullable or column.server_default is not None:
        return values
    if column.primary_key and column.autoincrement in (True, "auto"):
        return values
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    filler = {
        bool: False,
        int: 1,  # within every CHECK (max_segments 1-10, bundle_size > 0)
        float: 0.0,
        str: "",
        datetime: datetime(2025, 1, 1, tzinfo=UTC),
        date: date(2025, 1, 1),
        time: time(8, 0),
        dict: {},
    }.get(kind, "")
    return {**values, column.name: filler}


def _add(conn, meta: MetaData, table: str, **values) -> int:
    target = meta.tables[table]
    for column in target.columns:
        values = _filled(column, values)
    result = conn.execute(insert(target).values(**values))
    return result.inserted_primary_key[0] if result.inserted_primary_key else 0


def _firm_user_conversation(conn, meta: MetaData, now: datetime) -> tuple[int, int, int]:
    """A firm, its admin alice and one conversation, as rows of an older schema."""
    firm = _add(conn, meta, "firms", name="Doe & Roe", created_at=now)
    user = _add(
        conn,
        meta,
        "users",
        firm_id=firm,
        username="alice",
        password_hash="x",
        role="admin",
        created_at=now,
    )
    cid = _add(
        conn,
        meta,
        "conversations",
        firm_id=firm,
        phone="+12015550123",
        created_at=now,
        last_message_at=now,
    )
    return firm, user, cid


def test_upgrade_indexes_old_messages_and_keeps_unread_counts(empty_url):  # noqa: F811
    upgrade(empty_url, _before_search())
    engine = make_engine(empty_url)
    meta = MetaData()
    meta.reflect(engine)
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        firm, user, cid = _firm_user_conversation(conn, meta, now)
        ids = [
            _add(
                conn,
                meta,
                "messages",
                firm_id=firm,
                conversation_id=cid,
                direction=direction,
                body=body,
                status="received" if direction == "inbound" else "sent",
                created_at=now,
                updated_at=now,
            )
            for direction, body in [
                ("inbound", "Is the hearing at the annex building?"),
                ("outbound", "Yes, room 4"),
                ("inbound", "Thanks"),
                ("inbound", "Which floor at the ANNEX?"),
            ]
        ]
        _add(
            conn,
            meta,
            "conversation_states",
            conversation_id=cid,
            user_id=user,
            last_read_message_id=ids[1],
        )
    engine.dispose()

    upgrade(empty_url)

    from inbox_app.server.services import conversations, search

    engine = make_engine(empty_url)
    try:
        with make_sessionmaker(engine)() as session:
            alice = session.get(t.User, user)
            session.commit()
            [row] = conversations.list_for(session, alice).conversations
            assert row.unread_count == 2
            found = search.search(session, alice, "annex")
            assert [h.id for h in found.messages] == [ids[3], ids[0]]
            assert [c.id for c in found.conversations] == [cid]
            # New writes after the upgrade are indexed too.
            with session.begin():
                session.execute(
                    t.Message.__table__.update()
                    .where(t.Message.id == ids[1])
                    .values(body="Yes, room 4 of the annex")
                )
            assert len(search.search(session, alice, "annex").messages) == 3
            with session.begin():
                assert session.scalar(select(t.Conversation.inbound_count)) == 3
    finally:
        engine.dispose()
