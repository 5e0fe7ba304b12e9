"""Conversations: my inbox, compose to a number, the per-user and firm-wide actions, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from inbox_app.models.schemas import (
    BlockIn,
    ConversationFileIn,
    ConversationIn,
    ConversationOut,
    ExportOut,
)
from inbox_app.server.deps import CurrentUser, Id, SessionDep, SettingsDep
from inbox_app.server.services import blocks, conversations, export

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("")
def list_conversations(
    user: CurrentUser,
    session: SessionDep,
    unread: bool = False,
    archived: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=conversations.LIST_LIMIT)] = conversations.LIST_LIMIT,
) -> list[ConversationOut]:
    return conversations.list_for(session, user, unread=unread, archived=archived, q=q, limit=limit)


@router.post("", status_code=201)
def compose(
    body: ConversationIn, user: CurrentUser, session: SessionDep, response: Response
) -> ConversationOut:
    out, created = conversations.compose(session, user, body)
    response.status_code = 201 if created else 200
    return out


@router.get("/{conversation_id}")
def get_conversation(
    conversation_id: Id, user: CurrentUser, session: SessionDep
) -> ConversationOut:
    return conversations.get(session, user, conversation_id)


@router.get("/{conversation_id}/export")
def export_conversation(conversation_id: Id, user: CurrentUser, session: SessionDep) -> ExportOut:
    return export.export(session, user, conversation_id)


@router.put("/{conversation_id}/file")
@router.post("/{conversation_id}/file", operation_id="file_conversation_post")
def file_conversation(
    conversation_id: Id, body: ConversationFileIn, user: CurrentUser, session: SessionDep
) -> ConversationOut:
    return conversations.file(session, user, conversation_id, body)


@router.post("/{conversation_id}/block", status_code=204)
def block(
    conversation_id: Id,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    body: BlockIn | None = None,
) -> None:
    blocks.block(session, settings, user, conversation_id, (body or BlockIn()).keep_record)


@router.post("/{conversation_id}/{action}")
def act(
    conversation_id: Id, action: conversations.Action, user: CurrentUser, session: SessionDep
) -> ConversationOut:
    return conversations.apply_action(session, user, conversation_id, action)
