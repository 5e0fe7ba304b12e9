"""db.insert_many: the bulk writes of imports and resyncs (COPY on PostgreSQL) behave as INSERT."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inbox_app.models import tables as t
from inbox_app.server.db import insert_many, make_engine, make_sessionmaker
from inbox_app.server.services import firms


@pytest.fixture
def sessionmaker(db_url):
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def firm_id(sessionmaker) -> int:
    with sessionmaker() as session, session.begin():
        return firms.create_firm_in(session, "Bulk & Co", phone="+12015550100").id


def test_ids_follow_the_rows_and_python_defaults_are_filled(sessionmaker, firm_id):
    rows = [{"firm_id": firm_id, "first_name": f"Client{i}"} for i in range(5)]
    with sessionmaker() as session, session.begin():
        ids = insert_many(session, t.Client.__table__, rows, ids=True)
    with sessionmaker() as session:
        found = session.execute(
            select(t.Client.id, t.Client.first_name, t.Client.language, t.Client.created_at)
        ).all()
    by_id = {row.id: row for row in found}
    assert [by_id[i].first_name for i in ids] == [f"Client{i}" for i in range(5)]
    assert all(by_id[i].language == "en" and by_id[i].created_at.tzinfo for i in ids)


def test_a_duplicate_is_an_integrity_error_and_writes_nothing(sessionmaker, firm_id):
    row = {"firm_id": firm_id, "first_name": "Ana", "external_id": "clio:1"}
    with sessionmaker() as session, session.begin():
        insert_many(session, t.Client.__table__, [row], ids=True)
    with pytest.raises(IntegrityError), sessionmaker() as session, session.begin():
        insert_many(session, t.Client.__table__, [dict(row, first_name="Bea"), row], ids=True)
    with sessionmaker() as session:
        assert session.scalars(select(t.Client.first_name)).all() == ["Ana"]


def test_ignoring_conflicts_keeps_the_first_row(sessionmaker, firm_id):
    rows = [{"firm_id": firm_id, "phone": "+12015550101", "client_id": None}]
    with sessionmaker() as session, session.begin():
        insert_many(session, t.Conversation.__table__, rows, ignore_conflicts=True)
        insert_many(
            session,
            t.Conversation.__table__,
            [*rows, {"firm_id": firm_id, "phone": "+12015550102", "client_id": None}],
            ignore_conflicts=True,
        )
    with sessionmaker() as session:
        found = session.execute(select(t.Conversation.phone, t.Conversation.hidden)).all()
    assert sorted(found) == [("+12015550101", False), ("+12015550102", False)]


def test_json_payloads_are_stored_as_json(sessionmaker, firm_id):
    rows = [
        {"firm_id": firm_id, "user_id": None, "kind": "x", "payload": {"id": i, "ok": True}}
        for i in range(3)
    ]
    with sessionmaker() as session, session.begin():
        insert_many(session, t.StreamEvent.__table__, rows)
    with sessionmaker() as session:
        payloads = session.scalars(select(t.StreamEvent.payload).order_by(t.StreamEvent.id))
        assert [p for p in payloads if p.get("ok")] == [{"id": i, "ok": True} for i in range(3)]


def test_a_naive_time_is_refused(sessionmaker, firm_id):
    row = {"firm_id": firm_id, "first_name": "Ana", "created_at": datetime(2026, 1, 1)}
    with pytest.raises(Exception, match="naive"), sessionmaker() as session, session.begin():
        insert_many(session, t.Client.__table__, [row], ids=True)
