"""Rows to wire schemas, and the stream events that carry them (one place for both)."""

from __future__ import annotations

from datetime import datetime, timedelta

from inbox_app.domain import sms
from inbox_app.models import tables as t
from inbox_app.models.schemas import MediaOut, MessageOut
from inbox_app.server.services import events


def message_out(message: t.Message, sender_name: str | None = None) -> MessageOut:
    return MessageOut(
        id=message.id,
        conversation_id=message.conversation_id,
        direction=message.direction,
        body=message.body,
        status=message.status,
        segments=message.segments,
        encoding=message.encoding,
        created_at=message.created_at,
        send_at=message.send_at,
        sent_at=message.sent_at,
        sent_by=sender_name,
        sent_by_id=message.sent_by_id,
        carrier_sid=message.carrier_sid,
        error=message.error_text,
        error_code=message.error_code,
        held_reason=message.held_reason,
        origin=message.origin,
        simulated=message.simulated,
        event_id=message.event_id,
        media=[MediaOut.model_validate(m) for m in message.media],
        requested_send_at=message.requested_send_at,
        send_at_reason=message.send_at_reason,
        **(_note_times(message) if message.direction == "internal" else {}),
    )


# A note can be changed by its author this long after writing it; then it is fixed (evidence).
NOTE_EDIT_WINDOW = timedelta(minutes=15)


def _note_times(message: t.Message) -> dict:
    if message.origin != "note" or message.created_at is None:
        return {}
    edited = message.updated_at
    return {
        "editable_until": message.created_at + NOTE_EDIT_WINDOW,
        # Written with updated_at == created_at; only an edit moves it.
        "edited_at": edited if edited is not None and edited > message.created_at else None,
    }


def inbound_out(
    message_id: int,
    conversation_id: int,
    body: str,
    measured: sms.Measurement,
    carrier_sid: str,
    received_at: datetime,
) -> MessageOut:
    """A just-stored inbound text without media, from its values (no row to load)."""
    return MessageOut(
        id=message_id,
        conversation_id=conversation_id,
        direction="inbound",
        body=body,
        status="received",
        segments=measured.segments,
        encoding=str(measured.encoding),
        created_at=received_at,
        sent_at=received_at,
        carrier_sid=carrier_sid,
    )


def publish_message(session, message: t.Message, kind: str = "message.updated") -> None:
    """Announce a created or changed message to the firm, with the whole message as payload.

    A note or system line travels as `note.created` / `note.updated`, never as `message.*`: its
    status `internal` is not one of the contract's, and a client of the contract reads every
    `message.*` payload as a text."""
    if message.direction == "internal":
        kind = stream_kind_of_internal(kind)
    session.flush()
    sender = session.get(t.User, message.sent_by_id) if message.sent_by_id else None
    payload = message_out(message, sender.display_name if sender else None).model_dump(mode="json")
    events.publish(session, message.firm_id, kind, payload)


def stream_kind_of_internal(kind: str) -> str:
    """`message.created` -> `note.created` (and `.updated`): the kind an internal message has."""
    return "note." + kind.removeprefix("message.")
