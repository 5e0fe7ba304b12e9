"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The machine's PostgreSQL (trust auth). A test that needs it fails when it is down: no skips.
PG_ADMIN_URL = os.environ.get(
    "INBOX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_admin(sql: str) -> None:
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def _template_databases(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Migrate once per run; each test copies the result (a file, or a PostgreSQL template)."""
    from inbox_app.server.migrate import upgrade

    sqlite_file = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{sqlite_file}")
    pg_name = f"inbox_tpl_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{pg_name}"')
    upgrade(_pg_url(pg_name))
    yield {"sqlite": str(sqlite_file), "postgresql": pg_name}
    _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, _template_databases) -> Iterator[str]:
    """A fresh migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "inbox.db"
        shutil.copy(_template_databases["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    name = f"inbox_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{_template_databases["postgresql"]}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
        self.http = httpx.Client(
            base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
        )

    def __getattr__(self, name):
        # get/post/patch/put/delete straight through to httpx.
        return getattr(self.http, name)


@pytest.fixture
def server(db_url, tmp_path):
    """The real backend on a free loopback port (uvicorn in a thread), on a fresh database."""
    from tests.harness import free_port, make_settings, serve_in_thread

    port = free_port()
    with serve_in_thread(make_settings(db_url, tmp_path, port)) as running:
        yield running


PASSWORD = "correct horse battery"


def make_user(server, username: str, *, admin: bool = False, firm: str = "Doe & Roe Law"):
    from inbox_app.server.services.auth import create_user

    with server.app.state.sessionmaker() as session:
        return create_user(session, username, PASSWORD, is_admin=admin, firm_name=firm)


def login(server, username: str) -> Api:
    import httpx

    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        timeout=15,
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
