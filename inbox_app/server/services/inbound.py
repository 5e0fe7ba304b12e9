"""What the carrier tells us: inbound texts and status callbacks (webhooks and the simulator).

Both are idempotent and order-proof: a MessageSid is stored once (unique `carrier_sid`), and a
status never moves a message backwards (`domain.status.advance`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Row, and_, bindparam, exists, false, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from inbox_app.domain import keywords, sms
from inbox_app.domain import phone as phones
from inbox_app.domain import status as statuses
from inbox_app.models import tables as t
from inbox_app.server import db
from inbox_app.server.config import Settings
from inbox_app.server.errors import Forbidden, InboxError, Invalid, NotFound
from inbox_app.server.services import after_hours, consent, conversations, events, firms, views

log = logging.getLogger("inbox.inbound")

MAX_FORM_BYTES = 64 * 1024
MAX_MEDIA = 10
# How long the event loop may wait for another thread's SQLite transaction before a webhook
# goes to a worker thread instead (the loop serves everyone else meanwhile).
LOOP_WAIT_SECONDS = 0.002
# The widths of `messages.carrier_sid` and of `messages.from_number` / `to_number`.
SID_CHARS = 64
NUMBER_CHARS = 64
MESSAGES_PATH = "/webhooks/twilio/messages"
STATUS_PATH = "/webhooks/twilio/status"

# Status callbacks carry only the code; these are Twilio's words for the common ones.
_ERROR_TEXTS = {
    "30001": "Queue overflow at the carrier.",
    "30002": "The carrier suspended the account.",
    "30003": "Unreachable destination handset.",
    "30004": "Message blocked by the recipient or their carrier.",
    "30005": "Unknown destination handset.",
    "30006": "Landline or unreachable carrier.",
    "30007": "Filtered by the carrier as spam.",
    "30008": "Unknown error at the carrier.",
    "21610": "The recipient has unsubscribed (replied STOP).",
}


_EMPTY_TWIML = str(MessagingResponse())


def empty_twiml() -> str:
    return _EMPTY_TWIML


# --- signatures -----------------------------------------------------------------------------


def check_signature(
    settings: Settings, path: str, params: Mapping[str, str], signature: str | None
) -> None:
    """Forbidden unless `signature` is Twilio's HMAC of INBOX_PUBLIC_URL + path and the form."""
    url = settings.public_url + path
    if not signature or not RequestValidator(settings.webhook_token).validate(
        url, dict(params), signature
    ):
        log.warning("webhook %s refused: bad or missing X-Twilio-Signature", path)
        raise Forbidden("The X-Twilio-Signature header does not match this request.")


def receive_webhook(
    session: Session, settings: Settings, params: Mapping[str, str], signature: str | None
) -> str:
    """The inbound-message webhook: signature first (403, nothing changed), then `receive`."""
    check_signature(settings, MESSAGES_PATH, params, signature)
    return receive(session, settings, params)


async def receive_webhook_now(
    sessions: sessionmaker[Session],
    settings: Settings,
    params: Mapping[str, str],
    signature: str | None,
) -> str:
    """`receive_webhook` for an async route: the work is ~0.5 ms, a thread hop can cost more.

    On SQLite, a plain text (no media, not STOP/START) is stored right here on the event loop
    when no other writer (thread or process) holds the database, or another thread of this
    process lets go within LOOP_WAIT_SECONDS (usually another webhook or a dispatcher pass, done
    in well under that); anything else (PostgreSQL, media to download, a consent change, a long
    transaction, another process writing) runs in a worker thread, where waiting blocks no one.
    """
    if _is_plain(params):
        with db.write_now(sessions.kw.get("bind"), wait=LOOP_WAIT_SECONDS) as free:
            if free:
                try:
                    with sessions() as session:
                        return receive_webhook(session, settings, params, signature)
                except db.WouldWait:
                    pass  # another process is writing: wait for it in a thread
    return await run_in_threadpool(_receive_webhook_in, sessions, settings, params, signature)


def _receive_webhook_in(sessions, settings, params, signature) -> str:
    with sessions() as session:
        return receive_webhook(session, settings, params, signature)


def _is_plain(params: Mapping[str, str]) -> bool:
    """No media to download and no change of consent (which resyncs the number's reminders)."""
    if (params.get("NumMedia") or "0").strip() != "0" or params.get("MediaUrl0"):
        return False
    kind = keywords.classify(params.get("Body") or "")
    return kind is not keywords.Keyword.OPT_OUT and kind is not keywords.Keyword.OPT_IN


