"""messages: the send time asked for when quiet hours moved it, and why

Revision ID: 0013_quiet_hours_reason
Revises: 0002
Create Date: 2026-12-01 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_quiet_hours_reason"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns, added in place (no table rebuild on SQLite): existing rows keep working,
    # with no reason known for their send time.
    op.add_column("messages", sa.Column("requested_send_at", sa.DateTime(timezone=True)))
    op.add_column("messages", sa.Column("send_at_reason", sa.String(length=16)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("send_at_reason")
        batch.drop_column("requested_send_at")
