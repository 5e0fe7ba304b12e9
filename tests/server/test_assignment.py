"""Assignment over real HTTP: one assignee or nobody, a system line in the thread for each change,
the firm told on the stream, the new assignee notified, and the "Assigned to me" filter."""

from __future__ import annotations

from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.conftest import login, make_user
from tests.server.conftest import conversation_for


def _events_after(server, last_id: int):
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


def test_assigning_writes_a_system_line_and_notifies_the_assignee(server, admin, staff):
    cid = conversation_for(admin)["id"]
    paula = staff.user["id"]
    mark = _newest_event(server)
    answer = admin.put(f"/api/v1/conversations/{cid}/assignee", json={"user_id": paula})
    assert answer.status_code == 200, answer.text
    assert answer.json()["assignee_id"] == paula and answer.json()["assignee"] == "paula"
    events = _events_after(server, mark)
    assert [u for k, u, _ in events if k == "notification"] == [paula]
    [updated] = [p for k, u, p in events if k == "conversation.updated" and u is None]
    assert updated["assignee_id"] == paula
    [line] = [k for k, _u, p in events if p.get("origin") == "system"]
    assert line == "note.created"  # never message.*: its status `internal` is not the contract's
    assert staff.get(f"/api/v1/conversations/{cid}/messages").json()["messages"] == []
    page = staff.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()["messages"]
    assert [(m["direction"], m["origin"], m["body"]) for m in page] == [
        ("internal", "system", "alice assigned this to paula")
    ]

    def mine(api) -> list[int]:
        return [c["id"] for c in api.get("/api/v1/conversations?assigned_to_me=true").json()]

    assert mine(staff) == [cid] and mine(admin) == []

    # The same assignee again changes nothing; taking it and unassigning are lines too.
    mark = _newest_event(server)
    admin.put(f"/api/v1/conversations/{cid}/assignee", json={"user_id": paula})
    assert _events_after(server, mark) == []
    mark = _newest_event(server)
    admin.put(f"/api/v1/conversations/{cid}/assignee", json={"user_id": admin.user["id"]})
    assert [k for k, _u, _p in _events_after(server, mark)].count("notification") == 0
    admin.put(f"/api/v1/conversations/{cid}/assignee", json={"user_id": None})
    page = admin.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()
    bodies = [m["body"] for m in page["messages"]]
    assert bodies[-2:] == ["alice took this conversation", "alice unassigned themselves"]
    assert (
        mine(staff) == [] and admin.get(f"/api/v1/conversations/{cid}").json()["assignee"] is None
    )


def test_only_an_active_user_of_the_firm_can_be_assigned(server, admin):
    cid = conversation_for(admin)["id"]
    make_user(server, "mallory", firm="Other & Co")
    other = login(server, "mallory")
    for user_id in (other.user["id"], 999999):
        refused = admin.put(f"/api/v1/conversations/{cid}/assignee", json={"user_id": user_id})
        assert refused.status_code == 422 and refused.json()["field"] == "user_id"
    assert (
        other.put(f"/api/v1/conversations/{cid}/assignee", json={"user_id": None}).status_code
        == 404
    )
    page = admin.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()
    assert page["messages"] == []
