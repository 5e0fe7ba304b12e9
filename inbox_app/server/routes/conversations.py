"""Conversations: my inbox, compose to a number, the per-user and firm-wide actions, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from inbox_app.models.schemas import (
    AssigneeIn,
    BlockIn,
    ConversationFileIn,
    ConversationIn,
    ConversationOut,
    ExportOut,
)
from inbox_app.server.deps import CurrentUser, Id, SessionDep, SettingsDep
from inbox_app.server.services import assignment, blocks, conversations, export

router = APIRouter(prefix="/conversations", tags=["conversations"])

EXPORT_BYTES = (
    "The canonical JSON document of the export (the `document` field of `/export`), as UTF-8 "
    "bytes: `sha256sum` of this file prints the digest on the printout (also in X-Export-SHA256)."
)


@router.get("")
def list_conversations(
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    unread: bool = False,
    archived: bool = False,
    mentions: bool = False,
    assigned_to_me: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=conversations.LIST_LIMIT)] = conversations.LIST_LIMIT,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> list[ConversationOut]:
    """A page of my inbox; `X-Total-Count` says how many there are, `X-Next-Cursor` (absent on
    the last page) is the `cursor=` of the next one."""
    page = conversations.list_for(
        session,
        user,
        unread=unread,
        archived=archived,
        mentions=mentions,
        assigned_to_me=assigned_to_me,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    response.headers["X-Total-Count"] = str(page.total)
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return page.conversations


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


@router.put("/{conversation_id}/assignee")
def assign_conversation(
    conversation_id: Id, body: AssigneeIn, user: CurrentUser, session: SessionDep
) -> ConversationOut:
    """Assign the conversation to one user of the firm, or to nobody (`user_id: null`)."""
    return assignment.assign(session, user, conversation_id, body)


@router.get("/{conversation_id}/export", response_model=ExportOut)
def export_conversation(conversation_id: Id, user: CurrentUser, session: SessionDep):
    # Streamed from a spool file: a 20,000-message thread is never one string in memory.
    spooled = export.spool(session, user, conversation_id)
    return StreamingResponse(spooled.export_json(), media_type="application/json")


@router.get(
    "/{conversation_id}/export.json",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/json": {}}, "description": EXPORT_BYTES}},
)
def export_document(conversation_id: Id, user: CurrentUser, session: SessionDep):
    """The export's document alone, byte for byte what its SHA-256 is of."""
    spooled = export.spool(session, user, conversation_id)
    headers = {
        "Content-Length": str(spooled.size),
        "X-Export-SHA256": spooled.sha256,
        "Content-Disposition": f'attachment; filename="conversation-{conversation_id}.json"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(
        spooled.document_bytes(), media_type="application/json", headers=headers
    )


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