def status_webhook(
    session: Session, settings: Settings, params: Mapping[str, str], signature: str | None
) -> str:
    """The status-callback webhook: signature first (403, nothing changed), then apply."""
    check_signature(settings, STATUS_PATH, params, signature)
    return status_callback(session, params)


# --- inbound texts ----------------------------------------------------------------------------


def receive(session: Session, settings: Settings, params: Mapping[str, str]) -> str:
    """Store an inbound text (once per MessageSid) and answer TwiML (HELP gets the firm's reply).

    Runs hot: a plain text costs one transaction of five statements on SQLite (route, insert,
    touch, recipients, events). Media from the carrier are stored `pending` and fetched by the
    process's media pool after the commit, so the carrier gets its answer at once whatever the
    media host does; the simulator's own uploads (on this disk) are read in line.
    """
    text = _read_text(params)
    if text is None:
        return _EMPTY_TWIML
    items = _media_items(params, text.sid)
    fetched = None
    later = False
    if items:
        from inbox_app.server.services import media

        later = not media.is_local(settings, items)
        if not later:
            fetched = media.fetch_inbound(settings, items)
    try:
        with session.begin():
            route = _route_in(session, settings, text)
            if route.answer is not None:
                return route.answer
            reply, message_id = _store_in(session, settings, text, route, items, fetched, later)
        if later:
            from inbox_app.server.db import make_sessionmaker

            media.fetcher_for(make_sessionmaker(session.get_bind()), settings).submit(message_id)
        return reply
    except _AlreadyStored:
        # Twilio retried while the first delivery was being stored; that one wins.
        with session.begin():
            return _twiml_for(session, _by_sid(session, text.sid))


class _Text(NamedTuple):
    sid: str
    sender: str
    to: str
    body: str


class _AlreadyStored(Exception):
    """Raised inside the transaction to roll it back: another delivery stored this MessageSid."""


def _read_text(params: Mapping[str, str]) -> _Text | None:
    """The webhook's text, or None when From/To cannot be a carrier's (acknowledged, dropped)."""
    sid = (params.get("MessageSid") or params.get("SmsMessageSid") or "").strip()
    sender_raw = (params.get("From") or "").strip()
    if not sid or not sender_raw:
        missing = " and ".join(n for n, v in (("MessageSid", sid), ("From", sender_raw)) if not v)
        raise InboxError(f"The webhook form is missing {missing}; it is not a carrier message.")
    if len(sid) > SID_CHARS or "\x00" in sid:
        raise InboxError("MessageSid is longer than 64 characters or has a NUL; not a carrier's.")
    to_raw = (params.get("To") or "").strip()
    if any(len(v) > NUMBER_CHARS or "\x00" in v for v in (sender_raw, to_raw)):
        # No number or sender id is this long or holds a NUL; PostgreSQL could not store it.
        log.warning("inbound %s dropped: its From or To is not a number or sender id", sid)
        return None
    # PostgreSQL text cannot hold NUL; the rest of what the client wrote is kept (as the
    # webhook route does before the signature-checked form reaches us).
    body = (params.get("Body") or "").replace("\x00", "")
    return _Text(sid, _normalized(sender_raw), _normalized(to_raw), body)


# Senders repeat and a server has few numbers; parsing with phonenumbers is the costly part.
_normalized = functools.lru_cache(maxsize=4096)(phones.normalize_sender)


class _Route(NamedTuple):
    """Where a text goes: `answer` when it is settled already (dropped or a repeat)."""

    answer: str | None
    row: Row | None = None


_F = t.Firm.__table__
_C = t.Conversation.__table__
_K = t.Contact.__table__
_M = t.Message.__table__
_S = t.ConversationState.__table__
_CLIENTS = t.Client.__table__
_U = t.User.__table__

