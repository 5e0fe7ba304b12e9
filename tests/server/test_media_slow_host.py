"""A slow media host cannot freeze the server: the webhook answers at once with the media
`pending`, a bounded pool downloads them within a deadline enforced on every read, and
/healthz and the API keep answering meanwhile."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from inbox_app.server.services import media
from tests.conftest import login, make_user
from tests.fakes.media_host import MediaHost
from tests.harness import ACCOUNT_SID, free_port, make_settings, post_webhook, serve_in_thread
from tests.server.conftest import wait_until
from tests.server.fixtures_media import jpeg

MMS = 45


@pytest.fixture
def dripping(db_url, tmp_path, monkeypatch):
    """A server whose Twilio media host drips a byte every half second; 1 s per message."""
    monkeypatch.setattr(media, "DOWNLOAD_BUDGET_SECONDS", 1.0)
    with MediaHost() as host:
        settings = make_settings(db_url, tmp_path, free_port(), twilio_api_base=host.base_url)
        with serve_in_thread(settings) as server:
            make_user(server, "alice", admin=True)
            yield server, host, login(server, "alice")


def _mms(server, url: str, n: int):
    params = {
        "MessageSid": "MM" + uuid.uuid4().hex,
        "AccountSid": ACCOUNT_SID,
        "From": f"+1201555{2000 + n:04d}",
        "To": "+12015550100",
        "Body": f"photo {n}",
        "NumMedia": "1",
        "MediaUrl0": url,
        "MediaContentType0": "image/jpeg",
    }
    started = time.monotonic()
    response = post_webhook(server.base_url, "/webhooks/twilio/messages", params)
    return response.status_code, time.monotonic() - started


def test_45_mms_from_a_dripping_host_leave_healthz_and_the_api_answering(dripping):
    server, host, admin = dripping
    slow = host.serve("/slow.jpg", jpeg(), "image/jpeg", drip=0.5)
    fast = host.serve("/fast.jpg", jpeg(64, 48), "image/jpeg")
    latencies: list[float] = []

    with ThreadPoolExecutor(MMS) as pool:
        posted = [pool.submit(_mms, server, slow, n) for n in range(MMS)]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200
            assert admin.get("/api/v1/credits").status_code == 200
            latencies.append(time.monotonic() - started)
        answers = [future.result() for future in posted]

    slowest = max(took for _code, took in answers)
    print(f"webhooks max {slowest:.2f} s, healthz and API max {max(latencies):.2f} s")
    assert all(code == 200 for code, _took in answers)
    # Inside Twilio's 15 s webhook timeout, 45 at once on a busy 2-core machine.
    assert slowest < 12
    assert max(latencies) < 8
    # Shown as pending first, then refused once the deadline passed (not hung).
    conversations = admin.get("/api/v1/conversations").json()
    assert len(conversations) == MMS

    def settled() -> bool:
        statuses = [
            m["status"]
            for c in conversations
            for message in admin.get(f"/api/v1/conversations/{c['id']}/messages").json()["messages"]
            for m in message["media"]
        ]
        return statuses == ["rejected"] * MMS

    wait_until(settled, timeout=60, interval=0.5)
    [first] = admin.get(f"/api/v1/conversations/{conversations[0]['id']}/messages").json()[
        "messages"
    ]
    assert first["media"][0]["reject_reason"] == "download took too long"

    # A quick host's image is stored the same way, a moment after the webhook.
    code, _took = _mms(server, fast, MMS + 1)
    assert code == 200

    def stored() -> list:
        phone = f"+1201555{2000 + MMS + 1:04d}"
        [thread] = [c for c in admin.get("/api/v1/conversations").json() if c["phone"] == phone]
        page = admin.get(f"/api/v1/conversations/{thread['id']}/messages").json()
        return [m["status"] for m in page["messages"][0]["media"]] == ["stored"]

    wait_until(stored, timeout=20)
