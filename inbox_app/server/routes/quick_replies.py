"""Quick replies: the firm's (everyone reads them, admins change them) and each user's own."""

from __future__ import annotations

from fastapi import APIRouter

from inbox_app.models.schemas import (
    QuickReplyIn,
    QuickReplyOut,
    QuickReplyPatch,
    QuickReplyRendered,
)
from inbox_app.server.deps import CurrentUser, Id, SessionDep
from inbox_app.server.services import quick_replies

router = APIRouter(prefix="/quick-replies", tags=["quick replies"])


@router.get("")
def list_quick_replies(user: CurrentUser, session: SessionDep) -> list[QuickReplyOut]:
    return quick_replies.list_for(session, user)


@router.post("", status_code=201)
def create_quick_reply(body: QuickReplyIn, user: CurrentUser, session: SessionDep) -> QuickReplyOut:
    return quick_replies.create(session, user, body)


@router.patch("/{reply_id}")
def update_quick_reply(
    reply_id: Id, body: QuickReplyPatch, user: CurrentUser, session: SessionDep
) -> QuickReplyOut:
    return quick_replies.update(session, user, reply_id, body)


@router.delete("/{reply_id}", status_code=204)
def delete_quick_reply(reply_id: Id, user: CurrentUser, session: SessionDep) -> None:
    quick_replies.delete(session, user, reply_id)


@router.get("/{reply_id}/render")
def render_quick_reply(
    reply_id: Id, conversation_id: Id, user: CurrentUser, session: SessionDep
) -> QuickReplyRendered:
    return quick_replies.render(session, user, reply_id, conversation_id)