_claims = _F.c.from_number == bindparam("to")
# One statement settles the firm, a block, a repeat, and reads what storing needs: the one firm
# that owns the To number (a unique index), or no row: a number no firm owns is stored nowhere.
_ROUTE = (
    select(
        _F.c.id.label("firm_id"),
        _F.c.after_hours_enabled,
        _F.c.opening_hours,
        _F.c.time_zone,
        exists().where(_M.c.carrier_sid == bindparam("sid")).label("stored"),
        # The test of `blocks.is_blocked`, for the firm being routed to.
        exists()
        .where(t.BlockedNumber.firm_id == _F.c.id, t.BlockedNumber.phone == bindparam("sender"))
        .label("blocked"),
        _C.c.id.label("conversation_id"),
        _C.c.client_id,
        _C.c.matter_id,
        _C.c.has_outbound,
        _C.c.opted_out,
        _C.c.hidden,
        _CLIENTS.c.first_name,
        _CLIENTS.c.last_name,
        exists().where(_S.c.conversation_id == _C.c.id, _S.c.left.is_(True)).label("anyone_left"),
        select(_K.c.id)
        .where(_K.c.firm_id == _F.c.id, _K.c.phone == bindparam("sender"))
        .order_by(_K.c.trashed_at.is_not(None), _K.c.archived, _K.c.id)
        .limit(1)
        .scalar_subquery()
        .label("contact_id"),
        select(_K.c.client_id)
        .where(
            _K.c.firm_id == _F.c.id,
            _K.c.phone == bindparam("sender"),
            _K.c.client_id.is_not(None),
            _K.c.trashed_at.is_(None),
        )
        .order_by(_K.c.archived, _K.c.id)
        .limit(1)
        .scalar_subquery()
        .label("contact_client_id"),
    )
    .select_from(
        _F.outerjoin(
            _C, and_(_C.c.firm_id == _F.c.id, _C.c.phone == bindparam("sender"))
        ).outerjoin(_CLIENTS, _CLIENTS.c.id == _C.c.client_id)
    )
    .where(_claims)
    .limit(1)
)


def _route_in(session: Session, settings: Settings, text: _Text) -> _Route:
    """The firm the text is for (by its To number), or the answer when it is not to be stored."""
    params = {"to": text.to, "sender": text.sender, "sid": text.sid}
    row = session.connection().execute(_ROUTE, params).one_or_none()
    if (
        row is None
        and text.to
        and text.to == settings.default_number
        and firms.give_default_to_only_firm_in(session, text.to) is not None
    ):
        # The server's number, unowned, on a server with one firm: that firm's now.
        row = session.connection().execute(_ROUTE, params).one_or_none()
    if row is None:
        # Storing it in any firm would leak it there; an operator sees why in the log.
        log.warning("inbound %s dropped: no firm here owns the number %s", text.sid, text.to)
        return _Route(_EMPTY_TWIML)
    if row.blocked:
        log.info("inbound %s from a blocked number acknowledged, not stored", text.sid)
        return _Route(_EMPTY_TWIML)
    if row.stored:
        return _Route(_twiml_for(session, _by_sid(session, text.sid)))
    return _Route(None, row)


class _Conversation(NamedTuple):
    """The fields of the conversation the text lands in (the `conversation.updated` payload)."""

    id: int
    phone: str
    client_id: int | None
    matter_id: int | None
    has_outbound: bool
    opted_out: bool
    hidden: bool
    archived: bool
    last_message_at: datetime
    last_message_preview: str


