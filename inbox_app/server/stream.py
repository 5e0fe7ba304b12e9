"""The realtime broker: one per server process, fanning stored stream events out to SSE clients.

Every change writes a `StreamEvent` row in its own transaction (`services/events.py`); the row is
the truth. The broker only has to notice new rows and hand each to the subscribers allowed to
see it (same firm; for a row with `user_id`, only that user). It is woken

* in-process, right after a commit that published (`events.on_any_commit`, from any thread);
* on PostgreSQL, by `LISTEN inbox_events` on a dedicated connection (commits of other processes);
* by a fallback poll: every second on SQLite (two processes may share the file) and while the
  PostgreSQL listener is down; with a healthy listener only every `SAFETY_POLL` seconds, since
  NOTIFY reaches every listening connection and we re-read after each (re)connect.

A subscriber is a bounded `asyncio.Queue`; one that falls behind is dropped and its client
reconnects with `Last-Event-ID`, which replays the stored rows it missed.

A stream lives only as long as its token: every TOKEN_CHECK seconds one query asks which of the
open streams' tokens still exist, are unexpired and belong to an active user (signing out, a
password change and disabling delete or void them, from any process); the others are closed, and
their reconnect gets 401.

Presence (`announce`: who is typing) is the one thing not stored: it is short-lived, so it is
never replayed and carries no id. In a single process it is handed straight to the subscribers;
on PostgreSQL it travels as the payload of a NOTIFY on PRESENCE_CHANNEL, which every process's
listener (this one's included) hands to its own subscribers. A full queue skips it rather than
dropping the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import (
    Engine,
    Text,
    bindparam,
    cast,
    create_engine,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker
from sse_starlette import ServerSentEvent

from inbox_app.models import tables as t
from inbox_app.server.services import events, views
from inbox_app.server.services.presence import VIEWING_KIND, Typist, desktop_key

log = logging.getLogger("inbox.server.stream")

POLL_INTERVAL = 1.0
SAFETY_POLL = 10.0
# How long later ids wait for a missing lower id (see `_absorb`), and how long we keep looking for
# that id at all before deciding its transaction rolled back.
GAP_HOLD = 1.0
GAP_WATCH = 60.0
MAX_WATCHED = 1000
# A jump this large is a sequence reset or restore, not transactions in flight.
MAX_GAP_SPAN = 1000
READ_BATCH = 2000
REPLAY_PAGE = 500
QUEUE_SIZE = 1000
RETENTION = timedelta(days=7)
PRUNE_EVERY = 3600.0
RETRY_MS = 3000
TOKEN_CHECK = 1.0
TOKEN_BATCH = 500
PRESENCE_CHANNEL = "inbox_presence"
# NOTIFY payloads are capped at 8000 bytes by PostgreSQL; presence is far smaller.
PRESENCE_MAX_BYTES = 4000
# "This desktop has this thread open" (POST …/viewing): said on opening a thread and again every
# few minutes (ui/main_window.VIEWING_REFRESH_MS); a word holds this long, for so many desktops.
OPEN_SECONDS = 600.0
OPEN_REMEMBERED = 10_000


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Viewer(NamedTuple):
    """Who a stream is for: only events of this firm, and user-targeted ones for this user."""

    firm_id: int
    user_id: int
    # The SHA-256 of the bearer token the stream was opened with; None: never re-checked.
    token_digest: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A stored stream event, its payload already serialised once for every subscriber."""

    id: int
    firm_id: int
    user_id: int | None
    kind: str
    data: str

    def sse(self) -> ServerSentEvent:
        return ServerSentEvent(data=self.data, event=self.kind, id=str(self.id))


