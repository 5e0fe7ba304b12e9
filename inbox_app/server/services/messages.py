"""Outbound messages: accept a send (credits, consent, block, length, timing), edit or cancel one
before it is claimed, and page through a conversation's messages.

A message is committed before the carrier is called; the dispatcher does the calling.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from inbox_app.domain import phone as phones
from inbox_app.domain import sms, timing
from inbox_app.models import tables as t
from inbox_app.models.schemas import MessageIn, MessageOut, MessagePage, MessagePatch
from inbox_app.server.config import Settings
from inbox_app.server.errors import (
    AlreadyClaimed,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    OutOfCredits,
    RecipientBlocked,
    RecipientOptedOut,
)
from inbox_app.server.services import blocks, consent, conversations, credits, views

MAX_IMAGES = 5
PAGE_DEFAULT = 50
PAGE_MAX = 200
# A send_at this close to now is "now": clocks of client and server differ a little.
NOW_TOLERANCE = timedelta(seconds=2)
# Statuses a user may still edit or cancel, as long as no dispatcher has claimed the message.
CHANGEABLE = ("scheduled", "held", "queued")


# --- rules shared with the dispatcher and reminders -------------------------------------------


def segment_cap(firm: t.Firm) -> int:
    """The firm's length cap in segments (never above the carrier's 10)."""
    return max(1, min(sms.MAX_SEGMENTS, firm.max_segments or sms.MAX_SEGMENTS))


def measure_in_cap(firm: t.Firm, body: str) -> sms.Measurement:
    """Segments and encoding of `body`; Invalid when it is over the firm's cap."""
    measured = sms.measure(body)
    cap = segment_cap(firm)
    if measured.segments > cap:
        raise Invalid(
            f"The message is too long: {measured.segments} segments, the limit is {cap} "
            f"({cap * measured.per_segment} {measured.encoding} characters). Shorten it.",
            segments=measured.segments,
            limit=cap,
        )
    return measured


def quiet_adjusted(firm: t.Firm, phone: str, when: datetime) -> datetime:
    """`when`, moved to the next minute the recipient may be texted (firm's quiet hours)."""
    zone = phones.time_zone(phone, firm.time_zone or "America/New_York")
    try:
        allowed = timing.next_allowed(when, zone, firm.quiet_start, firm.quiet_end)
    except (ValueError, timing.UnknownTimeZone):
        # A misconfigured window or zone must not stop the firm from sending.
        return when
    return allowed.astimezone(when.tzinfo) if allowed != when else when


def sender_number(firm: t.Firm, settings: Settings) -> str:
    return firm.from_number or settings.twilio_from or firm.phone or ""


# --- sending ----------------------------------------------------------------------------------


