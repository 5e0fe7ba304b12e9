"""login counters: sign-in attempts counted in the database, shared by every process

Revision ID: 0015_login_counters
Revises: 0015_firm_numbers_unique
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_login_counters"
down_revision = "0015_firm_numbers_unique"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_counters")),
    )
    with op.batch_alter_table("login_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_counters_window_start"), ["window_start"], unique=False
        )


def downgrade() -> None:
    op.drop_table("login_counters")