@dataclass(frozen=True, slots=True)
class Presence:
    """A short-lived event (never stored): for the firm's streams but not `skip_user_id`'s.

    One about a thread (`conversation_id`) goes only to the streams of desktops that have it
    open (see `Broker._has_open`); `presence.viewing`, which says which thread a desktop has open
    (`data`: {"desktop": presence.desktop_key of its token}), goes to no stream.
    """

    firm_id: int
    skip_user_id: int | None
    kind: str
    data: str
    conversation_id: int | None = None
    id: None = None

    def sse(self) -> ServerSentEvent:
        return ServerSentEvent(data=self.data, event=self.kind)

    def wire(self) -> str:
        """The NOTIFY payload that carries it to the other processes."""
        return json.dumps(
            {
                "firm_id": self.firm_id,
                "skip": self.skip_user_id,
                "kind": self.kind,
                "data": self.data,
                "conversation": self.conversation_id,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_wire(cls, payload: str) -> Presence:
        raw = json.loads(payload)
        conversation = raw.get("conversation")  # absent from a process of an older version
        return cls(
            int(raw["firm_id"]),
            raw["skip"],
            str(raw["kind"]),
            str(raw["data"]),
            int(conversation) if conversation is not None else None,
        )


@dataclass(eq=False)
class Subscription:
    """One connected client; `floor` is the broker's released id when it subscribed."""

    viewer: Viewer
    last_event_id: int | None
    floor: int
    queue: asyncio.Queue[Event | Presence | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    dropped: bool = False


def _event(row) -> Event:
    return Event(
        id=row.id, firm_id=row.firm_id, user_id=row.user_id, kind=_kind_of(row), data=row.data
    )


def _kind_of(row) -> str:
    """The stored kind, except a note stored as `message.*` before notes had kinds of their own
    (still in the history a reconnect replays): it goes out as `note.*`, as new ones do."""
    kind = row.kind
    if kind not in ("message.created", "message.updated") or '"internal"' not in row.data:
        return kind
    try:
        is_internal = json.loads(row.data).get("status") == "internal"
    except (ValueError, AttributeError):
        return kind
    return views.stream_kind_of_internal(kind) if is_internal else kind


# The payload as the JSON text stored (one line, as json.dumps writes it): handed to every
# subscriber as it is, never parsed and serialised again.
_COLUMNS = (
    t.StreamEvent.id,
    t.StreamEvent.firm_id,
    t.StreamEvent.user_id,
    t.StreamEvent.kind,
    cast(t.StreamEvent.payload, Text).label("data"),
)


# Built once: the broker reads after every commit, and building a statement costs more than
# running it.
_E = t.StreamEvent.__table__
_NEW = select(*_COLUMNS).where(_E.c.id > bindparam("top")).order_by(_E.c.id).limit(READ_BATCH)
_NEW_OR_WATCHED = (
    select(*_COLUMNS)
    .where(or_(_E.c.id > bindparam("top"), _E.c.id.in_(bindparam("watched", expanding=True))))
    .order_by(_E.c.id)
    .limit(READ_BATCH)
)


_T = t.AuthToken.__table__
_U = t.User.__table__
# Who each open stream's user is, too: a typing signal on this process needs no query of its own.
_VALID_TOKENS = (
    select(
        _T.c.token_hash,
        _U.c.id,
        _U.c.firm_id,
        _U.c.username,
        _U.c.display_name,
        _U.c.can_text,
    )
    .join(_U, _U.c.id == _T.c.user_id)
    .where(
        _T.c.token_hash.in_(bindparam("digests", expanding=True)),
        _T.c.expires_at > bindparam("now"),
        _U.c.is_active.is_(True),
    )
)


def _reader_engine(engine: Engine) -> tuple[Engine, bool]:
    """An engine for the broker's reads; on SQLite one whose reads take no write lock."""
    if engine.dialect.name != "sqlite":
        return engine, False
    # The app's SQLite engine opens every transaction with BEGIN IMMEDIATE (the write lock).
    # The broker reads after every commit, so it gets its own autocommit connections: each
    # SELECT is one consistent WAL snapshot and never makes writers wait.
    reader = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa_event.listens_for(reader, "connect")
    def _autocommit(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    return reader, True


class Broker:
    """Notices new `StreamEvent` rows and fans them out to the subscribers allowed to see them."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self._engine = engine
        self._sessions = sessions
        self._reader, self._owns_reader = _reader_engine(engine)
        self._is_postgres = engine.dialect.name == "postgresql"
        # SQLite reads of new rows take well under a millisecond and never wait for a lock
        # (WAL, autocommit): done on the loop, they skip a thread hand-off, which on a busy
        # process can wait out a whole GIL switch interval per hop.
        self._inline_reads = self._owns_reader
        self._subscribers: dict[int, set[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._listening = False
        # `_top`: highest id read. `_released`: every id up to it was handed out or given up.
        self._top = 0
        self._released = 0
        self._pending: dict[int, Event] = {}
        self._gaps: dict[int, float] = {}  # missing id -> when noticed; later ids wait for it
        self._late: dict[int, float] = {}  # given-up ids still delivered if they turn up
        self._last_prune = -math.inf
        # Token digest -> its user, for the open streams' tokens as of the last token check.
        self._typists: dict[str, Typist] = {}
        # A desktop's key (presence.desktop_key of its token) -> (the thread it last said it has
        # open, when it said so).
        self._open: dict[str, tuple[int, float]] = {}

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Begin at the newest stored event and start the reader (and the PostgreSQL listener)."""
        self._loop = asyncio.get_running_loop()
        newest = await asyncio.to_thread(self._newest_id)
        self._top = self._released = newest
        events.on_any_commit(self._on_commit)
        self._tasks.append(asyncio.create_task(self._run(), name="stream-broker"))
        if self._is_postgres:
            self._tasks.append(asyncio.create_task(self._listen(), name="stream-listen"))
        self._tasks.append(asyncio.create_task(self._check_tokens(), name="stream-tokens"))

    async def stop(self) -> None:
        events.remove_listener(self._on_commit)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for subs in list(self._subscribers.values()):
            for sub in list(subs):
                self._drop(sub)
        if self._owns_reader:
            self._reader.dispose()

    def wake(self) -> None:
        """Look for new rows now (call from the broker's event loop)."""
        self._wake.set()

    def _on_commit(self) -> None:
        # Called from whichever thread committed; the loop may already be closed at shutdown.
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if self._inline_reads and _running_loop() is loop and self._read_now():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._wake.set)

    def _read_now(self) -> bool:
        """Hand out what a commit on the loop just wrote, before its HTTP answer goes out."""
        try:
            rows = self._read_new(self._top, [*self._gaps, *self._late])
            self._absorb(rows, time.monotonic())
        except Exception:
            # Never fail the commit that called us; the reader task retries.
            log.exception("stream broker could not read new events at commit")
            return False
        return len(rows) < READ_BATCH

    # --- subscribers ----------------------------------------------------------------------------

    def subscribe(self, viewer: Viewer, last_event_id: int | None = None) -> Subscription:
        """Register a client now, so nothing released from here on can slip past it."""
        sub = Subscription(viewer=viewer, last_event_id=last_event_id, floor=self._released)
        self._subscribers.setdefault(viewer.firm_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subscribers.get(sub.viewer.firm_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscribers[sub.viewer.firm_id]

    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    async def stream(self, sub: Subscription) -> AsyncIterator[ServerSentEvent]:
        """The client's events: stored ones after its Last-Event-ID, then live ones, in order."""
        try:
            yield ServerSentEvent(comment="connected", retry=RETRY_MS)
            after = sub.last_event_id
            if after is not None and after > await asyncio.to_thread(self._newest_id):
                # An id this database never issued (it was reset or restored): start afresh.
                after = None
            replayed: set[int] = set()
            if after is not None:
                cursor = after
                while True:
                    page = await asyncio.to_thread(self._replay_page, sub.viewer, cursor, sub.floor)
                    for event in page:
                        if sub.dropped:
                            return  # its token was revoked meanwhile, or it fell behind
                        replayed.add(event.id)
                        yield event.sse()
                    if len(page) < REPLAY_PAGE:
                        break
                    cursor = page[-1].id
            # Live events are above `floor`, replay stopped at it: no gap, no repeat. A client
            # that saw more than this process has released (it was on another process) skips
            # what it already has.
            skip_upto = after if after is not None and after > sub.floor else 0
            while True:
                event = await sub.queue.get()
                if event is None:
                    return
                if event.id is None:
                    yield event.sse()  # presence: no id, so Last-Event-ID never points at it
                    continue
                if event.id in replayed or event.id <= skip_upto:
                    continue
                yield event.sse()
        finally:
            self.unsubscribe(sub)

    def _deliver(self, event: Event) -> None:
        for sub in list(self._subscribers.get(event.firm_id, ())):
            if event.user_id is not None and event.user_id != sub.viewer.user_id:
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                log.info("dropping a slow stream client of firm %s", event.firm_id)
                self._drop(sub)

    # --- presence -------------------------------------------------------------------------------

    async def announce(
        self,
        firm_id: int,
        kind: str,
        payload: dict,
        skip_user_id: int | None,
        conversation_id: int | None = None,
    ) -> None:
        """Hand a short-lived event to the firm's streams (all processes), not stored anywhere.

        Await on the broker's loop. On PostgreSQL it goes out as a NOTIFY payload (one round
        trip, no row written) and comes back through every process's listener, this one's
        included; otherwise it is handed to this process's subscribers at once. With a
        `conversation_id` it reaches only those who have that thread open.
        """
        data = json.dumps(payload, separators=(",", ":"))
        presence = Presence(firm_id, skip_user_id, kind, data, conversation_id)
        if self._is_postgres:
            wire = presence.wire()
            if len(wire.encode()) > PRESENCE_MAX_BYTES:
                raise ValueError(f"presence payload too large: {len(wire)} characters")
            await asyncio.to_thread(self._notify_presence, wire)
            return
        self._deliver_presence(presence)

    def _notify_presence(self, wire: str) -> None:
        with self._engine.connect() as conn:
            conn.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": PRESENCE_CHANNEL, "payload": wire},
            )
            conn.commit()

    def _deliver_presence(self, presence: Presence) -> None:
        now = time.monotonic()
        if presence.kind == VIEWING_KIND:
            try:
                desktop = str(json.loads(presence.data)["desktop"])
            except (ValueError, KeyError, TypeError):
                return
            if presence.conversation_id is not None:
                self._note_open(desktop, presence.conversation_id, now)
            return
        for sub in list(self._subscribers.get(presence.firm_id, ())):
            if sub.viewer.user_id == presence.skip_user_id or sub.dropped:
                continue
            digest = sub.viewer.token_digest
            key = desktop_key(digest) if digest is not None and self._open else None
            if not self._has_open(key, presence.conversation_id, now):
                continue
            # A client too slow for it misses a "typing…" that would be stale anyway; only
            # stored events, which it can replay, are worth dropping it for.
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(presence)

    def _note_open(self, desktop: str, conversation_id: int, now: float) -> None:
        if len(self._open) >= OPEN_REMEMBERED and desktop not in self._open:
            for stale in [d for d, (_c, at) in self._open.items() if now - at >= OPEN_SECONDS]:
                del self._open[stale]
            if len(self._open) >= OPEN_REMEMBERED:
                return  # that many desktops said so in ten minutes: this one gets everything
        self._open[desktop] = (conversation_id, now)

    def _has_open(self, desktop: str | None, conversation_id: int | None, now: float) -> bool:
        """Whether the stream's desktop has the thread open, as it last said.

        A desktop that has not said so lately (a build from before `…/viewing`, or one whose word
        was forgotten) gets every thread's presence, as all did before; it shows only the open
        thread's anyway.
        """
        if conversation_id is None or desktop is None:
            return True
        said = self._open.get(desktop)
        if said is None or now - said[1] >= OPEN_SECONDS:
            return True
        return said[0] == conversation_id

    def _drop(self, sub: Subscription) -> None:
        """End a client's stream; it reconnects with Last-Event-ID and replays what it missed."""
        sub.dropped = True
        self.unsubscribe(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    # --- tokens ---------------------------------------------------------------------------------

    async def _check_tokens(self) -> None:
        """End every stream whose token stopped being valid (see the module's docstring)."""
        while True:
            await asyncio.sleep(TOKEN_CHECK)
            try:
                await self.check_tokens()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream broker could not check tokens; retrying")

    async def check_tokens(self) -> int:
        """Drop the subscriptions whose token is no longer valid; how many were dropped."""
        subs = [
            sub
            for firm_subs in self._subscribers.values()
            for sub in firm_subs
            if sub.viewer.token_digest is not None
        ]
        if not subs:
            self._typists = {}
            return 0
        digests = sorted({sub.viewer.token_digest for sub in subs})
        self._typists = await asyncio.to_thread(self._valid_tokens, digests)
        valid = self._typists
        dropped = 0
        for sub in subs:
            if sub.viewer.token_digest not in valid and not sub.dropped:
                log.info("closing a stream of user %s: its token is not valid", sub.viewer.user_id)
                self._drop(sub)
                dropped += 1
        return dropped

    def _valid_tokens(self, digests: list[str]) -> dict[str, Typist]:
        now = t.utcnow()
        valid: dict[str, Typist] = {}
        with self._reader.connect() as conn:
            for start in range(0, len(digests), TOKEN_BATCH):
                rows = conn.execute(
                    _VALID_TOKENS,
                    {"digests": digests[start : start + TOKEN_BATCH], "now": now},
                )
                for digest, user_id, firm_id, username, display_name, can_text in rows:
                    valid[digest] = Typist(
                        firm_id, user_id, username, display_name or username, bool(can_text)
                    )
        return valid

    def typist_for(self, digest: str) -> Typist | None:
        """Who holds this token, if a stream of it is open here (as of the last check, <= 1 s)."""
        return self._typists.get(digest)

    # --- reading --------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._wait_time())
            self._wake.clear()
            try:
                watched = [*self._gaps, *self._late]
                if self._inline_reads:
                    rows = self._read_new(self._top, watched)
                else:
                    rows = await asyncio.to_thread(self._read_new, self._top, watched)
                self._absorb(rows, time.monotonic())
                if len(rows) >= READ_BATCH:
                    self._wake.set()
                if time.monotonic() - self._last_prune > PRUNE_EVERY:
                    self._last_prune = time.monotonic()
                    await asyncio.to_thread(self._prune)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream broker could not read new events; retrying")
                await asyncio.sleep(POLL_INTERVAL)

    def _wait_time(self) -> float:
        wait = SAFETY_POLL if self._is_postgres and self._listening else POLL_INTERVAL
        if self._gaps:
            # Wake in time to stop holding later events for a gap that never filled.
            oldest = min(self._gaps.values())
            wait = min(wait, max(0.0, oldest + GAP_HOLD - time.monotonic()) + 0.01)
        return wait

    def _absorb(self, rows: list[Event], now: float) -> None:
        """Take rows read in id order and release them to subscribers in id order.

        On PostgreSQL ids are taken at insert but become visible at commit, so a lower id can
        commit after a higher one (and a rolled-back transaction leaves a hole for good). When a
        row jumps past ids we have not seen, those ids become gaps: later rows wait up to
        GAP_HOLD for them, so clients get ids in order and a Last-Event-ID resumes exactly.
        After GAP_HOLD we stop waiting (most such holes are rollbacks) but keep asking for the id
        for GAP_WATCH and deliver it late if its slow transaction commits after all. Every read
        asks for `id > top OR id IN (gaps)`, so nothing is read twice. SQLite commits one writer
        at a time, so there ids simply arrive in order.
        """
        for event in rows:
            if event.id in self._late:
                del self._late[event.id]
                self._deliver(event)
                continue
            if event.id in self._gaps:
                del self._gaps[event.id]
            elif event.id > self._top:
                if event.id - self._top - 1 <= MAX_GAP_SPAN:
                    for missing in range(self._top + 1, event.id):
                        self._gaps[missing] = now
                self._top = event.id
            else:
                continue
            self._pending[event.id] = event
        for missing, since in list(self._gaps.items()):
            if now - since >= GAP_HOLD:
                del self._gaps[missing]
                self._late[missing] = since
        for missing, since in list(self._late.items()):
            if now - since >= GAP_WATCH:
                del self._late[missing]
        while len(self._late) > MAX_WATCHED:
            del self._late[min(self._late, key=self._late.__getitem__)]
        limit = min(self._gaps, default=math.inf)
        for event_id in sorted(self._pending):
            if event_id > limit:
                break
            self._deliver(self._pending.pop(event_id))
            self._released = event_id
        if not self._gaps:
            self._released = self._top

    def _newest_id(self) -> int:
        with self._reader.connect() as conn:
            return conn.scalar(select(func.max(t.StreamEvent.id))) or 0

    def _read_new(self, top: int, watched: list[int]) -> list[Event]:
        with self._reader.connect() as conn:
            if watched:
                rows = conn.execute(_NEW_OR_WATCHED, {"top": top, "watched": watched}).all()
            else:
                rows = conn.execute(_NEW, {"top": top}).all()
        return [_event(row) for row in rows]

    def _replay_page(self, viewer: Viewer, after: int, upto: int) -> list[Event]:
        with self._reader.connect() as conn:
            rows = conn.execute(
                select(*_COLUMNS)
                .where(
                    t.StreamEvent.firm_id == viewer.firm_id,
                    or_(t.StreamEvent.user_id.is_(None), t.StreamEvent.user_id == viewer.user_id),
                    t.StreamEvent.id > after,
                    t.StreamEvent.id <= upto,
                )
                .order_by(t.StreamEvent.id)
                .limit(REPLAY_PAGE)
            ).all()
        return [_event(row) for row in rows]

    def _prune(self) -> None:
        """Forget events older than RETENTION; a client away that long reloads its inbox anyway."""
        cutoff = t.utcnow() - RETENTION
        with self._sessions() as session, session.begin():
            newest = session.scalar(select(func.max(t.StreamEvent.id))) or 0
            # Keep the newest row: SQLite hands out max(id) + 1, so an emptied table would
            # reuse ids that clients already hold as Last-Event-ID.
            session.execute(
                delete(t.StreamEvent).where(
                    t.StreamEvent.created_at < cutoff, t.StreamEvent.id < newest
                )
            )

    # --- PostgreSQL LISTEN ----------------------------------------------------------------------

    def _heard_presence(self, payload: str) -> None:
        try:
            presence = Presence.from_wire(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed presence notification")
            return
        self._deliver_presence(presence)

    async def _listen(self) -> None:
        import psycopg

        dsn = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {events.CHANNEL}")
                    await conn.execute(f"LISTEN {PRESENCE_CHANNEL}")
                    self._listening = True
                    # Anything committed while we were not listening is read now.
                    self._wake.set()
                    async for notify in conn.notifies():
                        if notify.channel == PRESENCE_CHANNEL:
                            self._heard_presence(notify.payload)
                        else:
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("stream listener lost its PostgreSQL connection (%s); retrying", exc)
            finally:
                self._listening = False
            self._wake.set()
            await asyncio.sleep(POLL_INTERVAL)
