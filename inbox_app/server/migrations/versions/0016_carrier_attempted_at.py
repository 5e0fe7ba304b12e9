"""messages.carrier_attempted_at: when a text was last handed to the carrier without an answer
recorded yet, so a restart asks the carrier before sending it again

Revision ID: 0016_carrier_attempted_at
Revises: 0013_quiet_hours_reason
Create Date: 2026-12-01 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_carrier_attempted_at"
down_revision = "0013_quiet_hours_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("carrier_attempted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("carrier_attempted_at")
