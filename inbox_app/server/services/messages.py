"""Outbound messages: accept a send (credits, consent, block, length, timing), edit or cancel one
before it is claimed, and page through a conversation's messages.

A message is committed before the carrier is called; the dispatcher does the calling.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
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
    IdempotencyKeyReused,
    Invalid,
    NoSenderNumber,
    NotFound,
    NotRetryable,
    RecentReply,
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
# A send with check_recent_reply is stopped when a colleague texted the client this recently.
RECENT_REPLY = timedelta(minutes=2)


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


def quiet_timing(firm: t.Firm, phone: str, send_at: datetime) -> dict:
    """The `send_at` columns of a message asked for at `send_at`: moved out of the recipient's
    quiet hours, and then saying so (the time asked for and the reason), for the thread."""
    allowed = quiet_adjusted(firm, phone, send_at)
    moved = allowed != send_at
    return {
        "send_at": allowed,
        "requested_send_at": send_at if moved else None,
        "send_at_reason": "quiet_hours" if moved else None,
    }


def sender_number(firm: t.Firm) -> str:
    """The number the firm texts from: only one it owns (CONTRACT.md, numbers and firms)."""
    if not firm.from_number:
        raise NoSenderNumber(
            "Your firm has no number to text from yet; an account admin sets one in the firm's "
            "settings (from_number) or with `inbox-server set-firm-number`."
        )
    return firm.from_number


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

    Without credits (and no auto top-up) the message is stored `held` with its reason and
    answered like any other: a 4xx would have to store nothing (CONTRACT.md).
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
                return _repeat(session, existing, data), False
        _check_recipient_in(session, conversation)
        if data.check_recent_reply:
            _check_recent_reply_in(session, user, conversation.id)
        if not firm.from_number:
            # A single-firm server: its only firm texts from the server's number.
            from inbox_app.server.services import firms

            firms.give_default_to_only_firm_in(session, settings.default_number)
        from_number = sender_number(firm)
        measured = measure_in_cap(firm, data.body)
        now = t.utcnow()
        message = t.Message(
            firm_id=firm.id,
            conversation_id=conversation.id,
            direction="outbound",
            body=data.body,
            segments=measured.segments if data.body else 0,
            encoding=str(measured.encoding),
            from_number=from_number,
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
            return _repeat(session, existing, data), False
        if uploads:
            from inbox_app.server.services import media

            media.store_outbound_in(session, settings, message, list(uploads))
        if message.status == "queued" and not credits.ensure_credit_in(
            session, firm, message, user_id=user.id
        ):
            message.status = "held"
            message.held_reason = credits.held_reason(session, firm)
        conversation.has_outbound = True
        conversation.archived = False
        conversations.join_in(session, conversation, user.id)
        conversations.touch_in(session, conversation, message)
        views.publish_message(session, message, "message.created")
        conversations.publish_updated_in(session, conversation)
        out = _out(session, message)
    return out, True


def _repeat(session: Session, existing: t.Message, data: MessageIn) -> MessageOut:
    """The first message of a repeated key; a key reused for another text is refused."""
    if existing.body != data.body:
        raise IdempotencyKeyReused(
            "This idempotency_key was already used for a different message; "
            "use a new key for a new message."
        )
    return _out(session, existing)


def _check_recent_reply_in(session: Session, user: t.User, conversation_id: int) -> None:
    """RecentReply when someone else texted this conversation in the last RECENT_REPLY.

    The conversation row is locked first (PostgreSQL; SQLite has one writer at a time), so two
    colleagues pressing Send at once on two processes are told of each other: the second waits
    for the first's commit and then sees its message.
    """
    session.execute(
        select(t.Conversation.id).where(t.Conversation.id == conversation_id).with_for_update()
    )
    now = t.utcnow()
    m = t.Message
    recent = session.execute(
        select(m.id, m.created_at, m.sent_by_id)
        .where(
            m.conversation_id == conversation_id,
            m.direction == "outbound",
            m.origin == "manual",
            m.sent_by_id.is_not(None),
            m.sent_by_id != user.id,
            m.created_at >= now - RECENT_REPLY,
            m.status != "canceled",
            # A text scheduled for later is not a reply now (a firm's review delay still is).
            m.respects_quiet_hours.is_(False),
        )
        .order_by(m.id.desc())
        .limit(1)
    ).first()
    if recent is None:
        return
    name = _sender_names(session, [recent]).get(recent.sent_by_id) or "A colleague"
    seconds = max(0, int((now - recent.created_at).total_seconds()))
    raise RecentReply(
        f"{name} replied to this client {seconds} s ago. Send yours anyway (send it again "
        "without check_recent_reply), or keep it as a draft.",
        sent_by=name,
        sent_by_id=recent.sent_by_id,
        message_id=recent.id,
        replied_at=recent.created_at.isoformat(),
        seconds_ago=seconds,
    )


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
            **quiet_timing(firm, phone, send_at),
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
                for name, value in quiet_timing(firm, message.to_number, data.send_at).items():
                    setattr(message, name, value)
                message.respects_quiet_hours = True
                if message.status != "held":
                    message.status = "scheduled"
            else:
                message.send_at = message.requested_send_at = message.send_at_reason = None
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
    if message.direction == "internal":
        raise Conflict(
            "This is an internal note, not a text: its author changes it with "
            "PATCH /api/v1/notes/{id} within 15 minutes of writing it."
        )
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
    *,
    after: int | None = None,
    around: int | None = None,
    at: datetime | None = None,
    include_notes: bool = False,
) -> MessagePage:
    """A page of the thread, oldest first: the newest `limit` (before message id `before`), the
    oldest after id `after` (0: from the first message), the page around message `around`, or
    around the first message at or after `at`.

    Internal notes and system lines (status `internal`, outside the contract's statuses) are
    left out unless `include_notes`; the page is `limit` of what was asked for either way."""
    limit = max(1, min(limit, PAGE_MAX))
    asked = [
        name
        for name, value in (("before", before), ("after", after), ("around", around), ("at", at))
        if value is not None
    ]
    if len(asked) > 1:
        raise Invalid(f"Ask for one of before, after, around or at, not {' and '.join(asked)}.")
    if at is not None and at.tzinfo is None:
        raise Invalid("at needs a time zone offset, e.g. 2026-05-01T00:00:00-04:00.")
    m = t.Message
    with session.begin():
        conversation = conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        # Every query below (rows, anchors, has_more) sees the same messages: the caller's.
        shown = m.conversation_id == conversation_id
        if not include_notes:
            shown = and_(shown, m.direction != "internal")
        in_thread = select(m).where(shown).options(selectinload(m.media))
        anchor = None
        if at is not None:
            anchor = session.scalar(
                select(m.id).where(shown, m.created_at >= at).order_by(m.id).limit(1)
            ) or session.scalar(select(func.max(m.id)).where(shown))
        elif around is not None:
            anchor = session.scalar(select(m.id).where(m.id == around, shown))
            if anchor is None:
                raise NotFound("That message is not in this conversation (it may be deleted).")
        if anchor is not None:
            older = list(
                session.scalars(in_thread.where(m.id < anchor).order_by(m.id.desc()).limit(limit))
            )
            newer = list(
                session.scalars(in_thread.where(m.id >= anchor).order_by(m.id).limit(limit + 1))
            )
            n_before = min(len(older), max(limit // 2, limit - len(newer)))
            n_after = min(len(newer), limit - n_before)
            rows = older[:n_before][::-1] + newer[:n_after]
            has_more = len(older) > n_before
            has_more_after = len(newer) > n_after
        elif after is not None:
            rows = list(
                session.scalars(in_thread.where(m.id > after).order_by(m.id).limit(limit + 1))
            )
            has_more_after = len(rows) > limit
            rows = rows[:limit]
            has_more = bool(rows) and _exists_in(session, shown, m.id < rows[0].id)
            if not rows and after > 0:
                has_more = _exists_in(session, shown, m.id <= after)
        else:
            stmt = in_thread.order_by(m.id.desc()).limit(limit + 1)
            if before is not None:
                stmt = stmt.where(m.id < before)
            rows = list(session.scalars(stmt))
            has_more = len(rows) > limit
            rows = rows[:limit]
            rows.reverse()
            has_more_after = before is not None and _exists_in(
                session, shown, m.id > (rows[-1].id if rows else before - 1)
            )
        names = _sender_names(session, rows)
        return MessagePage(
            messages=[views.message_out(r, names.get(r.sent_by_id)) for r in rows],
            has_more=has_more,
            has_more_after=has_more_after,
            anchor_id=anchor,
            seen_by=conversations.seen_by_in(session, conversation),
        )


def _exists_in(session: Session, shown, condition) -> bool:
    return bool(session.scalar(select(exists().where(shown, condition))))


def get(session: Session, user: t.User, message_id: int) -> MessageOut:
    with session.begin():
        message = session.get(t.Message, message_id)
        if message is None or message.firm_id != user.firm_id:
            raise NotFound("This message does not exist or was deleted.")
        return _out(session, message)


RETRYABLE = ("failed", "undelivered")


def retry(
    session: Session, settings: Settings, user: t.User, message_id: int
) -> tuple[MessageOut, bool]:
    """Send a failed outbound text again, images included, as a new message (the failed one
    stays as the record). The same retry asked twice is one new message (its idempotency key
    is `retry-<id>`); every rule of a send applies (consent, block, credits, sender number)."""
    from inbox_app.server.services import media

    with session.begin():
        original = session.get(t.Message, message_id)
        if original is None or original.firm_id != user.firm_id:
            raise NotFound("This message does not exist or was deleted.")
        key = f"retry-{original.id}"
        existing = _by_key(session, user.firm_id, key)
        if existing is not None:
            return _out(session, existing), False
        if original.direction != "outbound" or original.status not in RETRYABLE:
            raise NotRetryable(
                f"Only a failed text can be sent again; this one is {original.status}."
            )
        uploads = []
        for item in original.media:
            if item.status != "stored":
                continue
            uploads.append(media.stored_bytes(settings, item))
        data = MessageIn(body=original.body, idempotency_key=key)
        conversation_id = original.conversation_id
    return send(session, settings, user, conversation_id, data, uploads)


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
