"""`inbox-server backup DIR` and `restore DIR`: the database, the media store, a SHA-256 manifest.

Taken while the server runs. The database first (SQLite's online backup API: one consistent
snapshot; PostgreSQL: `pg_dump`, one transaction), then the media files: a media row commits
only after its file is written, so every image the snapshot knows is on disk by then (unless a
block deleted it in between, which the manifest counts). The manifest is written last: a
directory without one is an unfinished backup. Restore checks every file against the manifest
before it touches anything, and loads only into an empty database and an empty media store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from inbox_app import __version__
from inbox_app.server.config import Settings, SettingsError, load_settings
from inbox_app.server.media_store import LocalStore, store_for

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_DIR = "media"
CHUNK = 1024 * 1024
PG_TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """Why a backup or restore stopped; nothing was restored when restore raises it."""


@dataclass(frozen=True)
class Database:
    kind: str  # sqlite | postgresql
    url: str

    @classmethod
    def of(cls, settings: Settings) -> Database:
        url = settings.effective_database_url
        return cls("sqlite" if url.startswith("sqlite") else "postgresql", url)

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def pg_env(self) -> dict[str, str]:
        """libpq's variables for this URL: the password never appears on a command line."""
        url = make_url(self.url)
        env = {**os.environ, "PGDATABASE": url.database or ""}
        for key, value in (
            ("PGHOST", url.host),
            ("PGPORT", url.port),
            ("PGUSER", url.username),
            ("PGPASSWORD", url.password),
        ):
            if value is not None:
                env[key] = str(value)
        return env


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict:
    return {"sha256": sha256_of(path), "size": path.stat().st_size}


# --- backup -------------------------------------------------------------------------------------


def backup(settings: Settings, target: Path) -> dict:
    """Write a backup into `target` (new or empty); returns the manifest."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not empty; back up into a new directory.")
    target.mkdir(parents=True, exist_ok=True)
    database = Database.of(settings)
    revision = _revision(database.url)
    if database.kind == "sqlite":
        db_file = target / SQLITE_FILE
        _sqlite_copy(database.sqlite_path, db_file)
    else:
        db_file = target / PG_FILE
        _pg_dump(database, db_file)
    media = _copy_media(store_for(settings), target / MEDIA_DIR)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inbox_version": __version__,
        "alembic_revision": revision,
        "database": {"kind": database.kind, "file": db_file.name, **_file_entry(db_file)},
        "media": media,
    }
    temp = target / f".{MANIFEST}.partial"
    temp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temp, target / MANIFEST)
    return manifest


def _revision(url: str) -> str | None:
    from inbox_app.server.migrate import current

    return current(url)


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source}.")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: the whole file in one step, under one read lock: a consistent snapshot even
        # while the server writes (WAL lets writers go on meanwhile).
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed; it comes with PostgreSQL's client tools "
            "(apt-get install postgresql-client)."
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def _pg_dump(database: Database, target: Path) -> None:
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"],
        database.pg_env(),
        "pg_dump",
    )


def _copy_media(store: LocalStore, target: Path) -> dict:
    files = {}
    for key in store.stored_keys():
        destination = target / key
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            store.copy_to(key, destination)
        except FileNotFoundError:
            continue  # deleted (a block) after the listing: the snapshot may lack it too
        files[key] = _file_entry(destination)
    return {"count": len(files), "files": files}


# --- restore ------------------------------------------------------------------------------------


def verify(source: Path) -> dict:
    """The manifest, after checking every file it lists (and that there are no others)."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: not a backup, or an unfinished one.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{manifest_path} is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path}: unknown backup format {manifest.get('format')!r}.")
    problems = []
    database = manifest["database"]
    expected = {
        database["file"]: database,
        **{f"{MEDIA_DIR}/{key}": entry for key, entry in manifest["media"]["files"].items()},
    }
    for name, entry in expected.items():
        path = source / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"{name} does not match its SHA-256 in the manifest")
    present = {
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    problems += [f"{name} is not in the manifest" for name in sorted(present - set(expected))]
    if problems:
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        raise BackupError(f"The backup in {source} does not match its manifest: {shown}.")
    return manifest


def restore(settings: Settings, source: Path) -> dict:
    """Load the backup in `source` into the configured database and media store (both empty)."""
    manifest = verify(source)
    database = Database.of(settings)
    kind = manifest["database"]["kind"]
    if kind != database.kind:
        raise BackupError(
            f"This backup is of a {kind} database, but INBOX_DATABASE_URL is {database.kind}."
        )
    store = store_for(settings)
    if not store.is_empty():
        raise BackupError(
            f"The media store ({store.describe()}) is not empty; restore into an empty one."
        )
    _refuse_non_empty_database(database)
    db_file = source / manifest["database"]["file"]
    if database.kind == "sqlite":
        _sqlite_restore(db_file, database.sqlite_path)
    else:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={database.pg_env()['PGDATABASE']}",
                str(db_file),
            ],
            database.pg_env(),
            "pg_restore",
        )
    for key, entry in manifest["media"]["files"].items():
        data = (source / MEDIA_DIR / key).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BackupError(f"{MEDIA_DIR}/{key} changed while it was being restored.")
        store.write(key, data)
    return manifest


def _refuse_non_empty_database(database: Database) -> None:
    from sqlalchemy import inspect

    from inbox_app.server.db import make_engine

    if database.kind == "sqlite" and not database.sqlite_path.exists():
        return
    engine = make_engine(database.url)
    try:
        tables = inspect(engine).get_table_names()
    except Exception as exc:
        raise BackupError(f"Cannot open the target database: {exc}") from None
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"The target database already has tables ({', '.join(sorted(tables)[:5])}, …); "
            "restore into an empty database."
        )


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)  # an empty file with no tables
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
    os.close(fd)
    try:
        shutil.copyfile(backup_file, temp)
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)


# --- the commands ---------------------------------------------------------------------------------


def backup_command(directory: str) -> int:
    try:
        settings = load_settings()
        manifest = backup(settings, Path(directory))
    except (BackupError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    media = manifest["media"]["count"]
    print(
        f"Backed up the {manifest['database']['kind']} database (revision "
        f"{manifest['alembic_revision']}) and {media} media files to {directory}."
    )
    return 0


def restore_command(directory: str) -> int:
    try:
        settings = load_settings()
        manifest = restore(settings, Path(directory))
    except (BackupError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"Restored the backup of {manifest['created_at']} (revision "
        f"{manifest['alembic_revision']}, {manifest['media']['count']} media files). "
        "Run `inbox-server init-db` before starting the server if this version is newer."
    )
    return 0
