"""`inbox-server simulate-inbound`: play the carrier and post a signed inbound text to a server."""

from __future__ import annotations

import argparse
import mimetypes
import sys
import uuid
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from inbox_app.domain import phone as phones
from inbox_app.server.config import SettingsError, load_settings
from inbox_app.server.services.inbound import MESSAGES_PATH


def build_params(
    from_: str, to: str, body: str, media: list[tuple[str, str]], account_sid: str
) -> dict[str, str]:
    """The form Twilio posts for an inbound SMS/MMS."""
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "SmsMessageSid": "",
        "AccountSid": account_sid,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": str(len(media)),
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    params["SmsMessageSid"] = params["MessageSid"]
    for index, (url, content_type) in enumerate(media):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = content_type
    return params


def simulate_inbound(args: argparse.Namespace) -> int:
    """Sign and post one inbound webhook; 0 when the server took it."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    server = (args.server or settings.public_url).rstrip("/")
    from_ = phones.normalize_sender(args.from_)
    to = phones.normalize_sender(args.to or settings.default_number or "")
    media: list[tuple[str, str]] = []
    try:
        for name in args.media:
            path = Path(name)
            data = path.read_bytes()
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            from inbox_app.server.services.media import upload_to_simulator

            media.append((upload_to_simulator(settings, server, data, content_type), content_type))
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"error: the server did not take the media file: {exc}", file=sys.stderr)
        return 1
    params = build_params(
        from_, to, args.body or "", media, settings.twilio_account_sid or "AC" + "0" * 32
    )
    # The server checks the signature against its public URL, whatever address we reach it at.
    signature = RequestValidator(settings.webhook_token).compute_signature(
        settings.public_url + MESSAGES_PATH, params
    )
    try:
        response = httpx.post(
            server + MESSAGES_PATH,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(f"error: cannot reach {server}: {exc}", file=sys.stderr)
        return 1
    if response.status_code >= 400:
        print(
            f"error: the server answered {response.status_code}: {response.text[:500]}",
            file=sys.stderr,
        )
        return 1
    print(f"Delivered {params['MessageSid']} from {from_} to {to}.")
    if "<Message>" in response.text:
        print(f"Reply: {response.text}")
    return 0
