"""Blocked numbers and kept records over real HTTP: admins list, read, unblock and delete; staff
block but get 403 for the rest; another firm sees and changes nothing; a 4xx changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.conftest import login, make_user
from tests.server.conftest import CLIENT, inbound

HARASSER = "+12015550199"


def _count(server, table) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(table))


def _stream_kinds(server, conversation_id: int) -> list[str]:
    with server.app.state.sessionmaker() as session:
        rows = session.execute(select(t.StreamEvent.kind, t.StreamEvent.payload)).all()
    return [kind for kind, payload in rows if payload.get("id") == conversation_id]


def _block(api, sender: str, *, keep: bool, body: str = "first text") -> int:
    """A text arrives from `sender` and `api` blocks its thread; returns the conversation id."""
    server_api = api
    conversation = next(
        c for c in server_api.get("/api/v1/conversations").json() if c["phone"] == sender
    )
    response = api.post(
        f"/api/v1/conversations/{conversation['id']}/block", json={"keep_record": keep}
    )
    assert response.status_code == 204, response.text
    return conversation["id"]


def _snapshot(server) -> dict[str, int]:
    return {
        table.__tablename__: _count(server, table)
        for table in (t.BlockedNumber, t.Conversation, t.Message, t.StreamEvent)
    }


def test_admin_lists_reads_unblocks_and_deletes_kept_records(server, admin, staff):
    inbound(server, "you will regret this", sender=HARASSER)
    inbound(server, "see you in court", sender=CLIENT)
    kept_id = _block(staff, HARASSER, keep=True)  # staff may block
    _block(admin, CLIENT, keep=False)

    listed = admin.get("/api/v1/blocks")
    assert listed.status_code == 200
    blocks = listed.json()
    assert [b["phone"] for b in blocks] == [CLIENT, HARASSER]  # newest block first
    deleted, kept = blocks
    assert deleted["conversation_id"] is None and deleted["message_count"] == 0
    assert deleted["blocked_by"] == "alice"
    assert kept["conversation_id"] == kept_id
    assert kept["message_count"] == 1
    assert kept["blocked_by"] == "paula"
    assert admin.get(f"/api/v1/blocks/{kept['id']}").json() == kept

    # The kept record reads like a thread, read-only: a send to it is refused.
    page = admin.get(f"/api/v1/blocks/{kept['id']}/messages").json()
    assert [m["body"] for m in page["messages"]] == ["you will regret this"]
    assert page["has_more"] is False
    refused = admin.post(f"/api/v1/conversations/{kept_id}/messages", json={"body": "x"})
    assert refused.status_code == 409
    no_record = admin.get(f"/api/v1/blocks/{deleted['id']}/messages")
    assert no_record.status_code == 404
    assert "No record was kept" in no_record.json()["detail"]

    # Unblocking the deleted one lets the number text again (stored, notified).
    assert admin.delete(f"/api/v1/blocks/{deleted['id']}").status_code == 204
    inbound(server, "hello again", sender=CLIENT)
    assert [c["phone"] for c in admin.get("/api/v1/conversations").json()] == [CLIENT]
    assert admin.post("/api/v1/conversations", json={"phone": CLIENT}).status_code == 200

    # Deleting the kept record removes the thread for good; the number stays blocked.
    assert admin.delete(f"/api/v1/blocks/{kept['id']}/record").status_code == 204
    after = admin.get(f"/api/v1/blocks/{kept['id']}").json()
    assert after["conversation_id"] is None
    assert admin.get(f"/api/v1/conversations/{kept_id}").status_code == 404
    assert admin.delete(f"/api/v1/blocks/{kept['id']}/record").status_code == 404
    assert "conversation.deleted" in _stream_kinds(server, kept_id)
    inbound(server, "still here", sender=HARASSER)
    assert [c["phone"] for c in admin.get("/api/v1/conversations").json()] == [CLIENT]


def test_unblocking_a_kept_record_brings_the_thread_back(server, admin):
    inbound(server, "wrong number, sorry", sender=HARASSER)
    cid = _block(admin, HARASSER, keep=True)
    assert admin.get("/api/v1/conversations").json() == []
    [blocked] = admin.get("/api/v1/blocks").json()

    assert admin.delete(f"/api/v1/blocks/{blocked['id']}").status_code == 204
    back = admin.get("/api/v1/conversations").json()
    assert [c["id"] for c in back] == [cid]
    assert back[0]["blocked"] is False
    assert admin.get("/api/v1/blocks").json() == []
    sent = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "No problem"})
    assert sent.status_code == 201
    assert "conversation.updated" in _stream_kinds(server, cid)


def test_staff_get_403_and_nothing_changes(server, admin, staff):
    inbound(server, "first text", sender=HARASSER)
    _block(admin, HARASSER, keep=True)
    [blocked] = admin.get("/api/v1/blocks").json()
    before = _snapshot(server)

    calls = [
        staff.get("/api/v1/blocks"),
        staff.get(f"/api/v1/blocks/{blocked['id']}"),
        staff.get(f"/api/v1/blocks/{blocked['id']}/messages"),
        staff.delete(f"/api/v1/blocks/{blocked['id']}"),
        staff.delete(f"/api/v1/blocks/{blocked['id']}/record"),
    ]
    assert [r.status_code for r in calls] == [403] * len(calls)
    assert {r.json()["code"] for r in calls} == {"forbidden"}
    assert "Only an account admin" in calls[0].json()["detail"]
    assert _snapshot(server) == before
    assert admin.get("/api/v1/blocks").json() == [blocked]


def test_another_firm_cannot_see_or_unblock_the_first_firms_blocks(server, admin):
    inbound(server, "first text", sender=HARASSER)
    _block(admin, HARASSER, keep=True)
    [blocked] = admin.get("/api/v1/blocks").json()
    make_user(server, "olga", admin=True, firm="Other Firm LLP")
    olga = login(server, "olga")
    before = _snapshot(server)

    assert olga.get("/api/v1/blocks").json() == []
    calls = [
        olga.get(f"/api/v1/blocks/{blocked['id']}"),
        olga.get(f"/api/v1/blocks/{blocked['id']}/messages"),
        olga.delete(f"/api/v1/blocks/{blocked['id']}"),
        olga.delete(f"/api/v1/blocks/{blocked['id']}/record"),
    ]
    assert [r.status_code for r in calls] == [404] * len(calls)
    assert {r.json()["code"] for r in calls} == {"not_found"}
    assert _snapshot(server) == before
    assert admin.get("/api/v1/blocks").json() == [blocked]


def test_bad_ids_and_signed_out_tokens_are_refused_and_change_nothing(server, admin):
    inbound(server, "first text", sender=HARASSER)
    _block(admin, HARASSER, keep=True)
    [blocked] = admin.get("/api/v1/blocks").json()
    before = _snapshot(server)

    bad = [
        admin.get("/api/v1/blocks/0"),
        admin.delete("/api/v1/blocks/abc"),
        admin.delete(f"/api/v1/blocks/{2**63}"),
        admin.get("/api/v1/blocks", params={"limit": 0}),
        admin.get("/api/v1/blocks", params={"limit": 10_000}),
        admin.get(f"/api/v1/blocks/{blocked['id']}/messages", params={"limit": 100_000}),
    ]
    assert [r.status_code for r in bad] == [422] * len(bad)
    assert all(set(r.json()) >= {"detail", "code"} for r in bad)
    assert admin.delete("/api/v1/blocks/999999").status_code == 404

    admin.post("/api/v1/auth/logout")
    assert admin.delete(f"/api/v1/blocks/{blocked['id']}").status_code == 401
    assert _snapshot(server) == before


def test_the_list_pages_with_before(server, admin):
    numbers = [f"+1201555{n:04d}" for n in range(210, 215)]
    for number in numbers:
        inbound(server, "hi", sender=number)
        _block(admin, number, keep=False)
    first = admin.get("/api/v1/blocks", params={"limit": 2}).json()
    rest = admin.get("/api/v1/blocks", params={"before": first[-1]["id"], "limit": 10}).json()
    assert [b["phone"] for b in first + rest] == numbers[::-1]
