"""Importing clients and hearings from a file: POST /api/v1/import, over real HTTP."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from inbox_app.domain import importing
from inbox_app.models import tables as t
from tests.import_files import BAD_LINES, CLIO_HEADERS, clio_rows

EN = "Hi [ClientFirstName], your hearing is on [EventDate] at [EventTime], [EventLocation]."


def _flow(api) -> dict:
    steps = [
        {"offset_days": -7, "send_time": "09:00", "templates": {"en": EN}},
        {"offset_days": -3, "send_time": "09:00", "templates": {"en": EN}},
        {"offset_days": 0, "offset_hours": -2, "templates": {"en": EN}},
    ]
    response = api.post("/api/v1/flows", json={"name": "Court date", "steps": steps})
    assert response.status_code == 201, response.text
    return response.json()


def _body(rows, *, flow_id=None, dry_run=False, headers=CLIO_HEADERS) -> dict:
    mapping = importing.guess_mapping(headers)
    order = sorted(mapping, key=mapping.get)
    return {
        "source": importing.guess_source(headers),
        "file_name": "clio.csv",
        "columns": order,
        "rows": [[row[mapping[name]] for name in order] for row in rows],
        "flow_id": flow_id,
        "dry_run": dry_run,
    }


def _counts(server) -> tuple[int, int, int, int]:
    with server.app.state.sessionmaker() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (t.Client, t.Contact, t.Event, t.Message)
        )


def _reminders_of(server, external_id: str) -> list[tuple]:
    with server.app.state.sessionmaker() as session:
        event = session.scalar(select(t.Event).where(t.Event.external_id == external_id))
        return list(
            session.execute(
                select(t.Message.id, t.Message.send_at, t.Message.body)
                .where(t.Message.event_id == event.id, t.Message.status == "scheduled")
                .order_by(t.Message.send_at)
            )
        )


def test_the_clio_mapping_is_guessed_from_its_headers():
    mapping = importing.guess_mapping(CLIO_HEADERS)
    assert {name: CLIO_HEADERS[index] for name, index in mapping.items()} == {
        "client_id": "Contact ID",
        "first_name": "First Name",
        "last_name": "Last Name",
        "phone": "Primary Phone Number",
        "matter_name": "Matter",
        "event_id": "Calendar Entry ID",
        "event_date": "Start Date",
        "event_time": "Start Time",
        "location": "Location",
    }
    assert importing.guess_source(CLIO_HEADERS) == "clio"
    # MyCase's calendar export: "Name" is the event's title, "Case/Lead" its case.
    mycase = ["Name", "Start Date", "Start Time", "Location", "Case/Lead", "Id"]
    assert importing.guess_mapping(mycase) == {
        "matter_name": 4,
        "event_date": 1,
        "event_time": 2,
        "location": 3,
        "event_id": 5,
    }


def test_a_dry_run_reports_bad_rows_and_changes_nothing(server, admin):
    flow = _flow(admin)
    before = _counts(server)
    response = admin.post(
        "/api/v1/import", json=_body(clio_rows(), flow_id=flow["id"], dry_run=True)
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["rows"], report["imported"], report["rejected"]) == (
        True,
        50,
        47,
        3,
    )
    assert (report["clients_created"], report["events_created"]) == (47, 47)
    rejected = {r["line"]: r["errors"] for r in report["results"] if r["client"] == "rejected"}
    assert {line: errors[0]["field"] for line, errors in rejected.items()} == BAD_LINES
    assert "not a phone number" in rejected[11][0]["message"]
    assert "unknown date format 'next Tuesday'" in rejected[21][0]["message"]
    assert "missing name" in rejected[31][0]["message"]
    assert _counts(server) == before


def _imported_events(server) -> list[dict]:
    with server.app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(t.StreamEvent.payload)
                .where(t.StreamEvent.kind == "client.imported")
                .order_by(t.StreamEvent.id)
            )
        )


def test_import_then_reimport_changed_updates_and_resyncs_moved_hearings(server, admin):
    flow = _flow(admin)
    admin.post("/api/v1/import", json=_body(clio_rows(), flow_id=flow["id"], dry_run=True))
    assert _imported_events(server) == []  # a dry run announces nothing
    first = admin.post("/api/v1/import", json=_body(clio_rows(), flow_id=flow["id"])).json()
    assert (first["imported"], first["rejected"], first["events_resynced"]) == (47, 3, 47)
    # One stream event for the whole file, so every desktop reloads its clients and agenda.
    assert _imported_events(server) == [
        {"id": 0, "client_id": None, "clients_created": 47, "clients_updated": 0,
         "events_created": 47, "events_updated": 0}
    ]  # fmt: skip
    clients, contacts, events, messages = _counts(server)
    assert (clients, contacts, events, messages) == (47, 47, 47, 47 * 3)
    moved_before = _reminders_of(server, "clio:77000")
    same_before = _reminders_of(server, "clio:77010")

    again = admin.post(
        "/api/v1/import", json=_body(clio_rows(changed=True), flow_id=flow["id"])
    ).json()
    assert (again["clients_created"], again["events_created"]) == (0, 0)
    # Five hearings moved, one courtroom changed; one client renamed.
    assert (again["events_updated"], again["clients_updated"]) == (6, 1)
    assert _counts(server) == (clients, contacts, events, messages)
    by_line = {r["line"]: r for r in again["results"]}
    assert (by_line[2]["event"], by_line[7]["event"], by_line[12]["event"]) == (
        "updated",
        "updated",
        "unchanged",
    )
    assert by_line[8]["client"] == "updated"

    moved_after = _reminders_of(server, "clio:77000")
    # Rewritten in place: the same reminders, a day later.
    assert [m.id for m in moved_after] == [m.id for m in moved_before]
    assert [
        (a.send_at - b.send_at).days for a, b in zip(moved_after, moved_before, strict=False)
    ] == [1, 1, 1]
    assert _reminders_of(server, "clio:77010") == same_before
    assert "Courtroom 12B" in _reminders_of(server, "clio:77005")[0].body
    with server.app.state.sessionmaker() as session:
        renamed = session.scalar(select(t.Client).where(t.Client.external_id == "clio:9006"))
        assert renamed.last_name == "Chen-Reyes"


def test_a_calendar_file_finds_its_clients_by_case_and_streams_progress(server, admin):
    flow = _flow(admin)
    admin.post("/api/v1/import", json=_body(clio_rows(5), flow_id=flow["id"]))
    headers = ["Name", "Start Date", "Start Time", "Location", "Case/Lead", "Id"]
    rows = [
        ["Hearing", "2027-01-05", "10:00", "Dept 3", "00001-Lopez", "m1"],
        ["Hearing", "Jan 6, 2027", "25:00", "Dept 3", "00002-Smith", "m2"],
        ["Hearing", "2027-01-07", "10:00", "Dept 3", "99999-Nobody", "m3"],
    ]
    body = _body(rows, headers=headers, flow_id=flow["id"])
    with admin.http.stream(
        "POST", "/api/v1/import", json=body, headers={"Accept": "application/x-ndjson"}
    ) as response:
        assert response.status_code == 200
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert lines[0] == {"stage": "checking", "done": 0}
    assert all("done" in line for line in lines[:-1])
    report = lines[-1]["report"]
    assert body["source"] == "mycase" and report["imported"] == 1
    errors = {r["line"]: r["errors"][0] for r in report["results"] if r["errors"]}
    assert errors[3]["field"] == "event_time" and "25:00" in errors[3]["message"]
    assert errors[4]["field"] == "client_id"


def test_bad_files_are_refused_whole_with_a_reason(server, admin):
    body = _body(clio_rows(2))
    assert (
        admin.post("/api/v1/import", json={**body, "columns": ["phone", "phone"]}).status_code
        == 422
    )
    missing_flow = admin.post("/api/v1/import", json={**body, "flow_id": 999})
    assert missing_flow.status_code == 404
    too_many = admin.post("/api/v1/import", json={**body, "rows": [["x"] * 9] * 20_001})
    assert too_many.status_code in (413, 422)
    assert _counts(server) == (0, 0, 0, 0)


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(server, admin):
    rows = clio_rows(3)
    rows.insert(1, [""] * len(CLIO_HEADERS))
    report = admin.post("/api/v1/import", json=_body(rows, dry_run=True)).json()
    assert (report["rows"], report["imported"], report["rejected"]) == (4, 3, 0)
    assert [(r["line"], r["client"]) for r in report["results"]] == [
        (2, "created"),
        (3, "none"),
        (4, "created"),
        (5, "created"),
    ]


def test_an_attorney_column_gives_court_dates_their_attorney(server, admin):
    from tests.conftest import make_user

    make_user(server, "paula")
    colleagues = {c["username"]: c["id"] for c in admin.get("/api/v1/colleagues").json()}
    admin.patch(f"/api/v1/users/{colleagues['paula']}", json={"display_name": "Paula Park"})
    admin.post("/api/v1/import", json=_body(clio_rows(3)))
    headers = ["Start Date", "Start Time", "Location", "Case/Lead", "Id", "Responsible Attorney"]
    assert importing.guess_mapping(headers)["attorney"] == 5
    rows = [
        ["2027-01-05", "10:00", "Dept 3", "00001-Lopez", "m1", "Paula Park"],
        ["2027-01-06", "10:00", "Dept 3", "00002-Smith", "m2", "ALICE"],  # by username
        ["2027-01-07", "10:00", "Dept 3", "00003-Garcia", "m3", "Nobody Here"],
        ["2027-01-08", "10:00", "Dept 3", "00001-Lopez", "m4", ""],
    ]
    report = admin.post("/api/v1/import", json=_body(rows, headers=headers)).json()
    assert (report["imported"], report["rejected"]) == (3, 1)
    [bad] = [r for r in report["results"] if r["errors"]]
    assert bad["line"] == 4 and bad["errors"][0]["field"] == "attorney"
    assert "no active user named 'Nobody Here'" in bad["errors"][0]["message"]

    def attorneys() -> dict[str, int | None]:
        with server.app.state.sessionmaker() as session:
            found = session.execute(
                select(t.Event.external_id, t.Event.attorney_id).where(
                    t.Event.external_id.like("mycase:m%")
                )
            )
            return dict(found.all())

    assert attorneys() == {
        "mycase:m1": colleagues["paula"],
        "mycase:m2": colleagues["alice"],
        "mycase:m4": None,
    }
    # Re-imported with another attorney: the court date is updated, not duplicated; an empty
    # cell leaves the attorney as it was.
    rows[0][5], rows[1][5] = "alice", ""
    again = admin.post("/api/v1/import", json=_body([rows[0], rows[1]], headers=headers)).json()
    assert (again["events_created"], again["events_updated"]) == (0, 1)
    assert attorneys() == {
        "mycase:m1": colleagues["alice"],
        "mycase:m2": colleagues["alice"],
        "mycase:m4": None,
    }
