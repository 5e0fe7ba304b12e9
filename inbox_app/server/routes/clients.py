"""Clients and the contacts added to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import ClientIn, ClientOut, ClientPatch, ContactIn, ContactOut
from inbox_app.server.deps import CurrentUser, Id, Offset, SessionDep
from inbox_app.server.services import clients, contacts

router = APIRouter(prefix="/clients", tags=["clients"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201)
def create_client(body: ClientIn, user: CurrentUser, session: SessionDep) -> ClientOut:
    return clients.create_client(session, user, body)


@router.get("")
def list_clients(
    user: CurrentUser,
    session: SessionDep,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ClientOut]:
    return clients.list_clients(session, user, q=q, limit=limit, offset=offset)


@router.get("/{client_id}")
def get_client(client_id: Id, user: CurrentUser, session: SessionDep) -> ClientOut:
    return clients.get_client(session, user, client_id)


@router.patch("/{client_id}")
def update_client(
    client_id: Id, body: ClientPatch, user: CurrentUser, session: SessionDep
) -> ClientOut:
    return clients.update_client(session, user, client_id, body)


@router.delete("/{client_id}", status_code=204)
def delete_client(client_id: Id, user: CurrentUser, session: SessionDep) -> None:
    clients.delete_client(session, user, client_id)


@router.post("/{client_id}/contacts", status_code=201)
def create_contact(
    client_id: Id, body: ContactIn, user: CurrentUser, session: SessionDep
) -> ContactOut:
    return contacts.create_contact(session, user, client_id, body)


@router.get("/{client_id}/contacts")
def list_client_contacts(
    client_id: Id,
    user: CurrentUser,
    session: SessionDep,
    archived: bool = False,
    trashed: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ContactOut]:
    return contacts.list_contacts(
        session,
        user,
        client_id=client_id,
        archived=archived,
        trashed=trashed,
        limit=limit,
        offset=offset,
    )
