"""The firm's card in the real app, against a real `inbox-server` in Stripe mode whose `stripe`
library talks to the fake Stripe (tests/fakes/stripe.py) on 127.0.0.1.

The card page opens in "the browser": Qt runs `xdg-open URL`, which the driver makes the
stand-in browser (tests/e2e/browser.py); it loads the fake's page, where the test has decided
what the cardholder does (`page_action`), and follows Stripe's redirect back to the server.

An admin sees "no card", cancels the card page (still no card), then adds one and sees it (brand,
last 4, expiry); buys two bundles by card after the confirmation with the price (one charge of
$40.00, in the ledger and at Stripe); a declined card says so and changes nothing; and when the
free credits run out, a text sent from the app buys one bundle automatically on the card.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import ALWAYS_OPEN, USERS, _keep_log
from tests.e2e.driver import ServerProcess
from tests.e2e.test_keyboard import DarkDesktopApp
from tests.fakes.stripe import FakeStripe
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.parametrize(
    "e2e_db", ["sqlite", "postgresql"], indirect=True, scope="module"
)

NO_CARD = "No card saved yet: top-ups by card and automatic top-ups need one."
SAVED = "Visa ending in 4242 · expires 12/2034"
FREE_CREDITS = 100  # a new firm's starting messages


@pytest.fixture(scope="module")
def fake_stripe(e2e_db) -> Iterator[FakeStripe]:
    """Stripe, fresh for each database the module runs on."""
    with FakeStripe() as fake:
        yield fake


@pytest.fixture(scope="module")
def fake_twilio(e2e_db) -> Iterator[FakeTwilio]:
    """The carrier, fresh for each database too: the walk counts every text it got."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def inbox_server(e2e_db, e2e_dir, fake_twilio, fake_stripe) -> Iterator[ServerProcess]:
    """`inbox-server` in Stripe mode: alice (admin), bob, the firm's 100 free credits, no card."""
    server = ServerProcess(e2e_db, e2e_dir, fake_twilio.url)
    server.env.update(
        INBOX_PAYMENT_MODE="stripe",
        INBOX_STRIPE_API_KEY="sk_test_e2e",
        INBOX_STRIPE_API_BASE=fake_stripe.url,
    )
    server.start()
    try:
        for name, admin in USERS.items():
            server.create_user(name, admin=admin)
        server.api("alice").put("/api/v1/firm/settings", json=ALWAYS_OPEN).raise_for_status()
        yield server
    finally:
        server.stop()
        _keep_log(server.log_path, e2e_dir)


def open_card_row(app) -> None:
    app.click_action("menu:Firm")
    app.click_action("actionFirmSettings")
    app.widget("firmSettingsDialog")
    app.wait_for("firm settings loaded")
    app.open_row("Credits", view="firmSettingsPages")
    app.widget("firmCardButton", where=lambda w: w["enabled"])


def test_an_admin_sees_no_card_and_cancelling_the_card_page_keeps_it_so(
    app, inbox_server, fake_stripe
):
    app.sign_in("alice")
    open_card_row(app)
    assert app.widget("firmCard")["text"] == NO_CARD
    assert app.widget("firmCardButton")["text"] == "Add card…"
    assert app.widget("firmPaymentMode")["text"] == "Stripe: no card saved yet"

    fake_stripe.page_action = "cancel"
    app.click("firmCardButton")
    app.wait_for("card page opened")
    page = app.opened_pages(1)[-1]
    session_id = page["url"].rsplit("/", 1)[-1]
    assert page["url"] == f"{fake_stripe.url}/pay/{session_id}"
    # Stripe sent the browser back to the server's own page, which says nothing was added.
    assert page["final_url"].startswith(inbox_server.base_url + "/api/v1/credits/card/setup/done")
    assert page["status"] == 200 and "No card was added" in page["text"]
    assert fake_stripe.pages_opened == [session_id]

    app.click("firmCardDone")
    error = app.widget("firmCardError", where=lambda w: "not saved yet" in w["text"])
    assert "finish the card page in the browser" in error["text"]
    assert app.widget("firmCard")["text"] == NO_CARD
    app.screenshot("card-cancelled")
    assert inbox_server.api("alice").get("/api/v1/credits/card").json()["has_card"] is False