def send(
    session: Session,
    settings: Settings,
    user: t.User,
    conversation_id: int,
    data: MessageIn,
    uploads: Sequence[tuple[str, str, bytes]] = (),
) -> tuple[MessageOut, bool]:
    """Accept a message for sending; True when new, False for a repeat of an idempotency key.

    Raises OutOfCredits (402) after committing the message as `held`, so nothing is lost.
    """
    if not data.body.strip() and not uploads:
        raise Invalid("Write a message or attach an image before sending.")
    if len(uploads) > MAX_IMAGES:
        raise Invalid(f"A text can carry at most {MAX_IMAGES} images; this one has {len(uploads)}.")
    if data.send_at is not None and data.send_at.tzinfo is None:
        raise Invalid("send_at needs a time zone offset, e.g. 2026-05-01T09:00:00-04:00.")
    if not user.can_text:
        raise Forbidden("Your account is not allowed to send texts; ask an account admin.")
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        conversation = conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        if data.idempotency_key:
            existing = _by_key(session, user.firm_id, data.idempotency_key)
            if existing is not None:
                return _out(session, existing), False
        _check_recipient_in(session, conversation)
        measured = measure_in_cap(firm, data.body)
        now = t.utcnow()
        message = t.Message(
            firm_id=firm.id,
            conversation_id=conversation.id,
            direction="outbound",
            body=data.body,
            segments=measured.segments if data.body else 0,
            encoding=str(measured.encoding),
            from_number=sender_number(firm, settings),
            to_number=conversation.phone,
            sent_by_id=user.id,
            idempotency_key=data.idempotency_key,
            contact_id=_contact_id(session, firm.id, conversation.phone),
            matter_id=conversation.matter_id,
            created_at=now,
            **_timing(firm, conversation.phone, data.send_at, now),
        )
        try:
            with session.begin_nested():
                session.add(message)
                session.flush()
        except IntegrityError:
            # The same outbox entry arrived twice at once; the other request stored it.
            existing = _by_key(session, user.firm_id, data.idempotency_key or "")
            if existing is None:
                raise
            return _out(session, existing), False
        if uploads:
            from inbox_app.server.services import media

            media.store_outbound_in(session, settings, message, list(uploads))
        held = False
        if message.status == "queued" and not credits.ensure_credit_in(
            session, firm, message, user_id=user.id
        ):
            message.status, held = "held", True
            message.held_reason = credits.held_reason(session, firm)
        conversation.has_outbound = True
        conversation.archived = False
        conversations.join_in(session, conversation, user.id)
        conversations.touch_in(session, conversation, message)
        views.publish_message(session, message, "message.created")
        conversations.publish_updated_in(session, conversation)
        out = _out(session, message)
    if held:
        raise OutOfCredits(
            out.held_reason or "Out of credits: the message is held until the firm tops up.",
            message_id=out.id,
            held_message=out.model_dump(mode="json"),
        )
    return out, True


def _check_recipient_in(session: Session, conversation: t.Conversation) -> None:
    if conversation.hidden or blocks.is_blocked(session, conversation.firm_id, conversation.phone):
        raise RecipientBlocked("This number is blocked; texts to it are not sent.")
    if not conversation.phone.startswith("+"):
        raise Invalid(
            f"{conversation.phone} is a short code or named sender; it cannot receive replies."
        )
    if conversation.opted_out or consent.is_opted_out(
        session, conversation.firm_id, conversation.phone
    ):
        raise RecipientOptedOut(
            "The recipient opted out (replied STOP); they must text START before you can text them."
        )


def _timing(firm: t.Firm, phone: str, send_at: datetime | None, now: datetime) -> dict:
    """Status, send time and quiet-hours rule of a new message."""
    if send_at is not None and send_at > now + NOW_TOLERANCE:
        # A message scheduled for later waits for the recipient's daytime.
        return {
            "status": "scheduled",
            "send_at": quiet_adjusted(firm, phone, send_at),
            "respects_quiet_hours": True,
        }
    delay = firm.default_send_delay_seconds or 0
    if delay > 0:
        # The firm's review delay: still a live reply, so quiet hours do not move it.
        return {
            "status": "scheduled",
            "send_at": now + timedelta(seconds=delay),
            "respects_quiet_hours": False,
        }
    return {"status": "queued", "send_at": None, "respects_quiet_hours": False}


def _contact_id(session: Session, firm_id: int, phone: str) -> int | None:
    return session.scalar(
        select(t.Contact.id)
        .where(t.Contact.firm_id == firm_id, t.Contact.phone == phone)
        .order_by(t.Contact.trashed_at.is_not(None), t.Contact.archived, t.Contact.id)
        .limit(1)
    )


def _by_key(session: Session, firm_id: int, key: str) -> t.Message | None:
    return session.scalar(
        select(t.Message).where(t.Message.firm_id == firm_id, t.Message.idempotency_key == key)
    )


# --- editing and canceling --------------------------------------------------------------------


