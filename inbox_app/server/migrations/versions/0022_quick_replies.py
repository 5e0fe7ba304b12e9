"""quick replies: saved texts with merge tags, the firm's and each user's own

Revision ID: 0022_quick_replies
Revises: 0015_contact_reachability
Create Date: 2026-12-01 12:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_quick_replies"
down_revision = "0015_contact_reachability"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quick_replies",
        sa.Column("id", BigId, nullable=False),
        sa.Column("firm_id", BigId, nullable=False),
        sa.Column("owner_id", BigId, nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_quick_replies_firm_id_firms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_quick_replies_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quick_replies")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_quick_replies_firm_id"), "quick_replies", ["firm_id"])
    op.create_index(op.f("ix_quick_replies_owner_id"), "quick_replies", ["owner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_quick_replies_owner_id"), table_name="quick_replies")
    op.drop_index(op.f("ix_quick_replies_firm_id"), table_name="quick_replies")
    op.drop_table("quick_replies")
