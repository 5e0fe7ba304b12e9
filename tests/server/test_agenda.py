"""The agenda (GET /events/upcoming), an event's reminders as their recipients get them
(GET /events/{id}/reminders), consent reasons, and the stream events records announce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.conftest import login, make_user

FLOW = {
    "name": "Hearing 7/3/0",
    "steps": [
        {"offset_days": -7, "send_time": "10:00", "templates": {
            "en": "Hi [ClientFirstName], your hearing is [EventDate] at [EventTime].",
            "es": "Hola [ClientFirstName], su audiencia es el [EventDate] a las [EventTime]."}},
        {"offset_days": -3, "send_time": "10:00", "templates": {
            "en": "Reminder: hearing [EventDate], [EventLocation]."}},
        {"offset_days": 0, "offset_hours": -2, "templates": {
            "en": "Today: your hearing at [EventTime].",
            "es": "Hoy: su audiencia a las [EventTime]."}},
    ],
}  # fmt: skip


def _at(days: float) -> str:
    when = datetime.now(UTC) + timedelta(days=days)
    return when.replace(hour=15, minute=0, second=0, microsecond=0).isoformat()


def _setup(api) -> dict:
    maria = api.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"}).json()
    api.post(f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "(213) 555-0142"})
    matter = api.post(
        "/api/v1/matters",
        json={"client_id": maria["id"], "name": "Lopez v. State", "case_number": "CR-17"},
    ).json()
    flow = api.post("/api/v1/flows", json=FLOW).json()
    soon = api.post(
        "/api/v1/events",
        json={"client_id": maria["id"], "matter_id": matter["id"], "starts_at": _at(10),
              "location": "Courtroom 4B", "flow_id": flow["id"]},
    ).json()  # fmt: skip
    later = api.post("/api/v1/events", json={"client_id": maria["id"], "starts_at": _at(30)}).json()
    return {"maria": maria, "matter": matter, "flow": flow, "soon": soon, "later": later}


def test_upcoming_lists_the_next_days_with_names_and_filters(server, admin):
    data = _setup(admin)
    rows = admin.get("/api/v1/events/upcoming").json()
    assert [r["id"] for r in rows] == [data["soon"]["id"]]
    row = rows[0]
    assert row["client_name"] == "Maria Lopez" and row["client_language"] == "en"
    assert (row["matter_name"], row["case_number"]) == ("Lopez v. State", "CR-17")
    assert row["flow_name"] == "Hearing 7/3/0" and row["pending_reminders"] == 3
    assert row["location"] == "Courtroom 4B" and row["status"] == "scheduled"
    assert row["time_zone"] == "America/New_York"

    wide = admin.get("/api/v1/events/upcoming", params={"days": 40}).json()
    assert [r["id"] for r in wide] == [data["soon"]["id"], data["later"]["id"]]
    by_matter = admin.get(
        "/api/v1/events/upcoming", params={"days": 40, "matter_id": data["matter"]["id"]}
    ).json()
    assert [r["id"] for r in by_matter] == [data["soon"]["id"]]
    start = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    assert [r["id"] for r in admin.get(
        "/api/v1/events/upcoming", params={"from": start, "days": 14}).json()] == [
        data["later"]["id"]]  # fmt: skip

    for bad in ({"days": 0}, {"days": 801}, {"from": "2026-12-01T00:00:00"}, {"from": "soon"}):
        answer = admin.get("/api/v1/events/upcoming", params=bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["detail"]

    # By attorney: the events of that attorney's matters; only a user of the firm can be one.
    make_user(server, "paula")
    paula = next(c for c in admin.get("/api/v1/colleagues").json() if c["username"] == "paula")
    make_user(server, "olga", firm="Other & Co")
    other = login(server, "olga")
    olga_id = other.user["id"]
    matter_url = f"/api/v1/matters/{data['matter']['id']}"
    refused = admin.patch(matter_url, json={"attorney_id": olga_id})
    assert refused.status_code == 422 and "attorney_id" in refused.json()["detail"]
    patched = admin.patch(matter_url, json={"attorney_id": paula["id"]})
    assert patched.json()["attorney_id"] == paula["id"]
    bob = admin.post(
        "/api/v1/matters",
        json={"client_id": data["maria"]["id"], "name": "Civil", "attorney_id": admin.user["id"]},
    ).json()
    assert bob["attorney_id"] == admin.user["id"]
    by_attorney = admin.get(
        "/api/v1/events/upcoming", params={"days": 40, "attorney_id": paula["id"]}
    ).json()
    assert [(r["id"], r["attorney_name"]) for r in by_attorney] == [(data["soon"]["id"], "paula")]
    assert admin.get(
        "/api/v1/events/upcoming", params={"days": 40, "attorney_id": admin.user["id"]}
    ).json() == []
    assert admin.patch(matter_url, json={"attorney_id": None}).json()["attorney_id"] is None

    # Another firm sees none of it.
    assert other.get("/api/v1/events/upcoming", params={"days": 40}).json() == []
    assert other.get(f"/api/v1/events/{data['soon']['id']}/reminders").status_code == 404


def test_a_court_date_has_its_own_attorney_which_wins_over_its_matters(server, admin):
    data = _setup(admin)
    make_user(server, "paula")
    make_user(server, "dana")
    colleagues = {c["username"]: c["id"] for c in admin.get("/api/v1/colleagues").json()}
    paula, dana = colleagues["paula"], colleagues["dana"]
    admin.patch(f"/api/v1/matters/{data['matter']['id']}", json={"attorney_id": paula})

    def agenda(**params):
        rows = admin.get("/api/v1/events/upcoming", params={"days": 40, **params}).json()
        return [(r["id"], r["attorney_id"], r["attorney_name"], r["attorney_source"]) for r in rows]

    soon, later = data["soon"]["id"], data["later"]["id"]
    # Without one of its own, a court date has its matter's attorney; with no matter, none.
    assert data["later"]["attorney_id"] is None
    assert agenda() == [(soon, paula, "paula", "matter"), (later, None, None, None)]
    assert agenda(attorney_id=dana) == []

    # A hearing without a matter gets an attorney: the agenda shows and filters by it.
    moved = admin.patch(f"/api/v1/events/{later}", json={"attorney_id": dana})
    assert moved.status_code == 200 and moved.json()["attorney_id"] == dana
    assert admin.get(f"/api/v1/events/{later}").json()["attorney_id"] == dana
    assert agenda(attorney_id=dana) == [(later, dana, "dana", "event")]
    # Its own attorney wins over its matter's, in the rows and in the filter.
    admin.patch(f"/api/v1/events/{soon}", json={"attorney_id": dana})
    both = [(soon, dana, "dana", "event"), (later, dana, "dana", "event")]
    assert agenda(attorney_id=dana) == both
    assert agenda(attorney_id=paula) == []
    # Cleared, the matter's applies again; other fields left alone.
    cleared = admin.patch(f"/api/v1/events/{soon}", json={"attorney_id": None}).json()
    assert cleared["attorney_id"] is None and cleared["location"] == "Courtroom 4B"
    assert agenda(attorney_id=paula) == [(soon, paula, "paula", "matter")]

    # Created with one: the same.
    new = admin.post(
        "/api/v1/events",
        json={"client_id": data["maria"]["id"], "starts_at": _at(5), "attorney_id": paula},
    )
    assert new.status_code == 201 and new.json()["attorney_id"] == paula
    assert [row[0] for row in agenda(attorney_id=paula)] == [new.json()["id"], soon]

    # Only an active user of the firm can be one; a refusal changes nothing.
    make_user(server, "olga", firm="Other & Co")
    olga = login(server, "olga").user["id"]
    gone = admin.post("/api/v1/users", json={"username": "gone", "password": "long enough 1"})
    gone = gone.json()
    admin.post(f"/api/v1/users/{gone['id']}/disable").raise_for_status()
    for bad in (olga, gone["id"], 999_999):
        refused = admin.patch(f"/api/v1/events/{later}", json={"attorney_id": bad})
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "attorney_id"
        assert "no active user of your firm" in refused.json()["detail"]
        created = admin.post(
            "/api/v1/events",
            json={"client_id": data["maria"]["id"], "starts_at": _at(6), "attorney_id": bad},
        )
        assert created.status_code == 422, created.text
    assert admin.get(f"/api/v1/events/{later}").json()["attorney_id"] == dana
    assert len(admin.get("/api/v1/events", params={"client_id": data["maria"]["id"]}).json()) == 3


def test_reminders_say_number_language_zone_and_credits(admin):
    data = _setup(admin)
    url = f"/api/v1/events/{data['soon']['id']}/reminders"
    reminders = admin.get(url).json()
    assert len(reminders) == 3
    assert {r["phone"] for r in reminders} == {"+12135550142"}
    assert {r["time_zone"] for r in reminders} == {"America/Los_Angeles"}
    assert [r["language"] for r in reminders] == ["en", "en", "en"]
    assert all(r["credits"] == 1 and r["segments"] >= 1 and r["status"] == "scheduled"
               for r in reminders)  # fmt: skip
    assert reminders[0]["body"].startswith("Hi Maria, your hearing is")

    admin.patch(f"/api/v1/clients/{data['maria']['id']}", json={"language": "es"})
    spanish = admin.get(url).json()
    # The middle step has no Spanish template: it goes in English, and says so.
    assert [r["language"] for r in spanish] == ["es", "en", "es"]
    assert spanish[0]["body"].startswith("Hola Maria, su audiencia es el")
    assert "de 20" in spanish[0]["body"]  # "… de diciembre de 2026"


def test_an_opt_out_keeps_its_reason_in_the_consent_history(admin):
    data = _setup(admin)
    contact = admin.get(f"/api/v1/clients/{data['maria']['id']}/contacts").json()[0]
    out = admin.post(f"/api/v1/contacts/{contact['id']}/opt-out", json={"note": "Asked by phone"})
    assert out.status_code == 200 and out.json()["opted_out"] is True
    history = admin.get(f"/api/v1/contacts/{contact['id']}/consent").json()
    assert history[-1]["note"] == "Asked by phone" and history[-1]["opted_in"] is False
    assert history[-1]["source"] == "staff" and history[-1]["user_name"]
    # Without a body it still works (the note is empty); a note too long changes nothing.
    assert admin.post(f"/api/v1/contacts/{contact['id']}/opt-in").status_code == 200
    refused = admin.post(f"/api/v1/contacts/{contact['id']}/opt-out", json={"note": "x" * 501})
    assert refused.status_code == 422
    assert admin.get(f"/api/v1/contacts/{contact['id']}").json()["opted_out"] is False
    reminders = admin.get(f"/api/v1/events/{data['soon']['id']}/reminders").json()
    assert len([r for r in reminders if r["status"] == "scheduled"]) == 3


def _stream_after(server, last_id: int) -> list[tuple[str, dict]]:
    with server.app.state.sessionmaker() as session:
        rows = session.execute(
            select(t.StreamEvent.kind, t.StreamEvent.payload)
            .where(t.StreamEvent.id > last_id)
            .order_by(t.StreamEvent.id)
        ).all()
    return [(row.kind, row.payload) for row in rows]


def _last(server) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.max(t.StreamEvent.id))) or 0


def test_record_changes_are_announced_on_the_stream(server, admin):
    data = _setup(admin)
    client_id = data["maria"]["id"]

    def after(action) -> set[tuple[str, int]]:
        mark = _last(server)
        action()
        return {
            (kind, payload.get("client_id"))
            for kind, payload in _stream_after(server, mark)
            if kind.split(".")[0] in ("client", "contact", "matter", "event")
        }

    assert ("client.updated", client_id) in after(
        lambda: admin.patch(f"/api/v1/clients/{client_id}", json={"last_name": "López"})
    )
    contact = admin.get(f"/api/v1/clients/{client_id}/contacts").json()[0]
    assert ("contact.updated", client_id) in after(
        lambda: admin.post(f"/api/v1/contacts/{contact['id']}/archive")
    )
    assert ("matter.updated", client_id) in after(
        lambda: admin.patch(f"/api/v1/matters/{data['matter']['id']}", json={"name": "Appeal"})
    )
    assert ("event.updated", client_id) in after(
        lambda: admin.patch(f"/api/v1/events/{data['soon']['id']}", json={"starts_at": _at(11)})
    )
    assert ("event.deleted", client_id) in after(
        lambda: admin.delete(f"/api/v1/events/{data['later']['id']}")
    )
    assert ("client.deleted", client_id) in after(
        lambda: admin.delete(f"/api/v1/clients/{client_id}")
    )
