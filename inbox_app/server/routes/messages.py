"""Messages: a conversation's pages, sending (JSON, or multipart with images), edit and cancel."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from inbox_app.models.schemas import MessageIn, MessageOut, MessagePage, MessagePatch
from inbox_app.server.deps import (
    NUL,
    CurrentUser,
    Id,
    Offset,
    OptionalId,
    SessionDep,
    SettingsDep,
    refuse_nul,
)
from inbox_app.server.errors import Invalid, PayloadTooLarge
from inbox_app.server.services import messages

router = APIRouter(tags=["messages"])

MAX_REQUEST_BYTES = 8 * 1024 * 1024
FIELDS = ("body", "send_at", "idempotency_key", "check_recent_reply")

Upload = tuple[str, str, bytes]


async def read_message_in(request: Request) -> tuple[MessageIn, list[Upload]]:
    """A send as JSON, or as multipart form fields plus up to five `images` files."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise PayloadTooLarge("A message with its images can be at most 8 MB; attach fewer.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    uploads: list[Upload] = []
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=messages.MAX_IMAGES + 1, max_fields=20)
        except Exception as exc:
            raise Invalid(f"The form could not be read: {exc}") from None
        raw = {k: form.get(k) for k in FIELDS if isinstance(form.get(k), str) and form.get(k)}
        for key, value in raw.items():
            if NUL in value:
                raise refuse_nul(key)
        for item in form.getlist("images"):
            if isinstance(item, UploadFile):
                data = await item.read()
                if data:
                    uploads.append((item.filename or "", item.content_type or "", data))
    else:
        body = await request.body()
        try:
            raw = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Invalid("The request body must be JSON (or multipart with images).") from None
        if not isinstance(raw, dict):
            raise Invalid('The request body must be a JSON object like {"body": "Hello"}.')
    try:
        return MessageIn.model_validate(raw), uploads
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors(include_url=False)]
        ) from None


MessageSend = Annotated[tuple[MessageIn, list[Upload]], Depends(read_message_in)]


@router.get("/conversations/{conversation_id}/messages")
def list_messages(
    conversation_id: Id,
    user: CurrentUser,
    session: SessionDep,
    before: OptionalId = None,
    limit: Annotated[int, Query(ge=1, le=messages.PAGE_MAX)] = messages.PAGE_DEFAULT,
    after: Offset | None = None,
    around: OptionalId = None,
    at: datetime | None = None,
    include_notes: bool = False,
) -> MessagePage:
    """A page of the thread, oldest first. Internal notes and system lines (direction and
    status `internal`) only with `include_notes=true`; `limit` counts what was asked for."""
    return messages.page(
        session,
        user,
        conversation_id,
        before,
        limit,
        after=after,
        around=around,
        at=at,
        include_notes=include_notes,
    )


@router.post("/conversations/{conversation_id}/messages", status_code=201)
def send_message(
    conversation_id: Id,
    payload: MessageSend,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> MessageOut:
    data, uploads = payload
    # A repeated idempotency_key answers 201 with the first message too (CONTRACT.md), so a
    # retrying client sees the same answer as if its first attempt had arrived.
    out, _created = messages.send(session, settings, user, conversation_id, data, uploads)
    return out


@router.post("/messages/{message_id}/retry", status_code=201)
def retry_message(
    message_id: Id, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> MessageOut:
    """Send a failed text again, with its images, as a new message (201; the same again: 201
    with that message). 409 `not_retryable` for a text that did not fail."""
    out, _created = messages.retry(session, settings, user, message_id)
    return out


@router.get("/messages/{message_id}")
def get_message(message_id: Id, user: CurrentUser, session: SessionDep) -> MessageOut:
    return messages.get(session, user, message_id)


@router.patch("/messages/{message_id}")
def edit_message(
    message_id: Id, body: MessagePatch, user: CurrentUser, session: SessionDep
) -> MessageOut:
    return messages.edit(session, user, message_id, body)


@router.delete("/messages/{message_id}")
def cancel_message(message_id: Id, user: CurrentUser, session: SessionDep) -> MessageOut:
    return messages.cancel(session, user, message_id)
