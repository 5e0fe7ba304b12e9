"""firm numbers are unique: a number routes inbound texts to at most one firm

Revision ID: 0015_firm_numbers_unique
Revises: 0014
Create Date: 2026-12-01 09:40:00

Databases made before this may hold two firms on one number (two admins saving it at once):
the firm that has had it longest (lowest id) keeps it, the others give it up (they cannot send
until an admin gives them a number of their own; their inbound texts never reached them anyway).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_firm_numbers_unique"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    firms = sa.table("firms", sa.column("id", sa.Integer), sa.column("from_number", sa.String))
    bind = op.get_bind()
    rows = (
        bind.execute(
            sa.text(
                "SELECT f1.id FROM firms f1 WHERE f1.from_number IS NOT NULL AND f1.id > "
                "(SELECT MIN(f2.id) FROM firms f2 WHERE f2.from_number = f1.from_number)"
            )
        )
        .scalars()
        .all()
    )
    if rows:
        bind.execute(firms.update().where(firms.c.id.in_(rows)).values(from_number=None))
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.create_index("ix_firms_from_number", ["from_number"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.drop_index("ix_firms_from_number")
