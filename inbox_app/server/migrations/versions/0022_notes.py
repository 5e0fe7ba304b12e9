"""internal notes: messages of direction and status `internal` (a note, or a system line such
as an assignment), never sent; each user's latest unseen mention of them

Revision ID: 0022_notes
Revises: 0021_external_ids
Create Date: 2026-12-01 13:00:00

SQLite cannot change a CHECK constraint in place, so `messages` is rebuilt from its own CREATE
statement with the two checks widened (as 0015_autoincrement does), its indexes and the search
index's triggers made again, and its AUTOINCREMENT counter kept (ids never come back).
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_notes"
down_revision = "0021_external_ids"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

OLD_DIRECTION = "direction IN ('inbound', 'outbound')"
NEW_DIRECTION = "direction IN ('inbound', 'outbound', 'internal')"
OLD_STATUS = "'canceled', 'held')"
NEW_STATUS = "'canceled', 'held', 'internal')"
STATUSES = (
    "'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'received',"
    " 'canceled', 'held'"
)


def _rebuild_messages_sqlite(bind, old: tuple[str, str], new: tuple[str, str]) -> None:
    create_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'"
    ).scalar_one()
    sql = create_sql
    for before, after in zip(old, new, strict=True):
        if before not in sql:
            raise RuntimeError(f"unexpected schema of table messages: no {before!r}")
        sql = sql.replace(before, after, 1)
    head = 'CREATE TABLE "messages"'
    if not sql.startswith(head):
        raise RuntimeError("unexpected schema of table messages; cannot rebuild it")
    sql = "CREATE TABLE _rebuild_messages" + sql[len(head) :]
    kept = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name ="
            " 'messages' AND sql IS NOT NULL ORDER BY type"
        )
        .scalars()
        .all()
    )
    seq = bind.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").scalar()
    bind.exec_driver_sql(sql)
    bind.exec_driver_sql("INSERT INTO _rebuild_messages SELECT * FROM messages")
    bind.exec_driver_sql("DROP TABLE messages")
    bind.exec_driver_sql("ALTER TABLE _rebuild_messages RENAME TO messages")
    for statement in kept:
        bind.exec_driver_sql(statement)
    if seq is not None:
        bind.exec_driver_sql(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'messages'", (seq,)
        )
        if not bind.exec_driver_sql(
            "SELECT count(*) FROM sqlite_sequence WHERE name = 'messages'"
        ).scalar():
            bind.exec_driver_sql(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', ?)", (seq,)
            )
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")


def _replace_checks_postgresql(direction: str, status: str) -> None:
    op.drop_constraint(op.f("ck_messages_direction_known"), "messages", type_="check")
    op.drop_constraint(op.f("ck_messages_status_known"), "messages", type_="check")
    op.create_check_constraint(op.f("ck_messages_direction_known"), "messages", direction)
    op.create_check_constraint(op.f("ck_messages_status_known"), "messages", status)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild_messages_sqlite(bind, (OLD_DIRECTION, OLD_STATUS), (NEW_DIRECTION, NEW_STATUS))
    else:
        _replace_checks_postgresql(NEW_DIRECTION, f"status IN ({STATUSES}, 'internal')")
    with op.batch_alter_table("conversation_states") as batch:
        batch.add_column(sa.Column("unseen_mention_id", BigId, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_states") as batch:
        batch.drop_column("unseen_mention_id")
    bind = op.get_bind()
    bind.exec_driver_sql("DELETE FROM messages WHERE direction = 'internal'")
    if bind.dialect.name == "sqlite":
        _rebuild_messages_sqlite(bind, (NEW_DIRECTION, NEW_STATUS), (OLD_DIRECTION, OLD_STATUS))
    else:
        _replace_checks_postgresql(OLD_DIRECTION, f"status IN ({STATUSES})")
