"""Stream events for records (clients, contacts, matters, court dates), so every desktop
showing one reloads it: `{id, client_id}` of what changed, written in the change's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from inbox_app.server.services import events


def announce(
    session: Session, firm_id: int, kind: str, rows: Iterable[tuple[int, int | None]]
) -> None:
    """One `kind` event per (id, client_id); a change itself never makes a text due."""
    drafts = [
        events.Draft(firm_id, kind, {"id": int(row_id), "client_id": client_id})
        for row_id, client_id in rows
    ]
    events.publish_all(session, drafts, creates_work=False)