def test_the_admin_adds_a_card_on_stripes_page_and_done_shows_it(app, inbox_server, fake_stripe):
    fake_stripe.page_action = "complete"
    fake_stripe.page_card = ("visa", "4242")
    app.click("firmCardButton")
    app.wait_for("card page opened")
    page = app.opened_pages(2)[-1]
    assert page["url"].startswith(f"{fake_stripe.url}/pay/cs_test_")
    assert page["status"] == 200 and "Card added" in page["text"]
    app.click("firmCardDone")
    app.wait_for("card saved$")
    assert app.widget("firmCard", where=lambda w: w["text"] == SAVED)
    assert app.widget("firmCardButton")["text"] == "Replace card…"
    assert not app.is_shown("firmCardDone") and not app.is_shown("firmCardError")
    app.widget("firmSettingsMessage", where=lambda w: w["text"].startswith("Card saved"))
    app.screenshot("card-saved")
    card = inbox_server.api("alice").get("/api/v1/credits/card").json()
    assert (card["brand"], card["last4"], card["exp_month"], card["exp_year"]) == (
        "visa",
        "4242",
        12,
        2034,
    )
    assert fake_stripe.charges == []  # saving a card charges nothing
    app.click("firmSettingsClose")
    app.wait_gone("firmSettingsDialog")


def test_the_card_row_in_dark(display, inbox_server, e2e_dir):
    dark = DarkDesktopApp(display, inbox_server.base_url, e2e_dir, "dark").start()
    try:
        dark.sign_in("alice")
        open_card_row(dark)
        dark.widget("firmCard", where=lambda w: w["text"] == SAVED)
        dark.screenshot("card-saved-dark")
        dark.click("firmSettingsClose")
        dark.wait_gone("firmSettingsDialog")
    finally:
        dark.stop()
        _keep_log(dark.log_path, e2e_dir)
        dark.check_log()


def open_credits(app) -> None:
    app.click_action("menu:File")
    app.click_action("actionTopUp")
    app.widget("topUpDialog")
    app.widget("paymentNote", where=lambda w: w["text"] == "Charged to the firm's saved card.")


def buy(app, bundles: int) -> None:
    app.fill("bundlesSpin", str(bundles))
    app.click("buyButton")


