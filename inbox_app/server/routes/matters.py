"""Matters (cases) of clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import MatterIn, MatterOut, MatterPatch
from inbox_app.server.deps import CurrentUser, Id, Offset, OptionalId, SessionDep
from inbox_app.server.services import matters

router = APIRouter(prefix="/matters", tags=["matters"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201)
def create_matter(body: MatterIn, user: CurrentUser, session: SessionDep) -> MatterOut:
    return matters.create_matter(session, user, body)


@router.get("")
def list_matters(
    user: CurrentUser,
    session: SessionDep,
    q: str | None = None,
    client_id: OptionalId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[MatterOut]:
    return matters.list_matters(session, user, q=q, client_id=client_id, limit=limit, offset=offset)


@router.get("/{matter_id}")
def get_matter(matter_id: Id, user: CurrentUser, session: SessionDep) -> MatterOut:
    return matters.get_matter(session, user, matter_id)


@router.patch("/{matter_id}")
def update_matter(
    matter_id: Id, body: MatterPatch, user: CurrentUser, session: SessionDep
) -> MatterOut:
    return matters.update_matter(session, user, matter_id, body)


@router.delete("/{matter_id}", status_code=204)
def delete_matter(matter_id: Id, user: CurrentUser, session: SessionDep) -> None:
    matters.delete_matter(session, user, matter_id)
