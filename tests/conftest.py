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
