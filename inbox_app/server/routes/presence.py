"""Presence: I am writing in a thread, and which thread this desktop has open; carried by the
stream (or kept by the brokers a while) and never stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from inbox_app.server.deps import Id
from inbox_app.server.errors import NotAuthenticated

router = APIRouter(tags=["presence"])

_bearer = HTTPBearer(auto_error=False)


@router.post("/conversations/{conversation_id}/typing", status_code=204)
async def typing(
    conversation_id: Id,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """I am writing a text here: the firm's other users see `presence.typing` on their stream.

    Async and usually without a query (`services/presence.py`): sent every few seconds by every
    desktop whose user is typing, it must not queue behind the thread pool.
    """
    if credentials is None:
        raise NotAuthenticated("Sign in first: this call needs a bearer token.")
    await request.app.state.presence.typing(credentials.credentials, conversation_id)


@router.post("/conversations/{conversation_id}/viewing", status_code=204)
async def viewing(
    conversation_id: Id,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """This desktop has the thread open: typing in it reaches this desktop's stream.

    Said again every few minutes while the thread stays open; a desktop that never says (an
    older build) gets typing in every thread. Nothing is stored.
    """
    if credentials is None:
        raise NotAuthenticated("Sign in first: this call needs a bearer token.")
    await request.app.state.presence.viewing(credentials.credentials, conversation_id)
