"""Clients and court dates in the real app, by mouse and keyboard: add a client with a number and
a hearing 10 days out on a 7/3/0-day flow and see its three reminders; move the hearing and see
them change; switch the client to Spanish and see Spanish; the thread shows them scheduled; the
agenda lists the hearing, and moves, adds and cancels court dates itself; the hearing it adds has
no matter and gets an attorney of its own, whom the agenda's attorney filter finds it by. One
walk: each app start costs seconds."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.driver import wait_until

FLOW = {
    "name": "Hearing 7/3/0",
    "steps": [
        {"offset_days": -7, "send_time": "10:00", "templates": {
            "en": "Hi [ClientFirstName], your hearing is [EventDate] at [EventTime].",
            "es": "Hola [ClientFirstName], su audiencia es el [EventDate] a las [EventTime]."}},
        {"offset_days": -3, "send_time": "10:00", "templates": {
            "en": "Reminder: your hearing is [EventDate], [EventLocation].",
            "es": "Recordatorio: su audiencia es el [EventDate], [EventLocation]."}},
        {"offset_days": 0, "offset_hours": -2, "templates": {
            "en": "Today: your hearing at [EventTime], [EventLocation].",
            "es": "Hoy: su audiencia a las [EventTime], [EventLocation]."}},
    ],
}  # fmt: skip


# The firm's clock: the dialog reads a date in it, and the agenda's 14 days start at its midnight
# (at 03:00 UTC the machine's date is a day ahead of the firm's).
FIRM_ZONE = ZoneInfo("America/New_York")


def _today() -> datetime:
    return datetime.now(FIRM_ZONE)


def _when(days: int) -> str:
    day = _today() + timedelta(days=days)
    return f"{day:%m/%d/%Y} 10:00 AM"


def _reminders(app) -> list[str]:
    rows = app.rows("eventTree")
    return rows[0].get("children", []) if rows else []


def _save(app, dialog: str) -> None:
    app.click("recordSave")
    app.wait_gone(dialog)


def test_a_client_with_a_hearing_gets_reminders_that_follow_moves_and_language(app, inbox_server):
    alice = inbox_server.api("alice")
    assert alice.get("/api/v1/auth/me").json()["firm_time_zone"] == FIRM_ZONE.key
    assert alice.post("/api/v1/flows", json=FLOW).status_code == 201
    app.sign_in("alice")

    app.click("viewClients")
    app.wait_for(r"view shown clients")
    app.wait_for(r"clients loaded \(0\)")
    app.click("newClientButton")
    app.widget("clientDialog")
    app.fill("clientFirstName", "Maria")
    app.fill("clientLastName", "Lopez")
    _save(app, "clientDialog")
    client_id = int(app.wait_for(r"client loaded (\d+)").group(1))

    app.widget("addContactButton", where=lambda w: w["enabled"])
    app.click("addContactButton")
    app.widget("contactDialog")
    app.fill("contactPhone", "201 555 0142")
    app.widget("contactNumberCheck", where=lambda w: "(201) 555-0142" in w["text"])
    _save(app, "contactDialog")
    app.wait_for(rf"client loaded {client_id}")
    app.widget("contactTable")

    # A hearing 10 days out on the 7/3/0 flow (the only flow: picked already).
    app.click("addEventButton")
    app.widget("eventDialog")
    app.fill("eventWhen", _when(10))
    app.widget("eventWhenCheck", where=lambda w: " at 10:00 AM" in w["text"])
    app.fill("eventLocation", "Courtroom 4B")
    assert app.widget("eventFlow")["text"] == "Hearing 7/3/0"
    _save(app, "eventDialog")
    event_id = int(app.wait_for(r"reminders loaded (\d+) \(3\)").group(1))
    wait_until(lambda: len(_reminders(app)) == 3, what="three reminders on screen")
    first = _reminders(app)
    assert first[0].startswith("Hi Maria, your hearing is")
    assert "Courtroom 4B" in first[1] and first[2].startswith("Today: your hearing at 10:00 AM")
    app.screenshot("records-client-page")

    # Move it two days later: the same three reminders, with the new date.
    app.click_rect(app.rows("eventTree")[0]["rect"])
    app.click("moveEventButton")
    app.widget("eventDialog")
    app.fill("eventWhen", _when(12))
    _save(app, "eventDialog")
    app.wait_for(rf"reminders loaded {event_id} \(3\)")
    wait_until(lambda: _reminders(app) and _reminders(app) != first, what="moved reminders")
    moved = _reminders(app)
    later = _today() + timedelta(days=12)
    assert f"{later:%B} {later.day}, {later.year}" in moved[0], moved[0]
    server_side = alice.get(f"/api/v1/events/{event_id}/reminders").json()
    assert [r["body"] for r in server_side] == moved

    # Spanish: the client's language rewrites the reminders.
    app.click("editClientButton")
    app.widget("clientDialog")
    app.click("clientLastName")
    app.key("Tab")
    app.widget("clientLanguage", where=lambda w: w["focus"])
    app.key("Down")
    app.widget("clientLanguage", where=lambda w: w["text"] == "Spanish")
    _save(app, "clientDialog")
    wait_until(
        lambda: _reminders(app) and _reminders(app)[0].startswith("Hola Maria"),
        what="Spanish reminders",
    )
    spanish = _reminders(app)
    assert spanish[1].startswith("Recordatorio: su audiencia es el") and " de " in spanish[1]
    app.screenshot("records-client-page-spanish")

    # The thread shows them as scheduled reminders, one click away.
    app.click("messageContactButton")
    app.wait_for(r"view shown inbox")
    app.wait_for(r"thread loaded \d+")
    wait_until(
        lambda: any("Hola Maria" in row["text"] for row in app.rows("messageView")),
        what="the reminders in the thread",
    )

    # The agenda: the hearing in the next 14 days, with its reminders.
    app.click("viewUpcoming")
    app.wait_for(r"agenda loaded \(1\)")
    rows = app.rows("upcomingTree")
    assert len(rows) == 1
    app.screenshot("records-upcoming")

    # From the agenda itself: move the hearing a day, add a second one for the same client (its
    # client is the selected row's), then cancel that one after the confirmation.
    twelve_days_out = alice.get(f"/api/v1/events/{event_id}").json()["starts_at"]
    app.click_rect(rows[0]["rect"])
    app.widget("agendaMoveEvent", where=lambda w: w["enabled"])
    app.skip_log()
    app.click("agendaMoveEvent")
    app.widget("eventDialog")
    app.fill("eventWhen", _when(13))
    _save(app, "eventDialog")
    app.wait_for(rf"agenda reminders loaded {event_id} \(3\)")
    wait_until(
        lambda: alice.get(f"/api/v1/events/{event_id}").json()["starts_at"] != twelve_days_out,
        what="the hearing moved on the server",
    )

    # The reloads since (live changes) kept the moved hearing selected: its client gets the new one.
    app.widget("agendaMoveEvent", where=lambda w: w["enabled"])
    app.click("agendaAddEvent")
    app.widget("eventDialog")
    app.fill("eventWhen", _when(5))
    app.fill("eventLocation", "Courtroom 2A")
    # Maria has no matter: the hearing gets an attorney of its own (Tab: matter, then attorney).
    app.key("Tab")
    app.widget("eventMatter", where=lambda w: w["focus"] and w["text"] == "(none)")
    app.key("Tab")
    app.widget("eventAttorney", where=lambda w: w["focus"] and w["text"] == "No attorney")
    app.type("bob")
    app.widget("eventAttorney", where=lambda w: w["text"] == "bob")
    app.screenshot("records-event-attorney")
    _save(app, "eventDialog")
    added = int(app.wait_for(rf"agenda reminders loaded (?!{event_id} )(\d+) ").group(1))
    wait_until(lambda: len(app.rows("upcomingTree")) == 2, what="two hearings on the agenda")
    app.screenshot("records-upcoming-added")
    events = alice.get(f"/api/v1/events?client_id={client_id}").json()
    assert sorted(e["location"] for e in events) == ["Courtroom 2A", "Courtroom 4B"]
    bob = next(c["id"] for c in alice.get("/api/v1/colleagues").json() if c["username"] == "bob")
    hearing = alice.get(f"/api/v1/events/{added}").json()
    assert (hearing["matter_id"], hearing["attorney_id"]) == (None, bob)

    # The new court date is the selected one (also after the live reloads its saving set off).
    day = _today() + timedelta(days=5)

    def added_is_selected():
        return any(
            r["current"] and f"{day:%b} {day.day}," in r["text"] for r in app.rows("upcomingTree")
        )

    wait_until(added_is_selected, what="the added hearing selected")

    # The agenda's attorney filter: Bob has that hearing only; all attorneys again, both.
    app.click("upcomingAttorney")
    app.type("bob")
    app.key("Return")
    app.widget("upcomingAttorney", where=lambda w: w["text"] == "bob")
    wait_until(
        lambda: [f"{day:%b} {day.day}," in r["text"] for r in app.rows("upcomingTree")] == [True],
        what="only Bob's hearing on the agenda",
    )
    agenda = alice.get("/api/v1/events/upcoming", params={"attorney_id": bob}).json()
    assert [(e["id"], e["attorney_name"], e["attorney_source"]) for e in agenda] == [
        (added, "bob", "event")
    ]
    app.screenshot("records-upcoming-by-attorney")
    app.click("upcomingAttorney")
    app.type("All")
    app.key("Return")
    app.widget("upcomingAttorney", where=lambda w: w["text"] == "All attorneys")
    wait_until(lambda: len(app.rows("upcomingTree")) == 2, what="both hearings again")
    wait_until(added_is_selected, what="the added hearing still selected")
    app.widget("agendaCancelEvent", where=lambda w: w["enabled"])
    app.click("agendaCancelEvent")
    app.widget("cancelEventConfirm")
    app.screenshot("records-cancel-confirm")
    app.click("cancelEventYes")
    app.wait_gone("cancelEventConfirm")
    app.wait_for(rf"agenda reminders loaded {added} \(\d+\)")
    wait_until(
        lambda: alice.get(f"/api/v1/events/{added}").json()["status"] == "canceled",
        what="the added hearing canceled",
    )
    reminders = alice.get(f"/api/v1/events/{added}/reminders").json()
    assert reminders and {r["status"] for r in reminders} == {"canceled"}
    assert alice.get(f"/api/v1/events/{event_id}").json()["status"] != "canceled"
