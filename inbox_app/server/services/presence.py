"""Who is replying: "Dana is typing…" for the colleagues who have the thread open.

Nothing here writes to the database: a typing signal is checked like any call on the
conversation (a valid token, the firm's conversation, not hidden, a user allowed to text) and
handed to the stream broker, which carries it to the firm's streams on every process but the
typist's own (see `server/stream.py`, presence).

A desktop sends one every few seconds while its user types, so the usual path is kept off the
database and off the thread pool: the typist nearly always has a stream open on this process,
whose token the broker re-checks every second (that is who they are), and a conversation's firm
never changes (its "hidden" flag is re-read after HIDDEN_TTL). Anything else takes the ordinary
path: one read in a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import threading
import time
from datetime import timedelta
from typing import NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inbox_app.models import tables as t
from inbox_app.server.errors import Forbidden, RecipientBlocked, ThreadNotFound
from inbox_app.server.security import token_digest

KIND = "presence.typing"
VIEWING_KIND = "presence.viewing"
# How long a typing signal shows; the desktop sends one at most every THROTTLE_SECONDS while the
# user types, so the line stays up while they type and goes a few seconds after they stop.
TYPING_SECONDS = 6
THROTTLE_SECONDS = 3
# The server's own floor per user and thread, whatever a client sends: at most one a second.
MIN_INTERVAL = 1.0
# A conversation blocked (hidden) a moment ago may still show someone typing for this long.
HIDDEN_TTL = 10.0
_REMEMBERED = 10_000


class Typist(NamedTuple):
    firm_id: int
    user_id: int
    username: str
    display_name: str
    can_text: bool


class Broker(Protocol):
    def typist_for(self, digest: str) -> Typist | None: ...

    async def announce(
        self,
        firm_id: int,
        kind: str,
        payload: dict,
        skip_user_id: int | None,
        conversation_id: int | None = None,
    ) -> None: ...


class Desk:
    """One per app: `typing()` checks a signal and hands it to the broker (set once running)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.broker: Broker | None = None
        self._conversations: dict[int, tuple[int, bool, float]] = {}
        self._last: dict[tuple, float] = {}
        self._lock = threading.Lock()

    async def typing(self, token: str, conversation_id: int) -> None:
        """`token`'s user is writing a text in the conversation: tell the firm's others."""
        broker = self.broker
        typist = broker.typist_for(token_digest(token)) if broker is not None else None
        if typist is None:
            typist = await asyncio.to_thread(self._typist_from_db, token)
        if not typist.can_text:
            raise Forbidden("Your account is not allowed to send texts; ask an account admin.")
        firm_id, hidden = await self._conversation(conversation_id)
        if firm_id != typist.firm_id:
            raise ThreadNotFound("This conversation does not exist or was deleted.")
        if hidden:
            raise RecipientBlocked("This number is blocked; texts to it are not sent.")
        if broker is None or self._too_soon(("typing", typist.user_id, conversation_id)):
            return
        until = t.utcnow() + timedelta(seconds=TYPING_SECONDS)
        payload = {
            "conversation_id": conversation_id,
            "user_id": typist.user_id,
            "user": typist.username,
            "display_name": typist.display_name or typist.username,
            "until": until.isoformat(),
            "seconds": TYPING_SECONDS,
        }
        await broker.announce(
            typist.firm_id, KIND, payload, skip_user_id=typist.user_id,
            conversation_id=conversation_id,
        )  # fmt: skip

    async def viewing(self, token: str, conversation_id: int) -> None:
        """`token`'s desktop has the conversation open: its typing signals are for this desktop.

        Not stored: the brokers of every process remember it for a while (`server/stream.py`).
        """
        broker = self.broker
        digest = token_digest(token)
        typist = broker.typist_for(digest) if broker is not None else None
        if typist is None:
            typist = await asyncio.to_thread(self._typist_from_db, token)
        firm_id, _hidden = await self._conversation(conversation_id)
        if firm_id != typist.firm_id:
            raise ThreadNotFound("This conversation does not exist or was deleted.")
        # Only the same word again within a second is dropped: a desktop moving from thread to
        # thread says each one, and the last must win.
        if broker is None or self._too_soon(("viewing", digest, conversation_id)):
            return
        await broker.announce(
            typist.firm_id, VIEWING_KIND, {"desktop": desktop_key(digest)},
            skip_user_id=typist.user_id,
            conversation_id=conversation_id,
        )  # fmt: skip

    # --- the ordinary path ------------------------------------------------------------------

    def _typist_from_db(self, token: str) -> Typist:
        from inbox_app.server.services import auth

        with self.sessions() as session, session.begin():
            user = auth.user_for_token(session, token)
            return typist_of(user)

    async def _conversation(self, conversation_id: int) -> tuple[int, bool]:
        known = self._conversations.get(conversation_id)
        if known is not None and time.monotonic() - known[2] < HIDDEN_TTL:
            return known[0], known[1]
        row = await asyncio.to_thread(self._read_conversation, conversation_id)
        if row is None:
            self._conversations.pop(conversation_id, None)
            raise ThreadNotFound("This conversation does not exist or was deleted.")
        if len(self._conversations) >= _REMEMBERED:
            self._conversations.clear()
        self._conversations[conversation_id] = (row[0], row[1], time.monotonic())
        return row

    def _read_conversation(self, conversation_id: int) -> tuple[int, bool] | None:
        c = t.Conversation
        with self.sessions() as session, session.begin():
            row = session.execute(
                select(c.firm_id, c.hidden).where(c.id == conversation_id)
            ).first()
        return (row.firm_id, bool(row.hidden)) if row is not None else None

    def _too_soon(self, key: tuple) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -MIN_INTERVAL) < MIN_INTERVAL:
                return True
            if len(self._last) >= _REMEMBERED:
                for stale in [k for k, at in self._last.items() if now - at >= MIN_INTERVAL]:
                    del self._last[stale]
            self._last[key] = now
            return False


@functools.lru_cache(maxsize=4096)
def desktop_key(digest: str) -> str:
    """Which desktop (token) a `presence.viewing` is about, as it crosses processes: a hash of the
    token's digest, never the digest itself (a process of an older version hands presence it
    does not know to its streams as it is)."""
    return hashlib.sha256(f"inbox-desktop:{digest}".encode()).hexdigest()[:32]


def typist_of(user: t.User) -> Typist:
    return Typist(
        firm_id=user.firm_id,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        can_text=bool(user.can_text),
    )
