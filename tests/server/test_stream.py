"""The realtime stream over real HTTP: fan-out by firm and user, replay, auth, two processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import select

from inbox_app.models import tables as t
from inbox_app.server.services import credits, events
from tests.conftest import login, make_user

WAIT = 5.0


@dataclass
class Received:
    id: int
    kind: str
    data: dict


@dataclass
class StreamClient:
    """Reads `GET /api/v1/stream` in a task; `events` fills as frames arrive."""

    base_url: str
    token: str | None = None
    last_event_id: int | None = None
    params: dict = field(default_factory=dict)
    events: list[Received] = field(default_factory=list)

    async def __aenter__(self) -> StreamClient:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=httpx.Timeout(10, read=60))
        self._request = self._http.stream(
            "GET", "/api/v1/stream", headers=headers, params=self.params
        )
        self.response = await self._request.__aenter__()
        self._changed = asyncio.Event()
        self._connected = asyncio.Event()
        self._task = asyncio.create_task(self._read())
        if self.response.status_code == 200:
            await asyncio.wait_for(self._connected.wait(), WAIT)
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self._task
        with contextlib.suppress(httpx.HTTPError):
            await self._request.__aexit__(None, None, None)
        await self._http.aclose()

    async def _read(self) -> None:
        if self.response.status_code != 200:
            self.body = await self.response.aread()
            return
        frame: dict[str, str] = {}
        async for line in self.response.aiter_lines():
            if line:
                if not line.startswith(":"):
                    name, _, value = line.partition(":")
                    frame[name] = value.removeprefix(" ")
                continue
            if "retry" in frame:
                self._connected.set()
            if "data" in frame:
                # Presence (who is typing) is never stored and has no id: 0 here.
                self.events.append(
                    Received(int(frame.get("id", 0)), frame["event"], json.loads(frame["data"]))
                )
                self._changed.set()
            frame = {}

    async def wait_for(self, count: int, timeout: float = WAIT) -> list[Received]:
        """Wait until `count` events have arrived; returns them."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"got {len(self.events)} of {count} events: {self.events}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return self.events


def publish(sessions, firm_id: int, kind: str, payload: dict, user_id: int | None = None) -> int:
    with sessions() as session, session.begin():
        row = events.publish(session, firm_id, kind, payload, user_id=user_id)
    return row.id


async def test_credits_change_arrives_on_the_stream_at_once(server, admin):
    async with StreamClient(server.base_url, admin.token) as stream:
        started = time.monotonic()
        with server.app.state.sessionmaker() as session, session.begin():
            balance = credits.add_in(session, admin.user["firm_id"], 500)
        (event,) = await stream.wait_for(1)
        assert time.monotonic() - started < 1.0
    assert event.kind == "credits.changed"
    assert event.data == {"balance": balance}


async def test_another_firms_user_never_sees_the_event(server, admin):
    make_user(server, "olga", firm="Other Firm")
    other = login(server, "olga")
    sessions = server.app.state.sessionmaker
    async with (
        StreamClient(server.base_url, admin.token) as mine,
        StreamClient(server.base_url, other.token) as theirs,
    ):
        publish(sessions, admin.user["firm_id"], "conversation.updated", {"id": 1})
        publish(sessions, other.user["firm_id"], "conversation.updated", {"id": 2})
        await mine.wait_for(1)
        await theirs.wait_for(1)
        # A marker published last: once it is in, the other firm's event would have been too.
        publish(sessions, other.user["firm_id"], "conversation.updated", {"id": 3})
        await theirs.wait_for(2)
    assert [e.data["id"] for e in mine.events] == [1]
    assert [e.data["id"] for e in theirs.events] == [2, 3]


async def test_an_event_for_one_user_reaches_only_that_user(server, admin, staff):
    sessions = server.app.state.sessionmaker
    firm_id = admin.user["firm_id"]
    async with (
        StreamClient(server.base_url, admin.token) as alice,
        StreamClient(server.base_url, staff.token) as paula,
    ):
        publish(sessions, firm_id, "notification", {"title": "for paula"}, user_id=staff.user["id"])
        publish(sessions, firm_id, "conversation.updated", {"id": 7})
        await paula.wait_for(2)
        await alice.wait_for(1)
    assert [e.kind for e in paula.events] == ["notification", "conversation.updated"]
    assert [e.kind for e in alice.events] == ["conversation.updated"]


