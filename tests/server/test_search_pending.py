"""The search index leaves out pending flow reminders (migration 0026), on SQLite and PostgreSQL:
a reminder the resync made is found once it leaves `scheduled` (sent, canceled, sent now), its
text follows every edit, regeneration and delete, and SQLite's FTS5 index stays consistent."""

from __future__ import annotations

import sqlite3
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text, update

from inbox_app.models import tables as t
from inbox_app.server.services import search
from tests.server.conftest import conversation_for

NEW_YORK = ZoneInfo("America/New_York")
TEMPLATE = "Hi [ClientFirstName], your hearing is at [EventLocation]. Reply STOP to opt out."


def _found(api, q: str) -> list[int]:
    response = api.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["messages"]]


def _in_thread(api, q: str, conversation_id: int) -> list[int]:
    response = api.get("/api/v1/search", params={"q": q, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["messages"]]


def _reminders(api, event_id: int) -> list[dict]:
    response = api.get(f"/api/v1/events/{event_id}/messages")
    assert response.status_code == 200, response.text
    return sorted(response.json(), key=lambda m: m["id"])


def _check_index(server) -> None:
    """SQLite: FTS5's own consistency check (a 'delete' of text never indexed breaks it)."""
    url = server.settings.database_url
    if not url.startswith("sqlite"):
        return
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')")


def _set_status(server, message_id: int, status: str, **values) -> None:
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message).where(t.Message.id == message_id).values(status=status, **values)
        )


@pytest.fixture
def hearing(admin):
    client = admin.post("/api/v1/clients", json={"first_name": "Quentin", "last_name": "Ash"})
    client_id = client.json()["id"]
    contact = admin.post(f"/api/v1/clients/{client_id}/contacts", json={"phone": "+12015550141"})
    assert contact.status_code == 201, contact.text
    flow = admin.post(
        "/api/v1/flows",
        json={
            "name": "Court date",
            "steps": [
                {"offset_days": -3, "send_time": "09:00", "templates": {"en": TEMPLATE}},
                {"offset_days": -1, "send_time": "09:00", "templates": {"en": TEMPLATE}},
            ],
        },
    )
    assert flow.status_code == 201, flow.text
    day = datetime.now(NEW_YORK).date() + timedelta(days=10)
    event = admin.post(
        "/api/v1/events",
        json={
            "client_id": client_id,
            "starts_at": datetime.combine(day, time(10, 0), tzinfo=NEW_YORK).isoformat(),
            "location": "Courtroom Zanzibar",
            "flow_id": flow.json()["id"],
        },
    )
    assert event.status_code == 201, event.text
    return {"client_id": client_id, "event_id": event.json()["id"]}


def test_a_pending_reminder_is_found_once_it_is_sent_or_canceled(server, admin, hearing):
    first, second = _reminders(admin, hearing["event_id"])
    assert first["status"] == second["status"] == "scheduled"
    assert first["origin"] == "flow"
    assert _found(admin, "zanzibar") == []
    # Within its thread the search scans every message: pending reminders too.
    assert _in_thread(admin, "zanzibar", first["conversation_id"]) == [second["id"], first["id"]]
    # A one-off text a person scheduled is found at once, beside it.
    later = (datetime.now(NEW_YORK) + timedelta(days=2)).isoformat()
    manual = admin.post(
        f"/api/v1/conversations/{first['conversation_id']}/messages",
        json={"body": "Zanzibar is on the third floor", "send_at": later},
    ).json()
    assert manual["status"] == "scheduled"
    assert _found(admin, "zanzibar") == [manual["id"]]

    # Claimed by the dispatcher (still scheduled): not yet; sent: found.
    _set_status(server, first["id"], "scheduled", claimed_by="worker-1")
    assert _found(admin, "zanzibar") == [manual["id"]]
    _set_status(server, first["id"], "sent", claimed_by=None, carrier_sid="SM" + "7" * 32)
    assert _found(admin, "zanzibar") == [manual["id"], first["id"]]
    # Delivered: a status change with the same text leaves the index as it is.
    _set_status(server, first["id"], "delivered")
    assert _found(admin, "zanzibar") == [manual["id"], first["id"]]
    _check_index(server)

    # Canceling the event cancels the other one: canceled reminders are history, found.
    response = admin.patch(f"/api/v1/events/{hearing['event_id']}", json={"status": "canceled"})
    assert response.status_code == 200, response.text
    assert _found(admin, "zanzibar") == [manual["id"], second["id"], first["id"]]
    _check_index(server)


