"""events.attorney_id: a court date's own attorney (wins over its matter's; the agenda filters by
whichever applies), so a hearing without a matter can have one

Revision ID: 0027_event_attorney
Revises: 0026_search_pending_reminders
Create Date: 2026-12-01 22:30:00

Like matters.attorney_id (0024): an active user of the firm when set (the API checks), no foreign
key (users are disabled, never deleted). A plain added column: SQLite's batch mode adds it in
place (no table copy), so the table keeps its AUTOINCREMENT.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_event_attorney"
down_revision = "0026_search_pending_reminders"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("attorney_id", BigId, nullable=True))
    op.create_index(op.f("ix_events_attorney_id"), "events", ["attorney_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_events_attorney_id"), table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("attorney_id")
