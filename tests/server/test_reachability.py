"""Numbers that can't take texts, and the smaller rules of issue 13 (item 17), over real HTTP:
contacts are checked like compose, the carrier's "cannot receive" errors mark the number and its
opt-out error records consent; HELP names the firm's number, a time zone change resyncs
reminders, only admins change flows, and a retried MMS goes out with its images again."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from inbox_app.models import tables as t
from tests.server.conftest import CLIENT, conversation_for, inbound, message_of, status, wait_until
from tests.server.fixtures_media import jpeg, png

TOLL_FREE = "+18005550199"
MOBILE = "+12015550101"
OTHER = "+12015550102"
NEW_YORK = ZoneInfo("America/New_York")
TEMPLATE = "Hi [ClientFirstName], your hearing is at [EventTime]. Reply STOP to opt out."


def _client_with(api, *numbers: str) -> tuple[int, dict[str, dict]]:
    client_id = api.post("/api/v1/clients", json={"first_name": "Maria"}).json()["id"]
    contacts = {}
    for number in numbers:
        response = api.post(f"/api/v1/clients/{client_id}/contacts", json={"phone": number})
        assert response.status_code == 201, response.text
        contacts[number] = response.json()
    return client_id, contacts


def _event_with_flow(admin, client_id: int, days: int = 10) -> int:
    flow = admin.post(
        "/api/v1/flows",
        json={
            "name": "Court date",
            "steps": [{"offset_days": -3, "send_time": "09:00", "templates": {"en": TEMPLATE}}],
        },
    )
    assert flow.status_code == 201, flow.text
    day = datetime.now(NEW_YORK).date() + timedelta(days=days)
    starts_at = datetime.combine(day, time(10, 0), tzinfo=NEW_YORK)
    event = admin.post(
        "/api/v1/events",
        json={
            "client_id": client_id,
            "starts_at": starts_at.isoformat(),
            "flow_id": flow.json()["id"],
        },
    )
    assert event.status_code == 201, event.text
    return event.json()["id"]


def _reminder_numbers(server, event_id: int) -> list[str]:
    with server.app.state.sessionmaker() as session:
        return sorted(
            session.scalars(
                select(t.Message.to_number).where(
                    t.Message.event_id == event_id, t.Message.status == "scheduled"
                )
            )
        )


def test_a_toll_free_or_landline_contact_is_badged_and_gets_no_reminders(server, admin):
    landline = "+442079460958"
    client_id, contacts = _client_with(admin, TOLL_FREE, landline, MOBILE)

    assert contacts[TOLL_FREE]["can_receive_texts"] is False
    assert contacts[landline]["can_receive_texts"] is False
    assert contacts[MOBILE]["can_receive_texts"] is True
    listed = admin.get(f"/api/v1/contacts/{contacts[TOLL_FREE]['id']}").json()
    assert listed["can_receive_texts"] is False
    # Compose refuses the same number: one rule.
    composed = admin.post("/api/v1/conversations", json={"phone": TOLL_FREE})
    assert composed.status_code == 422 and "cannot receive texts" in composed.json()["detail"]

    event_id = _event_with_flow(admin, client_id)
    assert _reminder_numbers(server, event_id) == [MOBILE]


def test_carrier_errors_mark_a_number_unable_and_21610_records_a_carrier_opt_out(live):
    # Live mode against the fake carrier: no simulator reports the texts delivered first.
    server, admin = live.server, live.admin
    client_id, contacts = _client_with(admin, MOBILE, OTHER)
    event_id = _event_with_flow(admin, client_id)
    assert _reminder_numbers(server, event_id) == [MOBILE, OTHER]

    def failed_text_to(number: str, code: str) -> None:
        cid = conversation_for(admin, number)["id"]
        sent = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "hi"}).json()
        message = wait_until(
            lambda: (
                message_of(admin, cid, sent["id"]).get("carrier_sid")
                and message_of(admin, cid, sent["id"])
            )
        )
        answer = status(server, message["carrier_sid"], "undelivered", ErrorCode=code)
        assert answer.status_code == 200
        wait_until(lambda: message_of(admin, cid, sent["id"])["status"] == "undelivered")

    failed_text_to(MOBILE, "30006")
    contact = admin.get(f"/api/v1/contacts/{contacts[MOBILE]['id']}").json()
    assert contact["can_receive_texts"] is False
    assert _reminder_numbers(server, event_id) == [OTHER]

    failed_text_to(OTHER, "21610")
    contact = admin.get(f"/api/v1/contacts/{contacts[OTHER]['id']}").json()
    assert contact["opted_out"] is True and contact["can_receive_texts"] is True
    history = admin.get(f"/api/v1/contacts/{contacts[OTHER]['id']}/consent").json()
    assert [(h["opted_in"], h["source"]) for h in history if h["source"] == "carrier"] == [
        (False, "carrier")
    ]
    assert _reminder_numbers(server, event_id) == []


def test_a_refusal_at_hand_off_marks_the_number_and_a_retried_mms_resends_its_images(live):
    admin = live.admin
    _client_id, contacts = _client_with(admin, MOBILE)
    live.fake.fail_next("invalid_to")
    cid = conversation_for(admin, MOBILE)["id"]
    refused = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "hi"}).json()
    wait_until(lambda: message_of(admin, cid, refused["id"])["status"] == "failed")
    contact = admin.get(f"/api/v1/contacts/{contacts[MOBILE]['id']}").json()
    assert contact["can_receive_texts"] is False

    other = conversation_for(admin, CLIENT)["id"]
    mms = admin.post(
        f"/api/v1/conversations/{other}/messages",
        data={"body": "Two photos"},
        files=[
            ("images", ("a.png", png(), "image/png")),
            ("images", ("b.jpg", jpeg(), "image/jpeg")),
        ],
    )
    assert mms.status_code == 201, mms.text
    first = wait_until(lambda: message_of(admin, other, mms.json()["id"]).get("carrier_sid"))
    status(live.server, first, "failed", ErrorCode="30008")
    wait_until(lambda: message_of(admin, other, mms.json()["id"])["status"] == "failed")

    retried = admin.post(f"/api/v1/messages/{mms.json()['id']}/retry")
    assert retried.status_code == 201, retried.text
    again = retried.json()
    assert again["id"] != mms.json()["id"] and again["body"] == "Two photos"
    assert [m["sha256"] for m in again["media"]] == [m["sha256"] for m in mms.json()["media"]]
    requests = live.fake.wait_for(3)
    assert len(requests[-1].media_urls) == 2
    for url in requests[-1].media_urls:
        assert httpx.get(url).status_code == 200
    # The same retry asked twice (a lost answer) is one new message.
    assert admin.post(f"/api/v1/messages/{mms.json()['id']}/retry").json()["id"] == again["id"]
    # Only a failed outbound text can be retried.
    assert admin.post(f"/api/v1/messages/{again['id']}/retry").status_code == 409


def test_help_names_the_firms_number_and_a_time_zone_change_resyncs_reminders(server, admin, staff):
    reply = inbound(server, "HELP")
    assert "(201) 555-0100" in reply.text, reply.text

    client_id, _ = _client_with(admin, MOBILE)
    event_id = _event_with_flow(admin, client_id)

    def bodies() -> list[str]:
        with server.app.state.sessionmaker() as session:
            return list(
                session.scalars(
                    select(t.Message.body).where(
                        t.Message.event_id == event_id, t.Message.status == "scheduled"
                    )
                )
            )

    assert all("10:00" in body for body in bodies()), bodies()
    changed = admin.put("/api/v1/firm/settings", json={"time_zone": "America/Chicago"})
    assert changed.status_code == 200
    assert all("9:00" in body and "10:00" not in body for body in bodies()), bodies()


def test_only_admins_change_flows(server, admin, staff):
    body = {"name": "Court", "steps": [{"offset_days": -1, "templates": {"en": "Hi"}}]}
    assert staff.post("/api/v1/flows", json=body).status_code == 403
    flow = admin.post("/api/v1/flows", json=body)
    assert flow.status_code == 201
    flow_id = flow.json()["id"]
    assert staff.get(f"/api/v1/flows/{flow_id}").status_code == 200
    assert staff.get("/api/v1/flows").status_code == 200
    patch = {"steps": [{"offset_days": -2, "templates": {"en": "Changed"}}]}
    assert staff.patch(f"/api/v1/flows/{flow_id}", json=patch).status_code == 403
    assert staff.delete(f"/api/v1/flows/{flow_id}").status_code == 403
    assert admin.get(f"/api/v1/flows/{flow_id}").json()["steps"][0]["templates"]["en"] == "Hi"
