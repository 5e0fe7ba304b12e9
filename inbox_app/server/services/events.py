"""Realtime events: written in the same transaction as the change they announce.

The row is the source of truth (reconnect with Last-Event-ID replays from it); the broker in
`server/stream.py` is woken after commit (in-process) or by PostgreSQL NOTIFY (other processes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, insert, or_, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server import db

CHANNEL = "inbox_events"
# From this many events in one publish_all, they are written in bulk (db.insert_many).
BULK_ROWS = 100
_PENDING = "inbox_events_pending"


def publish(
    session: Session, firm_id: int, kind: str, payload: dict[str, Any], user_id: int | None = None
) -> t.StreamEvent:
    """Record `kind` for the firm (or one user); listeners hear of it once the commit lands."""
    row = t.StreamEvent(firm_id=firm_id, user_id=user_id, kind=kind, payload=payload)
    session.add(row)
    session.flush()
    session.info[_PENDING] = True
    return row


def forget_conversation_in(
    session: Session, firm_id: int, conversation_id: int, *, before: int
) -> int:
    """Delete the stored events about a conversation (its messages, notifications, updates)
    with ids below `before`, so no Last-Event-ID replay brings a deleted thread back."""
    e = t.StreamEvent
    about = or_(
        e.payload["conversation_id"].as_integer() == conversation_id,
        and_(
            e.kind.in_(("conversation.updated",)),
            e.payload["id"].as_integer() == conversation_id,
        ),
    )
    result = session.execute(
        delete(e).where(e.firm_id == firm_id, e.id < before, about),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


class Draft(NamedTuple):
    """A stream event to be written by `publish_all`."""

    firm_id: int
    kind: str
    payload: dict[str, Any]
    user_id: int | None = None


def publish_all(session: Session, drafts: Sequence[Draft], *, creates_work: bool = True) -> None:
    """`publish` for several events at once: one INSERT, in the order given (the ids follow it).

    `creates_work=False` says nothing in this transaction can make an outbound message due (a
    plain inbound text): after the commit only the stream is woken, not `on_commit` listeners
    such as the dispatcher, which would otherwise run a pass for every text received.
    """
    if not drafts:
        return
    now = t.utcnow()
    rows = [
        {
            "firm_id": d.firm_id,
            "user_id": d.user_id,
            "kind": d.kind,
            "payload": d.payload,
            "created_at": now,
        }
        for d in drafts
    ]
    if len(rows) > BULK_ROWS:
        # A resync of thousands of threads: one COPY on PostgreSQL, in the same order.
        db.insert_many(session, t.StreamEvent.__table__, rows)
    else:
        session.connection().execute(_INSERT_EVENT, rows)
    if creates_work:
        session.info[_PENDING] = True
    else:
        session.info.setdefault(_PENDING, _STREAM_ONLY)


_INSERT_EVENT = insert(t.StreamEvent.__table__)


_STREAM_ONLY = "stream"
_listeners: list = []
_stream_listeners: list = []


def on_commit(callback) -> None:
    """Call `callback()` after any commit that published events that may mean work to do."""
    _listeners.append(callback)


def on_any_commit(callback) -> None:
    """Call `callback()` after every commit that published events (the stream's wake-up)."""
    _stream_listeners.append(callback)


def remove_listener(callback) -> None:
    for listeners in (_listeners, _stream_listeners):
        if callback in listeners:
            listeners.remove(callback)


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING) and session.get_bind().dialect.name == "postgresql":
        # One NOTIFY per transaction, however many events it wrote; PostgreSQL delivers it only
        # if and when the commit lands. The listeners only need the wake-up, not the payload.
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, False)
    if pending:
        for callback in list(_stream_listeners):
            callback()
        if pending is not _STREAM_ONLY:
            for callback in list(_listeners):
                callback()


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
