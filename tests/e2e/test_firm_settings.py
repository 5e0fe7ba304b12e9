"""The Firm menu in the real app: an admin renames the firm and the server has it; an admin buys
credits after confirming the price and reads the usage; an admin adds
a staff user who then signs in with the one-time password; staff see no Firm menu and the
server refuses them the settings and users anyway."""

from __future__ import annotations


def test_an_admin_changes_a_firm_setting_and_the_server_has_it(app, inbox_server):
    app.sign_in("alice")
    app.click_action("menu:Firm")
    app.click_action("actionFirmSettings")
    app.widget("firmSettingsDialog")
    app.wait_for("firm settings loaded")
    app.fill("firmField_name", "Doe Roe E2E")
    app.click("firmSettingsSave")
    app.wait_for("firm settings saved: name$")
    app.widget("firmSettingsMessage", where=lambda w: w["text"].startswith("Saved."))
    app.screenshot("firm-settings")
    got = inbox_server.api("alice").get("/api/v1/firm/settings").json()
    assert got["name"] == "Doe Roe E2E"
    # Untouched fields stay as they were (the never-quiet hours to the microsecond).
    assert got["quiet_end"] == "23:59:59.999999"
    app.click("firmSettingsClose")
    app.wait_gone("firmSettingsDialog")


def test_an_admin_buys_credits_after_the_price_is_confirmed_and_reads_the_usage(
    app, inbox_server
):
    alice = inbox_server.api("alice")
    before = alice.get("/api/v1/credits").json()["balance"]
    app.click_action("menu:File")
    app.click_action("actionTopUp")
    app.widget("topUpDialog")
    app.widget("bundleSummary", where=lambda w: "messages for $" in (w["text"] or ""))
    app.click("buyButton")
    app.wait_for(r"credits: asked to buy: 1 bundle: 1,000 messages for \$20\.00\.")
    app.widget("confirmBuyButton")
    app.screenshot("credits-confirm")
    app.click("confirmBuyButton")
    app.wait_for("credits: bought 1000")
    app.widget("topUpMessage", where=lambda w: "Added" in (w["text"] or ""))
    assert alice.get("/api/v1/credits").json()["balance"] == before + 1000
    purchase = alice.get("/api/v1/credits/ledger").json()[0]
    assert (purchase["kind"], purchase["user_name"]) == ("purchase", "alice")
    app.open_row("History", view="creditsTabBar")
    app.widget("ledgerTable")
    app.open_row("Usage", view="creditsTabBar")
    app.wait_for("usage loaded: user")
    app.widget("usageChart")
    app.screenshot("credits-usage")
    app.key("Escape")
    app.wait_gone("topUpDialog")


def test_an_admin_adds_a_staff_user_who_then_signs_in(app, inbox_server):
    app.click_action("menu:Firm")
    app.click_action("actionUsers")
    app.widget("usersDialog")
    app.wait_for(r"users loaded \(2\)")
    app.click("usersAdd")
    app.widget("addUserDialog")
    app.fill("addUserName", "Carol Clerk")
    app.fill("addUserUsername", "carol")
    app.click("addUserButton")
    app.wait_for("user carol: added")
    password = app.widget("usersOneTimePassword", where=lambda w: len(w["text"]) >= 8)["text"]
    app.screenshot("users")
    app.key("Escape")
    app.wait_gone("usersDialog")
    app.sign_out()
    app.sign_in("carol", password)
    assert app.widget("userLabel")["text"] == "Carol Clerk"
    assert "menu:Firm" not in app.geometry()["actions"]


def test_staff_cannot_open_firm_settings_and_the_server_refuses_them(app, inbox_server):
    app.sign_out()
    app.sign_in("bob")
    actions = app.geometry()["actions"]
    assert "menu:File" in actions
    assert "menu:Firm" not in actions
    bob = inbox_server.api("bob")
    assert bob.get("/api/v1/firm/settings").status_code == 403
    assert bob.put("/api/v1/firm/settings", json={"name": "Bob's firm"}).status_code == 403
    assert bob.get("/api/v1/users").status_code == 403
    assert inbox_server.api("alice").get("/api/v1/firm/settings").json()["name"] == "Doe Roe E2E"
