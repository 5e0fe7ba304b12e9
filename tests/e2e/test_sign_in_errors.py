"""The sign-in dialog keeps a refused sign-in open with its message, growing to fit it; a
desktop without a keyring is told so; a failure nobody expected is shown with its details."""

from __future__ import annotations

from tests.harness import free_port


def test_without_a_keyring_the_dialog_says_the_session_will_not_be_remembered(app):
    note = app.widget("signInKeyringNote")
    assert "sign in again next time" in note["text"]
    assert not app.is_shown("signInError")


def test_a_wrong_password_keeps_the_dialog_open_with_the_message(app):
    app.fill("usernameEdit", "alice")
    app._password("not the password")
    app.key("Return")
    app.wait_for("sign-in refused: Wrong username or password.")
    error = app.widget("signInError")
    assert error["text"] == "Wrong username or password."
    assert app.is_shown("signInDialog") and app.returncode is None


def test_an_unreachable_server_keeps_the_dialog_open_and_it_grows_to_fit(app):
    before = app.widget("signInDialog")["rect"]
    app.fill("serverEdit", f"http://127.0.0.1:{free_port()}")
    app._password("whatever it is")
    app.key("Return")
    app.wait_for(r"sign-in refused: .*cannot be reached")
    error = app.widget("signInError")
    dialog = app.widget("signInDialog", where=lambda w: w["rect"][3] >= before[3])
    assert "Check the address" in error["text"]
    _x, y, _w, h = error["rect"]
    assert y + h <= dialog["rect"][1] + dialog["rect"][3]  # all of it inside the dialog
    buttons = app.widget("signInButton")["rect"]
    assert y + h <= buttons[1]  # above the buttons, not under them
    app.screenshot("sign-in-with-a-long-error")
    assert app.returncode is None


def test_then_the_right_server_and_password_sign_in(app, inbox_server):
    app.fill("serverEdit", inbox_server.base_url)
    app.sign_in("alice")


def test_an_unexpected_failure_in_an_action_is_shown_with_details(app, inbox_server):
    inbox_server.inbound("Can we talk tomorrow?")
    app.open_row("555-0123")
    app.wait_for(r"thread loaded \d+")
    app.fail("action")
    app.expect_error("failure injected by the end-to-end test")
    app.click("markUnreadButton")
    app.wait_for("failure shown: Something went wrong")
    bar = app.widget("failureBar")
    assert bar is not None
    app.click("failureDetailsButton")
    details = app.widget("failureDetails")
    assert "RuntimeError: failure injected by the end-to-end test" in details["text"]
    app.screenshot("failure-with-details")
    app.click("failureCloseButton")
    app.wait_gone("failureBar")
    assert app.returncode is None


def test_file_quit_ends_the_app_with_exit_code_zero(app):
    app.click_action("menu:File")
    app.click_action("actionQuit")
    app.wait_for("main window closed")
    app.wait_for("^INFO inbox.ui quit$")
    assert app.wait_exit() == 0
