"""Engine and sessions: SQLite in WAL mode by default, PostgreSQL for firms that outgrow it."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import JSON, Engine, any_, bindparam, create_engine, event, exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import sqltypes

# How long a transaction waits for the in-process write lock, and then (in SQLite's busy
# handler) for other processes: the same 30 s either way.
WRITE_WAIT_SECONDS = 30.0


class _WriteLock:
    """One per SQLite file and process: write transactions queue here, not in SQLite.

    SQLite lets one writer in at a time anyway. Waiting in its busy handler means sleeping in
    steps of up to 100 ms and retrying, so under a few concurrent requests most of the time is
    spent asleep; a lock hands over the moment the holder commits. BEGIN IMMEDIATE stays, so
    other processes on the same file are still kept out by SQLite itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._no_wait = False

    def acquire(self) -> bool:
        """Take the lock; False (not taken) when this thread holds it already or after the wait.

        A thread that opens a second write transaction while its first is open gets what it
        always got: SQLite's busy handler, then "database is locked", never a silent deadlock.
        """
        me = threading.get_ident()
        if self._owner == me:
            return False
        if not self._lock.acquire(timeout=WRITE_WAIT_SECONDS):
            return False
        self._owner = me
        return True

    def release(self) -> None:
        self._owner = None
        self._lock.release()

    @contextlib.contextmanager
    def held_now(self, wait: float = 0.0) -> Iterator[bool]:
        """Hold the lock for the block if it is free within `wait` seconds (True), else do nothing
        (False).

        Transactions this thread begins inside the block do not wait for other processes
        either: their BEGIN raises `WouldWait` instead of sleeping in SQLite's busy handler.
        """
        me = threading.get_ident()
        taken = self._owner != me and (
            self._lock.acquire(timeout=wait) if wait > 0 else self._lock.acquire(blocking=False)
        )
        if not taken:
            yield False
            return
        self._owner, self._no_wait = me, True
        try:
            yield True
        finally:
            self._no_wait = False
            self.release()

    def is_held_without_wait(self) -> bool:
        return self._no_wait and self._owner == threading.get_ident()


_locks: dict[str, _WriteLock] = {}
_locks_guard = threading.Lock()


def _write_lock(path: str) -> _WriteLock:
    key = os.path.abspath(path) if path and path != ":memory:" else f":memory:{id(object())}"
    with _locks_guard:
        return _locks.setdefault(key, _WriteLock())


class WouldWait(Exception):
    """Another process holds the SQLite file's write lock (see `_WriteLock.held_now`)."""


def write_now(engine: Engine, wait: float = 0.0) -> contextlib.AbstractContextManager[bool]:
    """`with write_now(engine) as free:` on SQLite, hold this process's write lock for the block
    if it is free within `wait` seconds; `free` is False (and nothing is held) when it is not,
    and always on PostgreSQL. For work on the event loop, which must not queue behind a long
    transaction of another thread (the loop would stall) nor of another process (`WouldWait`)."""
    lock = _engine_locks.get(id(engine))
    return lock.held_now(wait) if lock is not None else contextlib.nullcontext(False)


_engine_locks: dict[int, _WriteLock] = {}


class _SQLiteConnection(sqlite3.Connection):
    """A pysqlite connection that gives back the process's write lock when its transaction ends
    (after the COMMIT or ROLLBACK itself, so the next writer never finds the file busy)."""

    write_lock: _WriteLock | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        lock, self.write_lock = self.write_lock, None
        if lock is not None:
            lock.release()


