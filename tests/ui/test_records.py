"""Clients, matters and court dates in the desktop, over the real server: the rail, the list
and its search, a client's page, reminders on screen, live changes and offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox_app.sync.errors import Unreachable

FLOW = {
    "name": "Hearing 7/3/0",
    "steps": [
        {"offset_days": -7, "send_time": "10:00", "templates": {
            "en": "Hi [ClientFirstName], your hearing is [EventDate] at [EventTime].",
            "es": "Hola [ClientFirstName], su audiencia es el [EventDate] a las [EventTime]."}},
        {"offset_days": -3, "send_time": "10:00", "templates": {
            "en": "Reminder: hearing [EventDate] at [EventTime], [EventLocation].",
            "es": "Recordatorio: audiencia [EventDate] a las [EventTime], [EventLocation]."}},
        {"offset_days": 0, "offset_hours": -2, "templates": {
            "en": "Today: your hearing at [EventTime].",
            "es": "Hoy: su audiencia a las [EventTime]."}},
    ],
}  # fmt: skip


def seed(admin) -> dict:
    """Two clients: Maria (a cell, a matter with a case number, a hearing) and Bob (a landline)."""
    maria = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    maria = maria.json()
    admin.post(f"/api/v1/clients/{maria['id']}/contacts", json={"phone": "(201) 555-0142"})
    matter = admin.post(
        "/api/v1/matters",
        json={"client_id": maria["id"], "name": "Lopez v. State", "case_number": "CR-2026-0917"},
    ).json()
    bob = admin.post("/api/v1/clients", json={"first_name": "Bob", "last_name": "Young"}).json()
    # A toll-free number: kept, badged "can't receive texts".
    admin.post(f"/api/v1/clients/{bob['id']}/contacts", json={"phone": "(800) 555-0100"})
    flow = admin.post("/api/v1/flows", json=FLOW)
    assert flow.status_code == 201, flow.text
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    event = admin.post(
        "/api/v1/events",
        json={
            "client_id": maria["id"],
            "matter_id": matter["id"],
            "starts_at": starts.isoformat(),
            "location": "Courtroom 4B",
            "flow_id": flow.json()["id"],
        },
    )
    assert event.status_code == 201, event.text
    return {"maria": maria, "bob": bob, "matter": matter, "flow": flow.json(),
            "event": event.json()}  # fmt: skip


def names(page) -> list[str]:
    return [f"{c.first_name} {c.last_name}" for c in page.model.rows()]


def test_the_rail_switches_views_and_the_client_list_searches_name_phone_and_case(
    admin, window, qtbot
):
    seed(admin)
    views = window.views
    assert views.current == "inbox"
    views.buttons["clients"].click()
    assert views.current == "clients"
    page = views.clients_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    assert names(page) == ["Maria Lopez", "Bob Young"]
    assert page.count_label.text() == "2 clients"
    for query, expected in (
        ("mar", ["Maria Lopez"]),
        ("maria lopez", ["Maria Lopez"]),
        ("555-0100", ["Bob Young"]),
        ("CR-2026", ["Maria Lopez"]),
        ("nobody", []),
    ):
        page.search_edit.setText(query)
        qtbot.waitUntil(
            lambda e=expected, q=query: names(page) == e and page.query == q, timeout=5000
        )
    assert page.empty_label.isVisible() and "nobody" in page.empty_label.text()
    page.search_edit.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)

    # Ctrl+3 is the agenda; Ctrl+1 back to the inbox.
    views.show_view("upcoming")
    qtbot.waitUntil(lambda: views.upcoming_page.model.rowCount() == 1, timeout=5000)
    event = views.upcoming_page.model.events()[0]
    assert event.client_name == "Maria Lopez" and event.matter_name == "Lopez v. State"
    assert event.flow_name == "Hearing 7/3/0" and event.pending_reminders == 3
    views.show_view("inbox")
    assert views.current == "inbox" and window.thread_list.isVisible()


def test_a_client_page_shows_numbers_badges_matters_and_court_date_reminders(admin, window, qtbot):
    data = seed(admin)
    views = window.views
    views.open_client(data["bob"]["id"])
    page = views.clients_page.page
    qtbot.waitUntil(lambda: page.file is not None and page.client_id == data["bob"]["id"],
                    timeout=5000)  # fmt: skip
    assert page.title.text() == "Bob Young"
    assert page.contacts_model.data(page.contacts_model.index(0, 2)) == "Can't receive texts"
    qtbot.waitUntil(lambda: "can't receive texts" in page.why_label.text(), timeout=5000)

    views.open_client(data["maria"]["id"])
    qtbot.waitUntil(lambda: page.file is not None and page.title.text() == "Maria Lopez",
                    timeout=5000)  # fmt: skip
    assert page.matters_model.rows()[0].case_number == "CR-2026-0917"
    assert page.events_model.rowCount() == 1
    page.events_view.expand(page.events_model.index(0, 0))
    event_id = data["event"]["id"]
    qtbot.waitUntil(lambda: len(page.events_model.reminders(event_id) or []) == 3, timeout=5000)
    assert page.events_view.isExpanded(page.events_model.index(0, 0))
    bodies = [r.body for r in page.events_model.reminders(event_id)]
    assert bodies[0].startswith("Hi Maria, your hearing is")
    assert all(r.language == "en" and r.status == "scheduled" for r in
               page.events_model.reminders(event_id))  # fmt: skip


def test_offline_the_views_read_the_cache_and_edits_are_refused(admin, window, qtbot, run):
    data = seed(admin)
    views = window.views
    views.open_client(data["maria"]["id"])
    page = views.clients_page.page
    qtbot.waitUntil(lambda: page.file is not None, timeout=5000)
    records = views.records
    # The server goes away: the page reads the copy last read, says so, refuses edits.
    api = window.sync.api
    real = api.base_url
    api._http.base_url = "http://127.0.0.1:9"
    try:
        run(page.load())
        # A call already on its way when the server went (a list refresh after the seed's
        # events) may still answer and say "online" once more; every later one fails.
        qtbot.waitUntil(lambda: not window.sync.is_online, timeout=5000)
        run(page.load())
        assert not window.sync.is_online
        qtbot.waitUntil(page.offline.isVisible, timeout=5000)
        assert "Offline" in page.offline.text()
        assert page.title.text() == "Maria Lopez"
        with pytest.raises(Unreachable) as refused:
            run(records.update_client(data["maria"]["id"], language="es"))
        assert refused.value.detail.startswith("The server")
    finally:
        api._http.base_url = real
    assert admin.get(f"/api/v1/clients/{data['maria']['id']}").json()["language"] == "en"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots_of_clients_a_client_page_and_the_agenda(
    admin, window, qtbot, qapp, artifacts_dir, dark
):
    from inbox_app.ui import theme

    data = seed(admin)
    admin.patch(f"/api/v1/matters/{data['matter']['id']}", json={"attorney_id": admin.user["id"]})
    name = "dark" if dark else "light"
    theme.apply(qapp, dark=dark)
    try:
        window.refresh_icons()
        window.resize(1360, 860)
        views = window.views
        views.show_view("clients")
        page = views.clients_page
        qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
        assert window.grab().save(str(artifacts_dir / f"records_clients_{name}.png"))

        views.open_client(data["maria"]["id"])
        client = page.page
        qtbot.waitUntil(lambda: client.title.text() == "Maria Lopez", timeout=5000)
        client.events_view.expand(client.events_model.index(0, 0))
        event_id = data["event"]["id"]
        qtbot.waitUntil(
            lambda: len(client.events_model.reminders(event_id) or []) == 3, timeout=5000
        )
        qtbot.wait(100)
        assert window.grab().save(str(artifacts_dir / f"records_client_page_{name}.png"))

        views.show_view("upcoming")
        upcoming = views.upcoming_page
        qtbot.waitUntil(lambda: upcoming.attorney_box.count() > 1, timeout=5000)
        upcoming.attorney_box.setCurrentIndex(upcoming.attorney_box.findData(admin.user["id"]))
        qtbot.waitUntil(lambda: upcoming.model.rowCount() == 1, timeout=5000)
        upcoming.view.expand(upcoming.model.index(0, 0))
        qtbot.waitUntil(lambda: len(upcoming.model.reminders(event_id) or []) == 3, timeout=5000)
        qtbot.wait(100)
        assert window.grab().save(str(artifacts_dir / f"records_upcoming_{name}.png"))
    finally:
        theme.apply(qapp, dark=False)


def test_changes_from_another_desktop_appear_over_the_stream(admin, window, qtbot):
    from tests.import_files import clio_rows
    from tests.server.test_import import _body

    data = seed(admin)
    views = window.views
    views.show_view("upcoming")  # read once: from then on the stream keeps it current
    qtbot.waitUntil(lambda: views.upcoming_page.model.rowCount() == 1, timeout=5000)
    views.open_client(data["maria"]["id"])
    page = views.clients_page.page
    qtbot.waitUntil(lambda: page.file is not None and views.clients_page.model.rowCount() == 2,
                    timeout=5000)  # fmt: skip
    event_id = data["event"]["id"]
    page.events_view.expand_event(event_id)
    qtbot.waitUntil(lambda: len(page.events_model.reminders(event_id) or []) == 3, timeout=5000)
    before = [r.body for r in page.events_model.reminders(event_id)]

    # Another desktop renames her, moves the hearing and adds a client: no reload by hand.
    admin.patch(f"/api/v1/clients/{data['maria']['id']}", json={"last_name": "Lopez-Diaz"})
    qtbot.waitUntil(lambda: page.title.text() == "Maria Lopez-Diaz", timeout=1500)
    qtbot.waitUntil(lambda: "Maria Lopez-Diaz" in names(views.clients_page), timeout=1500)
    moved = (datetime.now(UTC) + timedelta(days=12)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    admin.patch(f"/api/v1/events/{event_id}", json={"starts_at": moved.isoformat()})
    qtbot.waitUntil(
        lambda: [r.body for r in page.events_model.reminders(event_id) or []] not in ([], before),
        timeout=1500,
    )
    assert page.events_view.isExpanded(page.events_model.index(0, 0))
    admin.post("/api/v1/clients", json={"first_name": "Carla", "last_name": "Ng"})
    qtbot.waitUntil(lambda: views.clients_page.model.rowCount() == 3, timeout=1500)

    # An import elsewhere (3 clients, 3 hearings 10-12 days out): both views reload on its event.
    imported = admin.post("/api/v1/import", json=_body(clio_rows(3), flow_id=data["flow"]["id"]))
    assert imported.json()["imported"] == 3, imported.text
    qtbot.waitUntil(lambda: views.clients_page.model.rowCount() == 6, timeout=1500)
    qtbot.waitUntil(lambda: views.upcoming_page.model.rowCount() == 4, timeout=1500)


def test_opt_out_with_a_reason_archive_restore_and_cancel_a_court_date(admin, window, qtbot):
    from PySide6.QtWidgets import QMessageBox

    data = seed(admin)
    views = window.views
    views.open_client(data["maria"]["id"])
    page = views.clients_page.page
    qtbot.waitUntil(lambda: page.selected_contact() is not None, timeout=5000)

    # Opt out asks why; no reason, no change; the reason is kept in the consent history.
    page.opt_button.click()
    qtbot.waitUntil(lambda: getattr(page, "dialog", None) is not None and page.dialog.isVisible())
    dialog = page.dialog
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors["note"].isVisible())
    dialog.reason_edit.setText("Asked by phone to stop texts")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: page.selected_contact() is not None
                    and page.selected_contact().opted_out, timeout=5000)  # fmt: skip
    qtbot.waitUntil(lambda: "Asked by phone to stop texts" in page.consent_label.text(),
                    timeout=5000)  # fmt: skip
    assert page.contacts_model.data(page.contacts_model.index(0, 2)) == "Opted out"
    assert page.opt_button.text() == "Opt in…"

    page.archive_button.click()
    qtbot.waitUntil(lambda: page.selected_contact() is not None
                    and page.selected_contact().archived, timeout=5000)  # fmt: skip
    assert page.restore_button.isEnabled()
    page.restore_button.click()
    qtbot.waitUntil(lambda: page.selected_contact() is not None
                    and not page.selected_contact().archived, timeout=5000)  # fmt: skip

    # Opt back in (a reason again): the reminders are made again.
    page.opt_button.click()
    qtbot.waitUntil(lambda: page.dialog is not dialog and page.dialog.isVisible())
    page.dialog.reason_edit.setText("Agreed again in the office")
    page.dialog.save_button.click()
    qtbot.waitUntil(lambda: page.selected_contact() is not None
                    and not page.selected_contact().opted_out, timeout=5000)  # fmt: skip
    event_id = data["event"]["id"]
    # (The ones the opt-out canceled stay, canceled, as the record.)
    statuses = [r["status"] for r in admin.get(f"/api/v1/events/{event_id}/reminders").json()]
    assert statuses.count("scheduled") == 3

    # Cancel the court date (confirmed): its reminders on screen say canceled at once.
    page.events_view.expand_event(event_id)
    page.events_view.setCurrentIndex(page.events_model.index(0, 0))
    page.cancel_event_button.click()
    qtbot.waitUntil(lambda: isinstance(getattr(page, "dialog", None), QMessageBox))
    page.dialog.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(
        lambda: (
            page.events_model.events()[0].status == "canceled"
            and {r.status for r in page.events_model.reminders(event_id) or []} == {"canceled"}
        ),
        timeout=5000,
    )
    reminders = admin.get(f"/api/v1/events/{event_id}/reminders").json()
    assert {r["status"] for r in reminders} == {"canceled"}


def test_the_agenda_filters_by_attorney_and_adds_moves_and_cancels_court_dates(
    server, admin, window, qtbot
):
    from PySide6.QtWidgets import QMessageBox

    from tests.conftest import make_user

    data = seed(admin)
    make_user(server, "paula")
    views = window.views
    # The matter's attorney is picked in the matter dialog, from the firm's users.
    views.open_client(data["maria"]["id"])
    client = views.clients_page.page
    qtbot.waitUntil(lambda: client.file is not None and client.matters_model.rowCount() == 1,
                    timeout=5000)  # fmt: skip
    client.matters_view.setCurrentIndex(client.matters_model.index(0, 0))
    client.edit_matter_button.click()
    qtbot.waitUntil(lambda: getattr(client, "dialog", None) is not None
                    and client.dialog.isVisible(), timeout=5000)  # fmt: skip
    box = client.dialog.attorney_box
    assert [box.itemText(i) for i in range(box.count())] == ["No attorney", "alice", "paula"]
    box.setCurrentIndex(box.findData(admin.user["id"]))
    client.dialog.save_button.click()
    matter_url = f"/api/v1/matters/{data['matter']['id']}"
    qtbot.waitUntil(lambda: not client.dialog.isVisible(), timeout=5000)
    assert admin.get(matter_url).json()["attorney_id"] == admin.user["id"]

    views.show_view("upcoming")
    page = views.upcoming_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.attorney_box.count() == 3,
                    timeout=5000)  # fmt: skip
    paula = next(
        page.attorney_box.itemData(i)
        for i in range(page.attorney_box.count())
        if page.attorney_box.itemText(i) == "paula"
    )
    page.attorney_box.setCurrentIndex(page.attorney_box.findData(paula))
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 and page.empty_label.isVisible())
    page.attorney_box.setCurrentIndex(page.attorney_box.findData(admin.user["id"]))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.model.events()[0].attorney_name == "alice"
    page.attorney_box.setCurrentIndex(0)  # All attorneys

    # Add: with no client in the filter and nothing selected, it says to pick one.
    page.add_event_button.click()
    qtbot.waitUntil(lambda: page.message.isVisible())
    page.client_box.setCurrentIndex(page.client_box.findData(data["maria"]["id"]))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.matter_box.count() == 2)
    page.add_event_button.click()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=5000)
    dialog = page.dialog
    starts = (datetime.now(UTC) + timedelta(days=9)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    dialog.set_starts_at(starts)
    dialog.matter_box.setCurrentIndex(dialog.matter_box.findData(data["matter"]["id"]))
    dialog.flow_box.setCurrentIndex(dialog.flow_box.findData(data["flow"]["id"]))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    new = page.model.events()[0]  # soonest first
    assert new.id != data["event"]["id"] and new.pending_reminders == 3
    qtbot.waitUntil(lambda: len(page.model.reminders(new.id) or []) == 3, timeout=5000)
    before = [r.send_at for r in page.model.reminders(new.id)]

    # Move it two days later: its reminders on screen change at once.
    page.view.setCurrentIndex(page.model.index(page.model.event_row(new.id), 0))
    page.move_event_button.click()
    qtbot.waitUntil(lambda: page.dialog is not dialog and page.dialog.isVisible(), timeout=5000)
    page.dialog.set_starts_at(starts + timedelta(days=2))
    page.dialog.save_button.click()
    qtbot.waitUntil(
        lambda: [r.send_at for r in page.model.reminders(new.id) or []] not in ([], before),
        timeout=5000,
    )

    # Cancel it (confirmed): canceled on screen, reminders too.
    page.view.setCurrentIndex(page.model.index(page.model.event_row(new.id), 0))
    page.cancel_event_button.click()
    qtbot.waitUntil(lambda: isinstance(page.dialog, QMessageBox))
    page.dialog.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(
        lambda: (
            [e.status for e in page.model.events() if e.id == new.id] == ["canceled"]
            and {r.status for r in page.model.reminders(new.id) or []} == {"canceled"}
        ),
        timeout=5000,
    )
    assert not page.cancel_event_button.isEnabled()


def test_a_court_date_without_a_matter_gets_an_attorney_and_the_agenda_filters_by_it(
    server, admin, window, qtbot
):
    from tests.conftest import make_user

    data = seed(admin)
    make_user(server, "paula")
    paula = next(
        c["id"] for c in admin.get("/api/v1/colleagues").json() if c["username"] == "paula"
    )
    admin.patch(f"/api/v1/matters/{data['matter']['id']}", json={"attorney_id": admin.user["id"]})
    views = window.views
    views.show_view("upcoming")
    page = views.upcoming_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.attorney_box.count() == 3,
                    timeout=5000)  # fmt: skip
    # The Attorney column: the matter's attorney, for a court date with none of its own.
    assert page.model.index(0, 3).data() == "alice"
    qtbot.waitUntil(lambda: page.client_box.findData(data["maria"]["id"]) > 0, timeout=5000)
    page.client_box.setCurrentIndex(page.client_box.findData(data["maria"]["id"]))
    qtbot.waitUntil(lambda: page.matter_box.count() == 2)

    # Add a hearing without a matter, for Paula.
    page.add_event_button.click()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=5000)
    dialog = page.dialog
    box = dialog.attorney_box
    assert [box.itemText(i) for i in range(box.count())] == ["No attorney", "alice", "paula"]
    # With a matter picked, the first choice says whose applies: the matter's.
    dialog.matter_box.setCurrentIndex(dialog.matter_box.findData(data["matter"]["id"]))
    assert box.itemText(0) == "The matter's: alice"
    dialog.matter_box.setCurrentIndex(0)  # (none)
    assert box.itemText(0) == "No attorney"
    starts = (datetime.now(UTC) + timedelta(days=4)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    dialog.set_starts_at(starts)
    box.setCurrentIndex(box.findData(paula))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    new = page.model.events()[0]  # soonest first
    assert (new.matter_id, new.attorney_id, new.attorney_source) == (None, paula, "event")
    assert admin.get(f"/api/v1/events/{new.id}").json()["attorney_id"] == paula
    assert page.model.index(0, 3).data() == "paula"

    # The agenda's attorney filter shows it (its own attorney), and not the matter's hearing.
    page.attorney_box.setCurrentIndex(page.attorney_box.findData(paula))
    qtbot.waitUntil(lambda: [e.id for e in page.model.events()] == [new.id], timeout=5000)
    page.attorney_box.setCurrentIndex(page.attorney_box.findData(admin.user["id"]))
    qtbot.waitUntil(lambda: [e.id for e in page.model.events()] == [data["event"]["id"]],
                    timeout=5000)  # fmt: skip

    # Editing the matter's hearing: its attorney starts at "the matter's"; giving it Paula
    # makes it hers, whatever the matter says.
    page.view.setCurrentIndex(page.model.index(0, 0))
    page.move_event_button.click()
    qtbot.waitUntil(lambda: page.dialog is not dialog and page.dialog.isVisible(), timeout=5000)
    edit = page.dialog
    assert edit.attorney_box.currentIndex() == 0
    assert edit.attorney_box.currentText() == "The matter's: alice"
    edit.attorney_box.setCurrentIndex(edit.attorney_box.findData(paula))
    edit.save_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)  # no longer alice's
    got = admin.get(f"/api/v1/events/{data['event']['id']}").json()
    assert got["attorney_id"] == paula and got["location"] == "Courtroom 4B"  # only that changed
    page.attorney_box.setCurrentIndex(page.attorney_box.findData(paula))
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)

    # And back to the matter's: the first choice clears its own.
    page.view.setCurrentIndex(page.model.index(page.model.event_row(data["event"]["id"]), 0))
    page.move_event_button.click()
    qtbot.waitUntil(lambda: page.dialog is not edit and page.dialog.isVisible(), timeout=5000)
    assert page.dialog.attorney_box.currentData() == paula
    page.dialog.attorney_box.setCurrentIndex(0)
    page.dialog.save_button.click()
    qtbot.waitUntil(lambda: [e.id for e in page.model.events()] == [new.id], timeout=5000)
    assert admin.get(f"/api/v1/events/{data['event']['id']}").json()["attorney_id"] is None
