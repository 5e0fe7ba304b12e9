"""after-hours reply: the firm's opening hours and the text sent outside them

Revision ID: 0023_after_hours
Revises: 0022_assignment
Create Date: 2026-12-01 15:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_after_hours"
down_revision = "0022_assignment"
branch_labels = None
depends_on = None

REPLY = "Thanks for your text. [FirmName] is closed right now; we will reply when we open."


def upgrade() -> None:
    with op.batch_alter_table("firms") as batch:
        batch.add_column(
            sa.Column(
                "after_hours_enabled", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("opening_hours", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("after_hours_reply", sa.Text(), nullable=False, server_default=REPLY)
        )


def downgrade() -> None:
    with op.batch_alter_table("firms") as batch:
        batch.drop_column("after_hours_reply")
        batch.drop_column("opening_hours")
        batch.drop_column("after_hours_enabled")
