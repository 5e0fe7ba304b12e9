"""Carrier adapters: the real Twilio client against a local fake, the simulator, and live mode
end to end (request fields, error answers, retries, refunds)."""

from __future__ import annotations

import threading
import time

import pytest

from inbox_app.server import dispatcher
from inbox_app.server.carrier.base import NO_ANSWER
from inbox_app.server.carrier.live import LiveCarrier
from inbox_app.server.carrier.simulate import SimulateCarrier
from inbox_app.server.errors import CarrierError
from tests.fakes.twilio import FakeTwilio
from tests.harness import ACCOUNT_SID, AUTH_TOKEN, free_port
from tests.server.conftest import CLIENT, conversation_for, message_of, status, wait_until


@pytest.fixture
def fake():
    with FakeTwilio() as running:
        yield running


def test_live_carrier_posts_what_twilio_expects(fake):
    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, fake.url)
    receipt = carrier.send(
        CLIENT,
        "+12015550100",
        "Hearing moved to 10am",
        ["https://inbox.example/media/public/1/abc"],
        "https://inbox.example/webhooks/twilio/status",
    )
    [request] = fake.sent
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.account_sid == ACCOUNT_SID
    assert request.params["To"] == CLIENT
    assert request.params["From"] == "+12015550100"
    assert request.params["Body"] == "Hearing moved to 10am"
    assert request.params["StatusCallback"] == "https://inbox.example/webhooks/twilio/status"
    assert request.media_urls == ["https://inbox.example/media/public/1/abc"]
    assert receipt.sid.startswith("SM") and receipt.status == "queued"
    carrier.close()


@pytest.mark.parametrize(
    ("kind", "code", "retryable", "words"),
    [
        ("unsubscribed", "21610", False, "unsubscribed recipient"),
        ("invalid_to", "21211", False, "Invalid 'To' Phone Number"),
        ("rate_limited", "20429", True, "Too Many Requests"),
        ("server_error", "20500", True, "Internal Server Error"),
    ],
)
def test_live_carrier_turns_twilio_errors_into_carrier_errors(fake, kind, code, retryable, words):
    fake.fail_next(kind)
    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, fake.url)
    with pytest.raises(CarrierError) as caught:
        carrier.send(CLIENT, "+12015550100", "hi", [], None)
    assert caught.value.carrier_code == code
    assert caught.value.retryable is retryable
    assert words in caught.value.message


def test_unreachable_carrier_is_a_retryable_error():
    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(CarrierError) as caught:
        carrier.send(CLIENT, "+12015550100", "hi", [], None)
    # Nothing was sent: trying again cannot text the client twice.
    assert caught.value.retryable is True
    assert caught.value.carrier_code == "unreachable"


def test_carrier_that_took_the_request_but_never_answered_is_not_retryable(fake):
    fake.stall_next(1.5)
    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, fake.url, timeout=0.3)
    with pytest.raises(CarrierError) as caught:
        carrier.send(CLIENT, "+12015550100", "hi", [], None)
    carrier.close()
    # The request arrived: Twilio may have queued the text, so no automatic resend.
    assert len(fake.requests) == 1
    assert caught.value.retryable is False
    assert caught.value.carrier_code == NO_ANSWER
    assert "may have been sent" in caught.value.message


def _dispatch_until_settled(server, message_id: int) -> dict:
    from inbox_app.models import tables as t

    dispatcher.dispatch_once(server.app.state)
    with server.app.state.sessionmaker() as session:
        message = session.get(t.Message, message_id)
        return {
            "status": message.status,
            "error_code": message.error_code,
            "error": message.error_text,
            "next_attempt_at": message.next_attempt_at,
            "is_debited": message.is_debited,
        }


def test_connect_error_is_retried_later_and_the_credit_stays_taken(db_url, tmp_path):
    from tests.conftest import login, make_user
    from tests.harness import make_settings, serve_in_thread

    settings = make_settings(
        db_url,
        tmp_path,
        free_port(),
        send_mode="live",
        twilio_api_base=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        dispatcher_enabled=False,
    )
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        conversation = conversation_for(admin)
        sent = admin.post(
            f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Court at 9"}
        ).json()

        settled = _dispatch_until_settled(server, sent["id"])

        assert settled["status"] == "queued" and settled["error_code"] == "unreachable"
        assert settled["next_attempt_at"] is not None and settled["is_debited"] is True


