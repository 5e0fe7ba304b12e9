"""What the carrier tells us: inbound texts and status callbacks (webhooks and the simulator).

Both are idempotent and order-proof: a MessageSid is stored once (unique `carrier_sid`), and a
status never moves a message backwards (`domain.status.advance`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from inbox_app.domain import keywords, sms
from inbox_app.domain import phone as phones
from inbox_app.domain import status as statuses
from inbox_app.models import tables as t
from inbox_app.server.config import Settings
from inbox_app.server.errors import Forbidden, InboxError
from inbox_app.server.services import blocks, consent, conversations, events, views

log = logging.getLogger("inbox.inbound")

MAX_FORM_BYTES = 64 * 1024
MAX_MEDIA = 10
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


def empty_twiml() -> str:
    return str(MessagingResponse())


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


def status_webhook(
    session: Session, settings: Settings, params: Mapping[str, str], signature: str | None
) -> str:
    """The status-callback webhook: signature first (403, nothing changed), then apply."""
    check_signature(settings, STATUS_PATH, params, signature)
    return status_callback(session, params)


# --- inbound texts ----------------------------------------------------------------------------


def receive(session: Session, settings: Settings, params: Mapping[str, str]) -> str:
    """Store an inbound text (once per MessageSid) and answer TwiML (HELP gets the firm's reply)."""
    sid = (params.get("MessageSid") or params.get("SmsMessageSid") or "").strip()
    sender_raw = (params.get("From") or "").strip()
    if not sid or not sender_raw:
        missing = " and ".join(n for n, v in (("MessageSid", sid), ("From", sender_raw)) if not v)
        raise InboxError(f"The webhook form is missing {missing}; it is not a carrier message.")
    if len(sid) > 64 or len(sender_raw) > 64:
        raise InboxError("MessageSid or From is longer than 64 characters; not a carrier message.")
    sender = phones.normalize_sender(sender_raw)
    to = phones.normalize_sender(params.get("To") or "")
    items = _media_items(params, sid)

    # Settle duplicates and blocked senders before downloading anything.
    with session.begin():
        firm = _firm_for(session, to)
        if firm is None:
            log.error("inbound %s to %s dropped: no firm is set up on this server", sid, to)
            return empty_twiml()
        firm_id = firm.id
        if blocks.is_blocked(session, firm_id, sender):
            log.info("inbound %s from a blocked number acknowledged, not stored", sid)
            return empty_twiml()
        existing = _by_sid(session, sid)
        if existing is not None:
            return _twiml_for(session, existing)
    fetched = None
    if items:
        from inbox_app.server.services import media

        fetched = media.fetch_inbound(settings, items)

    with session.begin():
        existing = _by_sid(session, sid)
        if existing is not None:
            return _twiml_for(session, existing)
        firm = session.get(t.Firm, firm_id)
        conversation, _created = conversations.get_or_create_in(session, firm_id, sender)
        conversations.link_contact_in(session, conversation)
        body = params.get("Body") or ""
        measured = sms.measure(body)
        message = t.Message(
            firm_id=firm_id,
            conversation_id=conversation.id,
            direction="inbound",
            body=body,
            status="received",
            segments=measured.segments,
            encoding=str(measured.encoding),
            from_number=sender,
            to_number=to,
            carrier_sid=sid,
            sent_at=t.utcnow(),
            contact_id=_contact_id(session, firm_id, sender),
            matter_id=conversation.matter_id,
        )
        try:
            with session.begin_nested():
                session.add(message)
                session.flush()
        except IntegrityError:
            # Twilio retried while the first delivery was being stored; that one wins.
            existing = _by_sid(session, sid)
            if existing is None:
                raise
            return _twiml_for(session, existing)
        if items:
            from inbox_app.server.services import media

            media.store_inbound_in(session, settings, message, items, fetched=fetched)
        reply = _apply_keyword_in(session, firm, conversation, message)
        conversations.bring_back_in(session, conversation)
        conversations.touch_in(session, conversation, message)
        views.publish_message(session, message, "message.created")
        conversations.publish_updated_in(session, conversation)
        _notify_in(session, conversation, message)
    return reply


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
        url = (params.get(f"MediaUrl{i}") or "").strip()
        if url:
            items.append((url, (params.get(f"MediaContentType{i}") or "").strip()))
    return items


def _firm_for(session: Session, to: str) -> t.Firm | None:
    """The firm texting from `to`; on a one-firm server (the usual case) that firm."""
    firm = session.scalar(select(t.Firm).where(t.Firm.from_number == to).order_by(t.Firm.id))
    return firm or session.scalar(select(t.Firm).order_by(t.Firm.id).limit(1))


def _by_sid(session: Session, sid: str) -> t.Message | None:
    return session.scalar(select(t.Message).where(t.Message.carrier_sid == sid))


def _contact_id(session: Session, firm_id: int, phone: str) -> int | None:
    return session.scalar(
        select(t.Contact.id)
        .where(t.Contact.firm_id == firm_id, t.Contact.phone == phone)
        .order_by(t.Contact.trashed_at.is_not(None), t.Contact.archived, t.Contact.id)
        .limit(1)
    )


def _help_text(firm: t.Firm) -> str:
    template = firm.help_reply or "{firm}: reply STOP to opt out."
    # Plain replace, not str.format: an admin's stray brace must not break the reply.
    phone = firm.phone or firm.from_number
    shown = phones.format_display(phone) if phone else "our office"
    return template.replace("{firm}", firm.name).replace("{phone}", shown)


def _twiml_for(session: Session, message: t.Message) -> str:
    """The answer for a message already stored: a repeat gets the same reply as the first."""
    if message.direction == "inbound" and keywords.classify(message.body) is keywords.Keyword.HELP:
        response = MessagingResponse()
        response.message(_help_text(session.get(t.Firm, message.firm_id)))
        return str(response)
    return empty_twiml()


def _apply_keyword_in(
    session: Session, firm: t.Firm, conversation: t.Conversation, message: t.Message
) -> str:
    kind = keywords.classify(message.body)
    if kind is keywords.Keyword.OPT_OUT:
        consent.opt_out_in(
            session, firm.id, conversation.phone, source="keyword", message_id=message.id
        )
        conversation.opted_out = True
    elif kind is keywords.Keyword.OPT_IN:
        consent.opt_in_in(
            session, firm.id, conversation.phone, source="keyword", message_id=message.id
        )
        conversation.opted_out = False
    elif kind is keywords.Keyword.HELP:
        response = MessagingResponse()
        response.message(_help_text(firm))
        return str(response)
    return empty_twiml()


def notify_user_ids_in(session: Session, conversation: t.Conversation) -> list[int]:
    """Who hears of an inbound text: participants with the bell on; for a number the firm has
    never texted, every user allowed to text (unless they muted this thread)."""
    state = t.ConversationState
    on = and_(state.conversation_id == conversation.id, state.user_id == t.User.id)
    stmt = select(t.User.id).where(
        t.User.firm_id == conversation.firm_id,
        t.User.is_active.is_(True),
        t.User.notifications_enabled.is_(True),
    )
    if conversation.has_outbound:
        stmt = stmt.join(state, on).where(state.is_participant.is_(True), state.muted.is_(False))
    else:
        stmt = stmt.outerjoin(state, on).where(
            t.User.can_text.is_(True), func.coalesce(state.muted, False).is_(False)
        )
    return list(session.scalars(stmt.order_by(t.User.id)))


def _notify_in(session: Session, conversation: t.Conversation, message: t.Message) -> None:
    contact_name = None
    if conversation.client_id:
        client = session.get(t.Client, conversation.client_id)
        if client:
            contact_name = f"{client.first_name} {client.last_name}".strip()
    payload = {
        "conversation_id": conversation.id,
        "message_id": message.id,
        "phone": conversation.phone,
        "contact_name": contact_name,
        "body": message.body[: conversations.PREVIEW_CHARS],
        "has_media": bool(message.media),
    }
    for user_id in notify_user_ids_in(session, conversation):
        events.publish(session, conversation.firm_id, "notification", payload, user_id=user_id)


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
        if changed:
            views.publish_message(session, message)
        return True


def status_sink(factory: sessionmaker[Session]):
    """A carrier `StatusSink` that applies statuses in sessions of `factory`."""

    def sink(sid: str, status: str, code: str | None, text: str | None) -> bool:
        with factory() as session:
            return apply_status(session, sid, status, code, text)

    return sink
