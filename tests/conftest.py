"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The machine's PostgreSQL (trust auth). A test that needs it fails when it is down: no skips.
PG_ADMIN_URL = os.environ.get(
    "INBOX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_CHEAP_DUMMY_HASH = _CHEAP_HASHER.hash("not-a-real-password")


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_admin(sql: str) -> None:
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def _share_one_ssl_context() -> None:
    """Every httpx client the tests make (thousands: each login, each health poll, each
    desktop session) would load the CA bundle again, ~50 ms of CPU apiece; they share one."""
    import httpx._transports.default as transport

    made = transport.create_ssl_context
    shared = made()

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        if verify is True and cert is None:
            return shared
        return made(verify=verify, cert=cert, trust_env=trust_env)

    transport.create_ssl_context = create_ssl_context


_share_one_ssl_context()


class _ReadyDatabases:
    """Copies of the PostgreSQL template made ahead of need by a thread. CREATE DATABASE takes
    about half a second (it flushes to disk), which every PostgreSQL test used to wait for; now
    it happens while the test before runs. Started at the first PostgreSQL test."""

    def __init__(self, template: str, ahead: int = 2) -> None:
        self.template = template
        self.ready: queue.Queue = queue.Queue()
        self.wanted = threading.Semaphore(ahead)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def _fill(self) -> None:
        while True:
            self.wanted.acquire()
            if self.stopping.is_set():
                return
            name = f"inbox_t_{uuid.uuid4().hex[:12]}"
            try:
                _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            except Exception as exc:  # handed to the test that takes it
                self.ready.put(exc)
            else:
                self.ready.put(name)

    def take(self) -> str:
        if self.thread is None:
            self.thread = threading.Thread(target=self._fill, name="pg-ready", daemon=True)
            self.thread.start()
        item = self.ready.get(timeout=120)
        self.wanted.release()
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        if self.thread is not None:
            self.stopping.set()
            self.wanted.release()
            self.thread.join(timeout=60)
        while True:
            try:
                item = self.ready.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, str):
                _pg_admin(f'DROP DATABASE IF EXISTS "{item}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _template_databases(tmp_path_factory) -> Iterator[dict]:
    """Migrate once per run; each test copies the result (a file, or a PostgreSQL template)."""
    from inbox_app.server.migrate import upgrade

    sqlite_file = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{sqlite_file}")
    pg_name = f"inbox_tpl_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{pg_name}"')
    upgrade(_pg_url(pg_name))
    ready = _ReadyDatabases(pg_name)
    try:
        yield {"sqlite": str(sqlite_file), "postgresql": pg_name, "ready": ready}
    finally:
        ready.close()
        _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, _template_databases) -> Iterator[str]:
    """A fresh migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "inbox.db"
        shutil.copy(_template_databases["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    name = _template_databases["ready"].take()
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request, monkeypatch) -> None:
    """Servers in the test process hash passwords with argon2 at its smallest cost (the real one
    takes 64 MiB and ~0.1 s per sign-in, which made up minutes of the run). Servers started as
    processes, and tests marked `real_argon2` (the throttle's concurrency), keep the real cost."""
    if request.node.get_closest_marker("real_argon2"):
        return
    from inbox_app.server import security

    monkeypatch.setattr(security, "_hasher", _CHEAP_HASHER)
    monkeypatch.setattr(security, "_dummy_hash", lambda: _CHEAP_DUMMY_HASH)


@pytest.fixture(autouse=True)
def _logging_handlers_restored() -> Iterator[None]:
    """A test that runs main() (which configures logging) leaves no handler on pytest's captured
    stderr behind: a later test's log line would hit a closed file ("--- Logging error ---")."""
    import logging

    loggers = [logging.getLogger(), logging.getLogger("inbox")]
    before = [(logger, list(logger.handlers), logger.level) for logger in loggers]
    yield
    for logger, handlers, level in before:
        logger.handlers[:] = handlers
        logger.setLevel(level)


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests save screenshots and PDFs for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class Api:
    """A signed-in user's view of the running server, over real HTTP."""

    def __init__(self, base_url: str, token: str, user: dict) -> None:
        import httpx

        self.base_url = base_url
        self.token = token
        self.user = user
        # Generous: PostgreSQL's CREATE DATABASE (other tests making theirs) checkpoints, and on a
        # loaded CI machine a commit behind one once waited out a 15 s timeout.
        self.http = httpx.Client(
            base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        )

    def __getattr__(self, name):
        # get/post/patch/put/delete straight through to httpx.
        return getattr(self.http, name)


@pytest.fixture
def server(db_url, tmp_path):
    """The real backend on a free loopback port (uvicorn in a thread), on a fresh database."""
    from tests.harness import make_settings, reserve_port, serve_in_thread

    port = reserve_port()
    with serve_in_thread(make_settings(db_url, tmp_path, port)) as running:
        yield running


PASSWORD = "correct horse battery"


def make_user(server, username: str, *, admin: bool = False, firm: str = "Doe & Roe Law"):
    from inbox_app.server.services.auth import create_user

    with server.app.state.sessionmaker() as session:
        return create_user(
            session,
            username,
            PASSWORD,
            is_admin=admin,
            firm_name=firm,
            default_number=server.settings.default_number,
        )


def login(server, username: str) -> Api:
    import httpx

    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        timeout=60,
    )
    response.raise_for_status()
    body = response.json()
    return Api(server.base_url, body["access_token"], body["user"])


@pytest.fixture
def admin(server) -> Api:
    make_user(server, "alice", admin=True)
    return login(server, "alice")


@pytest.fixture
def staff(server, admin) -> Api:
    make_user(server, "paula")
    return login(server, "paula")
