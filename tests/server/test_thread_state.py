"""What a conversation row tells me over HTTP: will I be notified (the bell), did the latest text
fail, the recipient's zone; why a scheduled text was moved; who changed consent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from inbox_app.models import tables as t
from tests.conftest import login, make_user
from tests.server.conftest import CLIENT, conversation_for, inbound

NEW_YORK = ZoneInfo("America/New_York")


def _row(api, cid: int) -> dict:
    return api.get(f"/api/v1/conversations/{cid}").json()


def test_the_bell_says_whether_i_am_notified_and_follow_turns_it_on(server, admin, staff):
    inbound(server, "hello?")
    cid = admin.get("/api/v1/conversations").json()[0]["id"]
    # Nobody has texted the number yet: everyone allowed to text hears of it.
    assert _row(admin, cid)["bell"] == "following"
    assert _row(staff, cid)["bell"] == "following"

    admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Hi, this is Alice"})
    assert _row(admin, cid)["bell"] == "following"  # replying takes part
    assert _row(staff, cid)["bell"] == "not_following"

    followed = staff.post(f"/api/v1/conversations/{cid}/follow").json()
    assert followed["bell"] == "following"
    assert staff.post(f"/api/v1/conversations/{cid}/mute").json()["bell"] == "muted"
    assert staff.post(f"/api/v1/conversations/{cid}/unmute").json()["bell"] == "following"
    assert _row(admin, cid)["bell"] == "following"  # the bell is per user

    # The server notifies exactly the users whose bell says "following".
    staff.post(f"/api/v1/conversations/{cid}/mute")
    with server.app.state.sessionmaker() as session:
        from inbox_app.server.services.inbound import notify_user_ids_in

        notified = notify_user_ids_in(session, session.get(t.Conversation, cid))
    assert notified == [admin.user["id"]]


def test_leaving_says_so_on_my_row_only(server, admin, staff):
    inbound(server, "hello?")
    cid = admin.get("/api/v1/conversations").json()[0]["id"]
    assert admin.post(f"/api/v1/conversations/{cid}/leave").json()["left"] is True
    assert _row(admin, cid)["left"] is True
    assert _row(staff, cid)["left"] is False
    inbound(server, "anyone?")
    assert _row(admin, cid)["left"] is False


def test_a_failed_latest_text_flags_the_row_until_a_text_goes_out(server, admin):
    conversation = conversation_for(admin)
    cid = conversation["id"]
    assert _row(admin, cid)["has_failed"] is False
    with server.app.state.sessionmaker() as session, session.begin():
        session.add(
            t.Message(
                firm_id=admin.user["firm_id"],
                conversation_id=cid,
                direction="outbound",
                body="Your hearing moved",
                status="failed",
                to_number=CLIENT,
                error_text="Unreachable destination handset",
            )
        )
    assert _row(admin, cid)["has_failed"] is True
    assert admin.get("/api/v1/conversations").json()[0]["has_failed"] is True
    inbound(server, "what?")  # an inbound text does not clear it
    assert _row(admin, cid)["has_failed"] is True
    admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Your hearing moved"})
    assert _row(admin, cid)["has_failed"] is False


def test_the_row_carries_the_recipients_time_zone(server, admin):
    assert conversation_for(admin, "+13105550123")["time_zone"] == "America/Los_Angeles"
    assert conversation_for(admin, CLIENT)["time_zone"] == "America/New_York"


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    # Tomorrow in New York is always in the future, whatever the hour the test runs at.
    day = datetime.now(NEW_YORK).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), NEW_YORK)


def test_a_text_scheduled_in_quiet_hours_says_when_and_why_it_was_moved(server, admin):
    cid = conversation_for(admin)["id"]  # a New York number; the window is 8:00 to 21:00
    asked = _tomorrow_at(3, 0)
    sent = admin.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"body": "Court at 9", "send_at": asked.isoformat()},
    )
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["status"] == "scheduled"
    assert message["send_at_reason"] == "quiet_hours"
    assert datetime.fromisoformat(message["requested_send_at"]) == asked
    assert datetime.fromisoformat(message["send_at"]) == _tomorrow_at(8, 0)

    # Edited into the window: no longer moved, and the reason goes.
    edited = admin.patch(
        f"/api/v1/messages/{message['id']}", json={"send_at": _tomorrow_at(10).isoformat()}
    ).json()
    assert edited["send_at_reason"] is None and edited["requested_send_at"] is None
    assert datetime.fromisoformat(edited["send_at"]) == _tomorrow_at(10)
    # Edited back into quiet hours: moved again, and said so.
    late = admin.patch(
        f"/api/v1/messages/{message['id']}", json={"send_at": _tomorrow_at(22, 30).isoformat()}
    ).json()
    assert late["send_at_reason"] == "quiet_hours"
    assert datetime.fromisoformat(late["requested_send_at"]) == _tomorrow_at(22, 30)
    moved = datetime.fromisoformat(late["send_at"]).astimezone(NEW_YORK)
    assert (moved.date() - _tomorrow_at(8).date()).days == 1 and moved.time() == time(8, 0)
    page = admin.get(f"/api/v1/conversations/{cid}/messages").json()["messages"]
    assert page[-1]["send_at_reason"] == "quiet_hours"


def test_consent_history_names_the_user(server, admin):
    make_user(server, "paula")
    paula = login(server, "paula")
    with server.app.state.sessionmaker() as session, session.begin():
        session.get(t.User, paula.user["id"]).display_name = "Paula Legal"
    client = admin.post("/api/v1/clients", json={"first_name": "Maria"}).json()
    contact = admin.post(f"/api/v1/clients/{client['id']}/contacts", json={"phone": CLIENT}).json()
    assert paula.post(f"/api/v1/contacts/{contact['id']}/opt-out").status_code == 200
    inbound(server, "START")

    history = admin.get("/api/v1/consent", params={"phone": CLIENT}).json()
    by_source = {(e["source"], e["opted_in"]): e for e in history}
    assert by_source[("staff", False)]["user_name"] == "Paula Legal"
    assert by_source[("keyword", True)]["user_name"] is None
    same = admin.get(f"/api/v1/contacts/{contact['id']}/consent").json()
    assert [e["user_name"] for e in same] == [e["user_name"] for e in history]
