"""events.reminders_pending: a court date whose reminders are made after the import that wrote it

Revision ID: 0028_event_reminders_pending
Revises: 0027_event_attorney
Create Date: 2026-12-02 01:00:00

An import of more than one chunk of court dates (services/imports.py) commits them with this flag
instead of resyncing their reminders inside its own transaction; the dispatcher's pass then
resyncs the flagged events a chunk per transaction and clears the flag with each (see
services/reminders.resync_pending). Because the flag is data, a server that stops or dies between
the import and the resync finishes the job when it starts again. The partial index holds only
flagged rows, so the dispatcher's look for them costs nothing while there are none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_event_reminders_pending"
down_revision = "0027_event_attorney"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: it would rebuild the table (a NOT NULL column with a default) and lose
    # its AUTOINCREMENT; SQLite's own ADD COLUMN takes such a column in place.
    op.add_column(
        "events",
        sa.Column("reminders_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_events_reminders_pending",
        "events",
        ["id"],
        sqlite_where=sa.text("reminders_pending"),
        postgresql_where=sa.text("reminders_pending"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_reminders_pending", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("reminders_pending")
