"""Blocked numbers and the records kept of them: admins list, read, unblock and delete (403 for
staff). Any user blocks from the thread (`POST /conversations/{id}/block`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import BlockedNumberOut, MessagePage
from inbox_app.server.deps import CurrentUser, Id, OptionalId, SessionDep, SettingsDep
from inbox_app.server.services import blocks
from inbox_app.server.services.messages import PAGE_DEFAULT, PAGE_MAX

router = APIRouter(prefix="/blocks", tags=["blocks"])


@router.get("")
def list_blocked(
    user: CurrentUser,
    session: SessionDep,
    before: OptionalId = None,
    limit: Annotated[int, Query(ge=1, le=blocks.LIST_LIMIT)] = blocks.LIST_LIMIT,
) -> list[BlockedNumberOut]:
    return blocks.list_blocked(session, user, before, limit)


@router.get("/{block_id}")
def get_blocked(block_id: Id, user: CurrentUser, session: SessionDep) -> BlockedNumberOut:
    return blocks.get_blocked(session, user, block_id)


@router.get("/{block_id}/messages")
def record_messages(
    block_id: Id,
    user: CurrentUser,
    session: SessionDep,
    before: OptionalId = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
) -> MessagePage:
    return blocks.record_messages(session, user, block_id, before, limit)


@router.delete("/{block_id}", status_code=204)
def unblock(block_id: Id, user: CurrentUser, session: SessionDep) -> None:
    blocks.unblock(session, user, block_id)


@router.delete("/{block_id}/record", status_code=204)
def delete_record(
    block_id: Id, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> None:
    blocks.delete_record(session, settings, user, block_id)
