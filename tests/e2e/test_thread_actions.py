"""Thread actions in the real app, driven by mouse and keyboard: leave takes the row out and does
not open (and read) the next thread; block with a kept record, find it in the Blocked view, read
it, unblock; a text moved out of the client's quiet hours says so, and the send-later dialog
shows the client's clock. One server and app serve the module's tests, in order."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.conftest import ALWAYS_OPEN
from tests.e2e.driver import wait_until

MARIA = "+12015550111"
JOSE = "+12015550122"
HARASSER = "+12015550133"
NEW_YORK = ZoneInfo("America/New_York")


def _conversation(api, phone: str) -> dict:
    return next(c for c in api.get("/api/v1/conversations").json() if c["phone"] == phone)


def _listed(app, part: str) -> bool:
    return any(part in row["text"] for row in app.rows())


def test_leave_removes_the_row_and_does_not_open_or_read_the_next(app, inbox_server):
    app.sign_in("alice")
    alice = inbox_server.api("alice")
    inbox_server.inbound("Hello from Maria", sender=MARIA)
    inbox_server.inbound("Hello from Jose", sender=JOSE)
    wait_until(lambda: _listed(app, "555-0111") and _listed(app, "555-0122"), what="two rows")
    jose = _conversation(alice, JOSE)["id"]
    assert app.open_row("555-0122")["row"] == 0  # newest first; Maria's row is next below
    app.wait_for(rf"thread loaded {jose}")

    app.click_action("menu:Conversation")
    app.click_action("actionLeave")
    app.wait_for(rf"left conversation {jose}")
    wait_until(lambda: not _listed(app, "555-0122"), what="Jose's row gone")
    app.widget("emptyThreadTitle")  # no thread opened in its place
    assert [row["text"] for row in app.rows()] == ["(201) 555-0111"]
    assert _conversation(alice, MARIA)["unread_count"] == 1  # the next one was not read
    assert alice.get(f"/api/v1/conversations/{jose}").json()["left"] is True


def test_block_with_a_kept_record_then_read_it_and_unblock_in_the_blocked_view(
    app, inbox_server
):
    alice = inbox_server.api("alice")
    inbox_server.inbound("You will regret this", sender=HARASSER)
    app.open_row("555-0133")
    cid = _conversation(alice, HARASSER)["id"]
    app.wait_for(rf"thread loaded {cid}")

    app.click_action("menu:Conversation")
    app.click_action("actionBlock")
    assert app.widget("blockButton")["text"] == "Block and delete"
    app.click("keepRecordCheck")
    app.widget("blockButton", where=lambda w: w["text"] == "Block and keep record")
    app.screenshot("block-keep-record")
    app.click("blockButton")
    app.wait_for(rf"blocked conversation {cid} \(record kept\)")
    app.widget("emptyThreadTitle")  # the next thread was not opened (nor read)
    wait_until(lambda: not _listed(app, "555-0133"), what="the blocked row gone")
    assert _listed(app, "555-0111")  # the others stay, unread
    assert _conversation(alice, MARIA)["unread_count"] == 1

    app.click_action("menu:View")
    app.click_action("actionBlockedNumbers")
    app.wait_for(r"blocked numbers loaded \(1\)")
    rows = app.rows("blockedTable")
    assert [row["text"] for row in rows] == ["(201) 555-0133"]
    app.screenshot("blocked-view")

    app.click("openRecordButton")
    app.wait_for(r"kept record loaded \d+ \(1\)")
    bubbles = app.rows("recordView")
    assert [b["text"] for b in bubbles] == ["You will regret this"]
    app.screenshot("blocked-record")
    app.click("recordCloseButton")
    app.wait_gone("blockedRecordDialog")

    app.click("unblockButton")
    app.wait_for(r"unblocked \d+")
    app.wait_for(r"blocked numbers loaded \(0\)")
    app.widget("blockedEmpty")
    assert alice.get("/api/v1/blocks").json() == []
    app.click("blockedCloseButton")
    app.wait_gone("blockedNumbersDialog")
    wait_until(lambda: _listed(app, "555-0133"), what="the unblocked thread back in the inbox")
    assert not _listed(app, "555-0122")  # the one I left stays out of my inbox
    # Neither leaving, blocking nor the dialogs closing opened (and read) Maria's thread.
    assert _conversation(alice, MARIA)["unread_count"] == 1


def _tomorrow_at(hour: int) -> datetime:
    # Tomorrow in the client's zone is always ahead, whatever the hour the test runs at.
    day = datetime.now(NEW_YORK).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, 0), NEW_YORK)


def test_a_text_moved_out_of_quiet_hours_says_so_and_send_later_shows_the_clients_clock(
    app, inbox_server
):
    alice = inbox_server.api("alice")
    window = {"quiet_start": "08:00:00", "quiet_end": "21:00:00"}
    alice.put("/api/v1/firm/settings", json=window).raise_for_status()
    try:
        maria = _conversation(alice, MARIA)["id"]
        sent = alice.post(
            f"/api/v1/conversations/{maria}/messages",
            json={"body": "Court tomorrow at 9", "send_at": _tomorrow_at(3).isoformat()},
        ).json()
        assert sent["send_at_reason"] == "quiet_hours"
        assert datetime.fromisoformat(sent["send_at"]) == _tomorrow_at(8)
        # The new text moves Maria's row to the top: click it once the list has settled.
        app.wait_for(rf"message received {sent['id']} in {maria}")
        wait_until(lambda: "555-0111" in app.rows()[0]["text"], what="Maria's row on top")
        app.skip_log()
        app.open_row("555-0111")
        app.wait_for(rf"thread loaded {maria}")
        wait_until(
            lambda: any("Court tomorrow at 9" in b["text"] for b in app.rows("messageView")),
            what="the scheduled bubble",
        )
        app.screenshot("quiet-hours")

        app.click("composeEdit")
        app.widget("composeEdit", where=lambda w: w["focus"])
        app.type("See you at the courthouse")
        app.click("sendLaterButton")
        label = app.widget("recipientTimeLabel")["text"]
        # The client's clock beside mine (or, on a computer in New York, that they agree).
        assert label.endswith(" Eastern") or label.endswith("(Eastern)."), label
        assert label.startswith(("For the client: ", "The client is in your time zone")), label
        app.screenshot("send-later-client-clock")
        app.click("sendLaterCancelButton")
        app.wait_gone("sendLaterDialog")
    finally:
        alice.put("/api/v1/firm/settings", json=ALWAYS_OPEN).raise_for_status()
