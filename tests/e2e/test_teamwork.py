"""Teamwork in a shared inbox, in the real programs (issue 17): Alice inserts a quick reply with
`/` (the server fills in the client's name) and sends it; writes an internal note mentioning Bob,
whose own running app shows the notification, while the carrier never sees the note; assigns the
thread to Bob (his app is notified again), takes it herself and filters "Assigned to me"; Bob
opens the thread and sees "alice is typing…" while she writes. One walk, two app processes on
one display."""

from __future__ import annotations

from tests.e2e.conftest import start_app
from tests.e2e.driver import FIRM, wait_until

MARIA = "+12015550111"
JOSE = "+12015550122"


def _windows(display, process) -> list[str]:
    found = display.run(
        "xdotool",
        "search",
        "--all",  # the pid AND a name: without it xdotool matches either
        "--onlyvisible",
        "--pid",
        str(process.process.pid),
        "--name",
        ".",
        check=False,
    )
    return found.stdout.split()


def _own_windows(display, process, other) -> list[str]:
    """`process`'s windows but those the search also gives for `other` (a shared leader)."""
    shared = set(_windows(display, other))
    return [w for w in _windows(display, process) if w not in shared]


def _out_of_the_way(display, process, other) -> list[str]:
    """Hide (unmap) `process`'s windows, so `other`'s take the clicks (two apps, one display);
    returns them, for `_back`."""
    hidden = _own_windows(display, process, other)
    for window in hidden:
        display.xdotool("windowunmap", "--sync", window)
    return hidden


def _back(display, windows: list[str]) -> None:
    """Show windows `_out_of_the_way` hid, in front."""
    for window in windows:
        display.xdotool("windowmap", "--sync", window)
        display.xdotool("windowactivate", "--sync", window)


def _to_front(display, process, other) -> None:
    """Raise and focus `process`'s windows (two apps share the display)."""
    for window in _own_windows(display, process, other):
        display.xdotool("windowactivate", "--sync", window)


def test_quick_reply_note_with_a_mention_assignment_and_the_assigned_filter(
    app, inbox_server, fake_twilio, display, e2e_dir
):
    alice = inbox_server.api("alice")
    bob_api = inbox_server.api("bob")
    bob_id = bob_api.user["id"]
    made = alice.post(
        "/api/v1/quick-replies",
        json={
            "name": "Running late",
            "body": "Hi [ClientFirstName], we are running 10 minutes late. [FirmName]",
            "scope": "firm",
        },
    )
    assert made.status_code == 201, made.text
    client = alice.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    cid = alice.post(
        "/api/v1/conversations", json={"phone": MARIA, "client_id": client.json()["id"]}
    ).json()["id"]
    inbox_server.inbound("Are you still coming?", sender=MARIA)
    inbox_server.inbound("Hola, una pregunta", sender=JOSE)

    # Bob's desktop runs too, signed in, behind Alice's: it only has to hear of things.
    app.sign_in("alice")
    bob = start_app(display, inbox_server, e2e_dir, name="bob")
    try:
        bob.widget("signInDialog")
        _to_front(display, bob, app)
        bob.sign_in("bob")
        bob.wait_for(r"conversation list loaded")
        bobs_windows = _out_of_the_way(display, bob, app)
        app.open_row("Maria Lopez")
        app.wait_for(rf"thread loaded {cid}")

        # A quick reply: `/` at the start opens the picker, typing filters, Enter inserts.
        app.click("composeEdit")
        app.widget("composeEdit", where=lambda w: w["focus"])
        app.type("/")
        app.wait_for(r"quick reply picker shown \(1\)")
        app.widget("quickReplyFilter", where=lambda w: w["focus"])
        app.type("late")
        app.widget("quickReplyList")
        app.screenshot("teamwork-quick-reply-picker")
        app.key("Return")
        app.wait_for(r"quick reply inserted \d+")
        rendered = f"Hi Maria, we are running 10 minutes late. {FIRM}"
        app.widget("composeEdit", where=lambda w: w["text"] == rendered)
        counter = app.widget("composeCounter")["text"]
        assert f"{len(rendered)} characters" in counter, counter
        app.key("Return")
        app.wait_for(r"message sent \d+")
        [sent] = fake_twilio.wait_for(1)
        assert sent.params["Body"] == rendered

        # An internal note mentioning Bob: his app shows a notification, the carrier gets
        # nothing.
        app.click("noteToggle")
        app.widget("sendButton", where=lambda w: w["text"] == "Add note")
        app.click("composeEdit")
        # "@b" offers the colleagues whose username starts so; the name is typed on regardless.
        app.type("@b")
        app.wait_for(r"mention popup shown \(1\)")
        app.screenshot("teamwork-mention-popup")
        app.type("ob she asked twice, please call her today")
        app.key("Return")
        app.wait_for(r"note added \d+")
        bob.wait_for(rf"notification shown {cid}")
        assert [c["id"] for c in bob_api.get("/api/v1/conversations?mentions=true").json()] == [cid]

        # Assign to Bob: a system line in the thread, and Bob is told.
        app.click("assignButton")
        app.click_action(f"assignTo_{bob_id}")
        app.wait_for(rf"conversation {cid} assigned to {bob_id}")
        bob.wait_for(rf"notification shown {cid}")
        app.widget("assignButton", where=lambda w: w["text"] == "bob")
        wait_until(
            lambda: any("assigned this to bob" in r["text"] for r in app.rows("messageView")),
            what="the system line",
        )
        app.screenshot("teamwork-thread-note-and-line")

        # Alice takes it, and "Assigned to me" lists it alone.
        app.click("assignButton")
        app.click_action(f"assignTo_{alice.user['id']}")
        app.wait_for(rf"conversation {cid} assigned to {alice.user['id']}")
        app.click("assignedToggle")
        wait_until(
            lambda: (
                [r["text"] for r in app.rows()]
                and all("Maria Lopez" in r["text"] for r in app.rows())
            ),
            what="only Maria's thread listed",
        )
        app.screenshot("teamwork-assigned-filter")
        app.click("assignedToggle")
        wait_until(lambda: len(app.rows()) == 2, what="both threads again")

        # Who is replying: Bob opens Maria's thread in his app (it tells the server it has it
        # open); Alice starts writing a text in hers; Bob's thread says "alice is typing…".
        _back(display, bobs_windows)
        bob.open_row("Maria Lopez")
        bob.wait_for(rf"thread loaded {cid}")
        bob.wait_for(rf"viewing {cid} said")
        _to_front(display, app, bob)
        if app.widget("sendButton")["text"] != "Send":
            app.click("noteToggle")  # back from notes: a note is not a text being written
            app.widget("sendButton", where=lambda w: w["text"] == "Send")
        app.click("composeEdit")
        app.type("Calling you now")
        bob.widget("typingLabel", where=lambda w: w["text"] == "alice is typing…")
        _to_front(display, bob, app)
        bob.screenshot("teamwork-typing-indicator")
        # Alice thinks better of it: the draft goes, nothing is sent.
        _to_front(display, app, bob)
        app.click("composeEdit")
        app.key("ctrl+a")
        app.key("BackSpace")
        app.widget("composeEdit", where=lambda w: w["text"] == "")
        assert len(fake_twilio.requests) == 1  # the note never went out
        bodies = [
            m["body"]
            for m in alice.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()[
                "messages"
            ]
            if m["direction"] == "internal"
        ]
        assert bodies == [
            "@bob she asked twice, please call her today",
            "alice assigned this to bob",
            "alice took this conversation",
        ]
    finally:
        bob.stop()
        bob.check_log()
