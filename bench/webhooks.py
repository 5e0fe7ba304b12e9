"""Inbound webhooks per second, against a bare FastAPI endpoint, and webhook-to-stream latency.

Run by hand from the repository root: `.venv/bin/python bench/webhooks.py [--count 2000]`.
Starts the real `inbox-server` (SQLite in a temp dir, simulate mode) and a bare FastAPI app that
only parses the same form, both as separate processes under the same uvicorn setup, and posts
signed inbound webhooks to each from a few concurrent clients. A stream connected to the real
server times each webhook from POST to its `message.created` event.
Targets: throughput ratio >= 0.5 on SQLite; p99 latency under 100 ms.
`--typing 20` adds presence: 20 users, each with a stream open, typing in 10 threads (one
`POST …/typing` every 3 s each, as the desktop throttles it), in rounds alternating with quiet
ones; it prints the p99 that typing adds (target < 5 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    free_port,
    serve_in_process,
    sign,
    wait_until_up,
)

PATH = "/webhooks/twilio/messages"
FIRM_NUMBER = "+12015550100"
PASSWORD = "bench password 123"
SENDERS = 50


def bare_app():
    """The floor to compare against: the same route, parsing the same form, doing nothing."""
    app = FastAPI()

    @app.post(PATH)
    async def inbound(request: Request) -> Response:
        form = await request.form()
        assert form.get("MessageSid")
        return Response("<Response/>", media_type="application/xml")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    # The same uvicorn options as `inbox-server` (cli._cmd_serve).
    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="info", access_log=False)


def forms(count: int, public_url: str) -> list[tuple[dict[str, str], str]]:
    """Signed inbound webhook forms (CONTRACT.md fields), from a mix of senders."""
    out = []
    for n in range(count):
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID,
            "From": f"+1201555{2000 + n % SENDERS:04d}",
            "To": FIRM_NUMBER,
            "Body": f"Bench message {n}: see you at the courthouse.",
            "NumMedia": "0",
        }
        out.append((params, sign(public_url + PATH, params)))
    return out


async def post_all(
    base_url: str,
    batch: list[tuple[dict[str, str], str]],
    clients: int,
    sent: dict[str, tuple[float, float]],
) -> float:
    """Post every form from `clients` concurrent connections; returns the wall time."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in batch:
        queue.put_nowait(item)
    failures: list[str] = []

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            params, signature = queue.get_nowait()
            posted = time.perf_counter()
            response = await http.post(PATH, data=params, headers={"X-Twilio-Signature": signature})
            sent[params["MessageSid"]] = (posted, time.perf_counter())
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} webhooks failed, e.g. {failures[0]}")
    return elapsed


