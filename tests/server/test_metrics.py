"""/metrics over real HTTP: off by default, behind its token, counts that match what was sent."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import login, make_user
from tests.harness import free_port, make_settings, serve_in_thread
from tests.server.conftest import conversation_for, inbound, status, wait_until

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def metered(db_url, tmp_path):
    settings = make_settings(db_url, tmp_path, free_port(), metrics_token=TOKEN)
    with serve_in_thread(settings) as running:
        yield running


def scrape(server) -> dict[tuple[str, tuple], float]:
    response = httpx.get(
        f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_off_without_a_token(server):
    response = httpx.get(f"{server.base_url}/metrics", timeout=10)
    assert response.status_code == 404
    assert "INBOX_METRICS_TOKEN" in response.json()["detail"]


def test_metrics_need_the_token(metered):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN[:-1]}):
        response = httpx.get(f"{metered.base_url}/metrics", headers=headers, timeout=10)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "not_authenticated"


def test_scraped_counts_match_the_webhooks_sent_and_the_texts_stored(metered):
    make_user(metered, "alice", admin=True)
    admin = login(metered, "alice")
    before = scrape(metered)
    sent = 25
    for index in range(sent):
        assert (
            inbound(metered, f"hello {index}", sender=f"+1201555{1000 + index:04d}").status_code
            == 200
        )
    bad = httpx.post(
        f"{metered.base_url}/webhooks/twilio/messages",
        data={"MessageSid": "SMx", "From": "+12015550123", "To": "+12015550100"},
        headers={"X-Twilio-Signature": "forged"},
        timeout=10,
    )
    assert bad.status_code == 403
    assert status(metered, "SM" + "0" * 32, "delivered").status_code == 200

    conversation = conversation_for(admin, "+12015551000")
    reply = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Got it"}
    )
    assert reply.status_code == 201
    wait_until(
        lambda: (
            scrape(metered).get(
                ("inbox_messages", (("direction", "outbound"), ("status", "delivered")))
            )
            == 1
        )
    )

    after = scrape(metered)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("inbox_webhooks_received_total", kind="messages", status="200") == sent
    assert grew("inbox_webhooks_received_total", kind="messages", status="403") == 1
    assert grew("inbox_webhooks_received_total", kind="status", status="200") >= 1
    assert after[("inbox_messages", (("direction", "inbound"), ("status", "received")))] == sent
    assert after[("inbox_queue_depth", ())] == 0
    assert after[("inbox_queue_oldest_due_seconds", ())] == 0
    firm_id = str(admin.user["firm_id"])
    assert after[("inbox_credits_balance", (("firm", "Doe & Roe Law"), ("firm_id", firm_id)))] == 99
    assert after[("inbox_stream_clients", ())] == 0
    latency = (
        "inbox_http_request_duration_seconds_count",
        (("method", "POST"), ("route", "/webhooks/twilio/messages"), ("status", "200")),
    )
    assert grew(*latency[:1], **dict(latency[1])) == sent


def test_the_queue_shows_due_texts_and_how_long_the_oldest_waited(db_url, tmp_path):
    settings = make_settings(
        db_url, tmp_path, free_port(), metrics_token=TOKEN, dispatcher_enabled=False
    )
    with serve_in_thread(settings) as running:
        make_user(running, "alice", admin=True)
        admin = login(running, "alice")
        conversation = conversation_for(admin)
        for body in ("one", "two", "three"):
            response = admin.post(
                f"/api/v1/conversations/{conversation['id']}/messages", json={"body": body}
            )
            assert response.status_code == 201
        with httpx.stream(
            "GET",
            f"{running.base_url}/api/v1/stream",
            headers={"Authorization": f"Bearer {admin.token}"},
            timeout=10,
        ):
            wait_until(lambda: scrape(running)[("inbox_stream_clients", ())] == 1)
            samples = scrape(running)
        assert samples[("inbox_queue_depth", ())] == 3
        assert samples[("inbox_queue_oldest_due_seconds", ())] >= 0
        assert samples[("inbox_messages", (("direction", "outbound"), ("status", "queued")))] == 3


def test_carrier_errors_are_counted_by_code(db_url, tmp_path):
    from tests.fakes.twilio import FakeTwilio

    with FakeTwilio() as fake:
        settings = make_settings(
            db_url,
            tmp_path,
            free_port(),
            metrics_token=TOKEN,
            send_mode="live",
            twilio_api_base=fake.url,
        )
        with serve_in_thread(settings) as running:
            make_user(running, "alice", admin=True)
            admin = login(running, "alice")
            fake.fail_next("invalid_to")
            conversation = conversation_for(admin)
            response = admin.post(
                f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi"}
            )
            assert response.status_code == 201
            wait_until(lambda: scrape(running).get(("inbox_carrier_errors", (("code", "21211"),))))
            assert scrape(running)[("inbox_carrier_errors", (("code", "21211"),))] == 1


def test_healthz_checks_the_database(server):
    response = httpx.get(f"{server.base_url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    server.app.state.engine.dispose()
    original = server.app.state.engine.raw_connection

    def broken():
        raise OSError("database gone")

    server.app.state.engine.raw_connection = broken
    try:
        down = httpx.get(f"{server.base_url}/healthz", timeout=10)
    finally:
        server.app.state.engine.raw_connection = original
    assert down.status_code == 503
    assert down.json() == {
        "status": "unavailable",
        "version": down.json()["version"],
        "database": "unreachable",
    }
