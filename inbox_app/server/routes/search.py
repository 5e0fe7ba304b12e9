"""Search: conversations and the messages that matched, for the inbox and for one thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import SearchOut
from inbox_app.server.deps import CurrentUser, OptionalId, SessionDep
from inbox_app.server.services import search as search_service

router = APIRouter(tags=["search"])


@router.get("/search")
def search(
    user: CurrentUser,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    conversation_id: OptionalId = None,
    before: OptionalId = None,
    limit: Annotated[
        int, Query(ge=1, le=search_service.THREAD_LIMIT_MAX)
    ] = search_service.LIMIT_DEFAULT,
) -> SearchOut:
    """Conversations matching by name, number, matter, case number or message text, and the
    matching messages with a marked snippet; `conversation_id` searches one thread."""
    return search_service.search(
        session, user, q, conversation_id=conversation_id, limit=limit, before=before
    )