def edit(session: Session, user: t.User, message_id: int, data: MessagePatch) -> MessageOut:
    """Change the body or send time of a message that is not yet being sent."""
    if data.send_at is not None and data.send_at.tzinfo is None:
        raise Invalid("send_at needs a time zone offset, e.g. 2026-05-01T09:00:00-04:00.")
    with session.begin():
        message = _changeable_in(session, user, message_id)
        firm = session.get(t.Firm, message.firm_id)
        if data.body is not None:
            if not data.body.strip() and not message.media:
                raise Invalid("The message cannot be empty; cancel it instead.")
            measured = measure_in_cap(firm, data.body)
            message.body = data.body
            message.segments = measured.segments if data.body else 0
            message.encoding = str(measured.encoding)
        if "send_at" in data.model_fields_set:
            now = t.utcnow()
            if data.send_at is not None and data.send_at > now + NOW_TOLERANCE:
                message.send_at = quiet_adjusted(firm, message.to_number, data.send_at)
                message.respects_quiet_hours = True
                if message.status != "held":
                    message.status = "scheduled"
            else:
                message.send_at = None
                message.respects_quiet_hours = False
                if message.status != "held":
                    message.status = "queued"
        views.publish_message(session, message)
        return _out(session, message)


def cancel(session: Session, user: t.User, message_id: int) -> MessageOut:
    """Cancel a message that is not yet being sent; it is kept, marked `canceled`."""
    with session.begin():
        message = _changeable_in(session, user, message_id)
        message.status = "canceled"
        message.error_text = f"Canceled by {user.display_name or user.username}"
        credits.refund_in(session, message, note="Canceled before sending")
        views.publish_message(session, message)
        return _out(session, message)


def _changeable_in(session: Session, user: t.User, message_id: int) -> t.Message:
    # FOR UPDATE waits for a dispatcher that is claiming this very row, then sees its claim.
    message = session.scalar(select(t.Message).where(t.Message.id == message_id).with_for_update())
    if message is None or message.firm_id != user.firm_id:
        raise NotFound("This message does not exist or was deleted.")
    if message.direction != "outbound":
        raise Conflict("A received message cannot be changed.")
    if message.status == "sending" or (
        message.claimed_by is not None and message.status in CHANGEABLE
    ):
        raise AlreadyClaimed("This message is already being sent; it can no longer be changed.")
    if message.status not in CHANGEABLE:
        raise Conflict(f"This message is already {message.status}; it can no longer be changed.")
    return message


# --- reading ----------------------------------------------------------------------------------


def page(
    session: Session,
    user: t.User,
    conversation_id: int,
    before: int | None = None,
    limit: int = PAGE_DEFAULT,
) -> MessagePage:
    """Up to `limit` messages before message id `before` (newest page first), oldest first."""
    limit = max(1, min(limit, PAGE_MAX))
    with session.begin():
        conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        stmt = (
            select(t.Message)
            .where(t.Message.conversation_id == conversation_id)
            .options(selectinload(t.Message.media))
            .order_by(t.Message.id.desc())
            .limit(limit + 1)
        )
        if before is not None:
            stmt = stmt.where(t.Message.id < before)
        rows = list(session.scalars(stmt))
        has_more = len(rows) > limit
        rows = rows[:limit]
        rows.reverse()
        names = _sender_names(session, rows)
        return MessagePage(
            messages=[views.message_out(m, names.get(m.sent_by_id)) for m in rows],
            has_more=has_more,
        )


def get(session: Session, user: t.User, message_id: int) -> MessageOut:
    with session.begin():
        message = session.get(t.Message, message_id)
        if message is None or message.firm_id != user.firm_id:
            raise NotFound("This message does not exist or was deleted.")
        return _out(session, message)


def _sender_names(session: Session, rows: Sequence[t.Message]) -> dict[int | None, str]:
    ids = {m.sent_by_id for m in rows if m.sent_by_id}
    if not ids:
        return {}
    return {
        row.id: row.display_name or row.username
        for row in session.execute(
            select(t.User.id, t.User.display_name, t.User.username).where(t.User.id.in_(ids))
        )
    }


def _out(session: Session, message: t.Message) -> MessageOut:
    return views.message_out(message, _sender_names(session, [message]).get(message.sent_by_id))
