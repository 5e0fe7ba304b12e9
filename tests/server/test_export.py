"""Export: one canonical JSON document per thread, and a digest that proves a printout."""

from __future__ import annotations

import hashlib
import json

from tests.conftest import login, make_user
from tests.server.conftest import conversation_for, inbound, message_of, wait_until


def test_export_is_canonical_stable_and_changes_with_the_thread(server, admin):
    conversation = conversation_for(admin)
    cid = conversation["id"]
    inbound(server, "¿Mañana a las 9? 👍")
    reply = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Sí, a las 9"})
    wait_until(lambda: message_of(admin, cid, reply.json()["id"])["status"] == "delivered")
    url = f"/api/v1/conversations/{cid}/export"

    first = admin.get(url).json()
    second = admin.get(url).json()

    assert first == second
    text = first["document"]
    assert first["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "¿Mañana a las 9? 👍" in text  # UTF-8, not \\u escapes
    assert document["firm"]["name"] == "Doe & Roe Law"
    assert document["contact"]["phone"] == conversation["phone"]
    inbound_row, outbound_row = document["messages"]
    assert (inbound_row["direction"], inbound_row["sender"]) == ("inbound", conversation["phone"])
    assert (outbound_row["direction"], outbound_row["sender"]) == ("outbound", "alice")
    assert all(m["time"].endswith("Z") for m in document["messages"])

    inbound(server, "Gracias")
    assert admin.get(url).json()["sha256"] != first["sha256"]
    make_user(server, "olga", firm="Other Firm LLP")
    assert login(server, "olga").get(url).status_code == 404


def _whole_document_at_once(server, conversation_id: int) -> str:
    """The export as it was built before it streamed: ORM objects, one canonical() call."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from inbox_app.models import tables as t
    from inbox_app.server.services import export as service

    with server.app.state.sessionmaker() as session, session.begin():
        conversation = session.get(t.Conversation, conversation_id)
        firm = session.get(t.Firm, conversation.firm_id)
        client = session.get(t.Client, conversation.client_id) if conversation.client_id else None
        matter = session.get(t.Matter, conversation.matter_id) if conversation.matter_id else None
        rows = list(
            session.scalars(
                select(t.Message)
                .where(t.Message.conversation_id == conversation_id)
                .options(selectinload(t.Message.media))
                .order_by(t.Message.id)
            )
        )
        names = {u.id: u.display_name or u.username for u in session.scalars(select(t.User))}
        return service.canonical(
            {
                "format": service.FORMAT_VERSION,
                "firm": {"id": firm.id, "name": firm.name, "phone": firm.phone},
                "contact": {
                    "phone": conversation.phone,
                    "name": f"{client.first_name} {client.last_name}".strip() if client else None,
                    "client_id": client.id if client else None,
                },
                "matter": {"id": matter.id, "name": matter.name, "case_number": matter.case_number}
                if matter
                else None,
                "conversation": {"id": conversation.id, "opted_out": conversation.opted_out},
                "messages": [service._message(m, names) for m in rows],
            }
        )


def test_the_streamed_export_has_the_bytes_of_the_whole_document_built_at_once(server, admin):
    """Same bytes, same digest as before streaming: media, senders, a client and a matter."""
    import base64

    client = admin.post("/api/v1/clients", json={"first_name": "Ana", "last_name": "Ruiz"}).json()
    admin.post(f"/api/v1/clients/{client['id']}/contacts", json={"phone": "+12015550166"})
    matter = admin.post(
        "/api/v1/matters",
        json={"client_id": client["id"], "name": "Ruiz v. Doe", "case_number": "7"},
    ).json()
    cid = admin.post(
        "/api/v1/conversations",
        json={"phone": "+12015550166", "client_id": client["id"], "matter_id": matter["id"]},
    ).json()["id"]
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    sent = admin.post(
        f"/api/v1/conversations/{cid}/messages",
        data={"body": "Two images"},
        files=[("images", ("a.png", png, "image/png")), ("images", ("b.png", png, "image/png"))],
    )
    assert sent.status_code == 201, sent.text
    second = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": '¿Y mañana? "ok"'})
    for message_id in (sent.json()["id"], second.json()["id"]):  # statuses are in the document
        wait_until(lambda i=message_id: message_of(admin, cid, i)["status"] == "delivered")
    exported = admin.get(f"/api/v1/conversations/{cid}/export").json()
    reference = _whole_document_at_once(server, cid)
    assert exported["document"] == reference
    assert exported["sha256"] == hashlib.sha256(reference.encode("utf-8")).hexdigest()
    assert len(json.loads(reference)["messages"][0]["media"]) == 2


def _reference_document(text: str) -> str:
    """What the export was before it streamed: canonical() of the whole document at once."""
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def add_rows(server, firm_id: int, phone: str, count: int) -> int:
    """A thread longer than several export pages, written straight to the tables."""
    from datetime import UTC, datetime, timedelta

    from inbox_app.models import tables as t

    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with server.app.state.sessionmaker() as session, session.begin():
        conversation = t.Conversation(firm_id=firm_id, phone=phone)
        session.add(conversation)
        session.flush()
        session.add_all(
            t.Message(
                firm_id=firm_id,
                conversation_id=conversation.id,
                direction="inbound",
                body=f'Note {n} "quoted" \\ ünïcödé 👍\nline two',
                status="received",
                segments=1,
                from_number=phone,
                to_number="+12015550100",
                created_at=start + timedelta(minutes=n),
            )
            for n in range(count)
        )
        return conversation.id


def test_the_document_route_gives_exactly_the_hashed_bytes_of_a_long_thread(server, admin):
    from inbox_app.server.services import export as service

    count = service.PAGE * 2 + 7  # three pages of the streaming writer
    cid = add_rows(server, admin.user["firm_id"], "+12015550177", count)

    exported = admin.get(f"/api/v1/conversations/{cid}/export").json()
    raw = admin.get(f"/api/v1/conversations/{cid}/export.json")

    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    # Following the printout: `sha256sum` of the downloaded file prints the printed digest.
    assert hashlib.sha256(raw.content).hexdigest() == exported["sha256"]
    assert raw.headers["x-export-sha256"] == exported["sha256"]
    assert raw.content == exported["document"].encode("utf-8")
    assert int(raw.headers["content-length"]) == len(raw.content)
    # Streaming page by page gives the same canonical bytes as one canonical() call.
    assert exported["document"] == _reference_document(exported["document"])
    assert exported["document"] == _whole_document_at_once(server, cid)
    messages = json.loads(raw.content)["messages"]
    assert len(messages) == count
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
    assert messages[-1]["body"] == f'Note {count - 1} "quoted" \\ ünïcödé 👍\nline two'


def test_the_document_route_of_another_firms_thread_is_404_with_a_sentence(server, admin):
    cid = conversation_for(admin)["id"]
    empty = admin.get(f"/api/v1/conversations/{cid}/export").json()["document"]
    assert empty == _reference_document(empty) and '"messages":[]}' in empty
    make_user(server, "olga", firm="Other Firm LLP")
    response = login(server, "olga").get(f"/api/v1/conversations/{cid}/export.json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "code"}
    assert admin.get("/api/v1/conversations/999999/export.json").status_code == 404
