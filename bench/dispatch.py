"""Dispatcher throughput: due messages to a local fake Twilio, against the fake's bare intake.

Run by hand from the repository root: `.venv/bin/python bench/dispatch.py [--count 10000]
[--recipients 500] [--sqlite]`. Starts the Twilio-compatible fake (tests/fakes/twilio.py) in its
own process, then in this process: (1) the bare intake rate, the real `twilio` client posting
`--count` messages to the fake from as many threads as the dispatcher sends with; (2) the
dispatcher draining `--count` due scheduled messages (debited at claim, one credit each) from a
fresh PostgreSQL database (or SQLite with `--sqlite`), rate limiting off; (3) the bare rate
again. Prints messages/second and the ratio to the mean bare rate. Target >= 0.5 on PostgreSQL.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import ACCOUNT_SID, AUTH_TOKEN, free_port  # noqa: E402

FIRM_NUMBER = "+12015550100"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def start_fake() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.twilio", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/__stats", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the fake Twilio did not start")


def stats(url: str) -> dict:
    return httpx.get(f"{url}/__stats", timeout=10).json()


def bare_rate(fake_url: str, count: int, concurrency: int) -> float:
    """The real twilio client (our LiveCarrier) posting straight to the fake, no database."""
    from inbox_app.server.carrier.live import LiveCarrier

    carrier = LiveCarrier(ACCOUNT_SID, AUTH_TOKEN, fake_url)
    tag = uuid.uuid4().hex[:6]
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(
                pool.map(
                    lambda n: carrier.send(
                        f"+1201555{n % 10000:04d}", FIRM_NUMBER, f"b{tag}{n}", [], None
                    ),
                    range(count),
                )
            )
        return count / (time.perf_counter() - started)
    finally:
        carrier.close()


def make_database(use_sqlite: bool, tmp: Path) -> tuple[str, callable]:
    from inbox_app.server.migrate import upgrade

    if use_sqlite:
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        return url, lambda: None
    import psycopg

    name = f"inbox_bench_{uuid.uuid4().hex[:8]}"

    def admin(sql: str) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(sql)

    admin(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    upgrade(url)
    return url, lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(sessions, count: int, recipients: int) -> None:
    """One firm with enough credits and `count` scheduled messages that fell due a minute ago."""
    from sqlalchemy import insert

    from inbox_app.models import tables as t
    from inbox_app.server.services import credits
    from inbox_app.server.services.auth import create_user

    with sessions() as session:
        user = create_user(session, "bench", "bench password 123", is_admin=True, firm_name="Bench")
    firm_id = user.firm_id
    past = t.utcnow() - timedelta(minutes=1)
    with sessions() as session, session.begin():
        credits.add_in(session, firm_id, count)
        phones = [f"+1201555{1000 + n:04d}" for n in range(recipients)]
        conversation_ids = []
        for phone in phones:
            conversation = t.Conversation(firm_id=firm_id, phone=phone, has_outbound=True)
            session.add(conversation)
            session.flush()
            conversation_ids.append(conversation.id)
        session.execute(
            insert(t.Message),
            [
                {
                    "firm_id": firm_id,
                    "conversation_id": conversation_ids[n % recipients],
                    "direction": "outbound",
                    "body": f"due message {n}",
                    "status": "scheduled",
                    "segments": 1,
                    "from_number": FIRM_NUMBER,
                    "to_number": phones[n % recipients],
                    "send_at": past,
                    "sent_by_id": user.id,
                }
                for n in range(count)
            ],
        )


def dispatch_rate(db_url: str, fake_url: str, count: int, recipients: int, tmp: Path) -> float:
    from inbox_app.server.app import create_app
    from inbox_app.server.dispatcher import Dispatcher
    from tests.harness import make_settings

    settings = make_settings(
        db_url,
        tmp,
        free_port(),
        send_mode="live",
        twilio_api_base=fake_url,
        send_rate_per_second=0,
        dispatcher_enabled=False,
    )
    app = create_app(settings, background=False)
    seed(app.state.sessionmaker, count, recipients)
    dispatcher = Dispatcher(app.state)
    try:
        started = time.perf_counter()
        while dispatcher.dispatch_once():
            pass
        elapsed = time.perf_counter() - started
    finally:
        dispatcher.close()
        app.state.engine.dispose()
    return count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=500)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()

    from inbox_app.server.dispatcher import SEND_CONCURRENCY

    fake, fake_url = start_fake()
    tmp_dir = tempfile.TemporaryDirectory(prefix="inbox-bench-")
    tmp = Path(tmp_dir.name)
    db_url, drop = make_database(args.sqlite, tmp)
    try:
        before = bare_rate(fake_url, args.count, SEND_CONCURRENCY)
        at_start = stats(fake_url)
        rate = dispatch_rate(db_url, fake_url, args.count, args.recipients, tmp)
        at_end = stats(fake_url)
        after = bare_rate(fake_url, args.count, SEND_CONCURRENCY)
    finally:
        drop()
        fake.terminate()
        fake.wait(timeout=10)
        tmp_dir.cleanup()
    sent = at_end["accepted"] - at_start["accepted"]
    distinct = at_end["distinct_bodies"] - at_start["distinct_bodies"]
    bare = (before + after) / 2
    ratio = rate / bare
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"concurrency            {SEND_CONCURRENCY} carrier calls in flight")
    print(f"bare intake            {before:.0f}/s before, {after:.0f}/s after (mean {bare:.0f}/s)")
    print(f"dispatcher ({backend:10}) {rate:.0f}/s for {args.count} due messages")
    print(f"ratio                  {ratio:.2f} (target >= 0.5)")
    print(f"at the fake            {sent} accepted, {distinct} distinct bodies")
    ok = sent == args.count and distinct == args.count
    if not ok:
        print("MISMATCH: a message was lost or sent twice")
        return 2
    return 0 if ratio >= 0.5 else 1


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    raise SystemExit(main())
