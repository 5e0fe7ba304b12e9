"""Quick replies over real HTTP: firm-wide (admins) and personal ones, merge tags checked as a
flow's are, rendered by the server for one conversation's client, announced on the stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.server.conftest import CLIENT, conversation_for


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


def test_firm_replies_are_for_admins_to_manage_and_everyone_to_read(server, admin, staff):
    mark = _newest_event(server)
    made = admin.post(
        "/api/v1/quick-replies",
        json={
            "name": "Running late",
            "body": "Hi [ClientFirstName], we run 10 min late.",
            "scope": "firm",
        },
    )
    assert made.status_code == 201, made.text
    reply = made.json()
    assert reply["scope"] == "firm" and reply["tags"] == ["ClientFirstName"]
    assert [r["name"] for r in staff.get("/api/v1/quick-replies").json()] == ["Running late"]

    refused = staff.post(
        "/api/v1/quick-replies", json={"name": "Mine?", "body": "x", "scope": "firm"}
    )
    assert refused.status_code == 403
    assert (
        staff.patch(f"/api/v1/quick-replies/{reply['id']}", json={"name": "x"}).status_code == 403
    )
    assert staff.delete(f"/api/v1/quick-replies/{reply['id']}").status_code == 403

    renamed = admin.patch(f"/api/v1/quick-replies/{reply['id']}", json={"name": "Late"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Late"
    assert admin.delete(f"/api/v1/quick-replies/{reply['id']}").status_code == 204
    assert staff.get("/api/v1/quick-replies").json() == []
    kinds = [(kind, user_id) for kind, user_id, _ in _events_after(server, mark)]
    assert kinds == [
        ("quick_reply.changed", None),
        ("quick_reply.changed", None),
        ("quick_reply.deleted", None),
    ]


def test_personal_replies_are_their_authors_alone(server, admin, staff):
    mark = _newest_event(server)
    mine = staff.post("/api/v1/quick-replies", json={"name": "Call me", "body": "Call me back."})
    assert mine.status_code == 201 and mine.json()["scope"] == "personal"
    rid = mine.json()["id"]
    assert admin.get("/api/v1/quick-replies").json() == []
    # Another user, even an admin, does not learn it exists.
    assert admin.patch(f"/api/v1/quick-replies/{rid}", json={"name": "x"}).status_code == 404
    assert admin.delete(f"/api/v1/quick-replies/{rid}").status_code == 404
    cid = conversation_for(admin)["id"]
    assert (
        admin.get(
            f"/api/v1/quick-replies/{rid}/render", params={"conversation_id": cid}
        ).status_code
        == 404
    )
    assert [(k, u) for k, u, _ in _events_after(server, mark) if k.startswith("quick")] == [
        ("quick_reply.changed", staff.user["id"])
    ]


def test_unknown_tags_and_bad_brackets_are_refused_on_save_and_nothing_is_stored(server, admin):
    for body, words in (
        ("Hi [ClientFirstNam]", "Unknown merge tag [ClientFirstNam]"),
        ("Hi [ClientFirstName", "Unclosed '['"),
        ("Hi ]", "Unmatched ']'"),
        ("   ", "write the text"),
        ("x" * 1600, "longer than 10 segments"),
    ):
        response = admin.post("/api/v1/quick-replies", json={"name": "Bad", "body": body})
        assert response.status_code == 422, (body, response.text)
        assert words in response.json()["detail"]
        assert response.json()["field"] == "body"
    blank = admin.post("/api/v1/quick-replies", json={"name": "  ", "body": "fine"})
    assert blank.status_code == 422 and blank.json()["field"] == "name"
    assert admin.get("/api/v1/quick-replies").json() == []

    good = admin.post("/api/v1/quick-replies", json={"name": "Hi", "body": "Hello"}).json()
    again = admin.post("/api/v1/quick-replies", json={"name": "Hi", "body": "Other"})
    assert again.status_code == 409
    bad_edit = admin.patch(f"/api/v1/quick-replies/{good['id']}", json={"body": "[Nope]"})
    assert bad_edit.status_code == 422
    assert admin.get("/api/v1/quick-replies").json()[0]["body"] == "Hello"


def test_the_server_renders_a_reply_for_the_conversations_client(server, admin):
    client = admin.post(
        "/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"}
    ).json()
    matter = admin.post(
        "/api/v1/matters",
        json={"client_id": client["id"], "name": "Lopez v. Acme", "case_number": "24-CV-001"},
    ).json()
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    admin.post(
        "/api/v1/events",
        json={
            "client_id": client["id"],
            "matter_id": matter["id"],
            "starts_at": starts.isoformat(),
            "location": "Courtroom 4B",
        },
    )
    cid = admin.post(
        "/api/v1/conversations",
        json={"phone": CLIENT, "client_id": client["id"], "matter_id": matter["id"]},
    ).json()["id"]
    reply = admin.post(
        "/api/v1/quick-replies",
        json={
            "name": "Hearing",
            "body": "Hi [ClientFirstName], your hearing[%, case %CaseNumber,] is in "
            "[EventLocation]. [FirmName]",
        },
    ).json()
    rendered = admin.get(
        f"/api/v1/quick-replies/{reply['id']}/render", params={"conversation_id": cid}
    )
    assert rendered.status_code == 200, rendered.text
    body = rendered.json()
    assert body["body"] == (
        "Hi Maria, your hearing, case 24-CV-001, is in Courtroom 4B. Doe & Roe Law"
    )
    assert body["segments"] == 1 and body["encoding"] == "GSM-7"

    # A number with no client: the tags vanish and the spacing is tidied.
    other = conversation_for(admin, "+12015550177")["id"]
    plain = admin.get(
        f"/api/v1/quick-replies/{reply['id']}/render", params={"conversation_id": other}
    ).json()
    assert plain["body"] == "Hi, your hearing is in. Doe & Roe Law"
    missing = admin.get(
        f"/api/v1/quick-replies/{reply['id']}/render", params={"conversation_id": 999999}
    )
    assert missing.status_code == 404
