"""Flow reminders over real HTTP: generated ahead of time, resynced when a record changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from inbox_app.models import tables as t
from inbox_app.models.schemas import StreamKind
from tests.harness import ACCOUNT_SID, post_webhook
from tests.server.conftest import message_of, wait_until

NEW_YORK = ZoneInfo("America/New_York")
FIRST, SECOND, OPTED_OUT = "+12015550101", "+12015550102", "+12015550103"
EN = (
    "Hi [ClientFirstName], your hearing is on [EventDate] at [EventTime] at [EventLocation]."
    "[% Case %CaseNumber.] Reply STOP to opt out."
)
ES = (
    "Hola [ClientFirstName], su audiencia es el [EventDate] a las [EventTime] en "
    "[EventLocation].[% Caso %CaseNumber.] Responda STOP para no recibir más."
)


def _hearing(days: int = 10, hour: int = 10) -> datetime:
    day = datetime.now(NEW_YORK).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, 0), tzinfo=NEW_YORK)


def _long_date(when: datetime) -> str:
    return f"{when:%A}, {when:%B} {when.day}, {when.year}"


@pytest.fixture
def case(server, admin):
    """A client with two textable contacts, one opted out and one invalid, and a 7/3/0 flow."""
    staff = admin
    client = staff.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    client_id = client.json()["id"]
    contacts = {}
    for number in (FIRST, SECOND, OPTED_OUT, "555-12"):
        response = staff.post(f"/api/v1/clients/{client_id}/contacts", json={"phone": number})
        assert response.status_code == 201, response.text
        contacts[number] = response.json()
    assert staff.post(f"/api/v1/contacts/{contacts[OPTED_OUT]['id']}/opt-out").status_code == 200
    flow = staff.post(
        "/api/v1/flows",
        json={
            "name": "Court date",
            "steps": [
                {"offset_days": -7, "send_time": "09:00", "templates": {"en": EN, "es": ES}},
                {"offset_days": -3, "templates": {"en": EN, "es": ES}},
                {"offset_days": 0, "send_time": "08:00", "templates": {"en": EN, "es": ES}},
            ],
        },
    )
    assert flow.status_code == 201, flow.text
    starts_at = _hearing()
    event = staff.post(
        "/api/v1/events",
        json={
            "client_id": client_id,
            "starts_at": starts_at.isoformat(),
            "location": "Courtroom 4B",
            "flow_id": flow.json()["id"],
        },
    )
    assert event.status_code == 201, event.text
    return {
        "client_id": client_id,
        "contacts": contacts,
        "flow": flow.json(),
        "event_id": event.json()["id"],
        "starts_at": starts_at,
    }


def _reminders(api, event_id: int) -> list[dict]:
    response = api.get(f"/api/v1/events/{event_id}/messages")
    assert response.status_code == 200, response.text
    return response.json()


def _scheduled(api, event_id: int) -> list[dict]:
    return [m for m in _reminders(api, event_id) if m["status"] == "scheduled"]


def _send_times(messages: list[dict]) -> list[datetime]:
    return sorted({datetime.fromisoformat(m["send_at"]).astimezone(NEW_YORK) for m in messages})


def test_a_hearing_gets_reminders_that_follow_its_moves_and_the_clients_language(admin, case):
    messages = _scheduled(admin, case["event_id"])
    assert len(messages) == 6  # 3 steps x 2 contacts; the opted-out and invalid ones get none
    assert all(m["origin"] == "flow" and m["event_id"] == case["event_id"] for m in messages)
    starts_at = case["starts_at"]
    assert _send_times(messages) == [
        datetime.combine(starts_at.date() - timedelta(days=7), time(9), tzinfo=NEW_YORK),
        starts_at - timedelta(days=3),
        datetime.combine(starts_at.date(), time(8), tzinfo=NEW_YORK),
    ]
    assert messages[0]["body"] == (
        f"Hi Maria, your hearing is on {_long_date(starts_at)} at 10:00 AM at Courtroom 4B. "
        "Reply STOP to opt out."
    )
    assert len({m["conversation_id"] for m in messages}) == 2  # each in its contact's thread

    moved = _hearing(days=12, hour=14)
    response = admin.patch(
        f"/api/v1/events/{case['event_id']}", json={"starts_at": moved.isoformat()}
    )
    assert response.status_code == 200, response.text
    after_move = _scheduled(admin, case["event_id"])
    assert {m["id"] for m in after_move} == {m["id"] for m in messages}  # rewritten in place
    assert all(f"on {_long_date(moved)} at 2:00 PM" in m["body"] for m in after_move)
    assert _send_times(after_move)[1] == moved - timedelta(days=3)

    response = admin.patch(f"/api/v1/clients/{case['client_id']}", json={"language": "es"})
    assert response.status_code == 200
    spanish = _scheduled(admin, case["event_id"])
    assert len(spanish) == 6
    assert all(m["body"].startswith("Hola Maria, su audiencia es el ") for m in spanish)
    assert all(" de 20" in m["body"] and "2:00 p. m." in m["body"] for m in spanish)


def test_stop_by_text_cancels_only_that_contacts_reminders(server, admin, case):
    before = {m["id"]: m for m in _scheduled(admin, case["event_id"])}
    response = post_webhook(
        server.base_url,
        "/webhooks/twilio/messages",
        {
            "MessageSid": "SM" + "1" * 32,
            "AccountSid": ACCOUNT_SID,
            "From": FIRST,
            "To": "+12015550100",
            "Body": "STOP",
            "NumMedia": "0",
        },
    )
    assert response.status_code == 200, response.text
    messages = _reminders(admin, case["event_id"])
    canceled = [m for m in messages if m["status"] == "canceled"]
    still = [m for m in messages if m["status"] == "scheduled"]
    assert len(canceled) == 3 and len(still) == 3
    assert len({before[m["id"]]["conversation_id"] for m in canceled}) == 1
    assert all(before[m["id"]] == m for m in still)  # untouched: same ids, text and time
    history = admin.get("/api/v1/consent", params={"phone": FIRST}).json()
    assert [(h["source"], h["opted_in"]) for h in history] == [
        ("created", True),
        ("keyword", False),
    ]


def test_a_sent_reminder_survives_a_resync_and_canceling_cancels_the_rest(server, admin, case):
    first = _scheduled(admin, case["event_id"])[0]
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message)
            .where(t.Message.id == first["id"])
            .values(status="sent", carrier_sid="SM" + "2" * 32)
        )
    moved = _hearing(days=11)
    admin.patch(f"/api/v1/events/{case['event_id']}", json={"starts_at": moved.isoformat()})
    messages = _reminders(admin, case["event_id"])
    sent = next(m for m in messages if m["id"] == first["id"])
    assert sent["status"] == "sent"
    assert (sent["body"], sent["send_at"]) == (first["body"], first["send_at"])
    # That step is not made again for that contact; the other five moved.
    assert len(messages) == 6
    assert sum(_long_date(moved) in m["body"] for m in messages) == 5

    response = admin.patch(f"/api/v1/events/{case['event_id']}", json={"status": "canceled"})
    assert response.status_code == 200
    statuses = sorted(m["status"] for m in _reminders(admin, case["event_id"]))
    assert statuses == ["canceled"] * 5 + ["sent"]


def test_merge_tags_labels_past_steps_and_simulated_flows(admin, case):
    response = admin.post(
        "/api/v1/flows",
        json={"name": "Bad", "steps": [{"offset_days": -1, "templates": {"en": "Hi [Nickname]"}}]},
    )
    assert response.status_code == 422
    assert "[Nickname]" in response.json()["detail"]

    matter = admin.post(
        "/api/v1/matters", json={"client_id": case["client_id"], "name": "State v. Lopez"}
    ).json()
    admin.patch(f"/api/v1/events/{case['event_id']}", json={"matter_id": matter["id"]})
    body = _scheduled(admin, case["event_id"])[0]["body"]
    assert "Case" not in body and "Courtroom 4B. Reply STOP" in body
    admin.patch(f"/api/v1/matters/{matter['id']}", json={"case_number": "24-CR-1234"})
    body = _scheduled(admin, case["event_id"])[0]["body"]
    assert "Courtroom 4B. Case 24-CR-1234. Reply STOP" in body

    admin.patch(f"/api/v1/flows/{case['flow']['id']}", json={"simulated": True})
    soon = admin.post(
        "/api/v1/events",
        json={
            "client_id": case["client_id"],
            "starts_at": _hearing(days=5).isoformat(),
            "flow_id": case["flow"]["id"],
        },
    ).json()
    made = _scheduled(admin, soon["id"])
    assert len(made) == 4  # the 7-day step is already in the past
    assert all(m["simulated"] for m in made)
    # Reminders made before the switch keep their flag.
    assert not any(m["simulated"] for m in _scheduled(admin, case["event_id"]))


def test_contact_changes_resync_and_reminders_keep_quiet_hours(server, admin, case):
    second = case["contacts"][SECOND]["id"]
    admin.post(f"/api/v1/contacts/{second}/archive")
    assert len(_scheduled(admin, case["event_id"])) == 3
    admin.post(f"/api/v1/contacts/{second}/restore")
    assert len(_scheduled(admin, case["event_id"])) == 6
    opted_out = case["contacts"][OPTED_OUT]["id"]
    assert admin.post(f"/api/v1/contacts/{opted_out}/opt-in").json()["opted_out"] is False
    assert len(_scheduled(admin, case["event_id"])) == 9
    admin.delete(f"/api/v1/contacts/{opted_out}")
    assert len(_scheduled(admin, case["event_id"])) == 6

    with server.app.state.sessionmaker() as session:
        rows = session.scalars(
            select(t.Message).where(
                t.Message.event_id == case["event_id"], t.Message.status == "scheduled"
            )
        ).all()
        assert len(rows) == 6
        for message in rows:
            assert message.respects_quiet_hours and message.direction == "outbound"
            assert message.contact_id and message.flow_step_id
            assert message.to_number in (FIRST, SECOND)
            assert time(8) <= message.send_at.astimezone(NEW_YORK).time() < time(21)


def test_bulk_length_count_agrees_with_the_sms_rule():
    from inbox_app.domain import sms
    from inbox_app.server.services import reminders

    samples = [
        "",
        "Hi Maria",
        "x" * 160,
        "x" * 161,
        "y" * 306,
        "y" * 307,
        "Hola María, su audiencia es el miércoles" * 3,
        "á" * 70,
        "á" * 71,
        "Line one\nline two",
        "Windows\r\nline",
        "Brackets {} and ~ cost two" * 7,
        "Smart quotes ’ and emoji 🙂" * 5,
        "e\u0301 combining" * 9,
    ]
    for body in samples:
        measured = sms.measure(body)
        assert reminders.measure(body) == (measured.segments, str(measured.encoding)), body


def _thread_of(api, number: str) -> int:
    response = api.post("/api/v1/conversations", json={"phone": number})
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def test_a_day_of_reminder_never_goes_after_the_hearing(admin, case):
    """The fixed time is the court's clock, quiet hours the recipient's; never after the start."""
    los_angeles = ZoneInfo("America/Los_Angeles")
    west = admin.post(
        f"/api/v1/clients/{case['client_id']}/contacts", json={"phone": "+12135550104"}
    )
    assert west.status_code == 201, west.text
    starts_at = case["starts_at"]  # 10:00 New York time
    by_thread = defaultdict(list)
    for message in _scheduled(admin, case["event_id"]):
        by_thread[message["conversation_id"]].append(datetime.fromisoformat(message["send_at"]))
    east, west_times = (
        sorted(by_thread[_thread_of(admin, FIRST)]),
        sorted(by_thread[_thread_of(admin, "+12135550104")]),
    )
    assert east[0] == datetime.combine(starts_at.date() - timedelta(days=7), time(9), NEW_YORK)
    assert east[2] == datetime.combine(starts_at.date(), time(8), NEW_YORK)
    # Los Angeles: 9:00 ET a week before is 6:00 PT, quiet, so 8:00 PT; the day-of 8:00 ET is
    # 5:00 PT and 8:00 PT would be 11:00 ET, after the hearing: it goes the evening before.
    assert west_times[0] == datetime.combine(
        starts_at.date() - timedelta(days=7), time(8), los_angeles
    )
    assert west_times[2] == datetime.combine(
        starts_at.date() - timedelta(days=1), time(20, 30), los_angeles
    )
    assert all(when < starts_at for when in east + west_times)
    # Moved later by the client's quiet hours, a reminder says so as a one-off text does: the
    # step's own time and the reason (the thread explains it). Moved earlier to stay before the
    # hearing, or not moved, it says nothing.
    west_id = _thread_of(admin, "+12135550104")
    reasons = {
        datetime.fromisoformat(m["send_at"]): (m["send_at_reason"], m["requested_send_at"])
        for m in _scheduled(admin, case["event_id"])
        if m["conversation_id"] == west_id
    }
    week_before = starts_at.date() - timedelta(days=7)
    assert reasons[west_times[0]] == (
        "quiet_hours",
        datetime.combine(week_before, time(9), NEW_YORK)
        .astimezone(ZoneInfo("UTC"))
        .isoformat()
        .replace("+00:00", "Z"),
    )
    assert reasons[west_times[2]] == (None, None)
    assert all(
        m["send_at_reason"] is None and m["requested_send_at"] is None
        for m in _scheduled(admin, case["event_id"])
        if m["conversation_id"] != west_id
    )

    # A 7:00 hearing: the day-of step at 8:00 would be after it; it also goes the evening before.
    early = datetime.combine(starts_at.date(), time(7), NEW_YORK)
    response = admin.patch(
        f"/api/v1/events/{case['event_id']}", json={"starts_at": early.isoformat()}
    )
    assert response.status_code == 200, response.text
    times = _send_times(_scheduled(admin, case["event_id"]))
    assert all(when < early for when in times)
    evening_before = datetime.combine(early.date() - timedelta(days=1), time(20, 30), NEW_YORK)
    assert evening_before in times
    assert datetime.combine(early.date(), time(8), NEW_YORK) not in times


def test_reminders_go_out_through_the_dispatcher_using_credits_and_quiet_hours(live):
    """Flow reminders are sent like any message: a credit each, held without, quiet hours kept."""
    admin, server, fake = live.admin, live.server, live.fake
    with server.app.state.sessionmaker() as session, session.begin():
        # Any hour may send at first: this part is about credits.
        session.execute(
            update(t.Firm).values(quiet_start=time(0, 0), quiet_end=time(23, 59, 59, 999999))
        )
    client = admin.post("/api/v1/clients", json={"first_name": "Maria"}).json()
    for number in (FIRST, SECOND):
        admin.post(f"/api/v1/clients/{client['id']}/contacts", json={"phone": number})
    flow = admin.post(
        "/api/v1/flows",
        json={
            "name": "Court date",
            "steps": [
                {"offset_days": -7, "templates": {"en": EN}},
                {"offset_days": -3, "templates": {"en": EN}},
            ],
        },
    ).json()
    event = admin.post(
        "/api/v1/events",
        json={
            "client_id": client["id"],
            "starts_at": _hearing().isoformat(),
            "location": "Courtroom 4B",
            "flow_id": flow["id"],
        },
    ).json()
    scheduled = _scheduled(admin, event["id"])
    assert len(scheduled) == 4 and fake.requests == []
    first_step = sorted(
        (m for m in scheduled if m["send_at"] == min(s["send_at"] for s in scheduled)),
        key=lambda m: m["id"],
    )
    assert len(first_step) == 2  # one per contact
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.CreditBalance).values(balance=1))
        # They fall due: the dispatcher (running) picks them up.
        session.execute(
            update(t.Message)
            .where(t.Message.id.in_([m["id"] for m in first_step]))
            .values(send_at=t.utcnow() - timedelta(minutes=1))
        )

    def status_of(message: dict) -> dict:
        return message_of(admin, message["conversation_id"], message["id"])

    wait_until(lambda: status_of(first_step[1])["status"] == "held")
    sent = fake.wait_for(1)
    assert sent[0].params["To"] == FIRST and "Courtroom 4B" in sent[0].params["Body"]
    in_thread = wait_until(
        lambda: status_of(first_step[0])["carrier_sid"] and status_of(first_step[0])
    )
    assert (in_thread["origin"], in_thread["event_id"]) == ("flow", event["id"])
    assert in_thread["body"] == first_step[0]["body"]
    held = status_of(first_step[1])
    assert held["held_reason"] and held["origin"] == "flow"
    assert admin.get("/api/v1/credits").json()["balance"] == 0

    # Credits arrive: the held reminder goes out, one more credit spent.
    response = admin.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": "INV-1"})
    assert response.status_code in (200, 201), response.text
    assert fake.wait_for(2)[1].params["To"] == SECOND
    wait_until(lambda: status_of(first_step[1])["carrier_sid"])
    balance = admin.get("/api/v1/credits").json()["balance"]

    # Quiet hours are the recipient's: a reminder due now in a quiet hour waits for the window.
    hour = datetime.now(NEW_YORK).hour
    window = (time(20), time(21)) if hour < 12 else (time(6), time(7))
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(update(t.Firm).values(quiet_start=window[0], quiet_end=window[1]))
    later = next(
        m
        for m in scheduled
        if m not in first_step and m["conversation_id"] == first_step[0]["conversation_id"]
    )
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message)
            .where(t.Message.id == later["id"])
            .values(send_at=t.utcnow() - timedelta(minutes=1))
        )
    moved = wait_until(
        lambda: (
            (m := status_of(later))["send_at"] != later["send_at"]
            and datetime.fromisoformat(m["send_at"]) > datetime.now(NEW_YORK)
            and m
        )
    )
    assert moved["status"] == "scheduled"
    assert datetime.fromisoformat(moved["send_at"]).astimezone(NEW_YORK).time() == window[0]
    assert len(fake.requests) == 2
    assert admin.get("/api/v1/credits").json()["balance"] == balance


def _stream_after(server, last_id: int) -> list[tuple[str, dict]]:
    with server.app.state.sessionmaker() as session:
        rows = session.execute(
            select(t.StreamEvent.kind, t.StreamEvent.payload)
            .where(t.StreamEvent.id > last_id)
            .order_by(t.StreamEvent.id)
        ).all()
    return [(row.kind, row.payload) for row in rows]


def _last_stream_id(server) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.max(t.StreamEvent.id))) or 0


def test_a_resync_announces_each_changed_thread_once_with_reminders_changed(server, admin, case):
    threads = {_thread_of(admin, FIRST), _thread_of(admin, SECOND)}
    mark = _last_stream_id(server)
    moved = _hearing(days=11)
    admin.patch(f"/api/v1/events/{case['event_id']}", json={"starts_at": moved.isoformat()})
    kinds = [(k, p) for k, p in _stream_after(server, mark) if k.startswith(("message.", "conv"))]
    assert (
        sorted(kind for kind, _ in kinds) == ["conversation.updated"] * 2 + ["message.updated"] * 6
    )
    # The event itself is announced once, for desktops showing it.
    assert [k for k, _ in _stream_after(server, mark) if k.startswith("event.")] == [
        "event.updated"
    ]
    updated = [payload for kind, payload in kinds if kind == "conversation.updated"]
    assert {p["id"] for p in updated} == threads and all(p["reminders_changed"] for p in updated)

    for days in range(12, 20):  # 9 events: a language switch rewrites 54 reminders
        admin.post(
            "/api/v1/events",
            json={
                "client_id": case["client_id"],
                "starts_at": _hearing(days=days).isoformat(),
                "flow_id": case["flow"]["id"],
            },
        )
    mark = _last_stream_id(server)
    admin.patch(f"/api/v1/clients/{case['client_id']}", json={"language": "es"})
    events = [(k, p) for k, p in _stream_after(server, mark) if p.get("reminders_changed")]
    assert len(events) == 2 and {p["id"] for _, p in events} == threads
    assert not [k for k, _ in _stream_after(server, mark) if k.startswith("message.")]
    assert {k for k, _ in _stream_after(server, mark)} <= set(get_args(StreamKind))

    # Removed reminders are named, so a client can drop them from the open thread.
    mark = _last_stream_id(server)
    admin.post(f"/api/v1/contacts/{case['contacts'][SECOND]['id']}/archive")
    removed = [p for k, p in _stream_after(server, mark) if p.get("reminders_changed")]
    assert [p["id"] for p in removed] == [_thread_of(admin, SECOND)]
    assert len(removed[0]["removed_message_ids"]) == 27


def test_a_new_contact_gets_reminders_and_a_staff_opt_out_cancels_only_its_own(admin, case):
    new = admin.post(
        f"/api/v1/clients/{case['client_id']}/contacts", json={"phone": "+12015550105"}
    )
    assert new.status_code == 201, new.text
    messages = _scheduled(admin, case["event_id"])
    assert len(messages) == 9
    thread = _thread_of(admin, "+12015550105")
    own = [m for m in messages if m["conversation_id"] == thread]
    assert len(own) == 3 and all("Maria" in m["body"] for m in own)

    before = {m["id"]: m for m in messages}
    response = admin.post(f"/api/v1/contacts/{case['contacts'][SECOND]['id']}/opt-out")
    assert response.status_code == 200 and response.json()["opted_out"] is True
    after = _reminders(admin, case["event_id"])
    second_thread = _thread_of(admin, SECOND)
    canceled = [m for m in after if m["status"] == "canceled"]
    assert len(canceled) == 3 and {m["conversation_id"] for m in canceled} == {second_thread}
    still = [m for m in after if m["status"] == "scheduled"]
    assert len(still) == 6 and all(before[m["id"]] == m for m in still)
    history = admin.get(f"/api/v1/contacts/{case['contacts'][SECOND]['id']}/consent").json()
    assert [(h["source"], h["opted_in"]) for h in history][-1] == ("staff", False)


def test_a_failing_resync_rolls_back_the_change_that_caused_it(server, admin, case, monkeypatch):
    from inbox_app.server.errors import Invalid
    from inbox_app.server.services import reminders

    before = _reminders(admin, case["event_id"])
    event_before = admin.get(f"/api/v1/events/{case['event_id']}").json()
    mark = _last_stream_id(server)

    def broken(*_args, **_kwargs):
        # Raised after the change was flushed: the whole transaction must go.
        raise Invalid("resync failed")

    monkeypatch.setattr(reminders, "sync_events_in", broken)
    moved = _hearing(days=12)
    response = admin.patch(
        f"/api/v1/events/{case['event_id']}", json={"starts_at": moved.isoformat()}
    )
    assert response.status_code == 422 and response.json()["detail"] == "resync failed"
    response = admin.patch(f"/api/v1/clients/{case['client_id']}", json={"language": "es"})
    assert response.status_code == 422
    response = admin.post(
        f"/api/v1/clients/{case['client_id']}/contacts", json={"phone": "+12015550105"}
    )
    assert response.status_code == 422
    monkeypatch.undo()

    assert admin.get(f"/api/v1/events/{case['event_id']}").json() == event_before
    assert admin.get(f"/api/v1/clients/{case['client_id']}").json()["language"] == "en"
    phones = [
        c["phone"] for c in admin.get(f"/api/v1/clients/{case['client_id']}").json()["contacts"]
    ]
    assert "+12015550105" not in phones
    assert admin.get("/api/v1/consent", params={"phone": "+12015550105"}).json() == []
    assert _reminders(admin, case["event_id"]) == before
    assert _stream_after(server, mark) == []
