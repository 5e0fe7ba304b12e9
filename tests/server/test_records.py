"""Records reminders are made from, over real HTTP: clients, contacts, matters, flows, events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from inbox_app.models import tables as t
from inbox_app.server.services import contacts as contact_service
from tests.conftest import login, make_user
from tests.harness import ACCOUNT_SID, post_webhook

EN = "Hi [ClientFirstName], see you on [EventDate] at [EventTime]."


def _client(api, first: str = "Maria", last: str = "Lopez", **extra) -> dict:
    response = api.post("/api/v1/clients", json={"first_name": first, "last_name": last, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_records_can_be_created_read_searched_changed_and_deleted(admin):
    maria = _client(admin)
    john = _client(admin, "John", "Smith", language="es")
    assert (maria["language"], john["language"]) == ("en", "es")
    admin.post(f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "(201) 555-0101"})

    def names(params) -> list[str]:
        return [c["first_name"] for c in admin.get("/api/v1/clients", params=params).json()]

    assert names({"q": "lop"}) == ["Maria"]
    assert names({"q": "maria lopez"}) == ["Maria"]
    assert names({"q": "555-0101"}) == ["Maria"]
    assert names({}) == ["Maria", "John"]
    changed = admin.patch(f"/api/v1/clients/{john['id']}", json={"last_name": "Smyth"})
    assert changed.json()["last_name"] == "Smyth"
    assert admin.delete(f"/api/v1/clients/{john['id']}").status_code == 204
    assert admin.get(f"/api/v1/clients/{john['id']}").status_code == 404

    matter = admin.post(
        "/api/v1/matters",
        json={"client_id": maria["id"], "name": "State v. Lopez", "case_number": "24-CR-1"},
    ).json()
    assert admin.get("/api/v1/matters", params={"q": "24-cr"}).json() == [matter]
    renamed = admin.patch(f"/api/v1/matters/{matter['id']}", json={"name": "People v. Lopez"})
    assert renamed.json()["name"] == "People v. Lopez"

    long_template = "[EventLocation] " * 20 + EN
    flow = admin.post(
        "/api/v1/flows",
        json={
            "name": "Court date",
            "steps": [
                {"offset_days": -2, "send_time": "09:30", "templates": {"en": EN}},
                {"offset_days": -1, "offset_hours": -2, "templates": {"en": long_template}},
            ],
        },
    )
    assert flow.status_code == 201, flow.text
    flow = flow.json()
    assert [s["send_time"] for s in flow["steps"]] == ["09:30:00", None]
    assert len(flow["warnings"]) == 1 and "Step 2" in flow["warnings"][0]
    assert admin.get("/api/v1/flows", params={"q": "court"}).json()[0]["id"] == flow["id"]
    patched = admin.patch(
        f"/api/v1/flows/{flow['id']}",
        json={"steps": [{"offset_days": -3, "templates": {"en": EN, "es": "Hola [EventDate]"}}]},
    ).json()
    assert len(patched["steps"]) == 1 and set(patched["steps"][0]["templates"]) == {"en", "es"}
    assert patched["warnings"] == []

    event = admin.post(
        "/api/v1/events",
        json={
            "client_id": maria["id"],
            "matter_id": matter["id"],
            "starts_at": "2031-03-04T09:00:00-05:00",
            "location": "Courtroom 2",
        },
    )
    assert event.status_code == 201, event.text
    event = event.json()
    assert event["status"] == "scheduled" and event["flow_id"] is None
    found = admin.get("/api/v1/events", params={"client_id": maria["id"], "q": "room 2"}).json()
    assert [e["id"] for e in found] == [event["id"]]
    moved = admin.patch(
        f"/api/v1/events/{event['id']}",
        json={"location": "Courtroom 3", "flow_id": flow["id"]},
    ).json()
    assert (moved["location"], moved["flow_id"]) == ("Courtroom 3", flow["id"])
    assert len(admin.get(f"/api/v1/events/{event['id']}/messages").json()) == 1

    assert admin.delete(f"/api/v1/flows/{flow['id']}").status_code == 204
    assert admin.get(f"/api/v1/events/{event['id']}/messages").json() == []
    assert admin.delete(f"/api/v1/events/{event['id']}").status_code == 204
    assert admin.get(f"/api/v1/events/{event['id']}").status_code == 404
    assert admin.delete(f"/api/v1/matters/{matter['id']}").status_code == 204


def test_contact_lifecycle_keeps_invalid_numbers_and_restores_to_the_client(server, admin):
    maria = _client(admin)
    with server.app.state.sessionmaker() as session, session.begin():
        session.add(t.Conversation(firm_id=admin.user["firm_id"], phone="+12015550101"))
    good = admin.post(f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "(201) 555-0101"})
    assert good.status_code == 201
    good = good.json()
    assert (good["phone"], good["invalid"], good["type"]) == ("+12015550101", False, "cell")
    bad = admin.post(
        f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "555-12", "type": "home"}
    ).json()
    assert (bad["phone"], bad["invalid"], bad["type"]) == ("555-12", True, "home")
    duplicate = admin.post(f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "2015550101"})
    assert duplicate.status_code == 409

    # The existing thread with that number is now filed under the client.
    with server.app.state.sessionmaker() as session:
        conversation = session.query(t.Conversation).filter_by(phone="+12015550101").one()
        assert conversation.client_id == maria["id"]

    def on_profile() -> list[int]:
        return [c["id"] for c in admin.get(f"/api/v1/clients/{maria['id']}").json()["contacts"]]

    def listed(**params) -> list[int]:
        return [c["id"] for c in admin.get("/api/v1/contacts", params=params).json()]

    assert on_profile() == [good["id"], bad["id"]]
    assert listed(q="555-0101") == [good["id"]]
    assert admin.patch(f"/api/v1/contacts/{bad['id']}", json={"type": "work"}).json()["type"] == (
        "work"
    )

    archived = admin.post(f"/api/v1/contacts/{good['id']}/archive").json()
    assert archived["archived"] is True
    assert on_profile() == [bad["id"]]
    assert listed(q="555-0101") == [] and listed(archived=True) == [good["id"]]
    admin.post(f"/api/v1/contacts/{good['id']}/restore")
    assert on_profile() == [good["id"], bad["id"]]

    trashed = admin.post(f"/api/v1/contacts/{good['id']}/trash").json()
    assert trashed["trashed"] is True and listed(trashed=True) == [good["id"]]
    assert on_profile() == [bad["id"]]
    restored = admin.post(f"/api/v1/contacts/{good['id']}/restore").json()
    assert (restored["trashed"], restored["client_id"]) == (False, maria["id"])
    assert on_profile() == [good["id"], bad["id"]]

    # Trashed longer than the firm's 30 days: purged for good; a fresh one stays.
    admin.post(f"/api/v1/contacts/{good['id']}/trash")
    admin.post(f"/api/v1/contacts/{bad['id']}/trash")
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Contact)
            .where(t.Contact.id == good["id"])
            .values(trashed_at=t.utcnow() - timedelta(days=31))
        )
    with server.app.state.sessionmaker() as session:
        assert contact_service.purge_trashed(session) == 1
    assert admin.get(f"/api/v1/contacts/{good['id']}").status_code == 404
    assert admin.get(f"/api/v1/contacts/{bad['id']}").json()["trashed"] is True


def test_consent_history_shows_created_staff_and_keyword_changes_with_who(server, admin, staff):
    maria = _client(admin)
    contact = staff.post(
        f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "+12015550101"}
    ).json()
    assert admin.post(f"/api/v1/contacts/{contact['id']}/opt-out").json()["opted_out"] is True
    response = post_webhook(
        server.base_url,
        "/webhooks/twilio/messages",
        {
            "MessageSid": "SM" + "3" * 32,
            "AccountSid": ACCOUNT_SID,
            "From": "+12015550101",
            "To": "+12015550100",
            "Body": "START",
            "NumMedia": "0",
        },
    )
    assert response.status_code == 200, response.text
    assert admin.get(f"/api/v1/contacts/{contact['id']}").json()["opted_out"] is False
    history = admin.get(f"/api/v1/contacts/{contact['id']}/consent").json()
    assert [(h["source"], h["opted_in"], h["user_id"]) for h in history] == [
        ("created", True, staff.user["id"]),
        ("staff", False, admin.user["id"]),
        ("keyword", True, None),
    ]
    assert history[2]["message_id"] is not None
    by_phone = admin.get("/api/v1/consent", params={"phone": "(201) 555-0101"}).json()
    assert by_phone == history

    without = admin.post(
        f"/api/v1/clients/{maria['id']}/contacts",
        json={"phone": "+12015550102", "consent": False},
    ).json()
    assert without["opted_out"] is True
    assert [h["source"] for h in admin.get(f"/api/v1/contacts/{without['id']}/consent").json()] == [
        "created"
    ]


def test_other_firms_records_are_404_and_bad_input_is_422_with_a_reason(server, admin):
    maria = _client(admin)
    contact = admin.post(
        f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "+12015550101"}
    ).json()
    make_user(server, "olga", firm="Other Firm")
    olga = login(server, "olga")
    assert olga.get(f"/api/v1/clients/{maria['id']}").status_code == 404
    assert olga.patch(f"/api/v1/clients/{maria['id']}", json={"language": "es"}).status_code == 404
    assert olga.delete(f"/api/v1/clients/{maria['id']}").status_code == 404
    assert olga.post(f"/api/v1/contacts/{contact['id']}/opt-out").status_code == 404
    assert olga.get(f"/api/v1/contacts/{contact['id']}/consent").status_code == 404
    assert olga.get("/api/v1/clients").json() == []
    other_event = olga.post(
        "/api/v1/events", json={"client_id": maria["id"], "starts_at": "2031-01-01T09:00:00Z"}
    )
    assert other_event.status_code == 404
    assert olga.get("/api/v1/consent", params={"phone": "+12015550101"}).json() == []

    def refused(method: str, path: str, body: dict, words: str) -> None:
        response = admin.request(method, path, json=body)
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"], response.json()

    refused("POST", "/api/v1/clients", {"last_name": "Lopez"}, "first_name")
    refused("POST", "/api/v1/clients", {"first_name": "A", "language": "english!"}, "language")
    refused(
        "POST", f"/api/v1/clients/{maria['id']}/contacts", {"phone": "1", "type": "pager"}, "type"
    )
    refused(
        "POST",
        "/api/v1/events",
        {"client_id": maria["id"], "starts_at": "2031-01-01T09:00:00"},
        "time zone",
    )
    refused(
        "POST",
        "/api/v1/events",
        {"client_id": maria["id"], "starts_at": "2031-01-01T09:00:00Z", "status": "maybe"},
        "status",
    )
    refused(
        "POST",
        "/api/v1/flows",
        {"name": "F", "steps": [{"offset_days": -1, "templates": {"es": "Hola"}}]},
        "English (en)",
    )
    refused(
        "POST",
        "/api/v1/flows",
        {"name": "F", "steps": [{"offset_days": -1, "templates": {"en": "Hi [Name"}}]},
        "Step 1",
    )
    refused(
        "POST",
        "/api/v1/flows",
        {"name": "F", "steps": [{"offset_days": -999, "templates": {"en": "Hi"}}]},
        "offset_days",
    )
    # Nothing half-written.
    assert admin.get("/api/v1/events").json() == []
    assert admin.get("/api/v1/flows").json() == []
    assert [c["id"] for c in admin.get("/api/v1/contacts").json()] == [contact["id"]]


def test_restore_is_refused_when_an_active_contact_already_has_the_number(admin):
    maria = _client(admin)
    old = admin.post(f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "+12015550101"})
    old = old.json()
    assert admin.post(f"/api/v1/contacts/{old['id']}/archive").status_code == 200
    new = admin.post(f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "(201) 555-0101"})
    assert new.status_code == 201, new.text
    new = new.json()

    response = admin.post(f"/api/v1/contacts/{old['id']}/restore")
    assert response.status_code == 409, response.text
    assert f"as contact {new['id']}" in response.json()["detail"]
    assert admin.get(f"/api/v1/contacts/{old['id']}").json()["archived"] is True
    profile = admin.get(f"/api/v1/clients/{maria['id']}").json()["contacts"]
    assert [c["id"] for c in profile] == [new["id"]]

    # Trashed the same way; once the other one is gone, restoring works.
    admin.post(f"/api/v1/contacts/{old['id']}/trash")
    assert admin.post(f"/api/v1/contacts/{old['id']}/restore").status_code == 409
    admin.post(f"/api/v1/contacts/{new['id']}/archive")
    restored = admin.post(f"/api/v1/contacts/{old['id']}/restore")
    assert restored.status_code == 200
    assert (restored.json()["archived"], restored.json()["trashed"]) == (False, False)
