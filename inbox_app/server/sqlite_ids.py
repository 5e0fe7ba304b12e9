"""SQLite ids that never come back: every table with an integer `id` gets AUTOINCREMENT.

SQLite hands out max(id) + 1, so deleting the newest row (a blocked thread, its photo, a purged
contact) let the next row take its id, and links naming the old id reached the new row.
AUTOINCREMENT never reuses an id; SQLite can only add it by rebuilding the table, done here with
the table's own CREATE statement (checks, foreign keys and defaults kept exactly) while foreign
keys are off (migrations/env.py), so dropping the old copy cascades nowhere. The sequence starts
at the highest id the table holds. PostgreSQL sequences never reuse ids.

Used by the migrations that need it (0015_autoincrement, and 0025 after alembic's batch mode,
which rebuilds a table from a reflection that knows nothing of AUTOINCREMENT, took it off two).
"""

from __future__ import annotations

import re

_PK = re.compile(r",\s*CONSTRAINT (pk_\w+) PRIMARY KEY \(id\)")


def _rebuild_table(bind, name: str, create_sql: str) -> None:
    found = _PK.search(create_sql)
    if found is None or "AUTOINCREMENT" in create_sql.upper():
        return
    pk_name = found.group(1)
    sql = _PK.sub("", create_sql, count=1)
    sql, replaced = re.subn(
        r"\bid INTEGER NOT NULL",
        f"id INTEGER NOT NULL CONSTRAINT {pk_name} PRIMARY KEY AUTOINCREMENT",
        sql,
        count=1,
    )
    head = re.match(r'\s*CREATE TABLE\s+("?)' + re.escape(name) + r"\1", sql)
    if not replaced or head is None:
        raise RuntimeError(f"unexpected schema of table {name}; cannot add AUTOINCREMENT")
    temp = f"_rebuild_{name}"
    sql = f"CREATE TABLE {temp}" + sql[head.end() :]
    indexes = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ?"
            " AND sql IS NOT NULL ORDER BY type",
            (name,),
        )
        .scalars()
        .all()
    )
    bind.exec_driver_sql(sql)
    bind.exec_driver_sql(f"INSERT INTO {temp} SELECT * FROM {name}")
    bind.exec_driver_sql(f"DROP TABLE {name}")
    bind.exec_driver_sql(f"ALTER TABLE {temp} RENAME TO {name}")
    for index_sql in indexes:
        bind.exec_driver_sql(index_sql)


def rebuild_with_autoincrement(bind) -> None:
    """Give every table of the database with an integer `id` AUTOINCREMENT (SQLite only)."""
    if bind.dialect.name != "sqlite":
        return
    tables = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'alembic_version' ORDER BY name"
    ).all()
    for name, create_sql in tables:
        _rebuild_table(bind, name, create_sql)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
