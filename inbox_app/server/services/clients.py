"""Clients: the people reminders are about; a change resyncs all their events' reminders."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import ClientIn, ClientOut, ClientPatch
from inbox_app.server.errors import Invalid, NotFound
from inbox_app.server.services import contacts, record_events, reminders

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$")


def client_in(session: Session, firm_id: int, client_id: int) -> t.Client:
    client = session.get(t.Client, client_id)
    if client is None or client.firm_id != firm_id:
        raise NotFound(f"There is no client {client_id}.")
    return client


def client_out(session: Session, client: t.Client) -> ClientOut:
    """The client with its active contacts (archived and trashed ones are off the profile)."""
    active = session.scalars(
        select(t.Contact)
        .where(
            t.Contact.client_id == client.id,
            t.Contact.archived.is_(False),
            t.Contact.trashed_at.is_(None),
        )
        .order_by(t.Contact.id)
    )
    out = ClientOut.model_validate(client)
    out.contacts = [contacts.contact_out(contact) for contact in active]
    return out


def _language(value: str) -> str:
    language = value.strip().lower()
    if not _LANGUAGE.match(language):
        raise Invalid(f"{value!r} is not a language code; use one like en or es.")
    return language


def create_client(session: Session, user: t.User, body: ClientIn) -> ClientOut:
    first_name = body.first_name.strip()
    if not first_name:
        raise Invalid("first_name: a client needs a first name.")
    with session.begin():
        client = t.Client(
            firm_id=user.firm_id,
            first_name=first_name,
            last_name=body.last_name.strip(),
            language=_language(body.language),
        )
        session.add(client)
        session.flush()
        record_events.announce(session, user.firm_id, "client.updated", [(client.id, client.id)])
        return client_out(session, client)


def get_client(session: Session, user: t.User, client_id: int) -> ClientOut:
    with session.begin():
        return client_out(session, client_in(session, user.firm_id, client_id))


def list_clients(
    session: Session, user: t.User, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> list[ClientOut]:
    """Clients by name; `q` matches a first or last name, "First Last", a contact's number or a
    matter's case number."""
    query = select(t.Client).where(t.Client.firm_id == user.firm_id)
    if q and q.strip():
        words = q.strip().split()
        for word in words:
            pattern = f"%{word}%"
            query = query.where(
                or_(t.Client.first_name.ilike(pattern), t.Client.last_name.ilike(pattern))
            )
        by_case = select(t.Matter.client_id).where(
            t.Matter.firm_id == user.firm_id, t.Matter.case_number.ilike(f"%{q.strip()}%")
        )
        matches = [
            t.Client.id.in_(by_case),
            t.Client.id.in_(query.with_only_columns(t.Client.id)),
        ]
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3:
            matches.append(
                t.Client.id.in_(
                    select(t.Contact.client_id).where(
                        t.Contact.firm_id == user.firm_id, t.Contact.phone.contains(digits)
                    )
                )
            )
        query = select(t.Client).where(t.Client.firm_id == user.firm_id, or_(*matches))
    query = query.order_by(t.Client.last_name, t.Client.first_name, t.Client.id)
    with session.begin():
        clients = session.scalars(query.limit(limit).offset(offset)).all()
        return [client_out(session, client) for client in clients]


def update_client(session: Session, user: t.User, client_id: int, patch: ClientPatch) -> ClientOut:
    """Change a client; every event of theirs resyncs (a new language rewrites the reminders)."""
    fields = patch.model_dump(exclude_unset=True)
    if "first_name" in fields:
        if fields["first_name"] is None or not fields["first_name"].strip():
            raise Invalid("first_name: a client needs a first name.")
        fields["first_name"] = fields["first_name"].strip()
    if "last_name" in fields:
        fields["last_name"] = (fields["last_name"] or "").strip()
    if "language" in fields:
        if fields["language"] is None:
            raise Invalid("language cannot be cleared; use en for English.")
        fields["language"] = _language(fields["language"])
    with session.begin():
        client = client_in(session, user.firm_id, client_id)
        for name, value in fields.items():
            setattr(client, name, value)
        session.flush()
        reminders.sync_clients_in(session, user.firm_id, [client.id])
        record_events.announce(session, user.firm_id, "client.updated", [(client.id, client.id)])
        return client_out(session, client)


def delete_client(session: Session, user: t.User, client_id: int) -> None:
    """Delete a client with their matters and events; unsent reminders go, sent ones stay."""
    with session.begin():
        client = client_in(session, user.firm_id, client_id)
        event_ids = session.scalars(select(t.Event.id).where(t.Event.client_id == client.id)).all()
        reminders.remove_reminders_in(session, user.firm_id, event_ids)
        session.delete(client)
        record_events.announce(session, user.firm_id, "client.deleted", [(client_id, client_id)])