class StreamWatcher(threading.Thread):
    """Notes when each message.created arrives on the stream.

    The stream is read in a process of its own that stamps each event as it arrives: in a
    thread of this process, which is busy posting, the reader would wait for the GIL and the
    stamps would measure this process rather than the server. `time.perf_counter` is the
    system's monotonic clock, the same in both processes.
    """

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(daemon=True, name="stream-watcher")
        self.base_url = base_url
        self.token = token
        self.arrived: dict[str, float] = {}
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.process: subprocess.Popen | None = None

    def run(self) -> None:
        try:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--watch-stream", self.base_url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self.process.stdin.write(self.token + "\n")
            self.process.stdin.close()
            for line in self.process.stdout:
                if line.startswith("ready"):
                    self.ready.set()
                    continue
                sid, _, at = line.strip().partition(" ")
                self.arrived.setdefault(sid, float(at))
            raise RuntimeError(f"the stream reader exited with {self.process.wait()}")
        except BaseException as exc:  # reported by the main thread
            self.error = exc
            self.ready.set()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def wait_for(self, sids: list[str], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while any(sid not in self.arrived for sid in sids):
            if self.error or time.monotonic() > deadline:
                missing = sum(sid not in self.arrived for sid in sids)
                raise SystemExit(f"{missing} message.created events never arrived ({self.error})")
            time.sleep(0.01)


def watch_stream(base_url: str) -> None:
    """The stream reader process: prints "ready", then "<MessageSid> <perf_counter>" per event."""
    token = sys.stdin.readline().strip()
    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx.Timeout(10, read=None)
    with (
        httpx.Client(timeout=timeout) as http,
        http.stream("GET", f"{base_url}/api/v1/stream", headers=headers) as response,
    ):
        response.raise_for_status()
        frame: dict[str, str] = {}
        for line in response.iter_lines():
            if line:
                if not line.startswith(":"):
                    name, _, value = line.partition(":")
                    frame[name] = value.removeprefix(" ")
                continue
            if "retry" in frame:
                print("ready", flush=True)
            if frame.get("event") == "message.created":
                at = time.perf_counter()
                sid = json.loads(frame["data"]).get("carrier_sid")
                print(f"{sid} {at}", flush=True)
            frame = {}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def latency_line(label: str, sent: dict[str, tuple[float, float]], watcher: StreamWatcher) -> float:
    """POST -> event percentiles; also 200 -> event, the part that is the stream's own doing."""
    total = [(watcher.arrived[sid] - posted) * 1000 for sid, (posted, _) in sent.items()]
    after = [(watcher.arrived[sid] - answered) * 1000 for sid, (_, answered) in sent.items()]
    p99 = percentile(total, 99)
    print(
        f"  {label:<26} p50 {statistics.median(total):6.1f} ms  p99 {p99:6.1f} ms"
        f"  max {max(total):6.1f} ms  | after the 200: p50 {statistics.median(after):5.1f} ms"
        f"  p99 {percentile(after, 99):5.1f} ms  (n={len(total)})"
    )
    return p99


def setup_database(workdir: Path, typers: int = 0) -> dict[str, str]:
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.migrate import upgrade
    from inbox_app.server.services.auth import create_user

    url = f"sqlite:///{workdir / 'inbox.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        create_user(session, "bench", PASSWORD, is_admin=True, firm_name="Bench & Co")
    for n in range(typers):
        with sessions() as session:
            create_user(session, f"typist{n:02d}", PASSWORD, firm_name="Bench & Co")
    engine.dispose()
    return {
        "INBOX_DATABASE_URL": url,
        "INBOX_MEDIA_DIR": str(workdir / "media"),
        "INBOX_SEND_MODE": "simulate",
        "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "INBOX_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "INBOX_TWILIO_FROM": FIRM_NUMBER,
    }


def run(count: int, clients: int, paced: int, rounds: int, typing: Typing) -> int:
    bare_port = free_port()
    bare = subprocess.Popen(
        [sys.executable, __file__, "--serve-bare", str(bare_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bare_url = f"http://127.0.0.1:{bare_port}"
    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as tmp:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = setup_database(Path(tmp), typing.users) | {
            "INBOX_PUBLIC_URL": base_url,
            "INBOX_METRICS_TOKEN": METRICS_TOKEN,
        }
        try:
            wait_until_up(bare_url, process=bare)
            with serve_in_process(env, port):
                return measure(base_url, bare_url, count, clients, paced, rounds, typing)
        finally:
            bare.terminate()
            bare.wait(timeout=15)


METRICS_TOKEN = "bench-metrics-token-0123456789"


def webhooks_counted(base_url: str) -> float:
    """inbox_webhooks_received_total{kind="messages",status="200"} from the server's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=15
    ).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "inbox_webhooks_received_total" and sample.labels == {
                "kind": "messages",
                "status": "200",
            }:
                return sample.value
    return 0.0


def measure(
    base_url: str,
    bare_url: str,
    count: int,
    clients: int,
    paced: int,
    rounds: int,
    typing: Typing,
) -> int:
    probe = forms(1, base_url)[0]
    status = httpx.post(
        base_url + PATH, data=probe[0], headers={"X-Twilio-Signature": probe[1]}
    ).status_code
    if status == 404:
        print(f"SKIPPED the webhook part: the server has no {PATH} route yet.")
        bare_time = asyncio.run(post_all(bare_url, forms(count, bare_url), clients, {}))
        print(
            f"bare FastAPI endpoint: {count} posts in {bare_time:.2f} s = {count / bare_time:.0f}/s"
        )
        return 2
    login = httpx.post(
        f"{base_url}/api/v1/auth/token",
        json={"username": "bench", "password": PASSWORD},
        timeout=15,
    )
    login.raise_for_status()
    watcher = StreamWatcher(base_url, login.json()["access_token"])
    watcher.start()
    try:
        watcher.ready.wait(15)
        if watcher.error:
            raise SystemExit(f"could not open the stream: {watcher.error}")
        code = measure_with(base_url, bare_url, count, clients, paced, rounds, watcher)
        if typing.users:
            code = max(
                code, measure_typing(base_url, login.json()["access_token"], typing, watcher)
            )
        return code
    finally:
        watcher.stop()


def measure_with(
    base_url: str,
    bare_url: str,
    count: int,
    clients: int,
    paced: int,
    rounds: int,
    watcher: StreamWatcher,
) -> int:
    asyncio.run(post_all(bare_url, forms(100, bare_url), clients, {}))  # warm-up
    asyncio.run(post_all(base_url, forms(100, base_url), clients, {}))
    # Alternate rounds so both sides see the same background load on a shared machine.
    per_round = max(1, count // rounds)
    bare_time = webhook_time = 0.0
    loaded: dict[str, tuple[float, float]] = {}
    scraped_during = []
    for _ in range(rounds):
        bare_time += asyncio.run(post_all(bare_url, forms(per_round, bare_url), clients, {}))
        webhook_time += asyncio.run(post_all(base_url, forms(per_round, base_url), clients, loaded))
        scraped_during.append(webhooks_counted(base_url))
    watcher.wait_for(list(loaded))
    one_by_one: dict[str, tuple[float, float]] = {}
    asyncio.run(post_all(base_url, forms(paced, base_url), 1, one_by_one))
    watcher.wait_for(list(one_by_one))
    # The probe, the warm-up, the rounds and the paced ones: every webhook answered 200.
    sent = 1 + 100 + per_round * rounds + paced
    counted = webhooks_counted(base_url)

    total = per_round * rounds
    bare_rate, webhook_rate = total / bare_time, total / webhook_time
    ratio = webhook_rate / bare_rate
    print(f"{total} signed inbound webhooks, {clients} concurrent clients, {rounds} rounds each:")
    print(f"  bare FastAPI endpoint            {bare_rate:7.0f}/s")
    print(f"  inbox-server (SQLite, simulate)  {webhook_rate:7.0f}/s")
    print(f"  ratio                            {ratio:7.2f}   (target >= 0.5)")
    print("webhook POST -> message.created on a connected stream (target p99 < 100 ms):")
    p99_loaded = latency_line(f"under load ({clients} clients)", loaded, watcher)
    p99_paced = latency_line("one at a time", one_by_one, watcher)
    print(
        f"/metrics: {counted:.0f} webhooks counted for {sent} sent "
        f"(after each round: {', '.join(f'{c:.0f}' for c in scraped_during)})"
    )
    ok = ratio >= 0.5 and max(p99_loaded, p99_paced) < 100 and counted == sent
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


@dataclass(frozen=True)
class Typing:
    """The presence load: `users` typists, each in one of `threads` threads, one signal per
    `interval` seconds each (the desktop's throttle), for `count` webhooks per side."""

    users: int = 0
    threads: int = 10
    interval: float = 3.0
    count: int = 1000
    rounds: int = 8
    clients: int = 4
    # Each typist's desktop says which thread it has open (POST …/viewing), so a signal reaches
    # the thread's other typist only; False: as builds before it, every stream hears every one.
    viewing: bool = True


class TypingLoad:
    """The typists, in a process of their own (as the stream reader is): each signs in, keeps a
    stream open and, while switched on, posts `…/typing` every `interval` seconds. "on"/"off"
    on its stdin switch it; at the end it prints what it sent and what its streams heard."""

    def __init__(
        self,
        base_url: str,
        tokens: list[str],
        threads: list[int],
        interval: float,
        viewing: bool = True,
    ):
        plan = {"tokens": tokens, "threads": threads, "interval": interval, "viewing": viewing}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--typing-load", base_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.process.stdin.write(json.dumps(plan) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit(f"the typists did not start: {line!r}")

    def switch(self, on: bool) -> None:
        self.process.stdin.write("on\n" if on else "off\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == ("on" if on else "off")

    def finish(self) -> dict:
        self.process.stdin.close()
        report = json.loads(self.process.stdout.readline() or "{}")
        self.process.wait(timeout=30)
        return report


def typing_load(base_url: str) -> None:
    """The typists' process (see TypingLoad)."""
    plan = json.loads(sys.stdin.readline())
    asyncio.run(
        _typists(
            base_url, plan["tokens"], plan["threads"], float(plan["interval"]), plan["viewing"]
        )
    )


async def _typists(
    base_url: str, tokens: list[str], threads: list[int], interval: float, viewing: bool
) -> None:
    on = asyncio.Event()
    counts = {"posted": 0, "failed": 0, "heard": 0}
    timeout = httpx.Timeout(10, read=None)
    limits = httpx.Limits(max_connections=len(tokens) * 2 + 4)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as http:
        connected = [asyncio.Event() for _ in tokens]

        async def listen(n: int, token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.stream("GET", "/api/v1/stream", headers=headers) as response:
                async for line in response.aiter_lines():
                    if line.startswith("retry"):
                        connected[n].set()
                    elif line == "event: presence.typing":
                        counts["heard"] += 1

        async def type_in(n: int, token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            path = f"/api/v1/conversations/{threads[n % len(threads)]}/typing"
            # Each typist has its own moment in every interval, kept across off and on: people
            # do not all press a key in the same millisecond.
            phase = interval * n / len(tokens)
            while True:
                await on.wait()
                await asyncio.sleep((phase - time.monotonic()) % interval)
                if not on.is_set():
                    continue
                response = await http.post(path, headers=headers)
                counts["posted" if response.status_code == 204 else "failed"] += 1
                await asyncio.sleep(0.001)

        readers = [asyncio.create_task(listen(n, tok)) for n, tok in enumerate(tokens)]
        await asyncio.wait_for(asyncio.gather(*(c.wait() for c in connected)), 30)
        if viewing:
            # Each desktop has the thread open that its user types in, as the desktop says.
            for n, token in enumerate(tokens):
                said = await http.post(
                    f"/api/v1/conversations/{threads[n % len(threads)]}/viewing",
                    headers={"Authorization": f"Bearer {token}"},
                )
                counts["failed"] += said.status_code != 204
        typists = [asyncio.create_task(type_in(n, tok)) for n, tok in enumerate(tokens)]
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if command == "on":
                on.set()
            elif command == "off":
                on.clear()
            else:
                break
            print(command, flush=True)
        for task in (*typists, *readers):
            task.cancel()
        await asyncio.gather(*typists, *readers, return_exceptions=True)
    print(json.dumps(counts), flush=True)


def measure_typing(base_url: str, token: str, typing: Typing, watcher: StreamWatcher) -> int:
    """Webhook -> event latency with the typists on and off, in alternating rounds."""
    headers = {"Authorization": f"Bearer {token}"}
    threads = []
    for n in range(typing.threads):
        # The threads the typists are in are texted by the webhooks too (the first senders).
        response = httpx.post(
            f"{base_url}/api/v1/conversations",
            json={"phone": f"+1201555{2000 + n % SENDERS:04d}"},
            headers=headers,
            timeout=15,
        )
        response.raise_for_status()
        threads.append(response.json()["id"])
    tokens = []
    for n in range(typing.users):
        answer = httpx.post(
            f"{base_url}/api/v1/auth/token",
            json={"username": f"typist{n:02d}", "password": PASSWORD},
            timeout=30,
        )
        answer.raise_for_status()
        tokens.append(answer.json()["access_token"])
    load = TypingLoad(base_url, tokens, threads, typing.interval, typing.viewing)
    samples: dict[tuple[bool, bool], dict[str, tuple[float, float]]] = {
        (typing_on, paced): {} for typing_on in (False, True) for paced in (False, True)
    }
    per_round = max(1, typing.count // typing.rounds)
    paced_per_round = max(1, per_round // 4)
    seconds = {False: 0.0, True: 0.0}
    for _ in range(typing.rounds):
        for typing_on in (False, True):
            started = time.perf_counter()
            load.switch(typing_on)
            if typing_on:
                time.sleep(typing.interval)  # every typist has started
            loaded, one_by_one = samples[(typing_on, False)], samples[(typing_on, True)]
            asyncio.run(post_all(base_url, forms(per_round, base_url), typing.clients, loaded))
            asyncio.run(post_all(base_url, forms(paced_per_round, base_url), 1, one_by_one))
            watcher.wait_for([*loaded, *one_by_one])
            seconds[typing_on] += time.perf_counter() - started
    load.switch(False)
    report = load.finish()
    print(
        f"presence: {typing.users} users typing in {typing.threads} threads, one signal each "
        f"every {typing.interval:g} s, {typing.rounds} rounds on and off "
        f"({typing.clients} clients, then one at a time):"
    )
    rate = report.get("posted", 0) / max(seconds[True], 1e-9)
    print(
        f"  typing signals: {report.get('posted', 0)} posted (~{rate:.1f}/s while on), "
        f"{report.get('failed', 0)} refused; {report.get('heard', 0)} presence.typing events "
        "reached the typists' streams"
    )
    added = []
    for paced, label in (
        (False, f"under load ({typing.clients} clients)"),
        (True, "one at a time"),
    ):
        off = latency_line(f"{label}, quiet", samples[(False, paced)], watcher)
        on = latency_line(f"{label}, typing", samples[(True, paced)], watcher)
        added.append(on - off)
        print(f"  {'added p99 ' + label:<26} {on - off:+6.1f} ms  (target < 5 ms)")
    ok = max(added) < 5 and not report.get("failed") and report.get("heard", 0) > 0
    print("presence target met" if ok else "PRESENCE TARGET MISSED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="webhooks per run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections")
    parser.add_argument("--paced", type=int, default=200, help="webhooks sent one at a time")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per side")
    parser.add_argument(
        "--typing", type=int, default=0, metavar="USERS", help="users typing (presence; 0: off)"
    )
    parser.add_argument("--typing-threads", type=int, default=10, help="threads they type in")
    parser.add_argument(
        "--typing-interval", type=float, default=3.0, help="seconds between one's signals"
    )
    parser.add_argument(
        "--typing-count", type=int, default=1000, help="webhooks per side of the presence part"
    )
    parser.add_argument(
        "--typing-rounds", type=int, default=8, help="quiet/typing rounds (short ones average out)"
    )
    parser.add_argument(
        "--typing-everywhere",
        action="store_true",
        help="the typists' desktops never say which thread they have open (older builds)",
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--typing-load", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--watch-stream", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    if args.watch_stream:
        watch_stream(args.watch_stream)
        return 0
    if args.typing_load:
        typing_load(args.typing_load)
        return 0
    typing = Typing(
        users=args.typing,
        threads=max(1, args.typing_threads),
        interval=args.typing_interval,
        count=args.typing_count,
        rounds=max(1, args.typing_rounds),
        clients=args.clients,
        viewing=not args.typing_everywhere,
    )
    return run(args.count, args.clients, args.paced, args.rounds, typing)


if __name__ == "__main__":
    sys.exit(main())
