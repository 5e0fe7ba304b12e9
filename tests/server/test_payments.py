"""Card top-ups through the real `stripe` client against a local Stripe-compatible fake."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import select

from inbox_app.models import tables as t
from inbox_app.server.services import payments
from tests.fakes.stripe import FakeStripe
from tests.server.test_credits import (
    assert_ledger_matches_balance,
    drain,
    ensure_credit,
    make_messages,
    statuses,
    stream_events,
)

CARD = {"customer_id": "cus_Doe123", "payment_method_id": "pm_card_visa"}


@pytest.fixture
def stripe_fake():
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def server(db_url, tmp_path, stripe_fake, monkeypatch):
    """The backend in stripe mode, pointed at the fake; short timeout, no silent retries."""
    from tests.harness import free_port, make_settings, serve_in_thread

    monkeypatch.setattr(payments, "STRIPE_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(payments, "STRIPE_MAX_NETWORK_RETRIES", 0)
    port = free_port()
    settings = make_settings(
        db_url,
        tmp_path,
        port,
        payment_mode="stripe",
        stripe_api_key="sk_test_x",
        stripe_api_base=stripe_fake.url,
    )
    with serve_in_thread(settings) as running:
        yield running


@pytest.fixture
def card_admin(admin):
    assert admin.put("/api/v1/credits/card", json=CARD).status_code == 200
    return admin


def top_ups(server, firm_id: int) -> list[t.TopUp]:
    with server.app.state.sessionmaker() as session, session.begin():
        return list(
            session.scalars(select(t.TopUp).where(t.TopUp.firm_id == firm_id).order_by(t.TopUp.id))
        )


def test_card_top_up_charges_the_saved_card_once_and_records_the_payment_intent(
    server, card_admin, stripe_fake
):
    response = card_admin.post("/api/v1/credits/top-up", json={"bundles": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["credits"], body["balance"]) == ("succeeded", 1000, 1100)
    [charge] = stripe_fake.charges
    assert body["reference"] == charge.id and charge.id.startswith("pi_")
    assert (charge.amount, charge.currency) == (2000, "usd")
    assert (charge.customer, charge.payment_method) == ("cus_Doe123", "pm_card_visa")
    assert charge.params["off_session"] == "true" and charge.params["confirm"] == "true"
    assert stripe_fake.requests[0].authorization == "Bearer sk_test_x"
    assert stripe_fake.requests[0].idempotency_key
    purchase = card_admin.get("/api/v1/credits/ledger").json()[0]
    assert (purchase["kind"], purchase["reference"]) == ("purchase", charge.id)
    summary = card_admin.get("/api/v1/credits").json()
    assert (summary["payment_mode"], summary["has_saved_card"]) == ("stripe", True)

    # The same idempotency key twice: the first answer, one charge.
    again = {"bundles": 2, "idempotency_key": "click-0000-0002"}
    first = card_admin.post("/api/v1/credits/top-up", json=again).json()
    second = card_admin.post("/api/v1/credits/top-up", json=again).json()
    assert second["id"] == first["id"] and second["reference"] == first["reference"]
    assert len(stripe_fake.charges) == 2
    assert card_admin.get("/api/v1/credits").json()["balance"] == 3100


def test_card_top_up_without_a_saved_card_says_how_to_add_one(server, admin, stripe_fake):
    response = admin.post("/api/v1/credits/top-up", json={"bundles": 1})
    assert response.status_code == 409
    assert "PUT /api/v1/credits/card" in response.json()["detail"]
    assert stripe_fake.requests == []
    bad = admin.put("/api/v1/credits/card", json={"customer_id": "x", "payment_method_id": "pm_1"})
    assert bad.status_code == 422


def test_an_admin_adds_a_card_on_stripes_page_then_top_ups_charge_it(
    server, admin, staff, stripe_fake
):
    from tests.conftest import login, make_user

    assert admin.get("/api/v1/credits/card").json() == {
        "payment_mode": "stripe",
        "has_card": False,
        "brand": None,
        "last4": None,
        "exp_month": None,
        "exp_year": None,
    }
    assert staff.post("/api/v1/credits/card/setup").status_code == 403
    page = admin.post("/api/v1/credits/card/setup")
    assert page.status_code == 200, page.text
    session_id, url = page.json()["session_id"], page.json()["url"]
    assert url.startswith(stripe_fake.url + "/pay/")  # the card is typed there, at Stripe
    checkout = stripe_fake.objects[session_id]
    assert checkout["mode"] == "setup" and checkout["customer"].startswith("cus_")
    assert checkout["success_url"] == server.settings.public_url + payments.SETUP_DONE_PATH
    unfinished = admin.post(f"/api/v1/credits/card/setup/{session_id}")
    assert unfinished.status_code == 409
    assert unfinished.json()["code"] == "card_setup_incomplete"

    method_id = stripe_fake.complete_setup(session_id)  # the admin types the card in the browser
    make_user(server, "zed", admin=True, firm="Zed Law")
    stranger = login(server, "zed")
    assert stranger.post(f"/api/v1/credits/card/setup/{session_id}").status_code == 404
    saved = admin.post(f"/api/v1/credits/card/setup/{session_id}")
    assert saved.status_code == 200, saved.text
    card = {"brand": "mastercard", "last4": "4444", "exp_month": 12, "exp_year": 2034}
    assert saved.json() == {"payment_mode": "stripe", "has_card": True, **card}
    assert admin.get("/api/v1/credits/card").json() == saved.json()
    assert admin.get("/api/v1/credits").json()["has_saved_card"] is True
    assert stranger.get("/api/v1/credits/card").json()["has_card"] is False

    assert admin.post("/api/v1/credits/top-up", json={"bundles": 1}).status_code == 200
    [charge] = stripe_fake.charges
    assert (charge.customer, charge.payment_method) == (checkout["customer"], method_id)

    # Replacing the card: a new page for the same customer (created once), a new card saved.
    second = admin.post("/api/v1/credits/card/setup").json()["session_id"]
    assert stripe_fake.objects[second]["customer"] == checkout["customer"]
    stripe_fake.complete_setup(second, brand="visa", last4="4242")
    assert admin.post(f"/api/v1/credits/card/setup/{second}").json()["last4"] == "4242"
    assert [r.path for r in stripe_fake.requests].count("/v1/customers") == 1
    # Our server never sent Stripe a card number: only ids went out.
    assert not any(k.startswith("card") for r in stripe_fake.requests for k in r.params)
    # The browser lands here, signed out.
    done = httpx.get(server.base_url + payments.SETUP_DONE_PATH)
    assert done.status_code == 200 and "Return to Inbox" in done.text


def test_declined_card_adds_nothing_and_says_why(server, card_admin, stripe_fake):
    firm_id = card_admin.user["firm_id"]
    stripe_fake.mode = "decline"
    response = card_admin.post("/api/v1/credits/top-up", json={"bundles": 1})
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "payment_failed"
    assert "insufficient funds" in body["detail"]
    assert body["decline_code"] == "insufficient_funds"
    assert stripe_fake.charges == []
    [top_up] = top_ups(server, firm_id)
    assert top_up.status == "failed" and "insufficient funds" in top_up.error
    summary = card_admin.get("/api/v1/credits").json()
    assert summary["balance"] == 100
    assert "insufficient funds" in summary["last_top_up_error"]
    assert [e["kind"] for e in card_admin.get("/api/v1/credits/ledger").json()] == ["grant"]
    [event] = stream_events(server, firm_id, "credits.top_up_failed")
    assert event["top_up_id"] == top_up.id


def test_processor_timeout_adds_nothing_and_a_retry_charges_once(server, card_admin, stripe_fake):
    firm_id = card_admin.user["firm_id"]
    stripe_fake.mode, stripe_fake.hang_seconds = "hang", 3.0
    body = {"bundles": 1, "idempotency_key": "click-0000-0001"}
    response = card_admin.post("/api/v1/credits/top-up", json=body)
    assert response.status_code == 503
    assert "did not answer in time" in response.json()["detail"]
    assert card_admin.get("/api/v1/credits").json()["balance"] == 100
    assert top_ups(server, firm_id)[0].status == "pending"

    stripe_fake.mode = "succeed"
    retry = card_admin.post("/api/v1/credits/top-up", json=body)
    assert retry.status_code == 200, retry.text
    assert retry.json()["balance"] == 1100
    # The hung first request also reaches the processor; the key makes it the same charge.
    assert len(stripe_fake.charges) == 1
    assert_ledger_matches_balance(server, firm_id)


def test_auto_top_up_charges_the_card_then_debits(server, card_admin, stripe_fake):
    firm_id = card_admin.user["firm_id"]
    drain(server, firm_id)
    card_admin.put("/api/v1/credits/settings", json={"auto_top_up": True})
    [message_id] = make_messages(server, firm_id, 1, status="scheduled")

    assert ensure_credit(server, firm_id, message_id) is True

    [charge] = stripe_fake.charges
    newest, purchase = card_admin.get("/api/v1/credits/ledger").json()[:2]
    assert (newest["kind"], newest["message_id"]) == ("debit", message_id)
    assert purchase["kind"] == "purchase" and purchase["note"].startswith("Auto top-up")
    assert purchase["reference"] == charge.id
    assert card_admin.get("/api/v1/credits").json()["balance"] == 999
    [top_up] = top_ups(server, firm_id)
    assert top_up.is_automatic and top_up.status == "succeeded"
    assert_ledger_matches_balance(server, firm_id)


def test_declined_auto_top_up_holds_and_tells_the_admins(server, card_admin, stripe_fake):
    firm_id = card_admin.user["firm_id"]
    drain(server, firm_id)
    card_admin.put("/api/v1/credits/settings", json={"auto_top_up": True})
    held = make_messages(server, firm_id, 2)
    [message_id] = make_messages(server, firm_id, 1, status="scheduled")
    stripe_fake.mode = "decline"

    assert ensure_credit(server, firm_id, message_id) is False
    # A second send right after does not try the dead card again.
    assert ensure_credit(server, firm_id, message_id) is False

    assert len(stripe_fake.requests) == 1 and stripe_fake.charges == []
    summary = card_admin.get("/api/v1/credits").json()
    assert summary["balance"] == 0
    assert "insufficient funds" in summary["last_top_up_error"]
    assert statuses(server, held) == ["held", "held"]
    [top_up] = top_ups(server, firm_id)
    assert top_up.status == "failed" and top_up.is_automatic
    [event] = stream_events(server, firm_id, "credits.top_up_failed")
    assert event["is_automatic"] is True and event["held_count"] == 2
    assert_ledger_matches_balance(server, firm_id)


def test_concurrent_senders_with_auto_top_up_buy_one_bundle(server, card_admin, stripe_fake):
    firm_id = card_admin.user["firm_id"]
    drain(server, firm_id)
    card_admin.put("/api/v1/credits/settings", json={"auto_top_up": True})
    ids = make_messages(server, firm_id, 8, status="scheduled")
    results: list[bool] = []
    barrier = threading.Barrier(len(ids))

    def send(message_id: int) -> None:
        barrier.wait()
        results.append(ensure_credit(server, firm_id, message_id))

    threads = [threading.Thread(target=send, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [True] * 8
    assert len(stripe_fake.charges) == 1
    assert card_admin.get("/api/v1/credits").json()["balance"] == 992
    assert_ledger_matches_balance(server, firm_id)
