"""The realtime stream: Server-Sent Events for everything that changes in the firm.

Authenticated like every call, with `Authorization: Bearer <token>`. Browser `EventSource`
cannot set headers, so `?access_token=<token>` is accepted too (prefer the header: URLs end up
in proxy logs). A reconnecting client sends `Last-Event-ID` (or `?last_event_id=`) and first
gets the stored events it missed, then live ones.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sse_starlette import EventSourceResponse

from inbox_app.server.deps import Offset
from inbox_app.server.errors import NotAuthenticated, Unavailable
from inbox_app.server.security import token_digest
from inbox_app.server.services import auth
from inbox_app.server.stream import Viewer

router = APIRouter(tags=["stream"])

_bearer = HTTPBearer(auto_error=False)
HEARTBEAT_SECONDS = 15


def stream_viewer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    access_token: Annotated[str | None, Query()] = None,
) -> Viewer:
    """The signed-in user, from the header or `?access_token=`; no session outlives this check."""
    token = credentials.credentials if credentials else access_token
    if not token:
        raise NotAuthenticated("Sign in first: this call needs a bearer token.")
    # A short session of its own: the stream stays open for hours and must not hold one.
    with request.app.state.sessionmaker() as session:
        user = auth.user_for_token(session, token)
        # The broker re-checks the token while the stream is open: signing out ends it.
        return Viewer(firm_id=user.firm_id, user_id=user.id, token_digest=token_digest(token))


@router.get("/stream")
async def stream(
    request: Request,
    viewer: Annotated[Viewer, Depends(stream_viewer)],
    last_event_id_header: Annotated[Offset | None, Header(alias="Last-Event-ID")] = None,
    last_event_id: Offset | None = None,
) -> EventSourceResponse:
    broker = getattr(request.app.state, "broker", None)
    if broker is None:
        raise Unavailable("The realtime stream is not running on this server.")
    after = last_event_id_header if last_event_id_header is not None else last_event_id
    subscription = broker.subscribe(viewer, after)
    return EventSourceResponse(broker.stream(subscription), ping=HEARTBEAT_SECONDS)