def test_simulator_reports_sent_then_an_outcome_through_the_status_sink():
    seen: list[tuple[str, str, str | None]] = []
    done = threading.Event()

    def sink(sid, status_, code, _text):
        seen.append((sid, status_, code))
        if len(seen) == 4:
            done.set()
        return True

    good = SimulateCarrier(sink, delay=0.01, failure_rate=0.0)
    bad = SimulateCarrier(sink, delay=0.01, failure_rate=1.0)
    ok_sid = good.send(CLIENT, "+12015550100", "hi", [], None).sid
    bad_sid = bad.send(CLIENT, "+12015550100", "hi", [], None).sid
    assert done.wait(5)
    good.close()
    bad.close()
    assert [s for sid, s, _ in seen if sid == ok_sid] == ["sent", "delivered"]
    outcome = [(s, code) for sid, s, code in seen if sid == bad_sid]
    assert outcome[0] == ("sent", None)
    assert outcome[1][0] in ("failed", "undelivered") and outcome[1][1].startswith("300")


def test_live_mode_sends_through_twilio_and_follows_its_callbacks(live):
    conversation = conversation_for(live.admin)
    sent = live.admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "See you at 9"}
    ).json()

    [request] = live.fake.wait_for(1)
    assert request.params == {
        "To": CLIENT,
        "From": "+12015550100",
        "Body": "See you at 9",
        "StatusCallback": f"{live.server.settings.public_url}/webhooks/twilio/status",
    }
    handed = wait_until(
        lambda: (m := message_of(live.admin, conversation["id"], sent["id"]))["carrier_sid"] and m
    )
    assert handed["status"] == "sending" and handed["simulated"] is False
    status(live.server, handed["carrier_sid"], "delivered")
    status(live.server, handed["carrier_sid"], "sent")
    assert message_of(live.admin, conversation["id"], sent["id"])["status"] == "delivered"

    # A send-now message reaches the carrier at once (the dispatcher wakes on the commit).
    started = time.monotonic()
    live.admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "now"})
    [_, quick] = live.fake.wait_for(2)
    assert quick.params["Body"] == "now"
    assert quick.received_at - started < 0.5


def test_refusals_fail_with_a_refund_and_temporary_errors_are_retried(live, monkeypatch):
    monkeypatch.setattr(dispatcher, "RETRY_BASE_SECONDS", 0.05)
    conversation = conversation_for(live.admin)
    before = live.admin.get("/api/v1/credits").json()["balance"]
    live.fake.fail_next("unsubscribed")

    sent = live.admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hello?"}
    ).json()

    failed = wait_until(
        lambda: (
            (m := message_of(live.admin, conversation["id"], sent["id"]))["status"] == "failed"
            and m
        )
    )
    assert failed["error_code"] == "21610"
    assert "unsubscribed recipient" in failed["error"]
    assert failed["carrier_sid"] is None
    assert live.admin.get("/api/v1/credits").json()["balance"] == before
    assert len(live.fake.requests) == 1

    # The carrier's 21610 is the recipient's STOP: the number is opted out (source: carrier).
    again = live.admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hello?"}
    )
    assert again.status_code == 409 and again.json()["code"] == "opted_out"

    # Rate limits and server errors are retried until the carrier takes the message.
    live.fake.fail_next("rate_limited")
    live.fake.fail_next("server_error")
    conversation = conversation_for(live.admin, "+12015550124")

    sent = live.admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Retry me"}
    ).json()

    live.fake.wait_for(4)
    handed = wait_until(
        lambda: (m := message_of(live.admin, conversation["id"], sent["id"]))["carrier_sid"] and m
    )
    assert [r.answered for r in live.fake.requests] == [400, 429, 500, 201]
    assert handed["status"] == "sending"
    assert handed["error"] is None
