"""assignment: a conversation's one assignee (or nobody)

Revision ID: 0022_assignment
Revises: 0022_notes
Create Date: 2026-12-01 13:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_assignment"
down_revision = "0022_notes"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("assignee_id", BigId, nullable=True))
    op.create_index(op.f("ix_conversations_assignee_id"), "conversations", ["assignee_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_conversations_assignee_id"), table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("assignee_id")
