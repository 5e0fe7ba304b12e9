"""sender slots: the per-number send rate shared by every dispatcher process

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 14:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sender_slots",
        sa.Column("from_number", sa.String(length=64), nullable=False),
        sa.Column("next_send_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("from_number", name=op.f("pk_sender_slots")),
    )


def downgrade() -> None:
    op.drop_table("sender_slots")