def _begin_without_wait(dbapi_connection) -> None:
    """BEGIN IMMEDIATE, or WouldWait at once when another process is writing."""
    dbapi_connection.execute("PRAGMA busy_timeout = 0")
    try:
        dbapi_connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise WouldWait(str(exc)) from None
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT_SECONDS * 1000)}")


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the pragmas our invariants need (foreign keys, WAL, busy wait on SQLite)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_lock = _write_lock(path)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": WRITE_WAIT_SECONDS,
                "factory": _SQLiteConnection,
            },
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # Let SQLAlchemy, not pysqlite, open transactions, so BEGIN IMMEDIATE works.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            dbapi_connection = conn.connection.dbapi_connection
            if write_lock.is_held_without_wait():
                _begin_without_wait(dbapi_connection)
                return
            if isinstance(dbapi_connection, _SQLiteConnection) and write_lock.acquire():
                dbapi_connection.write_lock = write_lock
            try:
                # IMMEDIATE takes SQLite's write lock up front: two writers (in two processes)
                # wait instead of deadlocking.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if isinstance(dbapi_connection, _SQLiteConnection):
                    dbapi_connection._release()
                raise

        _engine_locks[id(engine)] = write_lock
        weakref.finalize(engine, _engine_locks.pop, id(engine), None)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # psycopg prepares a statement after 5 runs, and PostgreSQL may then keep a generic plan made
    # while a table was nearly empty: a bulk reminder generation on a new firm kept seq-scanning
    # `conversations` by phone (44 s instead of 16 s for 20,000 events, bench/resync.py).
    # Planning each run with its parameters costs microseconds for our small queries.
    kwargs.setdefault("connect_args", {"options": "-c plan_cache_mode=force_custom_plan"})
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def among(session: Session, column, values):
    """`column IN (values)`; on PostgreSQL `column = ANY(%s)` with the values as one array.

    An IN list has a placeholder per value: for the batches of hundreds of ids a resync or an
    import asks about, SQLAlchemy renders and psycopg re-parses each statement's hundreds of
    placeholders in Python (a third of a second of a 5,000-row import). PostgreSQL plans both
    forms alike."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        kind = column.type
        if isinstance(kind, sqltypes.NullType):  # an expression such as lower(name)
            kind = sqltypes.String()
        return column == any_(bindparam(None, values, type_=ARRAY(kind)))
    return column.in_(values)


_INSERTS_IGNORING_CONFLICTS: dict[tuple, object] = {}


def insert_ignoring_conflict(table, columns, dialect: str):
    """INSERT … ON CONFLICT (`columns`) DO NOTHING RETURNING id for `dialect` (SQLite or
    PostgreSQL), built once per table, columns and dialect: a racing duplicate adds nothing and
    returns no row."""
    key = (table.name, tuple(c.name for c in columns), dialect)
    stmt = _INSERTS_IGNORING_CONFLICTS.get(key)
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        stmt = (
            dialect_insert(table)
            .on_conflict_do_nothing(index_elements=list(columns))
            .returning(table.c.id)
        )
        _INSERTS_IGNORING_CONFLICTS[key] = stmt
    return stmt


def insert_many(
    session: Session,
    table,
    rows: list[dict],
    *,
    ids: bool = False,
    ignore_conflicts: bool = False,
) -> list[int]:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction; with
    `ids`, the new rows' ids in the order of `rows` (else []). With `ignore_conflicts`, a row
    that a unique key already has is left out (ON CONFLICT DO NOTHING; no ids then).

    PostgreSQL gets them by COPY (its ids taken from the table's sequence first), or by one
    INSERT … SELECT FROM unnest(…) when conflicts are ignored: an `executemany` there plans and
    runs each row's INSERT alone (`plan_cache_mode`, above), and RETURNING's many-row VALUES
    costs psycopg as much again to build. SQLite gets one `executemany` on the DBAPI cursor
    (`_insert_many_sqlite`). Python-side column defaults are filled in as an INSERT would;
    server defaults apply to the columns left out.
    """
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" and ignore_conflicts:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        connection.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
        return []
    new_ids: list[int] = []
    if dialect.name == "postgresql" and ids and not ignore_conflicts:
        new_ids = sorted(
            connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence(%(table)s, 'id'))"
                " FROM generate_series(1, %(count)s)",
                {"table": table.name, "count": len(rows)},
            ).scalars()
        )
    given = list(rows[0])
    filled = {
        column.name: column.default.arg(None) if column.default.is_callable else column.default.arg
        for column in table.columns
        if column.name not in given
        and column.name != "id"
        and column.default is not None
        and (column.default.is_scalar or column.default.is_callable)
    }
    names = (["id"] if new_ids else []) + given + list(filled)
    # The columns' own bind processing (UTCDateTime refuses a naive time, as in any INSERT).
    processors = [
        (position, processor)
        for position, name in enumerate(names)
        if (processor := _bind_processor(table.c[name].type, dialect)) is not None
    ]
    constant = list(filled.values())

    def values() -> Iterator[list]:
        for index, row in enumerate(rows):
            value = [new_ids[index]] if new_ids else []
            value += [row[name] for name in given]
            value += constant
            for position, processor in processors:
                value[position] = processor(value[position])
            yield value

    columns = ", ".join(f'"{name}"' for name in names)
    dbapi_error = dialect.loaded_dbapi.Error
    if dialect.name != "postgresql":
        return _insert_many_sqlite(connection, table, columns, len(names), values(), len(rows), ids)
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    try:
        cursor = connection.connection.driver_connection.cursor()
        with cursor:
            if ignore_conflicts:
                arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect)}[]" for name in names)
                statement = (
                    f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({arrays})'
                    " ON CONFLICT DO NOTHING"
                )
                cursor.execute(statement, [list(column) for column in zip(*values(), strict=True)])
            else:
                with cursor.copy(statement) as copy:
                    for value in values():
                        copy.write_row(value)
    except dbapi_error as error:
        # As SQLAlchemy raises it for an INSERT: callers catch IntegrityError and the like.
        raise exc.DBAPIError.instance(statement, None, error, dbapi_error) from error
    return new_ids


