"""Blocked numbers: the thread is deleted for good (or kept read-only and hidden), later texts
from the number are acknowledged to the carrier but not stored, and nothing is sent to it.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import BlockedNumberOut, MessagePage
from inbox_app.server.config import Settings
from inbox_app.server.errors import Forbidden, NotFound
from inbox_app.server.services import conversations, credits, events

# Outbound messages not yet handed to the carrier; blocking cancels them.
UNSENT = ("scheduled", "held", "queued")
BLOCKED_COMPOSE = (
    "{phone} is blocked, so it cannot be texted. An account admin can unblock it under"
    " View > Blocked numbers."
)
LIST_LIMIT = 500
ADMINS_ONLY = "Only an account admin can see, unblock or delete blocked numbers and their records."


def is_blocked(session: Session, firm_id: int, phone: str) -> bool:
    return (
        session.scalar(
            select(t.BlockedNumber.id).where(
                t.BlockedNumber.firm_id == firm_id, t.BlockedNumber.phone == phone
            )
        )
        is not None
    )


def block(
    session: Session, settings: Settings, user: t.User, conversation_id: int, keep_record: bool
) -> None:
    """Block the conversation's number; delete the thread and its media unless `keep_record`."""
    with session.begin():
        conversation = conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        block_number_in(session, user.firm_id, conversation.phone, user.id, keep_record)
        if keep_record:
            conversation.hidden = True
            _cancel_unsent_in(session, conversation)
            conversations.publish_updated_in(session, conversation)
            return
        delete_thread_in(session, settings, conversation)


def delete_thread_in(session: Session, settings: Settings, conversation: t.Conversation) -> None:
    """Delete a blocked number's thread for good: messages, media files, its stream history."""
    from inbox_app.server.services import media

    conversation_id, firm_id = conversation.id, conversation.firm_id
    # Files go once the rows are gone for good (after commit).
    media.delete_files_for_in(session, settings, conversation_id)
    _refund_unsent_in(session, conversation)
    session.execute(delete(t.Conversation).where(t.Conversation.id == conversation_id))
    session.expunge(conversation)
    deleted = events.publish(session, firm_id, "conversation.deleted", {"id": conversation_id})
    # Its stream history goes too (a replay from Last-Event-ID 0 must not bring it back); the
    # deletion is written first so the newest id is never one that was deleted.
    events.forget_conversation_in(session, firm_id, conversation_id, before=deleted.id)


# --- the Blocked view (admins) ----------------------------------------------------------------


def list_blocked(
    session: Session, user: t.User, before: int | None = None, limit: int = LIST_LIMIT
) -> list[BlockedNumberOut]:
    """The firm's blocked numbers, newest block first (page on with `before`: the last id),
    each with its kept record if any."""
    _require_admin(user)
    with session.begin():
        return _outs(session, user.firm_id, before=before, limit=max(1, min(limit, LIST_LIMIT)))


def get_blocked(session: Session, user: t.User, block_id: int) -> BlockedNumberOut:
    _require_admin(user)
    with session.begin():
        return _outs(session, user.firm_id, only_id=_block_in(session, user, block_id).id)[0]


def record_messages(
    session: Session, user: t.User, block_id: int, before: int | None, limit: int
) -> MessagePage:
    """A page of a kept record, read-only (media through /media/{id} as for any thread), its
    notes included (an admin's view of the whole record, not a contract call)."""
    from inbox_app.server.services import messages

    _require_admin(user)
    with session.begin():
        conversation = _record_in(session, user, block_id)
        conversation_id = conversation.id
    return messages.page(session, user, conversation_id, before, limit, include_notes=True)


def unblock(session: Session, user: t.User, block_id: int) -> None:
    """Texts from and to the number work again; a kept record comes back to the inboxes."""
    _require_admin(user)
    with session.begin():
        blocked = _block_in(session, user, block_id)
        conversation = _conversation_of_in(session, blocked)
        session.delete(blocked)
        if conversation is not None:
            conversation.hidden = False
            conversations.publish_updated_in(session, conversation)


def delete_record(session: Session, settings: Settings, user: t.User, block_id: int) -> None:
    """Delete a kept record for good; the number stays blocked."""
    _require_admin(user)
    with session.begin():
        blocked = _block_in(session, user, block_id)
        conversation = _record_in(session, user, block_id)
        blocked.kept_record = False
        delete_thread_in(session, settings, conversation)


