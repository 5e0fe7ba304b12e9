"""A firm's history: inbox list, unread filter, search and thread jumps against the real server.

`python bench/history.py [--sizes 10000,1000000] [--backends sqlite,postgresql] [--runs 7]`

For each backend and size: a fresh database (migrated), a firm of 5,000 conversations (each
with a client and a matter with a case number) and N messages bulk-loaded (sqlite3
executemany / PostgreSQL COPY, the search index rebuilt once afterwards), then a real
`inbox-server` process, and timed HTTP calls from this process (median of `--runs`): the list
(`GET /api/v1/conversations`, its default 500 rows), the unread filter, and searches: a word in
0.1% of messages, a word in none, a client's name, a case number (`GET /api/v1/search`, and the
word through the list's `q=` as well). At the largest size one conversation holds 20,000 of the
messages: opening it at a hit in its middle (`?around=`) and at its first message (`?after=0`).
Targets: median at the largest size / median at the smallest <= 2, each under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import ABSENT, RARE, words  # noqa: E402

from inbox_app.models import tables as t  # noqa: E402

PG_ADMIN = os.environ.get("INBOX_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
CONVERSATIONS = 5_000
BIG_THREAD = 20_000
NAME = "Rosalind Okafor"  # one client
CASE = "2023-CV-01234"  # one matter
PASSWORD = "bench password 123"
TARGET_RATIO = 2.0
TARGET_MS = 100.0
FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Iris",
    "Jon",
    "Kemal",
    "Lena",
    "Marco",
    "Nia",
    "Omar",
    "Priya",
]
LAST = [
    "Lopez",
    "Smith",
    "Nguyen",
    "Patel",
    "Brown",
    "Garcia",
    "Kim",
    "Müller",
    "Rossi",
    "Cohen",
    "Silva",
    "Haddad",
    "Ito",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def defaults(table) -> dict[str, object]:
    """Python-side scalar defaults of a table's columns (a bulk load bypasses the ORM)."""
    out = {}
    for column in table.columns:
        default = column.default
        if default is not None and default.is_scalar:
            out[column.name] = default.arg
    return out


def sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Data:
    """The generated firm: rows per table as (columns, tuples)."""

    def __init__(self, messages: int, firm_id: int, user_id: int, big_thread: bool) -> None:
        rng = random.Random(15)
        self.start = datetime(2022, 1, 1, tzinfo=UTC)
        step = timedelta(days=4 * 365) / max(messages, 1)
        self.clients, self.matters, self.conversations, self.states, self.messages = (
            [],
            [],
            [],
            [],
            [],
        )
        for i in range(1, CONVERSATIONS + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if i == 1234:
                first, last = NAME.split()
            self.clients.append((i, firm_id, first, last, "en", self.start, self.start))
            self.matters.append((i, firm_id, i, f"{last} v. State", f"2023-CV-{i:05d}", self.start))
        last_at: dict[int, datetime] = {}
        last_body: dict[int, str] = {}
        inbound: dict[int, int] = {}
        last_id: dict[int, int] = {}
        # Every stride-th message goes to conversation 1: 20,000 of them, spread over the years.
        stride = messages // BIG_THREAD if big_thread else 0
        for n in range(1, messages + 1):
            if stride and n % stride == 0:
                cid = 1
            else:
                cid = rng.randint(2 if big_thread else 1, CONVERSATIONS)
            text = words(rng, 4, 14)
            if n % 1000 == 500:
                text.insert(len(text) // 2, RARE)
            body = " ".join(text).capitalize()
            when = self.start + step * n
            is_in = rng.random() < 0.5
            self.messages.append((n, cid, "inbound" if is_in else "outbound", body, when, is_in))
            last_at[cid], last_body[cid], last_id[cid] = when, body, n
            if is_in:
                inbound[cid] = inbound.get(cid, 0) + 1
        for i in range(1, CONVERSATIONS + 1):
            count = inbound.get(i, 0)
            unread = i % 50 == 0  # 100 conversations with unread texts
            read = max(0, count - 1) if unread else count
            self.conversations.append(
                (i, f"+1202{5550000 + i:07d}", i, i, last_at.get(i), last_body.get(i, ""), count)
            )
            self.states.append((i, user_id, last_id.get(i, 0) if not unread else 0, read))
        self.firm_id, self.user_id = firm_id, user_id


def message_columns(dialect: str, data: Data):
    table = t.Message.__table__
    base = defaults(table)
    names = [
        "id",
        "firm_id",
        "conversation_id",
        "direction",
        "body",
        "status",
        "segments",
        "encoding",
        "from_number",
        "to_number",
        "created_at",
        "updated_at",
        "sent_at",
        "carrier_sid",
        "origin",
        "simulated",
        "respects_quiet_hours",
        "is_debited",
        "attempts",
    ]
    stamp = sqlite_time if dialect == "sqlite" else (lambda m: m)
    phones = {c[0]: c[1] for c in data.conversations}

    def rows():
        for n, cid, direction, body, when, is_in in data.messages:
            at = stamp(when)
            yield (
                n,
                data.firm_id,
                cid,
                direction,
                body,
                "received" if is_in else "delivered",
                1,
                "GSM-7",
                phones[cid] if is_in else "+12025550100",
                "+12025550100" if is_in else phones[cid],
                at,
                at,
                at,
                f"SM{n:032x}",
                "manual",
                base["simulated"],
                base["respects_quiet_hours"],
                base["is_debited"],
                0,
            )

    return names, rows


def load(url: str, dialect: str, messages: int, big_thread: bool) -> float:
    """Migrate, create the user through the services, bulk-load the rest; seconds taken."""
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.migrate import upgrade
    from inbox_app.server.services.auth import create_user

    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        user = create_user(session, "bench", PASSWORD, is_admin=True, firm_name="Bench Law")
        firm_id, user_id = user.firm_id, user.id
    engine.dispose()
    data = Data(messages, firm_id, user_id, big_thread)
    names, rows = message_columns(dialect, data)
    conv_defaults = defaults(t.Conversation.__table__)
    stamp = sqlite_time if dialect == "sqlite" else (lambda m: m)
    conversation_rows = [
        (
            i,
            firm_id,
            phone,
            client,
            matter,
            stamp(at) if at else None,
            preview,
            count,
            stamp(data.start),
            conv_defaults["opted_out"],
            conv_defaults["archived"],
            conv_defaults["hidden"],
            True,
        )
        for i, phone, client, matter, at, preview, count in data.conversations
    ]
    conv_names = [
        "id",
        "firm_id",
        "phone",
        "client_id",
        "matter_id",
        "last_message_at",
        "last_message_preview",
        "inbound_count",
        "created_at",
        "opted_out",
        "archived",
        "hidden",
        "has_outbound",
    ]
    client_names = [
        "id",
        "firm_id",
        "first_name",
        "last_name",
        "language",
        "created_at",
        "updated_at",
    ]
    matter_names = ["id", "firm_id", "client_id", "name", "case_number", "created_at"]
    state_names = [
        "conversation_id",
        "user_id",
        "last_read_message_id",
        "read_inbound_count",
        "is_participant",
        "muted",
        "left",
        "marked_unread",
    ]
    state_rows = [(*s, True, False, False, False) for s in data.states]
    clients = [(*c[:5], stamp(c[5]), stamp(c[6])) for c in data.clients]
    matters = [(*m[:5], stamp(m[5])) for m in data.matters]
    tables = [
        ("clients", client_names, clients),
        ("matters", matter_names, matters),
        ("conversations", conv_names, conversation_rows),
        ("conversation_states", state_names, state_rows),
    ]
    if dialect == "sqlite":
        import sqlite3

        db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        triggers = [
            sql
            for (sql,) in db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages'"
            )
        ]
        db.execute("BEGIN")
        for name in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages'"
        ).fetchall():
            db.execute(f"DROP TRIGGER {name[0]}")
        for table, columns, values in tables:
            marks = ", ".join("?" * len(columns))
            db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
        marks = ", ".join("?" * len(names))
        db.executemany(f"INSERT INTO messages ({', '.join(names)}) VALUES ({marks})", rows())
        db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
        for sql in triggers:
            db.execute(sql)
        db.execute("COMMIT")
        db.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            index = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_messages_body_trgm'"
            ).fetchone()[0]
            conn.execute("DROP INDEX ix_messages_body_trgm")
            for table, columns, values in [*tables, ("messages", names, rows())]:
                # Quoted: "left" is a reserved word in PostgreSQL.
                quoted = ", ".join(f'"{column}"' for column in columns)
                with conn.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            conn.execute(index)
            for table in ("clients", "matters", "conversations", "messages"):
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def serve(url: str, tmp: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(
        INBOX_DATABASE_URL=url,
        INBOX_MEDIA_DIR=str(tmp / "media"),
        INBOX_PUBLIC_URL=f"http://127.0.0.1:{port}",
        INBOX_SECRET_KEY="bench-secret-" + "x" * 32,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox_app.server.cli", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=str(ROOT),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not come up")


def median_ms(http: httpx.Client, path: str, params: dict, runs: int) -> float:
    for _ in range(2):
        http.get(path, params=params).raise_for_status()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = http.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return statistics.median(times)


def measure(url: str, tmp: Path, runs: int, big_thread: bool) -> dict[str, float]:
    port = free_port()
    process = serve(url, tmp, port)
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"username": "bench", "password": PASSWORD}
        ).json()["access_token"]
        http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        out = {
            "list": median_ms(http, "/api/v1/conversations", {}, runs),
            "list, 50 a page": median_ms(http, "/api/v1/conversations", {"limit": 50}, runs),
            "unread filter": median_ms(http, "/api/v1/conversations", {"unread": "true"}, runs),
            "list q=word (0.1%)": median_ms(http, "/api/v1/conversations", {"q": RARE}, runs),
        }
        for label, q in (
            ("search word (0.1%)", RARE),
            ("search word (none)", ABSENT),
            ("search name", NAME),
            ("search case number", CASE),
        ):
            out[label] = median_ms(http, "/api/v1/search", {"q": q}, runs)
        found = http.get("/api/v1/search", params={"q": RARE}).json()
        assert found["messages"], "the rare word was not found"
        assert http.get("/api/v1/search", params={"q": CASE}).json()["conversations_total"] == 1
        if big_thread:
            page = http.get("/api/v1/conversations/1/messages", params={"limit": 200}).json()
            middle = page["messages"][0]["id"] - BIG_THREAD // 2
            hit = http.get(
                "/api/v1/search", params={"q": RARE, "conversation_id": 1, "before": middle}
            ).json()["messages"]
            target = hit[0]["id"] if hit else middle
            out["big thread: at a hit (around=)"] = median_ms(
                http, "/api/v1/conversations/1/messages", {"around": target}, runs
            )
            out["big thread: first message (after=0)"] = median_ms(
                http, "/api/v1/conversations/1/messages", {"after": 0}, runs
            )
            out["big thread: find (thread search)"] = median_ms(
                http, "/api/v1/search", {"q": RARE, "conversation_id": 1, "limit": 500}, runs
            )
        http.close()
        return out
    finally:
        process.terminate()
        process.wait(timeout=30)