def _insert_many_sqlite(
    connection, table, columns: str, width: int, values: Iterator[list], count: int, ids: bool
) -> list[int]:
    """One `executemany` of the processed rows on the DBAPI cursor (SQLAlchemy's own spent more
    than SQLite did: its per-row parameter handling and each row's datetimes formatted anew).
    The new ids are consecutive: the transaction holds SQLite's write lock, every table has
    AUTOINCREMENT (`sqlite_ids.py`) and no row brings its own id; checked all the same."""
    statement = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * width)})'
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(statement, values)
        if not ids:
            return []
        last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
        first = last - count + 1
        found = cursor.execute(
            f'SELECT count(*) FROM "{table.name}" WHERE id BETWEEN ? AND ?', (first, last)
        ).fetchone()[0]
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(statement, None, error, sqlite3.Error) from error
    finally:
        cursor.close()
    if found != count:
        raise RuntimeError(f"{table.name}: {count} rows inserted, {found} ids between them")
    return list(range(first, last + 1))


_MEMO_TYPES = (sqltypes.DateTime, sqltypes.Date, sqltypes.Time, sqltypes.Boolean)


def _bind_processor(column_type, dialect):
    """The column's bind processing for values written outside SQLAlchemy's INSERT; for
    datetimes (a bulk write binds 10^5, few distinct: created_at, send times) remembered per
    value within one call."""
    processor = _copy_processor(column_type, dialect)
    if processor is None:
        return None
    # (_type_affinity: the implementation's kind, through a TypeDecorator such as UTCDateTime.)
    if not issubclass(column_type._type_affinity or object, _MEMO_TYPES):
        return processor
    memo: dict = {}

    def remembered(value):
        # Equal aware datetimes are the same instant: the same UTC value. A naive one never
        # equals an aware one, so it still reaches the processor (which refuses it).
        try:
            return memo[value]
        except KeyError:
            result = memo[value] = processor(value)
            return result

    return remembered


def _copy_processor(column_type, dialect):
    """What turns a Python value into what psycopg writes for it, outside SQLAlchemy's INSERT:
    the type's own bind processor, and JSON wrapped as psycopg's Json (SQLAlchemy leaves JSON to
    a bind cast that COPY does not have)."""
    if dialect.name == "postgresql":
        processor = column_type.bind_processor(dialect)
    else:
        # The dialect's own (SQLite stores datetimes as text it formats itself).
        processor = column_type._cached_bind_processor(dialect)
    if processor is None and isinstance(column_type, JSON):
        from psycopg.types.json import Json

        dumps = dialect._json_serializer or json.dumps
        return lambda value: None if value is None else Json(value, dumps)
    return processor
