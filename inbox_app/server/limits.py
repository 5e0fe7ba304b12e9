"""Request bodies are capped as they stream, and /api/v1 refuses a caller without a valid token
before reading a byte of what it sends (a pure ASGI middleware, below every route).

A declared `Content-Length` over the cap is answered 413 at once; a chunked body is counted as
its `http.request` messages arrive and cut off at the cap, so neither costs more memory than
the cap. The caps: 8 MB for multipart sends with images (and the simulator's media upload),
6 MB for a file import (`POST /api/v1/import`, at most 20,000 rows), 1 MB for everything else
(JSON, carrier webhooks).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from inbox_app.server.errors import InboxError, NotAuthenticated, PayloadTooLarge

log = logging.getLogger("inbox.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_BYTES = 1024 * 1024
MULTIPART_BYTES = 8 * 1024 * 1024
API_PREFIX = "/api/v1/"
# Calls made without a token: signing in.
OPEN_PATHS = frozenset({"/api/v1/auth/token"})
LARGE_PATHS_PREFIX = ("/media/simulator",)
IMPORT_PATH = "/api/v1/import"
IMPORT_BYTES = 6 * 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(Exception):
    """Raised from `receive` once the body passes its cap; the middleware answers 413."""


def body_cap(path: str, headers: dict[bytes, bytes]) -> int:
    """The most bytes a request to `path` with these headers may carry."""
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type == b"multipart/form-data" or path.startswith(LARGE_PATHS_PREFIX):
        return MULTIPART_BYTES
    if path == IMPORT_PATH:
        return IMPORT_BYTES
    return JSON_BYTES


def _too_large_error(cap: int) -> PayloadTooLarge:
    megabytes = cap // (1024 * 1024)
    what = "A message with its images" if cap == MULTIPART_BYTES else "A request body"
    if cap == IMPORT_BYTES:
        what = "An import (split the file)"
    return PayloadTooLarge(f"{what} can be at most {megabytes} MB; send less.", limit=cap)


def _bearer_token(headers: dict[bytes, bytes]) -> str | None:
    value = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class BodyLimitMiddleware:
    """See the module docstring. `authenticate(token)` raises NotAuthenticated for a bad one."""

    def __init__(self, app, authenticate: Callable[[Any, str], None]) -> None:
        self.app = app
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        path = scope.get("path", "")
        cap = body_cap(path, headers)
        declared = headers.get(b"content-length", b"")
        has_body = scope.get("method") in BODY_METHODS and (
            b"transfer-encoding" in headers or (declared.isdigit() and int(declared) > 0)
        )
        if has_body and path.startswith(API_PREFIX) and path not in OPEN_PATHS:
            token = _bearer_token(headers)
            try:
                if token is None:
                    raise NotAuthenticated("Sign in first: this call needs a bearer token.")
                await run_in_threadpool(self.authenticate, scope["app"], token)
            except InboxError as exc:
                await _answer(send, exc)
                return
        if declared.isdigit() and int(declared) > cap:
            await _answer(send, _too_large_error(cap))
            return

        received = 0
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    refused = True
                    raise _TooLarge
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # whatever the app made of the cut-off body, the answer is 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await _answer(send, _too_large_error(cap))


async def _answer(send: Send, exc: InboxError) -> None:
    body = json.dumps({"detail": exc.message, "code": exc.code, **exc.detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def check_token(app, token: str) -> None:
    """A valid, unexpired token of an active user, or NotAuthenticated."""
    from inbox_app.server.services import auth

    with app.state.sessionmaker() as session, session.begin():
        auth.user_for_token(session, token)
