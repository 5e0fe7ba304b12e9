"""Contacts: a client's phone numbers, with consent, archive, trash and restore.

A number that does not parse is kept as typed and badged invalid; it never gets a text. Every
change that can alter who gets reminders resyncs the client's events in the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from inbox_app.domain import phone
from inbox_app.models import tables as t
from inbox_app.models.schemas import ConsentEventOut, ContactIn, ContactOut, ContactPatch
from inbox_app.server.errors import Conflict, Invalid, NotFound
from inbox_app.server.services import consent, events, record_events, reminders

CONTACT_TYPES = ("cell", "mobile", "home", "work", "school", "fax", "other")


def contact_out(contact: t.Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        client_id=contact.client_id,
        phone=contact.phone,
        type=contact.type,
        channel=contact.channel,
        opted_out=contact.opted_out,
        invalid=contact.invalid,
        can_receive_texts=not contact.cannot_receive_texts,
        archived=contact.archived,
        trashed=contact.trashed_at is not None,
    )


def contact_in(session: Session, firm_id: int, contact_id: int) -> t.Contact:
    contact = session.get(t.Contact, contact_id)
    if contact is None or contact.firm_id != firm_id:
        raise NotFound(f"There is no contact {contact_id}.")
    return contact


def _type(value: str) -> str:
    kind = value.strip().lower()
    if kind not in CONTACT_TYPES:
        raise Invalid(f"Unknown contact type {value!r}; use one of {', '.join(CONTACT_TYPES)}.")
    return kind


def _resync(session: Session, contact: t.Contact) -> None:
    if contact.client_id is not None:
        reminders.sync_clients_in(session, contact.firm_id, [contact.client_id])
    _announce(session, contact)


def _announce(session: Session, contact: t.Contact) -> None:
    record_events.announce(
        session, contact.firm_id, "contact.updated", [(contact.id, contact.client_id)]
    )


def create_contact(session: Session, user: t.User, client_id: int, body: ContactIn) -> ContactOut:
    """Add a number to a client; consent given here is recorded, an earlier STOP still holds."""
    kind = _type(body.type)
    try:
        number, invalid = phone.normalize(body.phone), False
    except phone.InvalidPhoneNumber:
        number, invalid = body.phone.strip(), True
    if not number:
        raise Invalid("phone: enter the contact's phone number.")
    with session.begin():
        client = session.get(t.Client, client_id)
        if client is None or client.firm_id != user.firm_id:
            raise NotFound(f"There is no client {client_id}.")
        _refuse_duplicate(session, client.id, number)
        opted_out = not invalid and consent.is_opted_out(session, user.firm_id, number)
        contact = t.Contact(
            firm_id=user.firm_id,
            client_id=client.id,
            phone=number,
            type=kind,
            channel=body.channel,
            invalid=invalid,
            # The rule compose applies: a landline or toll-free number never gets a text.
            cannot_receive_texts=not invalid and not phone.is_mobile_capable(number),
            opted_out=opted_out,
        )
        session.add(contact)
        session.flush()
        if not invalid:
            _file_conversation(session, user.firm_id, number, client.id)
            if not body.consent:
                consent.opt_out_in(
                    session,
                    user.firm_id,
                    number,
                    source="created",
                    user_id=user.id,
                    contact_id=contact.id,
                    note="Added without consent to text",
                )
            elif not opted_out:
                # The consent hook resyncs every client with this number, this one included.
                consent.opt_in_in(
                    session,
                    user.firm_id,
                    number,
                    source="created",
                    user_id=user.id,
                    contact_id=contact.id,
                    note="Added with consent to text",
                )
        session.refresh(contact)
        _announce(session, contact)
        return contact_out(contact)


def _refuse_duplicate(
    session: Session, client_id: int, number: str, but: int | None = None
) -> None:
    """409 when the client already has an active (not archived or trashed) contact `number`."""
    query = select(t.Contact.id).where(
        t.Contact.client_id == client_id,
        t.Contact.phone == number,
        t.Contact.archived.is_(False),
        t.Contact.trashed_at.is_(None),
    )
    if but is not None:
        query = query.where(t.Contact.id != but)
    duplicate = session.scalar(query.limit(1))
    if duplicate is not None:
        restoring = f"Contact {but} cannot be restored: t" if but is not None else "T"
        raise Conflict(f"{restoring}his client already has {number} as contact {duplicate}.")


def _file_conversation(session: Session, firm_id: int, number: str, client_id: int) -> None:
    """An existing thread with this number that is filed under no one goes under this client."""
    filed = session.scalars(
        update(t.Conversation)
        .where(
            t.Conversation.firm_id == firm_id,
            t.Conversation.phone == number,
            t.Conversation.client_id.is_(None),
        )
        .values(client_id=client_id)
        .returning(t.Conversation.id)
    ).all()
    for conversation_id in filed:
        events.publish(
            session,
            firm_id,
            "conversation.updated",
            {"id": conversation_id, "client_id": client_id},
        )


def get_contact(session: Session, user: t.User, contact_id: int) -> ContactOut:
    with session.begin():
        return contact_out(contact_in(session, user.firm_id, contact_id))


def list_contacts(
    session: Session,
    user: t.User,
    *,
    q: str | None = None,
    client_id: int | None = None,
    archived: bool = False,
    trashed: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[ContactOut]:
    """Active contacts by default; `archived` or `trashed` lists those instead, as in the guide."""
    query = select(t.Contact).where(t.Contact.firm_id == user.firm_id)
    if trashed:
        query = query.where(t.Contact.trashed_at.is_not(None))
    else:
        query = query.where(t.Contact.trashed_at.is_(None), t.Contact.archived.is_(archived))
    if client_id is not None:
        query = query.where(t.Contact.client_id == client_id)
    if q and q.strip():
        digits = re.sub(r"\D", "", q)
        query = query.where(t.Contact.phone.contains(digits or q.strip()))
    query = query.order_by(t.Contact.id).limit(limit).offset(offset)
    with session.begin():
        return [contact_out(contact) for contact in session.scalars(query)]


def update_contact(
    session: Session, user: t.User, contact_id: int, patch: ContactPatch
) -> ContactOut:
    """Change a contact's type or channel; the number itself is fixed (add a new contact)."""
    fields = patch.model_dump(exclude_unset=True)
    for name in ("type", "channel"):
        if name in fields and fields[name] is None:
            raise Invalid(f"{name} cannot be cleared.")
    if "type" in fields:
        fields["type"] = _type(fields["type"])
    with session.begin():
        contact = contact_in(session, user.firm_id, contact_id)
        for name, value in fields.items():
            setattr(contact, name, value)
        session.flush()
        _resync(session, contact)
        return contact_out(contact)


