"""Request bodies are capped as they stream, and /api/v1 refuses a caller without a valid token
before reading a byte of what it sends (a pure ASGI middleware, below every route).

A declared `Content-Length` over the cap is answered 413 at once; a chunked body is counted as
its `http.request` messages arrive and cut off at the cap, so neither costs more memory than
the cap. The caps: 8 MB for multipart sends with images (and the simulator's media upload),
6 MB for a file import (`POST /api/v1/import`, at most 20,000 rows), 1 MB for everything else
(JSON), and 64 KB for a call made without a token (signing in, the carrier's webhooks), which
anybody can make.

A body is bounded in time too: it must keep coming (a pause of BODY_IDLE_SECONDS is a 408) and
be whole within BODY_SECONDS, so a peer trickling a body cannot hold a request and its buffer
open for ever. (The request's head has its own bounds, below the app: `http_guard`.)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from inbox_app.server.errors import (
    InboxError,
    NotAuthenticated,
    PayloadTooLarge,
    RequestTooSlow,
)

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
# The simulator's media upload (services/media.py SIMULATOR_PATH; simulate mode only).
LARGE_PATHS_PREFIX = ("/webhooks/simulator/media",)
IMPORT_PATH = "/api/v1/import"
IMPORT_BYTES = 6 * 1024 * 1024
# Sign-in and the carrier's webhooks (a Twilio webhook is a few KB, ten media links included).
OPEN_BYTES = 64 * 1024
# The longest a body may pause, and the longest it may take in all (8 MB in 120 s is 70 KB/s).
BODY_IDLE_SECONDS = 20.0
BODY_SECONDS = 120.0
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(Exception):
    """Raised from `receive` once the body passes its cap; the middleware answers 413."""


class _TooSlow(Exception):
    """Raised from `receive` once the body is overdue; the middleware answers 408."""


def body_cap(path: str, headers: dict[bytes, bytes]) -> int:
    """The most bytes a request to `path` with these headers may carry."""
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type == b"multipart/form-data" or path.startswith(LARGE_PATHS_PREFIX):
        return MULTIPART_BYTES
    if path == IMPORT_PATH:
        return IMPORT_BYTES
    if not path.startswith(API_PREFIX) or path in OPEN_PATHS:
        return OPEN_BYTES
    return JSON_BYTES


def _too_large_error(cap: int) -> PayloadTooLarge:
    size = f"{cap // (1024 * 1024)} MB" if cap >= 1024 * 1024 else f"{cap // 1024} KB"
    what = "A message with its images" if cap == MULTIPART_BYTES else "A request body"
    if cap == IMPORT_BYTES:
        what = "An import (split the file)"
    return PayloadTooLarge(f"{what} can be at most {size}; send less.", limit=cap)


def _too_slow_error() -> RequestTooSlow:
    return RequestTooSlow(
        f"The request body stopped arriving or came too slowly (it must keep coming and be "
        f"whole within {BODY_SECONDS:g} seconds); send it again.",
        limit_seconds=BODY_SECONDS,
    )


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
        refused: InboxError | None = None
        # Until the body is whole, each read is timed; after it, `receive` waits for the
        # client to go away (a live stream does so for hours) and is not.
        body_done = not has_body
        deadline = asyncio.get_running_loop().time() + BODY_SECONDS

        async def counted_receive() -> Message:
            nonlocal received, refused, body_done
            if body_done:
                return await receive()
            left = min(BODY_IDLE_SECONDS, deadline - asyncio.get_running_loop().time())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(left, 0.0))
            except TimeoutError:
                refused = _too_slow_error()
                raise _TooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    refused = _too_large_error(cap)
                    raise _TooLarge
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None:
                return  # whatever the app made of the cut-off body, the answer is ours
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except (_TooLarge, _TooSlow):
            pass
        except Exception:
            if refused is None:
                raise
        if refused is not None:
            log.info("refused a request body: %s %s (%s)", scope.get("method"), path, refused.code)
            if not started:
                await _answer(send, refused)


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
