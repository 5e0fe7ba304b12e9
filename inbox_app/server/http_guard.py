"""A request's head (its request line and headers) is bounded in size and in time, below the app.

uvicorn's httptools protocol keeps whatever head a peer sends, however long and however slowly:
one connection sending a 200 MB header line grew the server by 270 MB, and a connection that
sends a byte of its head now and then is kept open for ever (uvicorn's keep-alive timer is
disarmed by the first byte). Here, a head must be whole within HEAD_BYTES and HEAD_SECONDS of
the connection opening (or of the previous response, on a kept-alive connection): over the
size it is answered 431, too slow 408, and the connection is closed. A connection that has sent
nothing by then is closed without an answer. Once the head is in, the request is the app's:
a live stream stays open as long as it likes, and the body's own bounds are in `limits`.

The server also holds at most MAX_CONNECTIONS connections at once: one more is answered 503
`busy` and closed before its request is read (a firm's desktops hold one live stream each, the
carrier a few webhooks at a time; a thousand is room to spare, and bounds what many slow peers
together can hold: heads of 32 KB, bodies of 64 KB without a token).

`uvicorn_options()` is what every server we run passes to uvicorn (`inbox-server serve`, the
desktop's demo server, the tests' servers).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

log = logging.getLogger("inbox.server")

# A head is a few hundred bytes (a bearer token, a Twilio signature); 32 KB is room to spare.
HEAD_BYTES = 32 * 1024
HEAD_SECONDS = 15.0
MAX_CONNECTIONS = 1000
# A refusal is logged at most this often (an attack would otherwise flood the log).
REFUSAL_LOG_SECONDS = 10.0


def _answer(status: int, reason: str, code: str, detail: str) -> bytes:
    body = json.dumps({"detail": detail, "code": code}).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode() + body


HEAD_TOO_LARGE = _answer(
    431,
    "Request Header Fields Too Large",
    "too_large",
    f"A request's headers can be at most {HEAD_BYTES // 1024} KB; send less.",
)
HEAD_TOO_SLOW = _answer(
    408,
    "Request Timeout",
    "too_slow",
    f"A request's headers must arrive within {HEAD_SECONDS:g} seconds; send it again.",
)

TOO_MANY_CONNECTIONS = _answer(
    503,
    "Service Unavailable",
    "busy",
    "The server has too many connections open; try again in a moment.",
)
_last_logged: dict[str, float] = {}


def _log_refusal(why: str, client) -> None:
    now = time.monotonic()
    if now - _last_logged.get(why, -REFUSAL_LOG_SECONDS) >= REFUSAL_LOG_SECONDS:
        _last_logged[why] = now
        log.warning("refused a request (%s) from %s", why, client)


def _guarded_protocol() -> type | None:
    """uvicorn's httptools protocol with the bounds above, or None without httptools."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
        return None

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._head_timer: asyncio.TimerHandle | None = None
            self._await_head()
            if len(self.connections) > MAX_CONNECTIONS:
                self._refuse(TOO_MANY_CONNECTIONS, "too many connections")

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            waiting = self._awaiting_head
            if waiting:
                self._head_bytes += len(data)
            super().data_received(data)
            # Counted per read: a read that also carries the body's start is fine when the
            # head ended in it (on_headers_complete ran), so only a head still open is refused.
            if waiting and self._awaiting_head and self._head_bytes > HEAD_BYTES:
                self._refuse(HEAD_TOO_LARGE, "too large")

        def on_headers_complete(self) -> None:
            self._awaiting_head = False
            self._stop_head_timer()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._await_head()

        def _await_head(self) -> None:
            self._awaiting_head = True
            self._head_bytes = 0
            self._stop_head_timer()
            self._head_timer = self.loop.call_later(HEAD_SECONDS, self._head_timeout)

        def _stop_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timeout(self) -> None:
            self._head_timer = None
            busy = self.cycle is not None and not self.cycle.response_complete
            if not self._awaiting_head or busy or self.transport.is_closing():
                return
            if self._head_bytes:
                self._refuse(HEAD_TOO_SLOW, "too slow")
            else:
                self.transport.close()

        def _refuse(self, answer: bytes, why: str) -> None:
            self._awaiting_head = False
            self._stop_head_timer()
            _log_refusal(why, self.client)
            self.transport.write(answer)
            self.transport.close()

    return GuardedHttpToolsProtocol


def uvicorn_options() -> dict[str, Any]:
    """uvicorn.Config / uvicorn.run keyword arguments that apply the bounds above."""
    protocol = _guarded_protocol()
    if protocol is None:  # pragma: no cover
        # h11 bounds a head's size itself; its time is then bounded only by keep-alive.
        return {"http": "h11", "h11_max_incomplete_event_size": HEAD_BYTES}
    return {"http": protocol}