def _store_in(
    session: Session,
    settings: Settings,
    text: _Text,
    route: _Route,
    items: list[tuple[str, str]],
    fetched,
    later: bool = False,
) -> tuple[str, int]:
    """Store the text; returns the TwiML answer and the new message's id."""
    row = route.row
    firm_id = row.firm_id
    conn = session.connection()
    client_id, matter_id, client_name = row.client_id, row.matter_id, _name(row)
    if row.conversation_id is None:
        created, _ = conversations.get_or_create_in(session, firm_id, text.sender)
        session.flush()
        conversation_id, has_outbound = created.id, created.has_outbound
        opted_out, hidden = created.opted_out, created.hidden
        client_id, matter_id = created.client_id, created.matter_id
        client_name = _client_name(session, client_id)
        linked = False
    else:
        conversation_id, has_outbound = row.conversation_id, row.has_outbound
        opted_out, hidden = row.opted_out, row.hidden
        linked = client_id is None and row.contact_client_id is not None
        if linked:
            # A contact with this number was added since: file the thread under its client.
            client_id = row.contact_client_id
            if matter_id is None:
                matter_id = _latest_matter(session, client_id)
            client_name = _client_name(session, client_id)

    now = t.utcnow()
    measured = sms.measure(text.body)
    message_id = conn.execute(
        db.insert_ignoring_conflict(_M, [_M.c.carrier_sid], conn.dialect.name),
        {
            "firm_id": firm_id,
            "conversation_id": conversation_id,
            "direction": "inbound",
            "body": text.body,
            "status": "received",
            "segments": measured.segments,
            "encoding": str(measured.encoding),
            "from_number": text.sender,
            "to_number": text.to,
            "carrier_sid": text.sid,
            "sent_at": now,
            "created_at": now,
            "updated_at": now,
            "contact_id": row.contact_id,
            "matter_id": matter_id,
        },
    ).scalar()
    if message_id is None:
        raise _AlreadyStored(text.sid)

    drafts: list[events.Draft] = []
    message = None
    if items:
        from inbox_app.server.services import media

        message = session.get(t.Message, message_id)
        if later:
            media.add_pending_in(session, message, items)
        else:
            media.store_inbound_in(session, settings, message, items, fetched=fetched)
    reply, consent_now = _apply_keyword_in(session, firm_id, text, message_id)
    keyword_changed = consent_now is not None
    if keyword_changed:
        opted_out = consent_now

    if row.anyone_left or conn.dialect.name != "sqlite":
        # Back in the inbox of everyone who left. SQLite's write lock makes `anyone_left` exact
        # here; elsewhere someone may be leaving right now, so always ask.
        conn.execute(_BRING_BACK, {"cid": conversation_id})
    has_media = bool(message and message.media)
    preview = text.body.strip() or ("[image]" if has_media else "")
    conversation = _Conversation(
        id=conversation_id,
        phone=text.sender,
        client_id=client_id,
        matter_id=matter_id,
        has_outbound=has_outbound,
        opted_out=opted_out,
        hidden=hidden,
        archived=False,
        last_message_at=now,
        last_message_preview=preview[: conversations.PREVIEW_CHARS],
    )
    # Only what this text changes: a concurrent filing or opt-out by staff must not be undone.
    touched = {
        "cid": conversation_id,
        "archived": False,
        "last_message_at": now,
        "last_message_preview": conversation.last_message_preview,
    }
    if keyword_changed:
        touched["opted_out"] = opted_out
    if linked:
        touched.update(client_id=client_id, matter_id=matter_id)
    conn.execute(_TOUCH, touched)
    auto_reply = None
    if row.after_hours_enabled and after_hours.wants_reply(text.body):
        auto_reply = after_hours.reply_in(
            session,
            firm_id=firm_id,
            firm_number=text.to,
            time_zone=row.time_zone,
            opening_hours=row.opening_hours,
            conversation=conversation,
            contact_id=row.contact_id,
            now=now,
        )

    if message is not None:
        created_out = views.message_out(message)
    else:
        created_out = views.inbound_out(
            message_id, conversation_id, text.body, measured, text.sid, now
        )
    drafts.append(events.Draft(firm_id, "message.created", created_out.model_dump(mode="json")))
    if auto_reply is not None:
        drafts.append(events.Draft(firm_id, "message.created", auto_reply.model_dump(mode="json")))
    drafts.append(
        events.Draft(firm_id, "conversation.updated", conversations.updated_payload(conversation))
    )
    notice = {
        "conversation_id": conversation_id,
        "message_id": message_id,
        "phone": text.sender,
        "contact_name": client_name,
        "body": text.body[: conversations.PREVIEW_CHARS],
        "has_media": has_media,
    }
    for user_id in _recipients_in(conn, firm_id, conversation_id, has_outbound):
        drafts.append(events.Draft(firm_id, "notification", notice, user_id))
    # Storing a text gives the dispatcher nothing to do (STOP / START publish through consent,
    # which does wake it), unless it queued the after-hours reply.
    events.publish_all(session, drafts, creates_work=auto_reply is not None)
    if linked:
        log.info("conversation %s filed under client %s by its number", conversation_id, client_id)
    return reply, message_id


_BRING_BACK = (
    update(_S)
    .where(_S.c.conversation_id == bindparam("cid"), _S.c.left.is_(True))
    .values(left=False)
)
# Counts the text too: unread counts are inbound_count minus what each user had read.
_TOUCH = update(_C).where(_C.c.id == bindparam("cid")).values(inbound_count=_C.c.inbound_count + 1)