def test_edits_regeneration_and_deletes_keep_the_index_right(server, admin, hearing):
    first, second = _reminders(admin, hearing["event_id"])
    # A person edits a pending reminder: still pending, still left out, old text and new.
    edited = admin.patch(f"/api/v1/messages/{first['id']}", json={"body": "Bring Kalamata olives"})
    assert edited.status_code == 200, edited.text
    assert _found(admin, "kalamata") == []
    # Sent now: it leaves `scheduled` (queued, then sent) and is found with its text.
    now = admin.patch(f"/api/v1/messages/{first['id']}", json={"send_at": None})
    assert now.status_code == 200, now.text
    assert _found(admin, "kalamata") == [first["id"]]
    assert _found(admin, "zanzibar") == []
    _check_index(server)

    # Regenerated: the client's new name rewrites the pending one in place (same id), unseen.
    renamed = admin.patch(f"/api/v1/clients/{hearing['client_id']}", json={"first_name": "Xerxes"})
    assert renamed.status_code == 200, renamed.text
    rewritten = next(m for m in _reminders(admin, hearing["event_id"]) if m["id"] == second["id"])
    assert rewritten["status"] == "scheduled" and "Xerxes" in rewritten["body"]
    assert _found(admin, "xerxes") == []
    # Held (a person stopped it): found with the text it has now; back to scheduled: left out.
    _set_status(server, second["id"], "held", held_reason="on hold")
    assert _found(admin, "xerxes") == [second["id"]]
    _set_status(server, second["id"], "scheduled", held_reason=None)
    assert _found(admin, "xerxes") == []
    _check_index(server)

    # The event deleted: its pending reminder goes (never indexed: nothing to take out).
    deleted = admin.delete(f"/api/v1/events/{hearing['event_id']}")
    assert deleted.status_code in (200, 204), deleted.text
    assert _found(admin, "xerxes") == []
    _check_index(server)

    # A message whose body changes while it is indexed, and one deleted while indexed.
    conversation = conversation_for(admin, "+12015550142")
    sent = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Quokka papers"}
    ).json()
    assert _found(admin, "quokka") == [sent["id"]]
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message).where(t.Message.id == sent["id"]).values(body="Wombat papers")
        )
    assert _found(admin, "quokka") == [] and _found(admin, "wombat") == [sent["id"]]
    assert admin.post(f"/api/v1/conversations/{conversation['id']}/block").status_code == 204
    assert _found(admin, "wombat") == []
    _check_index(server)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_plans_the_search_on_the_partial_index(server, admin, hearing):
    """PostgreSQL's partial trigram index (SQLite's index is the FTS5 table, checked above)."""
    with server.app.state.sessionmaker() as session, session.begin():
        definition = session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_messages_body_trgm'")
        )
        assert "WHERE" in definition and "'flow'" in definition, definition
        # With sequential scans priced out, a plan that cannot prove the index's predicate
        # would still scan the table; one that proves it takes the index.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = search._hit_ids(session, "zanzibar", 100).compile(session.get_bind())
        plan = "\n".join(
            row[0]
            for row in session.connection().exec_driver_sql(
                "EXPLAIN " + str(compiled), compiled.params
            )
        )
        assert "ix_messages_body_trgm" in plan, plan
