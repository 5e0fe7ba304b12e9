"""Test data through the real server: conversations by API, inbound texts by signed webhook."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from tests.harness import ACCOUNT_SID, post_webhook


def inbound(server, phone: str, body: str, media: list[tuple[bytes, str]] = ()) -> str:
    """The carrier delivers a text (optionally MMS) to the firm; returns its MessageSid."""
    from inbox_app.server.services.media import upload_to_simulator

    sid = "SM" + uuid.uuid4().hex
    params = {
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": "+12015550100",
        "Body": body,
        "NumMedia": str(len(media)),
    }
    for i, (data, content_type) in enumerate(media):
        params[f"MediaUrl{i}"] = upload_to_simulator(
            server.settings, server.base_url, data, content_type
        )
        params[f"MediaContentType{i}"] = content_type
    response = post_webhook(server.base_url, "/webhooks/twilio/messages", params)
    assert response.status_code == 200, response.text
    return sid


def photo(color=(40, 120, 200), size=(640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def compose(api, phone: str) -> dict:
    response = api.post("/api/v1/conversations", json={"phone": phone})
    assert response.status_code in (200, 201), response.text
    return response.json()


def messages(api, conversation_id: int) -> list[dict]:
    response = api.get(f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


EASTERN = "America/New_York"  # the zone of the +1 201 / +1 202 numbers the tests text


def in_sending_hours(days: int, hour: int = 12, tz: str = EASTERN) -> datetime:
    """`days` from today at `hour`:00 in the recipient's zone, whatever the hour is now.

    The server moves a scheduled text out of the recipient's quiet hours (21:00-08:00), so a
    test that schedules "now + n days" would see its time changed about half of every day.
    """
    zone = ZoneInfo(tz)
    day = (datetime.now(zone) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)
