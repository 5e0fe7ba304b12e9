"""Firm settings over real HTTP: admins read and change them, staff get 403, bad values 422."""

from __future__ import annotations

from tests.server.conftest import conversation_for

DEFAULTS = {
    "name": "Doe & Roe Law",
    "time_zone": "America/New_York",
    "quiet_start": "08:00:00",
    "quiet_end": "21:00:00",
    "default_send_delay_seconds": 0,
    "max_segments": 10,
    "help_reply": "{firm}: for help call {phone}. Reply STOP to opt out.",
    "low_balance_threshold": 50,
    "bundle_size": 1000,
    "bundle_price_cents": 2000,
    "trash_retention_days": 30,
    # The server's first firm was given the server's number (INBOX_TWILIO_FROM).
    "from_number": "+12015550100",
    "after_hours_enabled": False,
    "opening_hours": {
        **{day: {"open": "09:00:00", "close": "17:00:00"} for day in ("mon", "tue", "wed")},
        **{day: {"open": "09:00:00", "close": "17:00:00"} for day in ("thu", "fri")},
        "sat": None,
        "sun": None,
    },
    "after_hours_reply": (
        "Thanks for your text. [FirmName] is closed right now; we will reply when we open."
    ),
}


def test_admin_reads_and_changes_firm_settings_and_they_take_effect(server, admin):
    assert admin.get("/api/v1/firm/settings").json() == DEFAULTS
    change = {
        "time_zone": "America/Chicago",
        "quiet_start": "09:30",
        "quiet_end": "20:00",
        "default_send_delay_seconds": 120,
        "max_segments": 2,
        "help_reply": "{firm}: call us at {phone}.",
        "low_balance_threshold": 10,
        "bundle_size": 500,
        "bundle_price_cents": 1200,
        "trash_retention_days": 90,
        "from_number": "(201) 555-0199",
        "after_hours_enabled": True,
        # The whole week at once: days left out are closed.
        "opening_hours": {"mon": {"open": "08:30", "close": "12:00"}, "sat": None},
        "after_hours_reply": "[FirmName] is closed; we call back [%on %EventDate]",
    }

    response = admin.put("/api/v1/firm/settings", json=change)

    assert response.status_code == 200, response.text
    expected = {
        **DEFAULTS,
        **change,
        "quiet_start": "09:30:00",
        "quiet_end": "20:00:00",
        "from_number": "+12015550199",
        "opening_hours": {
            "mon": {"open": "08:30:00", "close": "12:00:00"},
            **{day: None for day in ("tue", "wed", "thu", "fri", "sat", "sun")},
        },
    }
    assert response.json() == expected
    assert admin.get("/api/v1/firm/settings").json() == expected
    # The credit settings are the same columns: the credits page sees the change.
    credits = admin.get("/api/v1/credits").json()
    assert (credits["bundle_size"], credits["bundle_price_cents"]) == (500, 1200)
    assert credits["low_balance_threshold"] == 10
    # The segment cap and the review delay apply to the next send.
    cid = conversation_for(admin)["id"]
    too_long = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "x" * 400})
    assert too_long.status_code == 422 and "limit is 2" in too_long.json()["detail"]
    delayed = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "hi"}).json()
    assert delayed["status"] == "scheduled"
    # A partial update keeps the rest; null clears the sender number back to the server's.
    partial = admin.put("/api/v1/firm/settings", json={"from_number": None, "max_segments": 3})
    assert partial.json() == {**expected, "from_number": None, "max_segments": 3}


def test_staff_get_403_for_firm_settings(server, staff):
    assert staff.get("/api/v1/firm/settings").status_code == 403
    response = staff.put("/api/v1/firm/settings", json={"max_segments": 1})
    assert response.status_code == 403


BAD = [
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"max_segments": 0}, "max_segments"),
    ({"max_segments": 11}, "max_segments"),
    ({"quiet_start": "22:00"}, "quiet_start"),
    ({"quiet_start": "09:00", "quiet_end": "09:00"}, "quiet_start"),
    ({"quiet_end": "25:00"}, "quiet_end"),
    ({"quiet_start": "08:00+02:00"}, "quiet_start"),
    ({"default_send_delay_seconds": -1}, "default_send_delay_seconds"),
    ({"help_reply": "   "}, "help_reply"),
    ({"help_reply": ""}, "help_reply"),
    ({"low_balance_threshold": -5}, "low_balance_threshold"),
    ({"bundle_size": 0}, "bundle_size"),
    ({"bundle_price_cents": -1}, "bundle_price_cents"),
    ({"trash_retention_days": 0}, "trash_retention_days"),
    ({"from_number": "12345"}, "from_number"),
    ({"from_number": "not a number"}, "from_number"),
    ({"time_zone": None}, "time_zone"),
    ({"colour": "blue"}, "colour"),
    ({"max_segments": 2, "time_zone": "Nowhere/Land"}, "time_zone"),
    ({"opening_hours": {"mon": {"open": "17:00", "close": "09:00"}}}, "opening_hours.mon"),
    ({"opening_hours": {"tue": {"open": "09:00", "close": "09:00"}}}, "opening_hours.tue"),
    ({"opening_hours": {"wed": {"open": "09:00+01:00", "close": "17:00"}}}, "opening_hours.wed"),
    ({"opening_hours": {"someday": None}}, "opening_hours"),
    ({"opening_hours": {"mon": {"open": "09:00"}}}, "opening_hours"),
    ({"opening_hours": None}, "opening_hours"),
    ({"after_hours_enabled": True, "opening_hours": {}}, "opening_hours"),
    ({"after_hours_enabled": None}, "after_hours_enabled"),
    ({"after_hours_reply": "Hi [Nickname], we are closed"}, "Unknown merge tag [Nickname]"),
    ({"after_hours_reply": "Hi [ClientFirstName, closed"}, "after_hours_reply"),
    ({"after_hours_reply": "   "}, "after_hours_reply"),
    ({"after_hours_reply": "x" * 200, "max_segments": 1}, "after_hours_reply"),
]


def test_bad_settings_are_422_naming_the_field_and_change_nothing(server, admin):
    # One server for every case: starting one per case would cost seconds each.
    for body, field in BAD:
        response = admin.put("/api/v1/firm/settings", json=body)

        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["detail"], (body, response.text)
        assert admin.get("/api/v1/firm/settings").json() == DEFAULTS, body


def test_a_sender_number_of_another_firm_is_409_and_changes_nothing(server, admin):
    from tests.conftest import login, make_user

    make_user(server, "olga", admin=True, firm="Other Firm")
    other = login(server, "olga")
    assert other.put("/api/v1/firm/settings", json={"from_number": "+12015550199"}).is_success

    response = admin.put(
        "/api/v1/firm/settings", json={"from_number": "+12015550199", "max_segments": 2}
    )

    assert response.status_code == 409
    assert "from_number" in response.json()["detail"]
    assert admin.get("/api/v1/firm/settings").json() == DEFAULTS