async def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(server, admin, staff):
    sessions = server.app.state.sessionmaker
    firm_id = admin.user["firm_id"]
    async with StreamClient(server.base_url, admin.token) as first:
        publish(sessions, firm_id, "conversation.updated", {"id": 1})
        (seen,) = await first.wait_for(1)
    missed = [
        publish(sessions, firm_id, "conversation.updated", {"id": 2}),
        publish(sessions, firm_id, "notification", {"n": 1}, user_id=staff.user["id"]),
        publish(sessions, firm_id, "conversation.updated", {"id": 3}),
    ]
    async with StreamClient(server.base_url, admin.token, last_event_id=seen.id) as again:
        replayed = await again.wait_for(2)
        live = publish(sessions, firm_id, "conversation.updated", {"id": 4})
        await again.wait_for(3)
        # A marker after everything: nothing else (no repeat) may have slipped in before it.
        marker = publish(sessions, firm_id, "conversation.updated", {"id": 5})
        await again.wait_for(4)
    assert [e.id for e in replayed] == [missed[0], missed[2], live, marker]
    assert [e.data.get("id") for e in again.events] == [2, 3, 4, 5]

    # EventSource clients that cannot send headers use the query instead.
    params = {"access_token": staff.token, "last_event_id": str(seen.id)}
    async with StreamClient(server.base_url, params=params) as by_query:
        await by_query.wait_for(5)
    assert [e.id for e in by_query.events] == [*missed, live, marker]


async def test_stream_without_a_valid_token_is_401(server, admin):
    async with StreamClient(server.base_url) as anonymous:
        assert anonymous.response.status_code == 401
        await anonymous._task
        assert "bearer token" in json.loads(anonymous.body)["detail"]
    async with StreamClient(server.base_url, "forged") as forged:
        assert forged.response.status_code == 401
    params = {"access_token": "forged"}
    async with StreamClient(server.base_url, params=params) as forged_query:
        assert forged_query.response.status_code == 401


async def test_bad_last_event_id_is_422_not_500(server, admin):
    async with StreamClient(server.base_url, admin.token, params={"last_event_id": "x"}) as bad:
        assert bad.response.status_code == 422


async def test_a_client_that_stops_reading_is_dropped_not_waited_for(server, admin, monkeypatch):
    from inbox_app.server import stream as stream_module

    broker = server.app.state.broker
    sessions = server.app.state.sessionmaker
    firm_id = admin.user["firm_id"]
    viewer = stream_module.Viewer(firm_id=firm_id, user_id=admin.user["id"])
    # A subscriber that never reads, registered on the broker's own loop.
    monkeypatch.setattr(stream_module, "QUEUE_SIZE", 3)
    loop = broker._loop
    stuck = asyncio.run_coroutine_threadsafe(_subscribe(broker, viewer), loop).result(WAIT)
    monkeypatch.undo()
    async with StreamClient(server.base_url, admin.token) as reading:
        for n in range(5):
            publish(sessions, firm_id, "conversation.updated", {"id": n})
        await reading.wait_for(5)
    assert stuck.dropped


async def _subscribe(broker, viewer):
    return broker.subscribe(viewer)


