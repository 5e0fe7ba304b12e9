"""Fixtures for messaging tests: signed carrier webhooks, waiting, and a live-mode server."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest

from tests.conftest import Api, login, make_user
from tests.harness import free_port, make_settings, post_webhook, serve_in_thread

CLIENT = "+12015550123"


def wait_until(condition, timeout: float = 10.0, interval: float = 0.02):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value: {last!r})")


def inbound(server, body: str = "Hello", sender: str = CLIENT, **extra: str):
    """Post a signed inbound-text webhook as Twilio would; returns the HTTP response."""
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "a" * 32,
        "From": sender,
        "To": "+12015550100",
        "Body": body,
        "NumMedia": "0",
    }
    params.update(extra)
    return post_webhook(server.base_url, "/webhooks/twilio/messages", params)


def status(server, sid: str, value: str, **extra: str):
    params = {"MessageSid": sid, "MessageStatus": value, "AccountSid": "AC" + "a" * 32}
    params.update(extra)
    return post_webhook(server.base_url, "/webhooks/twilio/status", params)


def message_of(api: Api, conversation_id: int, message_id: int) -> dict:
    page = api.get(f"/api/v1/conversations/{conversation_id}/messages").json()
    return next(m for m in page["messages"] if m["id"] == message_id)


def conversation_for(api: Api, phone: str = CLIENT) -> dict:
    response = api.post("/api/v1/conversations", json={"phone": phone})
    assert response.status_code in (200, 201), response.text
    return response.json()


@dataclass
class Live:
    server: object
    fake: object
    admin: Api


@pytest.fixture
def live(db_url, tmp_path):
    """A server in live mode whose Twilio API base is a local fake (dispatcher running)."""
    from tests.fakes.twilio import FakeTwilio

    with FakeTwilio() as fake:
        settings = make_settings(
            db_url, tmp_path, free_port(), send_mode="live", twilio_api_base=fake.url
        )
        with serve_in_thread(settings) as running:
            make_user(running, "alice", admin=True)
            yield Live(running, fake, login(running, "alice"))
