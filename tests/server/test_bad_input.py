"""Bad input over real HTTP on both databases: a clear 4xx naming the field, never a 500,
and not one row written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.conftest import PASSWORD, login, make_user
from tests.harness import AUTH_TOKEN, free_port, make_settings, post_webhook, serve_in_thread
from tests.server.conftest import CLIENT, conversation_for, inbound, status, wait_until

BIG = "99999999999999999999"  # above 2**63 - 1
TOO_FAR = "9999-12-31T23:30:00-05:00"
# Any file part makes httpx send multipart/form-data, as the desktop client does with images.
NO_FILES = {"note": ("note.txt", b"", "text/plain")}


def snapshot(server) -> dict[str, int]:
    """Row counts of every table but sign-in tokens (signing in is not a change of data)."""
    with server.app.state.sessionmaker() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in t.Base.metadata.sorted_tables
            if table.name != "auth_tokens"
        }


def assert_422(response: httpx.Response, field: str | None = None) -> None:
    assert response.status_code == 422, (response.request.url, response.text)
    assert response.headers["content-type"].startswith("application/json")
    if field is not None:
        assert field in response.json()["detail"], response.text


def test_ids_beyond_64_bits_are_422_and_change_nothing(server, admin):
    conversation = conversation_for(admin)
    cid = conversation["id"]
    before = snapshot(server)

    reads = [
        f"/api/v1/conversations/{BIG}",
        f"/api/v1/conversations/{BIG}/messages",
        f"/api/v1/conversations/{cid}/messages?before={BIG}",
        f"/api/v1/conversations/{BIG}/export",
        f"/api/v1/conversations/{BIG}/export.json",
        f"/api/v1/media/{BIG}",
        f"/api/v1/media/{BIG}/thumbnail",
        f"/api/v1/messages/{BIG}",
        f"/api/v1/clients/{BIG}",
        f"/api/v1/contacts?client_id={BIG}",
        f"/api/v1/events?flow_id={BIG}",
        f"/api/v1/clients?offset={BIG}",
        f"/api/v1/credits/ledger?before={BIG}",
        "/api/v1/conversations/0",
        "/api/v1/media/-1",
    ]
    for path in reads:
        assert_422(admin.get(path))
    assert_422(admin.get("/api/v1/stream", headers={"Last-Event-ID": BIG}, timeout=5))
    assert_422(httpx.get(f"{server.base_url}/media/public/{BIG}/abc", timeout=5))

    assert_422(admin.patch(f"/api/v1/messages/{BIG}", json={"body": "x"}), "message_id")
    assert_422(admin.delete(f"/api/v1/messages/{BIG}"))
    assert_422(admin.post(f"/api/v1/conversations/{BIG}/read"))
    assert_422(admin.post(f"/api/v1/conversations/{BIG}/block"))
    assert_422(admin.post(f"/api/v1/conversations/{BIG}/messages", json={"body": "hi"}))
    # Ids inside JSON bodies: the same bound, naming the field.
    assert_422(
        admin.post("/api/v1/conversations", json={"phone": "+12015550177", "client_id": int(BIG)}),
        "client_id",
    )
    assert_422(admin.put(f"/api/v1/conversations/{cid}/file", json={"matter_id": int(BIG)}))
    assert_422(admin.post("/api/v1/matters", json={"client_id": int(BIG), "name": "Estate"}))
    assert_422(
        admin.post(
            "/api/v1/events",
            json={"client_id": 1, "flow_id": int(BIG), "starts_at": "2030-01-01T10:00:00Z"},
        ),
        "flow_id",
    )

    assert snapshot(server) == before


def test_send_at_absurdly_far_ahead_is_422_naming_it(server, admin):
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    in_a_month = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    scheduled = admin.post(url, json={"body": "Court is Monday", "send_at": in_a_month})
    assert scheduled.status_code == 201, scheduled.text
    message = scheduled.json()
    before = snapshot(server)

    assert_422(admin.post(url, json={"body": "x", "send_at": TOO_FAR}), "send_at")
    assert_422(admin.post(url, json={"body": "x", "send_at": "0001-01-01T00:00:00+05:00"}))
    multipart = admin.post(url, data={"body": "x", "send_at": TOO_FAR}, files=NO_FILES)
    assert_422(multipart, "send_at")
    edited = admin.patch(f"/api/v1/messages/{message['id']}", json={"send_at": TOO_FAR})
    assert_422(edited, "send_at")

    assert snapshot(server) == before
    again = admin.get(f"/api/v1/messages/{message['id']}").json()
    assert again["send_at"] == message["send_at"]


def test_nul_characters_in_api_input_are_422_naming_the_field(server, admin):
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    before = snapshot(server)

    sends = [
        ({"body": "hello\x00"}, "body"),
        ({"body": "hello", "idempotency_key": "outbox-\x00-0001"}, "idempotency_key"),
    ]
    for payload, field in sends:
        assert_422(admin.post(url, json=payload), field)
        assert_422(admin.post(url, data=payload, files=NO_FILES), field)  # multipart
    assert_422(admin.get("/api/v1/conversations", params={"q": "Smi\x00th"}), "q")
    assert_422(admin.get("/api/v1/clients", params={"q": "\x00"}), "q")
    assert_422(admin.post("/api/v1/conversations", json={"phone": "+1201555\x000177"}), "phone")
    assert_422(admin.post("/api/v1/clients", json={"first_name": "Ann\x00"}), "first_name")
    flow = {"name": "Court", "steps": [{"offset_days": -1, "templates": {"en": "Hi\x00"}}]}
    assert_422(admin.post("/api/v1/flows", json=flow), "steps.0.templates.en")
    login = httpx.post(
        f"{server.base_url}/api/v1/auth/token",
        json={"username": "ali\x00ce", "password": PASSWORD},
        timeout=10,
    )
    assert_422(login, "username")

    assert snapshot(server) == before


def test_values_the_database_cannot_hold_are_422_not_500(server, admin):
    before = snapshot(server)
    response = admin.put("/api/v1/credits/settings", json={"bundle_price_cents": int(BIG)})
    assert_422(response, "bundle_price_cents")
    assert snapshot(server) == before
    assert admin.get("/api/v1/credits").json()["bundle_price_cents"] != int(BIG)


def test_event_dates_out_of_any_court_calendar_are_422_naming_them(server, admin):
    client = admin.post("/api/v1/clients", json={"first_name": "Ann", "last_name": "Lee"}).json()
    soon = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    event = admin.post("/api/v1/events", json={"client_id": client["id"], "starts_at": soon})
    assert event.status_code == 201, event.text
    before = snapshot(server)

    for absurd in (TOO_FAR, "0001-01-01T00:00:00+05:00", "2199-01-01T09:00:00-05:00"):
        created = admin.post(
            "/api/v1/events", json={"client_id": client["id"], "starts_at": absurd}
        )
        assert_422(created, "starts_at")
        moved = admin.patch(f"/api/v1/events/{event.json()['id']}", json={"starts_at": absurd})
        assert_422(moved, "starts_at")

    assert snapshot(server) == before


@pytest.fixture
def quiet_carrier(db_url, tmp_path):
    """A server whose simulated carrier reports no statuses of its own during the test."""
    with serve_in_thread(
        make_settings(db_url, tmp_path, free_port(), simulate_status_delay=60)
    ) as running:
        make_user(running, "alice", admin=True)
        yield running, login(running, "alice")


def test_webhook_fields_with_nul_are_stripped_and_the_carrier_gets_200(quiet_carrier):
    server, admin = quiet_carrier
    response = inbound(server, "Is court\x00 on Monday?", NumSegments="1\x00")
    assert response.status_code == 200, response.text
    [conversation] = admin.get("/api/v1/conversations").json()
    assert conversation["phone"] == CLIENT
    [message] = admin.get(f"/api/v1/conversations/{conversation['id']}/messages").json()["messages"]
    assert message["body"] == "Is court on Monday?"

    # A status callback carrying a NUL is applied too (no simulated status races it).
    sent = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Yes, 10am"}
    ).json()
    sid = wait_until(
        lambda: admin.get(f"/api/v1/messages/{sent['id']}").json()["carrier_sid"], timeout=10
    )
    answer = status(server, sid, "undelivered", ErrorCode="30003", ErrorMessage="Unreach\x00able")
    assert answer.status_code == 200, answer.text
    assert wait_until(
        lambda: admin.get(f"/api/v1/messages/{sent['id']}").json()["status"] == "undelivered"
    )

    # Stripping happens only after the signature is checked on the form as sent.
    before = snapshot(server)
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "a" * 32,
        "From": CLIENT,
        "To": "+12015550100",
        "Body": "forged\x00",
        "NumMedia": "0",
    }
    forged = post_webhook(
        server.base_url, "/webhooks/twilio/messages", params, token=AUTH_TOKEN + "x"
    )
    assert forged.status_code == 403
    assert snapshot(server) == before


def test_an_unexpected_error_answers_json_and_changes_nothing(server, admin, monkeypatch):
    from inbox_app.server.services import conversations

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(conversations, "list_for", broken)
    before = snapshot(server)
    response = admin.get("/api/v1/conversations")
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert "try again" in response.json()["detail"]
    assert snapshot(server) == before