def test_when_the_credits_run_out_a_text_buys_a_bundle_on_the_card(
    app, inbox_server, fake_stripe, fake_twilio
):
    alice = inbox_server.api("alice")
    assert alice.get("/api/v1/credits").json()["balance"] == FREE_CREDITS
    open_credits(app)
    # On its box, as a person clicks a check box (the widget is wider than its text).
    x, y, _w, h = app.widget("autoTopUpCheck", where=lambda w: w["enabled"])["rect"]
    app.click_at(x + 8, y + h // 2)
    app.widget("autoTopUpState", where=lambda w: (w["text"] or "").endswith(": on"))
    assert alice.get("/api/v1/credits").json()["auto_top_up"] is True
    app.key("Escape")
    app.wait_gone("topUpDialog")
    # A client writes; the firm's free messages are spent (over the API, to be quick).
    inbox_server.inbound("Can I bring my sister to court?")
    app.wait_for(r"message received \d+ in \d+")
    conversation = alice.get("/api/v1/conversations").json()[0]["id"]
    for n in range(FREE_CREDITS):
        sent = alice.post(f"/api/v1/conversations/{conversation}/messages", json={"body": f"#{n}"})
        assert sent.status_code == 201, sent.text
    assert alice.get("/api/v1/credits").json()["balance"] == 0
    assert fake_stripe.charges == []
    # The next text, typed in the app, finds no credit: one bundle is bought on the card.
    app.open_row("555-0123")
    app.wait_for(r"thread loaded \d+")
    app.click("composeEdit")
    app.widget("composeEdit", where=lambda w: w["focus"])
    app.type("Yes, she can sit with you.")
    app.click("sendButton")
    app.wait_for(r"message sent \d+")
    # Every text reached the carrier, in the order written (one client's texts keep their order).
    sent = [request.params["Body"] for request in fake_twilio.wait_for(FREE_CREDITS + 1)]
    assert sent == [f"#{n}" for n in range(FREE_CREDITS)] + ["Yes, she can sit with you."]
    [charge] = fake_stripe.charges
    assert (charge.amount, charge.currency) == (2000, "usd")
    assert charge.idempotency_key.startswith("auto-")
    assert charge.params["off_session"] == "true"
    credits = alice.get("/api/v1/credits").json()
    assert credits["balance"] == 1000 - 1
    ledger = alice.get("/api/v1/credits/ledger").json()
    purchase = next(e for e in ledger if e["kind"] == "purchase")
    assert (purchase["amount"], purchase["reference"]) == (1000, charge.id)
    assert purchase["note"].startswith("Auto top-up: ")
    app.widget("creditsButton", where=lambda w: "999" in (w["text"] or ""))
    app.screenshot("card-auto-top-up")


def test_buying_two_bundles_by_card_charges_forty_dollars_once(app, inbox_server, fake_stripe):
    alice = inbox_server.api("alice")
    before = alice.get("/api/v1/credits").json()["balance"]
    charges_before = len(fake_stripe.charges)
    open_credits(app)
    buy(app, 2)
    app.wait_for(
        r"credits: asked to buy: 2 bundles: 2,000 messages for \$40\.00\. "
        r"The firm's saved card is charged now\.$"
    )
    app.widget("confirmBuyButton")
    app.screenshot("card-confirm")
    app.click("confirmBuyButton")
    app.wait_for("credits: bought 2000")
    app.widget("topUpMessage", where=lambda w: "Added" in (w["text"] or ""))
    assert alice.get("/api/v1/credits").json()["balance"] == before + 2000
    [charge] = fake_stripe.charges[charges_before:]
    assert (charge.amount, charge.currency) == (4000, "usd")
    saved = fake_stripe.objects[charge.payment_method]["card"]  # the card saved on the page
    assert (saved["brand"], saved["last4"]) == ("visa", "4242")
    purchase = alice.get("/api/v1/credits/ledger").json()[0]
    assert (purchase["kind"], purchase["amount"], purchase["user_name"]) == (
        "purchase",
        2000,
        "alice",
    )
    assert purchase["reference"] == charge.id
    app.screenshot("card-bought")


def test_a_declined_card_says_so_and_changes_nothing(app, inbox_server, fake_stripe):
    alice = inbox_server.api("alice")
    before = alice.get("/api/v1/credits").json()["balance"]
    ledger_before = alice.get("/api/v1/credits/ledger").json()
    charges_before = len(fake_stripe.charges)
    fake_stripe.mode = "decline"
    try:
        buy(app, 1)
        app.wait_for(r"credits: asked to buy: 1 bundle: 1,000 messages for \$20\.00\.")
        app.click("confirmBuyButton")
        message = app.widget(
            "topUpMessage", where=lambda w: "declined" in (w["text"] or ""), timeout=30
        )
        assert "insufficient funds" in message["text"], message
        assert "No credits were added" in message["text"], message
        app.widget("buyButton", where=lambda w: w["enabled"] and w["text"] == "Buy")
        app.screenshot("card-declined")
    finally:
        fake_stripe.mode = "succeed"
    assert alice.get("/api/v1/credits").json()["balance"] == before
    assert alice.get("/api/v1/credits/ledger").json() == ledger_before
    assert len(fake_stripe.charges) == charges_before
    app.key("Escape")
    app.wait_gone("topUpDialog")