def _require_admin(user: t.User) -> None:
    # Checked before any read, so staff learn nothing about which numbers are blocked.
    if user.role != "admin":
        raise Forbidden(ADMINS_ONLY)


def _block_in(session: Session, user: t.User, block_id: int) -> t.BlockedNumber:
    blocked = session.get(t.BlockedNumber, block_id)
    if blocked is None or blocked.firm_id != user.firm_id:
        raise NotFound("This blocked number does not exist; it may have been unblocked.")
    return blocked


def _conversation_of_in(session: Session, blocked: t.BlockedNumber) -> t.Conversation | None:
    return session.scalar(
        select(t.Conversation).where(
            t.Conversation.firm_id == blocked.firm_id, t.Conversation.phone == blocked.phone
        )
    )


def _record_in(session: Session, user: t.User, block_id: int) -> t.Conversation:
    conversation = _conversation_of_in(session, _block_in(session, user, block_id))
    if conversation is None:
        raise NotFound("No record was kept for this number: its thread was deleted when blocked.")
    return conversation


def _outs(
    session: Session,
    firm_id: int,
    only_id: int | None = None,
    before: int | None = None,
    limit: int = LIST_LIMIT,
) -> list[BlockedNumberOut]:
    b, c = t.BlockedNumber, t.Conversation
    count = (
        select(func.count(t.Message.id))
        .where(t.Message.conversation_id == c.id)
        .correlate(c)
        .scalar_subquery()
    )
    stmt = (
        select(
            b,
            c.id.label("conversation_id"),
            c.last_message_at,
            count.label("message_count"),
            func.trim(t.Client.first_name + " " + t.Client.last_name).label("contact_name"),
            t.User.display_name,
            t.User.username,
        )
        .outerjoin(c, (c.firm_id == b.firm_id) & (c.phone == b.phone))
        .outerjoin(t.Client, t.Client.id == c.client_id)
        .outerjoin(t.User, t.User.id == b.blocked_by_id)
        .where(b.firm_id == firm_id)
        .order_by(b.id.desc())
        .limit(limit)
    )
    if only_id is not None:
        stmt = stmt.where(b.id == only_id)
    if before is not None:
        stmt = stmt.where(b.id < before)
    return [
        BlockedNumberOut(
            id=row[0].id,
            phone=row[0].phone,
            contact_name=row.contact_name or None,
            blocked_at=row[0].created_at,
            blocked_by=row.display_name or row.username,
            conversation_id=row.conversation_id,
            message_count=int(row.message_count or 0) if row.conversation_id else 0,
            last_message_at=row.last_message_at,
        )
        for row in session.execute(stmt)
    ]


def block_number_in(
    session: Session, firm_id: int, phone: str, user_id: int | None, keep_record: bool
) -> None:
    if is_blocked(session, firm_id, phone):
        return
    try:
        with session.begin_nested():
            session.add(
                t.BlockedNumber(
                    firm_id=firm_id, phone=phone, blocked_by_id=user_id, kept_record=keep_record
                )
            )
            session.flush()
    except IntegrityError:
        # Two users blocked the same number at once: one row is enough.
        pass


def _unsent(session: Session, conversation: t.Conversation) -> list[t.Message]:
    return list(
        session.scalars(
            select(t.Message).where(
                t.Message.conversation_id == conversation.id,
                t.Message.direction == "outbound",
                t.Message.status.in_(UNSENT),
                t.Message.claimed_by.is_(None),
            )
        )
    )


def _cancel_unsent_in(session: Session, conversation: t.Conversation) -> None:
    from inbox_app.server.services import views

    for message in _unsent(session, conversation):
        message.status = "canceled"
        message.error_text = "The number was blocked"
        credits.refund_in(session, message, note="Number blocked before sending")
        views.publish_message(session, message)


def _refund_unsent_in(session: Session, conversation: t.Conversation) -> None:
    for message in _unsent(session, conversation):
        credits.refund_in(session, message, note="Number blocked before sending")
    # The ledger keeps its rows; their message ids are cleared by the database.
    session.execute(
        update(t.Message)
        .where(t.Message.conversation_id == conversation.id)
        .values(status="canceled")
        .where(t.Message.status.in_(UNSENT))
    )
