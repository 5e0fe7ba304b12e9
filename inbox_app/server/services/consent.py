"""Consent of a number: opt-out and opt-in, honoured at once, with a history kept as evidence.

STOP by text, staff action and contact creation all come here, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import ConsentEventOut
from inbox_app.server.services import events, record_events

# Statuses of outbound messages that have not reached the carrier and so can still be stopped.
UNSENT = ("scheduled", "held", "queued")

# Called as hook(session, firm_id, phone) after consent changes (reminder resync registers here).
consent_hooks: list[Callable[[Session, int, str], None]] = []


def is_opted_out(session: Session, firm_id: int, phone: str) -> bool:
    conversation = session.scalar(
        select(t.Conversation.opted_out).where(
            t.Conversation.firm_id == firm_id, t.Conversation.phone == phone
        )
    )
    if conversation:
        return True
    return bool(
        session.scalar(
            select(t.Contact.id)
            .where(
                t.Contact.firm_id == firm_id,
                t.Contact.phone == phone,
                t.Contact.opted_out.is_(True),
            )
            .limit(1)
        )
    )


def _set(
    session: Session,
    firm_id: int,
    phone: str,
    opted_in: bool,
    *,
    source: str,
    user_id: int | None,
    message_id: int | None,
    contact_id: int | None,
    note: str,
) -> t.ConsentEvent:
    session.execute(
        update(t.Conversation)
        .where(t.Conversation.firm_id == firm_id, t.Conversation.phone == phone)
        .values(opted_out=not opted_in)
    )
    changed = session.execute(
        update(t.Contact)
        .where(t.Contact.firm_id == firm_id, t.Contact.phone == phone)
        .values(opted_out=not opted_in)
        .returning(t.Contact.id, t.Contact.client_id)
    ).all()
    # Every desktop showing one of these contacts redraws its badge (a STOP by text included).
    record_events.announce(session, firm_id, "contact.updated", changed)
    if contact_id is None:
        contact_id = session.scalar(
            select(t.Contact.id)
            .where(t.Contact.firm_id == firm_id, t.Contact.phone == phone)
            .order_by(t.Contact.id)
            .limit(1)
        )
    record = t.ConsentEvent(
        firm_id=firm_id,
        phone=phone,
        contact_id=contact_id,
        opted_in=opted_in,
        source=source,
        user_id=user_id,
        message_id=message_id,
        note=note,
    )
    session.add(record)
    session.flush()
    conversation_id = session.scalar(
        select(t.Conversation.id).where(
            t.Conversation.firm_id == firm_id, t.Conversation.phone == phone
        )
    )
    if conversation_id is not None:
        events.publish(
            session,
            firm_id,
            "conversation.updated",
            {"id": conversation_id, "opted_out": not opted_in},
        )
    return record


def opt_out_in(
    session: Session,
    firm_id: int,
    phone: str,
    *,
    source: str,
    user_id: int | None = None,
    message_id: int | None = None,
    contact_id: int | None = None,
    note: str = "",
) -> list[int]:
    """Opt `phone` out and cancel (keep, mark `canceled`) its unsent messages; returns their ids."""
    _set(
        session,
        firm_id,
        phone,
        False,
        source=source,
        user_id=user_id,
        message_id=message_id,
        contact_id=contact_id,
        note=note,
    )
    canceled = list(
        session.scalars(
            update(t.Message)
            .where(
                t.Message.firm_id == firm_id,
                t.Message.to_number == phone,
                t.Message.direction == "outbound",
                t.Message.status.in_(UNSENT),
                t.Message.claimed_by.is_(None),
            )
            .values(status="canceled", error_text="Recipient opted out")
            .returning(t.Message.id)
        )
    )
    for message_id_ in canceled:
        events.publish(
            session, firm_id, "message.updated", {"id": message_id_, "status": "canceled"}
        )
    for hook in consent_hooks:
        hook(session, firm_id, phone)
    return canceled


def opt_in_in(
    session: Session,
    firm_id: int,
    phone: str,
    *,
    source: str,
    user_id: int | None = None,
    message_id: int | None = None,
    contact_id: int | None = None,
    note: str = "",
) -> None:
    _set(
        session,
        firm_id,
        phone,
        True,
        source=source,
        user_id=user_id,
        message_id=message_id,
        contact_id=contact_id,
        note=note,
    )
    for hook in consent_hooks:
        hook(session, firm_id, phone)


def history(session: Session, firm_id: int, phone: str) -> list[t.ConsentEvent]:
    return list(
        session.scalars(
            select(t.ConsentEvent)
            .where(t.ConsentEvent.firm_id == firm_id, t.ConsentEvent.phone == phone)
            .order_by(t.ConsentEvent.id)
        )
    )


def history_out(session: Session, firm_id: int, phone: str) -> list[ConsentEventOut]:
    """The number's consent history, oldest first, naming the user behind each staff change."""
    rows = history(session, firm_id, phone)
    ids = {row.user_id for row in rows if row.user_id is not None}
    names = (
        {
            user.id: user.display_name or user.username
            for user in session.execute(
                select(t.User.id, t.User.display_name, t.User.username).where(t.User.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    return [
        ConsentEventOut.model_validate(row).model_copy(update={"user_name": names.get(row.user_id)})
        for row in rows
    ]
