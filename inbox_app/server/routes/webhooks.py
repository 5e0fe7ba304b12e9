"""Carrier webhooks, form-encoded as Twilio sends them; every one is signature-checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator

from inbox_app.server.config import Settings
from inbox_app.server.deps import NUL, SessionDep, SettingsDep
from inbox_app.server.errors import InboxError, PayloadTooLarge
from inbox_app.server.services import inbound

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])

MAX_FIELDS = 200


@dataclass(frozen=True)
class TwilioForm:
    params: dict[str, str]
    signature: str | None


async def read_twilio_form(request: Request) -> TwilioForm:
    """The form fields and signature, refusing oversized or non-form bodies with a clear 4xx."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > inbound.MAX_FORM_BYTES:
        raise PayloadTooLarge(f"A webhook form can be at most {inbound.MAX_FORM_BYTES} bytes.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > inbound.MAX_FORM_BYTES:
            raise PayloadTooLarge(f"A webhook form can be at most {inbound.MAX_FORM_BYTES} bytes.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if data and content_type != "application/x-www-form-urlencoded":
        raise InboxError("Webhooks must be form-encoded (application/x-www-form-urlencoded).")
    try:
        pairs = parse_qsl(
            bytes(data).decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise InboxError(
            "The webhook form could not be read (bad encoding or too many fields)."
        ) from None
    return TwilioForm(dict(pairs), request.headers.get("x-twilio-signature"))


TwilioFormDep = Annotated[TwilioForm, Depends(read_twilio_form)]


async def settings_now(request: Request) -> Settings:
    """The app's settings, without the thread hop a sync dependency takes."""
    return request.app.state.settings


def _twiml(text: str) -> Response:
    return Response(content=text, media_type="application/xml")


def without_nul(settings: Settings, path: str, form: TwilioForm) -> TwilioForm:
    """The form with NUL characters stripped (PostgreSQL text cannot hold them).

    The carrier must still get its 200, so NULs are dropped rather than refused. The signature
    is checked on the form as sent (403 otherwise); the cleaned form is then signed again with
    the same key, for the service's own check.
    """
    if not any(NUL in key or NUL in value for key, value in form.params.items()):
        return form
    inbound.check_signature(settings, path, form.params, form.signature)
    params = {key.replace(NUL, ""): value.replace(NUL, "") for key, value in form.params.items()}
    signature = RequestValidator(settings.webhook_token).compute_signature(
        settings.public_url + path, params
    )
    return TwilioForm(params, signature)


@router.post("/messages", response_class=Response)
async def inbound_message(
    form: TwilioFormDep, request: Request, settings: Annotated[Settings, Depends(settings_now)]
) -> Response:
    # The busiest route: async, so the service decides where its work runs (see
    # `receive_webhook_now`); a sync route with sync dependencies takes four thread hops.
    form = without_nul(settings, inbound.MESSAGES_PATH, form)
    sessions = request.app.state.sessionmaker
    return _twiml(
        await inbound.receive_webhook_now(sessions, settings, form.params, form.signature)
    )


@router.post("/status", response_class=Response)
def status_callback(form: TwilioFormDep, session: SessionDep, settings: SettingsDep) -> Response:
    form = without_nul(settings, inbound.STATUS_PATH, form)
    return _twiml(inbound.status_webhook(session, settings, form.params, form.signature))
