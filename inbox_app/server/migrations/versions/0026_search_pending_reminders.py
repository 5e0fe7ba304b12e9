"""the search index leaves out pending flow reminders

Revision ID: 0026_search_pending_reminders
Revises: 0025_autoincrement_again
Create Date: 2026-12-01 22:00:00

A flow reminder that is still scheduled (`origin = 'flow' AND status = 'scheduled'`) is derived
data: the resync makes, rewrites and deletes it from the flow's templates whenever a court date,
client or contact changes, and an import writes thousands at once. Indexing their text (trigrams)
cost several times the import's own writing, for rows the firm-wide search had no need of until
they are sent. From here the index holds every message except those; a reminder enters it with its
first change of status (claimed and sent, canceled, held, failed) and leaves it again only if it
goes back to scheduled. A one-off message a person scheduled (`origin = 'manual'`) is indexed at
once, as before. Within one thread the search scans every message, pending reminders included.

SQLite: the triggers of 0014 get WHEN conditions that mirror exactly what is in the FTS5 index
(a 'delete' command for text never indexed would corrupt it), and the pending reminders already
indexed are taken out. PostgreSQL: the trigram GIN index becomes partial, with the predicate the
search query repeats (`services/search.py`), so the planner still uses it.
"""

from alembic import op

revision = "0026_search_pending_reminders"
down_revision = "0025_autoincrement_again"
branch_labels = None
depends_on = None

# A row is in the index exactly when this holds of it (`services/search.py` has it too).
SEARCHABLE = "NOT ({row}.origin = 'flow' AND {row}.status = 'scheduled')"
PENDING = "{row}.origin = 'flow' AND {row}.status = 'scheduled'"


def _searchable(row: str) -> str:
    return SEARCHABLE.format(row=row)


def _pending(row: str) -> str:
    return "(" + PENDING.format(row=row) + ")"


TRIGGERS_SQLITE = [
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages"
    f" WHEN {_searchable('new')} BEGIN "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages"
    f" WHEN {_searchable('old')} BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    # Out of the index when it was in and now is not or its text changed; into it when it is
    # searchable now and was not or its text changed. A status change of an indexed message
    # with the same text (every send, every delivery callback) touches nothing.
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body, status, origin ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) SELECT 'delete', old.id, old.body"
    f" WHERE {_searchable('old')} AND (new.body IS NOT old.body OR {_pending('new')}); "
    "INSERT INTO messages_fts(rowid, body) SELECT new.id, new.body"
    f" WHERE {_searchable('new')} AND (new.body IS NOT old.body OR {_pending('old')}); "
    "END",
]
OLD_TRIGGERS_SQLITE = [
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
]
INDEX_POSTGRESQL = (
    "CREATE INDEX ix_messages_body_trgm ON messages USING gin (body gin_trgm_ops)"
    f" WHERE {SEARCHABLE.format(row='messages')}"
)
OLD_INDEX_POSTGRESQL = (
    "CREATE INDEX ix_messages_body_trgm ON messages USING gin (body gin_trgm_ops)"
)


def _drop_triggers_sqlite() -> None:
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS messages_fts_{name}")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_triggers_sqlite()
        # Every message is indexed with its current text (0014's triggers): the pending reminders
        # come out with exactly that text.
        op.execute(
            "INSERT INTO messages_fts(messages_fts, rowid, body)"
            f" SELECT 'delete', id, body FROM messages WHERE {_pending('messages')}"
        )
        for statement in TRIGGERS_SQLITE:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
        op.execute(INDEX_POSTGRESQL)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_triggers_sqlite()
        op.execute(
            "INSERT INTO messages_fts(rowid, body)"
            f" SELECT id, body FROM messages WHERE {_pending('messages')}"
        )
        for statement in OLD_TRIGGERS_SQLITE:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
        op.execute(OLD_INDEX_POSTGRESQL)
