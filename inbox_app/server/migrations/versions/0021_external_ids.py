"""clients.external_id and events.external_id: the id a record has in the system it was
imported from ("clio:1234"), unique per firm, so re-importing a file updates instead of
duplicating

Revision ID: 0021_external_ids
Revises: 0022_quick_replies
Create Date: 2026-12-01 12:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_external_ids"
down_revision = "0022_quick_replies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (no table rebuild, so no trigger is lost).
    op.add_column("clients", sa.Column("external_id", sa.String(120)))
    op.add_column("events", sa.Column("external_id", sa.String(120)))
    op.create_index(
        "ix_clients_firm_external_id", "clients", ["firm_id", "external_id"], unique=True
    )
    op.create_index("ix_events_firm_external_id", "events", ["firm_id", "external_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_events_firm_external_id", table_name="events")
    op.drop_index("ix_clients_firm_external_id", table_name="clients")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("external_id")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("external_id")
