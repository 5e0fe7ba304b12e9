"""contacts that cannot receive texts: landlines, toll-free numbers, carrier refusals

Revision ID: 0015_contact_reachability
Revises: 0015_autoincrement
Create Date: 2026-12-01 10:40:00

Existing contacts are checked as compose checks a number (`domain.phone.is_mobile_capable`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_contact_reachability"
down_revision = "0015_autoincrement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from inbox_app.domain import phone

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cannot_receive_texts", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer),
        sa.column("phone", sa.String),
        sa.column("invalid", sa.Boolean),
        sa.column("cannot_receive_texts", sa.Boolean),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(contacts.c.id, contacts.c.phone).where(contacts.c.invalid.is_(False))
    ).all()
    unable = []
    for row in rows:
        try:
            if not phone.is_mobile_capable(row.phone):
                unable.append(row.id)
        except phone.InvalidPhoneNumber:
            pass  # kept as typed; `invalid` already keeps it from texts
    for start in range(0, len(unable), 500):
        bind.execute(
            contacts.update()
            .where(contacts.c.id.in_(unable[start : start + 500]))
            .values(cannot_receive_texts=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("cannot_receive_texts")