def database(dialect: str, tmp: Path, size: int):
    if dialect == "sqlite":
        return f"sqlite:///{tmp / f'history-{size}.db'}", None
    import psycopg

    name = f"bench_history_{size}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0].replace(
        "postgresql://", "postgresql+psycopg://"
    ) + "/" + name, name


def drop(name: str | None) -> None:
    if name:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ok = True
    for dialect in args.backends.split(","):
        results: dict[int, dict[str, float]] = {}
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="inbox-history-") as tmp:
                url, name = database(dialect, Path(tmp), size)
                try:
                    big = size == max(sizes) and size >= 4 * BIG_THREAD
                    seconds = load(url, dialect, size, big)
                    print(f"{dialect}: loaded {size:,} messages in {seconds:.1f} s", flush=True)
                    results[size] = measure(url, Path(tmp), args.runs, big)
                finally:
                    drop(name)
        small, large = min(sizes), max(sizes)
        print(f"\n{dialect}: median ms over {args.runs} calls, {CONVERSATIONS:,} conversations")
        print(f"| call | {small:,} | {large:,} | ratio |")
        print("|---|---|---|---|")
        for label, value in results[large].items():
            low = results[small].get(label)
            ratio = value / low if low else None
            fine = value < (150 if label.startswith("big") else TARGET_MS) and (
                ratio is None or ratio <= TARGET_RATIO
            )
            ok &= fine
            print(
                f"| {label} | {low:.1f} | {value:.1f} | {ratio:.2f} |"
                if low
                else f"| {label} | – | {value:.1f} | – |" + ("" if fine else "  MISSED")
            )
    print("\ntargets met" if ok else "\nTARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
