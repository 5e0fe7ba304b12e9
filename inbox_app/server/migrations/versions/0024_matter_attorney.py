"""matters.attorney_id: the attorney responsible for a matter (the agenda filters by it)

Revision ID: 0024_matter_attorney
Revises: 0023_after_hours
Create Date: 2026-12-01 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_matter_attorney"
down_revision = "0023_after_hours"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("matters") as batch:
        batch.add_column(sa.Column("attorney_id", BigId, nullable=True))
    op.create_index(op.f("ix_matters_attorney_id"), "matters", ["attorney_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_matters_attorney_id"), table_name="matters")
    with op.batch_alter_table("matters") as batch:
        batch.drop_column("attorney_id")