def _name(row: Row) -> str | None:
    if row.first_name is None and row.last_name is None:
        return None
    return f"{row.first_name or ''} {row.last_name or ''}".strip()


def _client_name(session: Session, client_id: int | None) -> str | None:
    client = session.get(t.Client, client_id) if client_id is not None else None
    return f"{client.first_name} {client.last_name}".strip() if client else None


def _latest_matter(session: Session, client_id: int) -> int | None:
    return session.scalar(
        select(t.Matter.id)
        .where(t.Matter.client_id == client_id)
        .order_by(t.Matter.created_at.desc(), t.Matter.id.desc())
        .limit(1)
    )


def _media_items(params: Mapping[str, str], sid: str) -> list[tuple[str, str]]:
    """(url, declared type) of each attachment; a malformed NumMedia is clamped, not fatal."""
    raw = (params.get("NumMedia") or "0").strip()
    try:
        count = int(raw)
    except ValueError:
        count = -1
    if count < 0 or count > MAX_MEDIA:
        present = sum(1 for i in range(MAX_MEDIA) if params.get(f"MediaUrl{i}"))
        log.warning(
            "inbound %s: NumMedia %r is not a count of 0-%d; using the %d MediaUrl fields sent",
            sid,
            raw[:20],
            MAX_MEDIA,
            present,
        )
        count = present
    items = []
    for i in range(count):
        # A NUL is never in a real URL or type; dropped so a rejected item can still be recorded.
        url = (params.get(f"MediaUrl{i}") or "").replace("\x00", "").strip()
        if url:
            declared = (params.get(f"MediaContentType{i}") or "").replace("\x00", "").strip()
            items.append((url, declared))
    return items


def _by_sid(session: Session, sid: str) -> t.Message | None:
    return session.scalar(select(t.Message).where(t.Message.carrier_sid == sid))


def _help_text(firm: t.Firm) -> str:
    template = firm.help_reply or "{firm}: reply STOP to opt out."
    # Plain replace, not str.format: an admin's stray brace must not break the reply.
    phone = firm.phone or firm.from_number
    shown = phones.format_display(phone) if phone else "our office"
    return template.replace("{firm}", firm.name).replace("{phone}", shown)


def _help_twiml(firm: t.Firm) -> str:
    response = MessagingResponse()
    response.message(_help_text(firm))
    return str(response)


def _twiml_for(session: Session, message: t.Message | None) -> str:
    """The answer for a message already stored: a repeat gets the same reply as the first."""
    if (
        message is not None
        and message.direction == "inbound"
        and keywords.classify(message.body) is keywords.Keyword.HELP
    ):
        return _help_twiml(session.get(t.Firm, message.firm_id))
    return _EMPTY_TWIML


def _apply_keyword_in(
    session: Session, firm_id: int, text: _Text, message_id: int
) -> tuple[str, bool | None]:
    """Act on STOP / START / HELP: the TwiML answer, and the number's new opt-out (None: same)."""
    kind = keywords.classify(text.body)
    if kind is keywords.Keyword.OPT_OUT:
        consent.opt_out_in(session, firm_id, text.sender, source="keyword", message_id=message_id)
        return _EMPTY_TWIML, True
    if kind is keywords.Keyword.OPT_IN:
        consent.opt_in_in(session, firm_id, text.sender, source="keyword", message_id=message_id)
        return _EMPTY_TWIML, False
    if kind is keywords.Keyword.HELP:
        return _help_twiml(session.get(t.Firm, firm_id)), None
    return _EMPTY_TWIML, None


def _recipients(has_outbound: bool):
    """Who hears of an inbound text: participants with the bell on; for a number the firm has
    never texted, every user allowed to text (unless they muted this thread)."""
    state = and_(_S.c.conversation_id == bindparam("cid"), _S.c.user_id == _U.c.id)
    stmt = select(_U.c.id).where(
        _U.c.firm_id == bindparam("firm_id"),
        _U.c.is_active.is_(True),
        _U.c.notifications_enabled.is_(True),
    )
    if has_outbound:
        stmt = stmt.join(_S, state).where(_S.c.is_participant.is_(True), _S.c.muted.is_(False))
    else:
        stmt = stmt.outerjoin(_S, state).where(
            _U.c.can_text.is_(True), func.coalesce(_S.c.muted, False).is_(False)
        )
    return stmt.order_by(_U.c.id)


