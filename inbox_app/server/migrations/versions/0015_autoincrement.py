"""ids never come back (SQLite AUTOINCREMENT) and public media links get their own token

Revision ID: 0015_autoincrement
Revises: 0015_login_counters
Create Date: 2026-12-01 10:20:00

SQLite hands out max(id) + 1, so deleting the newest row (a blocked thread, its photo) let the
next row take its id, and links naming the old id reached the new row. AUTOINCREMENT never
reuses an id; SQLite can only add it by rebuilding the table, done here with the table's own
CREATE statement (checks, foreign keys and defaults kept exactly) while foreign keys are off
(`env.py`), so dropping the old copy cascades nowhere. PostgreSQL sequences never reuse ids.
"""

import sqlalchemy as sa
from alembic import op

from inbox_app.server.sqlite_ids import rebuild_with_autoincrement

revision = "0015_autoincrement"
down_revision = "0015_login_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("public_until", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    rebuild_with_autoincrement(bind)


def downgrade() -> None:
    # AUTOINCREMENT stays (it only stops reuse); the link columns go.
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("public_until")
        batch_op.drop_column("public_token")
