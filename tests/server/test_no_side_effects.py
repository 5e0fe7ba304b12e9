"""CONTRACT.md's first rule over real HTTP: a 4xx answer stores nothing, so a retry is safe."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import func, select, update

from inbox_app.models import tables as t
from tests.server.conftest import conversation_for


def _count_messages(server) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(t.Message))


def test_a_send_without_credits_is_201_held_with_its_reason_and_a_retry_stores_it_once(
    server, admin
):
    conversation = conversation_for(admin)
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.CreditBalance).values(balance=0))
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    body = {"body": "Reminder", "idempotency_key": "k"}

    first = admin.post(url, json=body)
    again = admin.post(url, json=body)

    assert first.status_code == 201, first.text
    held = first.json()
    assert held["status"] == "held"
    assert held["held_reason"].startswith("Out of credits")
    assert again.status_code == 201 and again.json()["id"] == held["id"]
    assert _count_messages(server) == 1
    assert admin.get("/api/v1/credits").json()["held_count"] == 1


def test_idempotency_keys_of_1_to_64_characters_and_a_reused_key_with_another_body_is_409(
    server, admin
):
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"

    short = admin.post(url, json={"body": "one", "idempotency_key": "a"})
    longest = admin.post(url, json={"body": "two", "idempotency_key": "b" * 64})
    too_long = admin.post(url, json={"body": "three", "idempotency_key": "c" * 65})
    empty = admin.post(url, json={"body": "four", "idempotency_key": ""})
    reused = admin.post(url, json={"body": "not one", "idempotency_key": "a"})
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(picture, format="PNG")
    reused_multipart = admin.post(
        url,
        data={"body": "not one either", "idempotency_key": "a"},
        files=[("images", ("a.png", picture.getvalue(), "image/png"))],
    )

    assert (short.status_code, longest.status_code) == (201, 201), short.text
    assert too_long.status_code == 422 and "idempotency_key" in too_long.json()["detail"]
    assert empty.status_code == 422 and "idempotency_key" in empty.json()["detail"]
    assert reused.status_code == 409, reused.text
    assert reused.json()["code"] == "idempotency_key_reused"
    assert "different" in reused.json()["detail"]
    assert reused_multipart.status_code == 409
    assert _count_messages(server) == 2


def test_a_manual_top_up_needs_no_invoice_reference(server, admin):
    response = admin.post("/api/v1/credits/top-up", json={"bundles": 1})
    blank = admin.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": "  "})
    short_key = admin.post("/api/v1/credits/top-up", json={"bundles": 1, "idempotency_key": "x"})

    assert response.status_code == 200, response.text
    assert response.json()["reference"] is None
    assert blank.status_code == 200 and blank.json()["reference"] is None
    assert short_key.status_code == 200, short_key.text
    assert admin.get("/api/v1/credits").json()["balance"] == 100 + 3 * 1000
    assert [e["reference"] for e in admin.get("/api/v1/credits/ledger").json()][:3] == [None] * 3


def test_patch_with_a_field_it_cannot_change_is_a_422_naming_it_and_changes_nothing(server, admin):
    client = admin.post("/api/v1/clients", json={"first_name": "Maria"}).json()
    other = admin.post("/api/v1/clients", json={"first_name": "John"}).json()
    contact = admin.post(
        f"/api/v1/clients/{client['id']}/contacts", json={"phone": "+12015550101"}
    ).json()
    event = admin.post(
        "/api/v1/events", json={"client_id": client["id"], "starts_at": "2031-01-01T09:00:00Z"}
    ).json()
    matter = admin.post("/api/v1/matters", json={"client_id": client["id"], "name": "M"}).json()
    flow = admin.post(
        "/api/v1/flows",
        json={"name": "F", "steps": [{"offset_days": -1, "templates": {"en": "Hi"}}]},
    ).json()
    conversation = conversation_for(admin)
    scheduled = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"body": "later", "send_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()},
    ).json()

    cases = [
        (f"/api/v1/events/{event['id']}", {"client_id": other["id"]}, "client_id"),
        (f"/api/v1/contacts/{contact['id']}", {"phone": "+12015550199"}, "phone"),
        (f"/api/v1/clients/{client['id']}", {"first_name": "M", "phone": "1"}, "phone"),
        (f"/api/v1/matters/{matter['id']}", {"client_id": other["id"]}, "client_id"),
        (f"/api/v1/flows/{flow['id']}", {"name": "G", "firm_id": 2}, "firm_id"),
        (f"/api/v1/messages/{scheduled['id']}", {"body": "x", "to_number": "+1"}, "to_number"),
    ]
    for path, body, field in cases:
        response = admin.patch(path, json=body)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["code"] == "invalid"
        assert field in response.json()["detail"], (path, response.json())

    assert admin.get(f"/api/v1/events/{event['id']}").json()["client_id"] == client["id"]
    assert admin.get(f"/api/v1/contacts/{contact['id']}").json()["phone"] == "+12015550101"
    assert admin.get(f"/api/v1/clients/{client['id']}").json()["first_name"] == "Maria"
    assert admin.get(f"/api/v1/flows/{flow['id']}").json()["name"] == "F"
    assert admin.get(f"/api/v1/messages/{scheduled['id']}").json()["body"] == "later"
