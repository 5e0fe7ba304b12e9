"""Internal notes over real HTTP: never sent, never counted, visible to the firm's staff, in the
export marked internal; a mention notifies only the named colleague and lists the thread in
their Mentions filter until they open it; the author may change a note for 15 minutes only."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select, update

from inbox_app.models import tables as t
from inbox_app.server.services import events as stream_events
from tests.conftest import login, make_user
from tests.server.conftest import conversation_for
from tests.server.test_stream import StreamClient

# The statuses of CONTRACT.md: all a client written against it may ever see on a message.
CONTRACT_STATUSES = {
    "scheduled",
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "received",
    "canceled",
    "held",
}


def _events_after(server, last_id: int) -> list[tuple[str, int | None, dict]]:
    with server.app.state.sessionmaker() as session:
        return [
            (row.kind, row.user_id, row.payload)
            for row in session.execute(
                select(t.StreamEvent.kind, t.StreamEvent.user_id, t.StreamEvent.payload)
                .where(t.StreamEvent.id > last_id)
                .order_by(t.StreamEvent.id)
            )
        ]


def _newest_event(server) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.max(t.StreamEvent.id))) or 0


def test_a_note_reaches_no_carrier_and_costs_no_credit(live):
    admin, fake = live.admin, live.fake
    cid = conversation_for(admin)["id"]
    sent = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Hello Maria"})
    assert sent.status_code == 201
    fake.wait_for(1)
    balance = admin.get("/api/v1/credits").json()["balance"]

    note = admin.post(f"/api/v1/conversations/{cid}/notes", json={"body": "Client is anxious"})
    assert note.status_code == 201, note.text
    body = note.json()
    assert (body["direction"], body["status"], body["origin"], body["segments"]) == (
        "internal",
        "internal",
        "note",
        0,
    )
    # A text written after the note goes out; the note never does.
    admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "See you Monday"})
    arrived = fake.wait_for(2)
    assert [r.params.get("Body") for r in arrived] == ["Hello Maria", "See you Monday"]
    assert all("anxious" not in json.dumps(r.params) for r in fake.requests)
    assert admin.get("/api/v1/credits").json()["balance"] == balance - 1
    with live.server.app.state.sessionmaker() as session:
        row = session.get(t.Message, body["id"])
        assert row.carrier_sid is None and row.carrier_attempted_at is None
        assert not row.is_debited
        debits = session.scalar(select(func.count()).where(t.CreditEntry.message_id == body["id"]))
        assert debits == 0
    # The inbox preview is the last text, not the note.
    row = admin.get(f"/api/v1/conversations/{cid}").json()
    assert row["last_message"] == "See you Monday"


def test_notes_are_the_firms_and_in_the_thread_and_the_export(server, admin, staff):
    cid = conversation_for(admin)["id"]
    note = admin.post(f"/api/v1/conversations/{cid}/notes", json={"body": "Owes a signature"})
    # A contract client (no include_notes) sees no note: its status is not one of the contract's.
    assert staff.get(f"/api/v1/conversations/{cid}/messages").json()["messages"] == []
    page = staff.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()
    assert [(m["direction"], m["body"]) for m in page["messages"]] == [
        ("internal", "Owes a signature")
    ]
    assert page["messages"][0]["editable_until"] is not None
    document = json.loads(admin.get(f"/api/v1/conversations/{cid}/export").json()["document"])
    [record] = document["messages"]
    assert record["internal"] == "note" and record["body"] == "Owes a signature"
    assert record["direction"] == "internal"

    make_user(server, "mallory", firm="Other & Co")
    other = login(server, "mallory")
    assert other.post(f"/api/v1/conversations/{cid}/notes", json={"body": "x"}).status_code == 404
    assert other.patch(f"/api/v1/notes/{note.json()['id']}", json={"body": "x"}).status_code == 404
    blank = admin.post(f"/api/v1/conversations/{cid}/notes", json={"body": "   "})
    assert blank.status_code == 422 and blank.json()["field"] == "body"


def test_a_mention_notifies_only_the_named_user_until_they_open_the_thread(server, admin, staff):
    make_user(server, "bob")
    bob = login(server, "bob")
    cid = conversation_for(admin)["id"]
    mark = _newest_event(server)
    note = admin.post(
        f"/api/v1/conversations/{cid}/notes",
        json={"body": "@Bob can you call her? cc alice@firm.com"},
    )
    assert note.status_code == 201
    events = _events_after(server, mark)
    notified = [user_id for kind, user_id, _ in events if kind == "notification"]
    assert notified == [bob.user["id"]]
    [payload] = [p for kind, _u, p in events if kind == "notification"]
    assert payload["kind"] == "mention" and payload["conversation_id"] == cid
    assert "mentioned you" in payload["title"]
    # Everyone at the firm sees the note itself, as a note (never as a message.* event).
    assert [(k, u) for k, u, _ in events if k.endswith(".created")] == [("note.created", None)]

    def mentions(api) -> list[int]:
        return [c["id"] for c in api.get("/api/v1/conversations?mentions=true").json()]

    assert mentions(bob) == [cid] and mentions(staff) == [] and mentions(admin) == []
    assert bob.get(f"/api/v1/conversations/{cid}").json()["mentioned"] is True
    bob.post(f"/api/v1/conversations/{cid}/read")
    assert mentions(bob) == []

    # Editing in a new mention tells only the newly mentioned colleague.
    mark = _newest_event(server)
    edited = admin.patch(
        f"/api/v1/notes/{note.json()['id']}", json={"body": "@bob and @paula, call her"}
    )
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    notified = [u for k, u, _ in _events_after(server, mark) if k == "notification"]
    assert notified == [staff.user["id"]]
    assert mentions(staff) == [cid]


def test_only_the_author_may_change_a_note_and_only_for_15_minutes(server, admin, staff):
    cid = conversation_for(admin)["id"]
    nid = admin.post(f"/api/v1/conversations/{cid}/notes", json={"body": "Draft"}).json()["id"]
    assert staff.patch(f"/api/v1/notes/{nid}", json={"body": "Mine now"}).status_code == 403
    assert admin.patch(f"/api/v1/notes/{nid}", json={"body": "Final"}).status_code == 200
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message)
            .where(t.Message.id == nid)
            .values(created_at=t.utcnow() - timedelta(minutes=15, seconds=5))
        )
    late = admin.patch(f"/api/v1/notes/{nid}", json={"body": "Changed my mind"})
    assert late.status_code == 409 and late.json()["code"] == "note_fixed"
    assert "15 minutes" in late.json()["detail"]
    page = admin.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()
    assert page["messages"][0]["body"] == "Final"
    # A note is not a text: the messages API does not edit or send it.
    assert admin.patch(f"/api/v1/messages/{nid}", json={"body": "x"}).status_code == 409


def test_colleagues_are_listed_for_everyone_of_the_firm(server, admin, staff):
    names = [c["username"] for c in staff.get("/api/v1/colleagues").json()]
    assert sorted(names) == ["alice", "paula"]


def test_a_page_counts_what_was_asked_for_with_and_without_notes(server, admin):
    cid = conversation_for(admin)["id"]
    url = f"/api/v1/conversations/{cid}/messages"

    def text(body: str) -> int:
        answer = admin.post(url, json={"body": body})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    def note(body: str) -> int:
        return admin.post(f"/api/v1/conversations/{cid}/notes", json={"body": body}).json()["id"]

    t1, n1, t2, n2, n3, t3 = text("t1"), note("n1"), text("t2"), note("n2"), note("n3"), text("t3")

    def ids(query: str) -> tuple[list[int], bool, bool]:
        page = admin.get(f"{url}?{query}").json()
        assert {m["status"] for m in page["messages"]} <= CONTRACT_STATUSES | {"internal"}
        return [m["id"] for m in page["messages"]], page["has_more"], page["has_more_after"]

    assert ids("limit=2") == ([t2, t3], True, False)
    assert ids(f"limit=2&before={t2}") == ([t1], False, True)
    assert ids("limit=2&after=0") == ([t1, t2], False, True)
    assert ids(f"limit=2&after={t2}") == ([t3], True, False)
    assert ids(f"limit=2&around={t2}") == ([t1, t2], False, True)
    assert admin.get(f"{url}?around={n2}").status_code == 404  # a note is not a contract message
    notes = "&include_notes=true"
    assert ids("limit=2" + notes) == ([n3, t3], True, False)
    assert ids(f"limit=2&before={n3}" + notes) == ([t2, n2], True, True)
    assert ids(f"limit=2&before={t2}" + notes) == ([t1, n1], False, True)
    assert ids(f"limit=3&around={n2}" + notes) == ([t2, n2, n3], True, True)
    contract_page = admin.get(f"{url}?limit=50").json()["messages"]
    assert {m["status"] for m in contract_page} <= CONTRACT_STATUSES


async def test_a_contract_client_hears_notes_and_system_lines_only_as_note_events(
    server, admin, staff
):
    cid = conversation_for(admin)["id"]
    mark = _newest_event(server)
    note = admin.post(f"/api/v1/conversations/{cid}/notes", json={"body": "Call @paula"})
    nid = note.json()["id"]
    admin.patch(f"/api/v1/notes/{nid}", json={"body": "Call @paula today"})
    admin.put(f"/api/v1/conversations/{cid}/assignee", json={"user_id": staff.user["id"]})
    # A note stored as message.created before notes had kinds of their own, still in the
    # history a reconnect replays.
    legacy = admin.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()
    legacy_note = legacy["messages"][0]
    with server.app.state.sessionmaker() as session, session.begin():
        stream_events.publish(session, admin.user["firm_id"], "message.created", legacy_note)
    async with StreamClient(server.base_url, staff.token, last_event_id=mark) as stream:
        # The replay ends with the legacy event: the fourth internal message.
        while sum(e.data.get("status") == "internal" for e in stream.events) < 4:
            await stream.wait_for(len(stream.events) + 1)
        received = list(stream.events)
    internal = [e for e in received if e.data.get("status") == "internal"]
    assert not [e for e in received if e.kind.startswith("message.")]
    assert [(e.kind, e.data["origin"], e.data["body"]) for e in internal] == [
        ("note.created", "note", "Call @paula"),
        ("note.updated", "note", "Call @paula today"),
        ("note.created", "system", "alice assigned this to paula"),
        ("note.created", "note", "Call @paula today"),
    ]
