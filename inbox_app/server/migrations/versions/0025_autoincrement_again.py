"""ids never come back, again: contacts and firms get AUTOINCREMENT back (SQLite)

Revision ID: 0025_autoincrement_again
Revises: 0024_matter_attorney
Create Date: 2026-12-01 19:10:00

0015 gave every SQLite table AUTOINCREMENT. Two later migrations changed a table in alembic's
batch mode (0015_contact_reachability: contacts; 0023_after_hours: firms), which on SQLite
rebuilds the table from a reflection of it, and a reflection knows nothing of AUTOINCREMENT: a
purged contact's id could be handed to the next contact again. This rebuilds whatever table
lacks it, as 0015 did (`server/sqlite_ids.py`); a test checks every table at head.
"""

from alembic import op

from inbox_app.server.sqlite_ids import rebuild_with_autoincrement

revision = "0025_autoincrement_again"
down_revision = "0024_matter_attorney"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rebuild_with_autoincrement(op.get_bind())


def downgrade() -> None:
    pass  # AUTOINCREMENT only stops reuse; it stays
