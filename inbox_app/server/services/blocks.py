"""Blocked numbers: the thread is deleted for good (or kept read-only and hidden), later texts
from the number are acknowledged to the carrier but not stored, and nothing is sent to it.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server.config import Settings
from inbox_app.server.services import conversations, credits, events

# Outbound messages not yet handed to the carrier; blocking cancels them.
UNSENT = ("scheduled", "held", "queued")


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
        from inbox_app.server.services import media

        # Files go once the rows are gone for good (after commit).
        media.delete_files_for_in(session, settings, conversation.id)
        _refund_unsent_in(session, conversation)
        session.execute(delete(t.Conversation).where(t.Conversation.id == conversation.id))
        session.expunge(conversation)
        events.publish(session, user.firm_id, "conversation.deleted", {"id": conversation_id})


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
