"""Contacts: lifecycle actions (opt out / in, archive, trash, restore) and consent history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import ConsentEventOut, ConsentIn, ContactOut, ContactPatch
from inbox_app.server.deps import CurrentUser, Id, Offset, OptionalId, SessionDep
from inbox_app.server.services import contacts

router = APIRouter(tags=["contacts"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/contacts")
def list_contacts(
    user: CurrentUser,
    session: SessionDep,
    q: str | None = None,
    client_id: OptionalId = None,
    archived: bool = False,
    trashed: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ContactOut]:
    return contacts.list_contacts(
        session,
        user,
        q=q,
        client_id=client_id,
        archived=archived,
        trashed=trashed,
        limit=limit,
        offset=offset,
    )


@router.get("/contacts/{contact_id}")
def get_contact(contact_id: Id, user: CurrentUser, session: SessionDep) -> ContactOut:
    return contacts.get_contact(session, user, contact_id)


@router.patch("/contacts/{contact_id}")
def update_contact(
    contact_id: Id, body: ContactPatch, user: CurrentUser, session: SessionDep
) -> ContactOut:
    return contacts.update_contact(session, user, contact_id, body)


@router.delete("/contacts/{contact_id}", status_code=204)
def delete_contact(contact_id: Id, user: CurrentUser, session: SessionDep) -> None:
    contacts.delete_contact(session, user, contact_id)


@router.post("/contacts/{contact_id}/opt-out")
def opt_out(
    contact_id: Id, user: CurrentUser, session: SessionDep, body: ConsentIn | None = None
) -> ContactOut:
    return contacts.opt_out(session, user, contact_id, body.note if body else "")


@router.post("/contacts/{contact_id}/opt-in")
def opt_in(
    contact_id: Id, user: CurrentUser, session: SessionDep, body: ConsentIn | None = None
) -> ContactOut:
    return contacts.opt_in(session, user, contact_id, body.note if body else "")


@router.post("/contacts/{contact_id}/archive")
def archive(contact_id: Id, user: CurrentUser, session: SessionDep) -> ContactOut:
    return contacts.archive(session, user, contact_id)


@router.post("/contacts/{contact_id}/trash")
def trash(contact_id: Id, user: CurrentUser, session: SessionDep) -> ContactOut:
    return contacts.trash(session, user, contact_id)


@router.post("/contacts/{contact_id}/restore")
def restore(contact_id: Id, user: CurrentUser, session: SessionDep) -> ContactOut:
    return contacts.restore(session, user, contact_id)


@router.get("/contacts/{contact_id}/consent")
def contact_consent(
    contact_id: Id, user: CurrentUser, session: SessionDep
) -> list[ConsentEventOut]:
    return contacts.consent_history(session, user, contact_id)


@router.get("/consent")
def consent_for_phone(
    phone: Annotated[str, Query(min_length=1, max_length=64)],
    user: CurrentUser,
    session: SessionDep,
) -> list[ConsentEventOut]:
    return contacts.consent_for_phone(session, user, phone)
