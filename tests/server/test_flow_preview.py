"""POST /api/v1/flows/preview: the server renders a template for a client's event."""

from __future__ import annotations

EN = "Hi [ClientFirstName], your hearing is on [EventDate] at [EventTime], [EventLocation]."


def test_a_template_is_previewed_for_a_clients_event_and_bad_ones_name_the_field(admin, staff):
    client = admin.post("/api/v1/clients", json={"first_name": "Ana", "language": "es"}).json()
    admin.post(f"/api/v1/clients/{client['id']}/contacts", json={"phone": "(201) 555-0177"})
    event = admin.post(
        "/api/v1/events",
        json={
            "client_id": client["id"],
            "starts_at": "2027-03-04T09:30:00-05:00",
            "location": "Courtroom 2",
        },
    ).json()
    preview = admin.post(
        "/api/v1/flows/preview", json={"template": EN, "event_id": event["id"], "language": "en"}
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["body"] == (
        "Hi Ana, your hearing is on Thursday, March 4, 2027 at 9:30 AM, Courtroom 2."
    )
    assert (body["segments"], body["encoding"], body["is_sample"]) == (1, "GSM-7", False)
    assert body["tags"] == ["ClientFirstName", "EventDate", "EventTime", "EventLocation"]
    spanish = staff.post(
        "/api/v1/flows/preview",
        json={
            "template": "Hola [ClientFirstName]: [EventDate] ¿sí?",
            "client_id": client["id"],
            "language": "es",
        },
    ).json()
    assert spanish["body"].startswith("Hola Ana: jueves, 4 de marzo de 2027")
    assert spanish["encoding"] == "UCS-2"
    sample = admin.post("/api/v1/flows/preview", json={"template": EN}).json()
    assert sample["is_sample"] and sample["body"].startswith("Hi Maria,")

    unknown = admin.post("/api/v1/flows/preview", json={"template": "Hi [ClientName]"})
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "template" and unknown.json()["unknown_tags"] == [
        "ClientName"
    ]
    long = admin.post("/api/v1/flows/preview", json={"template": "x" * 1600}).json()
    assert long["too_long"] and long["segments"] == 11 and long["max_segments"] == 10


def test_staff_read_flows_but_their_edits_are_refused(admin, staff):
    steps = [{"offset_days": -1, "templates": {"en": EN}}]
    flow = admin.post("/api/v1/flows", json={"name": "Court date", "steps": steps}).json()
    assert staff.get(f"/api/v1/flows/{flow['id']}").status_code == 200
    assert staff.patch(f"/api/v1/flows/{flow['id']}", json={"name": "Mine"}).status_code == 403
    assert staff.post("/api/v1/flows", json={"name": "New", "steps": steps}).status_code == 403
    assert staff.delete(f"/api/v1/flows/{flow['id']}").status_code == 403
    assert admin.get(f"/api/v1/flows/{flow['id']}").json()["name"] == "Court date"