@contextlib.contextmanager
def servers_in_processes(envs: list[dict[str, str]], ports: list[int]):
    """Several `inbox-server` processes, started side by side (start-up is mostly imports);
    yields their `Popen`s."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.harness import serve_in_process

    managers = [serve_in_process(env, port) for env, port in zip(envs, ports, strict=True)]
    with contextlib.ExitStack() as stack:
        with ThreadPoolExecutor(len(managers)) as pool:
            started = [pool.submit(manager.__enter__) for manager in managers]
        for manager, future in zip(managers, started, strict=True):
            if future.exception() is None:
                stack.push(manager)
        yield [future.result() for future in started]


@pytest.mark.slow
async def test_a_change_committed_elsewhere_reaches_a_stream_on_another_process(db_url, tmp_path):
    """Two `inbox-server` processes on one database; PostgreSQL fans out by LISTEN/NOTIFY."""
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services.auth import create_user
    from tests.conftest import PASSWORD
    from tests.harness import ACCOUNT_SID, AUTH_TOKEN, free_port, post_webhook

    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as session:
            user = create_user(session, "alice", PASSWORD, is_admin=True, firm_name="Doe Law")
            create_user(session, "bob", PASSWORD, firm_name="Doe Law")
        ports = [free_port(), free_port()]
        envs = [
            {
                "INBOX_DATABASE_URL": db_url,
                "INBOX_MEDIA_DIR": str(tmp_path / "media"),
                "INBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                # The only firm is given it at start-up: the webhook below is to its number.
                "INBOX_TWILIO_FROM": "+12015550100",
                "INBOX_SIMULATE_FAILURE_RATE": "0",
            }
            for port in ports
        ]
        with servers_in_processes(envs, ports):
            base_a, base_b = (f"http://127.0.0.1:{port}" for port in ports)
            token = httpx.post(
                f"{base_a}/api/v1/auth/token",
                json={"username": "alice", "password": PASSWORD},
                timeout=15,
            ).json()["access_token"]
            async with StreamClient(base_b, token) as on_b:
                # Commits from this test process: process B hears of them only through the
                # database (NOTIFY on PostgreSQL; its one-second poll on SQLite).
                for n in range(3):
                    started = time.monotonic()
                    publish(sessions, user.firm_id, "conversation.updated", {"id": n})
                    await on_b.wait_for(n + 1)
                    # NOTIFY takes milliseconds; B's safety poll is every 10 s. SQLite: 1 s poll.
                    limit = 2.0 if db_url.startswith("postgresql") else 3.0
                    assert time.monotonic() - started < limit
                assert [e.data["id"] for e in on_b.events] == [0, 1, 2]

                # A real change through process A's own webhook route streams on B as well.
                params = {
                    "MessageSid": "SM" + "b" * 32,
                    "AccountSid": ACCOUNT_SID,
                    "From": "+12025550123",
                    "To": "+12015550100",
                    "Body": "Is the hearing still on?",
                    "NumMedia": "0",
                }
                answer = await asyncio.to_thread(
                    post_webhook, base_a, "/webhooks/twilio/messages", params
                )
                assert answer.status_code == 200, answer.text
                created = await asyncio.wait_for(_next_of(on_b, "message.created", after=3), 10)
                assert created.data["body"] == "Is the hearing still on?"
                cid = created.data["conversation_id"]

                # Bob, signed in on A, types: Alice's stream on B hears it through a NOTIFY
                # payload (nothing stored). SQLite has no such channel: presence stays in the
                # process it was posted to there.
                bob = await asyncio.to_thread(
                    httpx.post,
                    f"{base_a}/api/v1/auth/token",
                    json={"username": "bob", "password": PASSWORD},
                    timeout=15,
                )
                bob_headers = {"Authorization": f"Bearer {bob.json()['access_token']}"}
                alice_headers = {"Authorization": f"Bearer {token}"}
                # Alice's desktop (its stream on B) says through A that it has this thread open,
                # so Bob's typing in another thread never reaches it, on any process.
                elsewhere = await asyncio.to_thread(
                    httpx.post,
                    f"{base_a}/api/v1/conversations",
                    json={"phone": "+12025550177"},
                    headers=alice_headers,
                )
                viewing = await asyncio.to_thread(
                    httpx.post, f"{base_a}/api/v1/conversations/{cid}/viewing",
                    headers=alice_headers,
                )  # fmt: skip
                assert viewing.status_code == 204, viewing.text
                for thread in (elsewhere.json()["id"], cid):
                    typed = await asyncio.to_thread(
                        httpx.post,
                        f"{base_a}/api/v1/conversations/{thread}/typing",
                        headers=bob_headers,
                    )
                    assert typed.status_code == 204, typed.text
                if db_url.startswith("postgresql"):
                    typing = await asyncio.wait_for(_next_of(on_b, "presence.typing"), 10)
                    assert typing.data["user"] == "bob"
                    assert typing.data["conversation_id"] == cid

                # Alice replies through A; Bob's guarded send through B is told of it.
                url = f"/api/v1/conversations/{cid}/messages"
                sent = await asyncio.to_thread(
                    httpx.post,
                    base_a + url,
                    json={"body": "Yes, 10am."},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert sent.status_code == 201, sent.text
                guarded = await asyncio.to_thread(
                    httpx.post,
                    base_b + url,
                    json={"body": "Yes it is.", "check_recent_reply": True},
                    headers=bob_headers,
                )
                assert guarded.status_code == 409, guarded.text
                assert guarded.json()["code"] == "recent_reply"
                assert guarded.json()["sent_by"] == "alice"

                # Two texts from one number at once, one to each process, while the office is
                # closed: the database lets one after-hours reply through (its unique key).
                await asyncio.to_thread(_close_the_office_now, base_a, token)
                texts = [
                    {**params, "MessageSid": f"SM{n}" + "c" * 31, "From": "+12025550177"}
                    for n in (1, 2)
                ]
                answers = await asyncio.gather(
                    *(
                        asyncio.to_thread(post_webhook, base, "/webhooks/twilio/messages", form)
                        for base, form in zip((base_a, base_b), texts, strict=True)
                    )
                )
                assert [a.status_code for a in answers] == [200, 200]
                with sessions() as session:
                    rows = session.execute(
                        select(t.Message.direction, t.Message.origin).where(
                            t.Message.to_number.in_(("+12025550177", "+12015550100")),
                            t.Message.from_number.in_(("+12025550177", "+12015550100")),
                        )
                    ).all()
                assert sorted(rows) == [("inbound", "manual")] * 2 + [("outbound", "auto")]
    finally:
        engine.dispose()


def _close_the_office_now(base_url: str, token: str) -> None:
    """After-hours reply on, with a one-minute opening each day at least six hours from now."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    hour = "18" if datetime.now(ZoneInfo("America/New_York")).hour < 12 else "06"
    day = {"open": f"{hour}:00", "close": f"{hour}:01"}
    week = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), day)
    response = httpx.put(
        f"{base_url}/api/v1/firm/settings",
        json={"after_hours_enabled": True, "opening_hours": week},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert response.status_code == 200, response.text


def test_a_lower_id_that_commits_late_is_delivered_in_id_order(tmp_path):
    """PostgreSQL makes ids visible at commit: the broker holds later ids briefly for a gap."""
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.stream import GAP_HOLD, Broker, Event, Viewer

    engine = make_engine(f"sqlite:///{tmp_path / 'gaps.db'}")
    broker = Broker(engine, make_sessionmaker(engine))
    sub = broker.subscribe(Viewer(firm_id=1, user_id=1))

    def row(event_id: int) -> Event:
        return Event(event_id, 1, None, "conversation.updated", "{}")

    def drain() -> list[int]:
        out = []
        while not sub.queue.empty():
            out.append(sub.queue.get_nowait().id)
        return out

    try:
        broker._absorb([row(2)], now=0.0)
        assert drain() == []  # id 1 is still in flight
        broker._absorb([row(1), row(3)], now=0.1)
        assert drain() == [1, 2, 3]
        broker._absorb([row(5)], now=1.0)
        assert drain() == []
        broker._absorb([], now=1.0 + GAP_HOLD)  # id 4 rolled back, or is very slow
        assert drain() == [5]
        broker._absorb([row(4)], now=5.0)  # it was slow: still delivered, late
        assert drain() == [4]
        broker._absorb([row(6)], now=6.0)
        assert drain() == [6]
    finally:
        engine.dispose()


async def _next_of(
    stream: StreamClient, kind: str, matches=lambda data: True, after: int = 0
) -> Received:
    """The first event of `kind` (whose data `matches`) from index `after` on, waiting for it."""
    seen = after
    while True:
        await stream.wait_for(seen + 1)
        for event in stream.events[seen:]:
            if event.kind == kind and matches(event.data):
                return event
        seen = len(stream.events)


async def test_real_operations_emit_their_events_on_the_wire(db_url, tmp_path):
    """Webhook, status callback, read, archive, block and top-up, each seen on the stream."""
    from tests.conftest import make_user
    from tests.harness import free_port, make_settings, serve_in_thread
    from tests.server.conftest import inbound, status

    # The simulated carrier's own statuses would arrive later than this test runs: every
    # message.updated seen here comes from the status callback the test posts.
    settings = make_settings(db_url, tmp_path, free_port(), simulate_status_delay=60)
    with serve_in_thread(settings) as running:
        make_user(running, "alice", admin=True)
        admin = await asyncio.to_thread(login, running, "alice")
        async with StreamClient(running.base_url, admin.token) as stream:
            answer = await asyncio.to_thread(inbound, running, "Is court still on?")
            assert answer.status_code == 200
            created = await _next_of(stream, "message.created")
            assert created.data["body"] == "Is court still on?"
            assert created.data["direction"] == "inbound"
            cid = created.data["conversation_id"]

            sent = await asyncio.to_thread(
                admin.post, f"/api/v1/conversations/{cid}/messages", json={"body": "Yes, 10am"}
            )
            assert sent.status_code == 201, sent.text
            handed_off = await _next_of(
                stream,
                "message.updated",
                lambda d: d["id"] == sent.json()["id"] and d["carrier_sid"],
            )
            callback = await asyncio.to_thread(
                status, running, handed_off.data["carrier_sid"], "delivered"
            )
            assert callback.status_code == 200
            delivered = await _next_of(
                stream, "message.updated", lambda d: d["status"] == "delivered"
            )
            assert delivered.data["id"] == sent.json()["id"]

            # Read changes only my view: its event is for me. Archive changes everyone's.
            for action, matches in (
                ("read", lambda d: d["id"] == cid and not d["archived"]),
                ("archive", lambda d: d["id"] == cid and d["archived"]),
            ):
                seen = len(stream.events)
                answer = await asyncio.to_thread(
                    admin.post, f"/api/v1/conversations/{cid}/{action}"
                )
                assert answer.status_code == 200, answer.text
                await _next_of(stream, "conversation.updated", matches, after=seen)

            seen = len(stream.events)
            topped = await asyncio.to_thread(
                admin.post,
                "/api/v1/credits/top-up",
                json={"bundles": 1, "reference": "INV-2026-0042"},
            )
            assert topped.status_code == 200, topped.text
            balance = topped.json()["balance"]
            await _next_of(stream, "credits.changed", lambda d: d["balance"] == balance, seen)

            blocked = await asyncio.to_thread(admin.post, f"/api/v1/conversations/{cid}/block")
            assert blocked.status_code == 204, blocked.text
            deleted = await _next_of(stream, "conversation.deleted", after=seen)
            assert deleted.data == {"id": cid}