def delete_contact(session: Session, user: t.User, contact_id: int) -> None:
    """Delete a contact for good; its unsent reminders go with it, its consent history stays."""
    with session.begin():
        contact = contact_in(session, user.firm_id, contact_id)
        client_id = contact.client_id
        session.delete(contact)
        session.flush()
        if client_id is not None:
            reminders.sync_clients_in(session, user.firm_id, [client_id])
        record_events.announce(session, user.firm_id, "contact.updated", [(contact_id, client_id)])


def opt_out(session: Session, user: t.User, contact_id: int, note: str = "") -> ContactOut:
    """Staff opt the number out: its unsent messages are canceled and it gets no more.

    `note` (why, e.g. "asked by phone") is kept in the consent history.
    """
    return _set_consent(session, user, contact_id, opted_out=True, note=note)


def opt_in(session: Session, user: t.User, contact_id: int, note: str = "") -> ContactOut:
    """Staff opt the number back in; reminders are made again for upcoming events."""
    return _set_consent(session, user, contact_id, opted_out=False, note=note)


def _set_consent(
    session: Session, user: t.User, contact_id: int, *, opted_out: bool, note: str = ""
) -> ContactOut:
    change = consent.opt_out_in if opted_out else consent.opt_in_in
    note = note.strip()
    with session.begin():
        contact = contact_in(session, user.firm_id, contact_id)
        if contact.opted_out != opted_out:
            change(
                session,
                user.firm_id,
                contact.phone,
                source="staff",
                user_id=user.id,
                contact_id=contact.id,
                note=note,
            )
            session.refresh(contact)
        return contact_out(contact)


def archive(session: Session, user: t.User, contact_id: int) -> ContactOut:
    """Off the client's profile and out of reminders; its unsent reminders are removed."""
    return _set_state(session, user, contact_id, archived=True)


def trash(session: Session, user: t.User, contact_id: int) -> ContactOut:
    """Like archive, and purged for good after the firm's retention period."""
    return _set_state(session, user, contact_id, trashed_at=t.utcnow())


def restore(session: Session, user: t.User, contact_id: int) -> ContactOut:
    """Back on its client's profile (re-attached) and in reminders for upcoming events.

    Refused (409) when the client has meanwhile got an active contact with the same number.
    """
    return _set_state(session, user, contact_id, archived=False, trashed_at=None)


def _set_state(session: Session, user: t.User, contact_id: int, **state: object) -> ContactOut:
    with session.begin():
        contact = contact_in(session, user.firm_id, contact_id)
        if contact.trashed_at is not None and state.get("trashed_at") is not None:
            return contact_out(contact)
        is_restore = state.get("archived") is False and state.get("trashed_at", 0) is None
        if is_restore and contact.client_id is not None:
            _refuse_duplicate(session, contact.client_id, contact.phone, but=contact.id)
        for name, value in state.items():
            setattr(contact, name, value)
        session.flush()
        _resync(session, contact)
        return contact_out(contact)


def consent_history(session: Session, user: t.User, contact_id: int) -> list[ConsentEventOut]:
    """Every consent change of the contact's number, oldest first, with how and by whom."""
    with session.begin():
        contact = contact_in(session, user.firm_id, contact_id)
        return consent.history_out(session, user.firm_id, contact.phone)


def consent_for_phone(session: Session, user: t.User, number: str) -> list[ConsentEventOut]:
    """Consent history of any number, contact or not (read as E.164 when it parses)."""
    if not number or not number.strip():
        raise Invalid("phone: give the number whose consent history you want.")
    try:
        number = phone.normalize(number)
    except phone.InvalidPhoneNumber:
        number = number.strip()
    with session.begin():
        return consent.history_out(session, user.firm_id, number)


def purge_trashed(session: Session, now: datetime | None = None) -> int:
    """Delete contacts trashed longer ago than their firm's retention; returns how many."""
    now = now or t.utcnow()
    purged = 0
    with session.begin():
        firms = session.execute(select(t.Firm.id, t.Firm.trash_retention_days)).all()
        for firm_id, days in firms:
            result = session.execute(
                delete(t.Contact).where(
                    t.Contact.firm_id == firm_id,
                    t.Contact.trashed_at.is_not(None),
                    t.Contact.trashed_at < now - timedelta(days=days),
                )
            )
            purged += result.rowcount or 0
    return purged