_RECIPIENTS = {True: _recipients(True), False: _recipients(False)}


def _recipients_in(conn, firm_id: int, conversation_id: int, has_outbound: bool) -> list[int]:
    return list(
        conn.execute(
            _RECIPIENTS[bool(has_outbound)], {"firm_id": firm_id, "cid": conversation_id}
        ).scalars()
    )


def notify_user_ids_in(session: Session, conversation: t.Conversation) -> list[int]:
    """The users an inbound text in `conversation` notifies (see `_recipients`)."""
    return _recipients_in(
        session.connection(), conversation.firm_id, conversation.id, conversation.has_outbound
    )


# --- which firm a number belongs to ----------------------------------------------------------


def set_firm_number(session: Session, firm: str, number: str | None) -> t.Firm:
    """Make `number` the carrier number of `firm` (its name or id); None gives it up.

    Texts to the number are then routed to this firm, and it sends from it. Two firms never
    share a number: a text to it could not be routed.
    """
    e164 = None
    if number is not None:
        try:
            e164 = phones.normalize(number)
        except phones.InvalidPhoneNumber as exc:
            raise Invalid(f"{number!r} is not a phone number: {exc.reason}.") from None
    with session.begin():
        match = session.scalars(
            select(t.Firm).where(
                or_(t.Firm.name == firm, t.Firm.id == int(firm) if firm.isdigit() else false())
            )
        ).all()
        if not match:
            raise NotFound(f"There is no firm named {firm!r}.")
        if len(match) > 1:
            ids = ", ".join(str(f.id) for f in match)
            raise Invalid(f"{firm!r} names several firms (ids {ids}); give the id instead.")
        [row] = match
        if e164 is not None:
            owner = firms.owner_of_in(session, e164, besides=row.id)
            if owner is not None:
                raise firms.number_taken(e164, owner)
        row.from_number = e164
        firms.flush_number_in(session, e164)
    return row


# --- status callbacks -------------------------------------------------------------------------


def status_callback(session: Session, params: Mapping[str, str]) -> str:
    """Apply a status webhook; an unknown MessageSid or status is logged and acknowledged."""
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip()
    if not sid or not status:
        missing = " and ".join(
            n for n, v in (("MessageSid", sid), ("MessageStatus", status)) if not v
        )
        raise InboxError(f"The status callback is missing {missing}.")
    apply_status(
        session,
        sid,
        status,
        (params.get("ErrorCode") or "").strip() or None,
        (params.get("ErrorMessage") or "").strip() or None,
    )
    return empty_twiml()


def apply_status(
    session: Session,
    sid: str,
    carrier_status: str,
    error_code: str | None = None,
    error_text: str | None = None,
) -> bool:
    """Move the message with `sid` forward to `carrier_status`; False when no message has it."""
    try:
        incoming = statuses.from_carrier(carrier_status)
    except statuses.UnknownCarrierStatus:
        log.warning("status callback for %s with unknown status %r ignored", sid, carrier_status)
        return True
    with session.begin():
        message = session.scalar(
            select(t.Message).where(t.Message.carrier_sid == sid[:64]).with_for_update()
        )
        if message is None:
            log.info("status %s for unknown message %s ignored", carrier_status, sid)
            return False
        if message.direction != "outbound":
            return True
        new = statuses.advance(message.status, incoming)
        changed = new != message.status
        if changed:
            message.status = str(new)
        delivered_path = (statuses.MessageStatus.SENT, statuses.MessageStatus.DELIVERED)
        if new in delivered_path and message.sent_at is None:
            message.sent_at = t.utcnow()
            changed = True
        if changed and new in (statuses.MessageStatus.FAILED, statuses.MessageStatus.UNDELIVERED):
            code = (error_code or "")[:16] or None
            message.error_code = code
            message.error_text = error_text or _ERROR_TEXTS.get(code or "", "Not delivered.")
            from inbox_app.server.services import reachability

            reachability.carrier_refused_in(session, message, code)
        if changed:
            views.publish_message(session, message)
        return True


def status_sink(factory: sessionmaker[Session]):
    """A carrier `StatusSink` that applies statuses in sessions of `factory`."""

    def sink(sid: str, status: str, code: str | None, text: str | None) -> bool:
        with factory() as session:
            return apply_status(session, sid, status, code, text)

    return sink
