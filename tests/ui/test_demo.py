"""`inbox-app --demo`'s private backend keeps playing the carrier now and then."""

from __future__ import annotations

import httpx
import pytest

from inbox_app.server import demo


@pytest.fixture
def fast_demo(tmp_path):
    server = demo.DemoServer(tmp_path / "demo", interval=(0.05, 0.1)).start()
    yield server
    server.stop()


def test_the_demo_carrier_texts_in_now_and_then(fast_demo):
    base = fast_demo.base_url
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": demo.DEMO_USER, "password": demo.DEMO_PASSWORD},
        timeout=10,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as api:
        # Each carrier text arrives as a stream event; wait for the first one.
        with api.stream("GET", "/api/v1/stream") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:") and "message.created" in line:
                    break
        inbound = [
            m
            for c in api.get("/api/v1/conversations").json()
            for m in api.get(f"/api/v1/conversations/{c['id']}/messages").json()["messages"]
            if m["direction"] == "inbound" and m["body"] in demo.CARRIER_LINES
        ]
    assert inbound
