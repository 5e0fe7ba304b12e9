"""search index over message bodies, unread counters kept as data

Revision ID: 0014
Revises: 0016_carrier_attempted_at
Create Date: 2026-12-01 09:40:00

SQLite: an FTS5 external-content table `messages_fts` (trigram tokenizer: any substring of three
characters or more matches, case-insensitively) kept by triggers on `messages`, so every writer
(services, the dispatcher, reminders, a block's delete) keeps it right in its own transaction.
PostgreSQL: `pg_trgm` and a GIN trigram index on `messages.body`, which `ILIKE '%…%'` uses;
PostgreSQL keeps it itself. Both give the same answers: substring matches, as before.

Unread: `conversations.inbound_count` (inbound texts ever stored) and
`conversation_states.read_inbound_count` (how many of them the user had when they last read);
unread = the difference. Both are filled from the existing messages here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0016_carrier_attempted_at"
branch_labels = None
depends_on = None

FTS_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5("
    "body, content='messages', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF body ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("inbound_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("conversation_states") as batch:
        batch.add_column(
            sa.Column("read_inbound_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE conversations SET inbound_count = (SELECT count(*) FROM messages m"
        " WHERE m.conversation_id = conversations.id AND m.direction = 'inbound')"
    )
    op.execute(
        "UPDATE conversation_states SET read_inbound_count = (SELECT count(*) FROM messages m"
        " WHERE m.conversation_id = conversation_states.conversation_id"
        " AND m.direction = 'inbound' AND m.id <= conversation_states.last_read_message_id)"
    )
    if dialect == "sqlite":
        for statement in FTS_SQLITE:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_messages_body_trgm ON messages"
            " USING gin (body gin_trgm_ops)"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS messages_fts_{name}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
    with op.batch_alter_table("conversation_states") as batch:
        batch.drop_column("read_inbound_count")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("inbound_count")
