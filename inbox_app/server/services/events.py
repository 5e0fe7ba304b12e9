"""Realtime events: written in the same transaction as the change they announce.

The row is the source of truth (reconnect with Last-Event-ID replays from it); the broker in
`server/stream.py` is woken after commit (in-process) or by PostgreSQL NOTIFY (other processes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session

from inbox_app.models import tables as t

CHANNEL = "inbox_events"
_PENDING = "inbox_events_pending"


def publish(
    session: Session, firm_id: int, kind: str, payload: dict[str, Any], user_id: int | None = None
) -> t.StreamEvent:
    """Record `kind` for the firm (or one user); listeners hear of it once the commit lands."""
    row = t.StreamEvent(firm_id=firm_id, user_id=user_id, kind=kind, payload=payload)
    session.add(row)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Delivered by PostgreSQL only if and when this transaction commits.
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": str(firm_id)},
        )
    session.info[_PENDING] = True
    return row


_listeners: list = []


def on_commit(callback) -> None:
    """Call `callback()` after any commit that published events (the in-process wake-up)."""
    _listeners.append(callback)


def remove_listener(callback) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        for callback in list(_listeners):
            callback()


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
