"""A person's first minutes, on SQLite and PostgreSQL: sign in through the dialog, a client's
text arrives, the reply typed in reaches the carrier, then someone else signs in."""

from __future__ import annotations

import pytest

from tests.e2e.driver import CLIENT

pytestmark = pytest.mark.parametrize(
    "e2e_db", ["sqlite", "postgresql"], indirect=True, scope="module"
)


def test_signing_in_through_the_dialog_shows_the_main_window(app):
    app.sign_in("alice")
    app.wait_for(r"conversation list loaded \(0\)")
    assert app.returncode is None
    assert app.widget("userLabel")["text"] == "alice"


def test_a_signed_inbound_text_appears_in_the_list(app, inbox_server):
    inbox_server.inbound("Hello, is my hearing still on Monday?")
    app.wait_for(r"message received \d+ in \d+")
    row = app.open_row("555-0123")
    assert row["row"] == 0
    app.wait_for(r"thread loaded \d+")
    bubbles = app.rows("messageView")
    assert any("hearing still on Monday" in b["text"] for b in bubbles), bubbles


def test_a_typed_reply_reaches_the_carrier(app, fake_twilio):
    app.click("composeEdit")
    app.widget("composeEdit", where=lambda w: w["focus"])
    app.type("Yes, Monday at 9. Bring your ID.")
    app.click("sendButton")
    app.wait_for(r"message sent \d+")
    request = fake_twilio.wait_for(1)[-1]
    assert request.params["Body"] == "Yes, Monday at 9. Bring your ID."
    assert request.params["To"] == CLIENT
    app.screenshot(f"reply-sent-{app.server_url.rsplit(':', 1)[-1]}")


def test_signing_out_and_in_as_someone_else_shows_their_window(app):
    app.sign_out()
    assert app.returncode is None
    app.sign_in("bob")
    assert app.widget("userLabel")["text"] == "bob"
    assert app.returncode is None
