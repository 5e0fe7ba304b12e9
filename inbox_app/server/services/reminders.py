"""Events and the flow reminders made from them: created ahead of time, resynced on every change.

A resync compares the reminders a flow wants now (one per step per eligible contact) with the
unsent, unclaimed ones already there: equal ones stay, changed ones are rewritten in place (same
id, so a thread shows one reminder that moved, not a canceled one beside a new one), unwanted
ones are deleted, and what is missing is inserted. Anything claimed or sent is never touched and
its step is not made again for that contact. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from inbox_app.domain import merge, phone, sms, timing
from inbox_app.models import tables as t
from inbox_app.models.schemas import EventIn, EventOut, EventPatch, MessageOut
from inbox_app.server import db
from inbox_app.server.errors import Invalid, NotFound
from inbox_app.server.services import consent, events, record_events, views

EVENT_STATUSES = ("scheduled", "confirmed", "continued", "completed", "canceled")
# Up to this many changed reminders, each gets its own message.created / message.updated event;
# beyond, the one conversation.updated per thread (with reminders_changed) is what announces them.
PUBLISH_EACH_LIMIT = 50
# Error code of a reminder generated longer than the firm's segment cap: kept, never sent.
TOO_LONG = "too_long"
QUIET_HOURS = "quiet_hours"  # send_at_reason of a step moved later by quiet hours
# From this many events in one resync, bulk-work measures kick in.
BULK_EVENTS = 1000
DEFAULT_TIME_ZONE = "America/New_York"
_CHUNK = 900  # ids per IN (...) list: well under SQLite's bound-parameter limit

_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_ES_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_ES_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


# --- events -------------------------------------------------------------------------------------


def event_out(event: t.Event) -> EventOut:
    return EventOut.model_validate(event)


def _event_in(session: Session, firm_id: int, event_id: int) -> t.Event:
    event = session.get(t.Event, event_id)
    if event is None or event.firm_id != firm_id:
        raise NotFound(f"There is no event {event_id}.")
    return event


def check_attorney(session: Session, firm_id: int, attorney_id: int | None) -> None:
    """A matter's or court date's attorney is an active user of the firm (422 otherwise)."""
    if attorney_id is None:
        return
    attorney = session.get(t.User, attorney_id)
    if attorney is None or attorney.firm_id != firm_id or not attorney.is_active:
        raise Invalid(
            "attorney_id: there is no active user of your firm with that id.",
            field="attorney_id",
        )


def _check_event_fields(
    session: Session,
    firm_id: int,
    client_id: int,
    fields: dict,
    seen: dict[tuple[str, int], int | None] | None = None,
) -> None:
    """Refuse a naive time, an unknown status, and a matter, flow or attorney that is not the
    firm's.

    `seen` remembers matters (their client), flows and attorneys already looked up, for a batch
    of events.
    """
    starts_at = fields.get("starts_at")
    if starts_at is not None and (starts_at.tzinfo is None or starts_at.utcoffset() is None):
        raise Invalid("starts_at needs a time zone offset, for example 2026-12-01T09:00:00-05:00.")
    status = fields.get("status")
    if "status" in fields and status not in EVENT_STATUSES:
        raise Invalid(f"Unknown event status {status!r}; use one of {', '.join(EVENT_STATUSES)}.")
    seen = {} if seen is None else seen
    matter_id = fields.get("matter_id")
    if matter_id is not None:
        if ("matter", matter_id) not in seen:
            matter = session.get(t.Matter, matter_id)
            if matter is None or matter.firm_id != firm_id:
                raise NotFound(f"There is no matter {matter_id}.")
            seen[("matter", matter_id)] = matter.client_id
        if seen[("matter", matter_id)] != client_id:
            raise Invalid(f"Matter {matter_id} belongs to another client than this event's.")
    flow_id = fields.get("flow_id")
    if flow_id is not None and ("flow", flow_id) not in seen:
        flow = session.get(t.Flow, flow_id)
        if flow is None or flow.firm_id != firm_id:
            raise NotFound(f"There is no flow {flow_id}.")
        seen[("flow", flow_id)] = None
    attorney_id = fields.get("attorney_id")
    if attorney_id is not None and ("attorney", attorney_id) not in seen:
        check_attorney(session, firm_id, attorney_id)
        seen[("attorney", attorney_id)] = None


def create_event(session: Session, user: t.User, body: EventIn) -> EventOut:
    """Add an event; with a flow, its reminders are generated in the same transaction."""
    with session.begin():
        client = session.get(t.Client, body.client_id)
        if client is None or client.firm_id != user.firm_id:
            raise NotFound(f"There is no client {body.client_id}.")
        fields = body.model_dump()
        _check_event_fields(session, user.firm_id, client.id, fields)
        event = t.Event(firm_id=user.firm_id, **fields)
        session.add(event)
        session.flush()
        if not _changed(sync_events_in(session, user.firm_id, [event.id])):
            # (A resync that changed reminders has announced the event already.)
            record_events.announce(session, user.firm_id, "event.updated", [(event.id, client.id)])
        return event_out(event)


def get_event(session: Session, user: t.User, event_id: int) -> EventOut:
    with session.begin():
        return event_out(_event_in(session, user.firm_id, event_id))


def list_events(
    session: Session,
    user: t.User,
    *,
    q: str | None = None,
    client_id: int | None = None,
    matter_id: int | None = None,
    flow_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[EventOut]:
    """Events of the firm, soonest first; `q` searches the location."""
    query = select(t.Event).where(t.Event.firm_id == user.firm_id)
    if q:
        query = query.where(t.Event.location.ilike(f"%{q.strip()}%"))
    if client_id is not None:
        query = query.where(t.Event.client_id == client_id)
    if matter_id is not None:
        query = query.where(t.Event.matter_id == matter_id)
    if flow_id is not None:
        query = query.where(t.Event.flow_id == flow_id)
    query = query.order_by(t.Event.starts_at, t.Event.id).limit(limit).offset(offset)
    with session.begin():
        return [event_out(event) for event in session.scalars(query)]


def update_event(session: Session, user: t.User, event_id: int, patch: EventPatch) -> EventOut:
    """Change an event and resync its reminders; canceling it cancels the unsent ones."""
    return update_events(session, user, [(event_id, patch)])[0]


def update_events(
    session: Session, user: t.User, changes: Sequence[tuple[int, EventPatch]]
) -> list[EventOut]:
    """Change several events in one transaction, then resync them together (as update_event).

    Any bad change refuses the whole batch and changes nothing.
    """
    parsed: list[tuple[int, dict]] = []
    for event_id, patch in changes:
        fields = patch.model_dump(exclude_unset=True)
        for required in ("starts_at", "status"):
            if required in fields and fields[required] is None:
                raise Invalid(f"{required} cannot be cleared.")
        parsed.append((event_id, fields))
    with session.begin():
        # Core rows, not ORM objects: a batch of a few hundred events flushes in one statement.
        found: dict[int, dict] = {}
        for chunk in _chunks(sorted({event_id for event_id, _ in parsed})):
            for row in session.execute(
                select(*_EVENT_COLUMNS)
                .where(t.Event.firm_id == user.firm_id, db.among(session, t.Event.id, chunk))
                .with_for_update()
            ).mappings():
                found[row["id"]] = dict(row)
        seen: dict[tuple[str, int], int | None] = {}
        # Check every change before writing any.
        for event_id, fields in parsed:
            event = found.get(event_id)
            if event is None:
                raise NotFound(f"There is no event {event_id}.")
            _check_event_fields(session, user.firm_id, event["client_id"], fields, seen)
        now = t.utcnow()
        writes: dict[tuple[str, ...], list[dict]] = defaultdict(list)
        for event_id, fields in parsed:
            found[event_id].update(fields)
            if fields:
                names = tuple(sorted(fields))
                writes[names].append({"_id": event_id, "updated_at": now, **fields})
        events_table = t.Event.__table__
        for names, rows in writes.items():
            session.execute(
                update(events_table)
                .where(events_table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in (*names, "updated_at")}),
                rows,
            )
        changed = [found[event_id] for event_id, _ in parsed]
        canceled = [event["id"] for event in changed if event["status"] == "canceled"]
        if canceled:
            cancel_reminders_in(session, user.firm_id, canceled, "The event was canceled")
        resynced = [event["id"] for event in changed if event["status"] != "canceled"]
        announced = resynced if _changed(sync_events_in(session, user.firm_id, resynced)) else []
        rest = [event["id"] for event in changed if event["id"] not in set(announced)]
        if rest:
            announce_events_in(session, user.firm_id, rest)
        return [EventOut.model_validate(event) for event in changed]


_EVENT_COLUMNS = (
    t.Event.id,
    t.Event.client_id,
    t.Event.matter_id,
    t.Event.starts_at,
    t.Event.location,
    t.Event.status,
    t.Event.flow_id,
    t.Event.attorney_id,
)


def delete_event(session: Session, user: t.User, event_id: int) -> None:
    """Delete an event with its unsent reminders; sent ones stay in their threads."""
    with session.begin():
        event = _event_in(session, user.firm_id, event_id)
        remove_reminders_in(session, user.firm_id, [event.id])
        record_events.announce(
            session, user.firm_id, "event.deleted", [(event.id, event.client_id)]
        )
        session.delete(event)


def event_messages(session: Session, user: t.User, event_id: int) -> list[MessageOut]:
    """The event's reminders (every status), in the order they go out."""
    with session.begin():
        event = _event_in(session, user.firm_id, event_id)
        messages = session.scalars(
            select(t.Message)
            .where(t.Message.firm_id == user.firm_id, t.Message.event_id == event.id)
            .order_by(t.Message.send_at, t.Message.id)
        )
        return [views.message_out(message) for message in messages]


# --- resync -------------------------------------------------------------------------------------


@dataclass(slots=True)
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


# Core statements: the ORM's bulk paths cost as much again per row as the database does.
_MESSAGES = t.Message.__table__
_INSERT_REMINDER = insert(_MESSAGES)
_UPDATE_REMINDER = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "body",
                "segments",
                "encoding",
                "send_at",
                "matter_id",
                "status",
                "error_code",
                "error_text",
                "requested_send_at",
                "send_at_reason",
                "updated_at",
            )
        }
    )
)


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _managed(status: str, claimed_by: str | None, error_code: str | None) -> bool:
    """A reminder a resync may rewrite or delete: not claimed, not on its way to the carrier."""
    if claimed_by is not None:
        return False
    return status in ("scheduled", "held") or (status == "failed" and error_code == TOO_LONG)


def _managed_clause():
    return (t.Message.claimed_by.is_(None)) & (
        t.Message.status.in_(("scheduled", "held"))
        | ((t.Message.status == "failed") & (t.Message.error_code == TOO_LONG))
    )


def sync_clients_in(session: Session, firm_id: int, client_ids: Iterable[int]) -> SyncResult:
    """Resync every event of these clients that has a flow."""
    ids = sorted(set(client_ids))
    event_ids: list[int] = []
    for chunk in _chunks(ids):
        event_ids += session.scalars(
            select(t.Event.id).where(
                t.Event.firm_id == firm_id,
                db.among(session, t.Event.client_id, chunk),
                t.Event.flow_id.is_not(None),
            )
        )
    return sync_events_in(session, firm_id, event_ids)


def sync_events_in(
    session: Session, firm_id: int, event_ids: Iterable[int], *, now: datetime | None = None
) -> SyncResult:
    """Bring the unsent reminders of these events in line with their flow, client and contacts."""
    ids = sorted(set(event_ids))
    if not ids:
        return SyncResult()
    if len(ids) < BULK_EVENTS:
        result = _sync_events_in(session, firm_id, ids, now or t.utcnow())
    else:
        with _collector_paused():
            result = _sync_events_in(session, firm_id, ids, now or t.utcnow())
    if _changed(result):
        announce_events_in(session, firm_id, ids)
    return result


# Events resynced per transaction by `resync_pending` (the write lock is let go between chunks).
PENDING_CHUNK = 1000


def mark_pending_in(session: Session, event_ids: Sequence[int]) -> None:
    """Leave these events' reminders to `resync_pending`, after the caller commits (an import
    of many court dates: its transaction stays short, and the flag survives a crash)."""
    _set_pending_in(session, sorted(set(event_ids)), True)


def _set_pending_in(session: Session, event_ids: Sequence[int], pending: bool) -> None:
    for chunk in _chunks(event_ids):
        session.execute(
            update(t.Event)
            .where(db.among(session, t.Event.id, chunk))
            # The flag is not an edit of the court date: updated_at stays.
            .values(reminders_pending=pending, updated_at=t.Event.updated_at)
            .execution_options(synchronize_session=False)
        )


def pending_count(session: Session) -> int:
    """Court dates whose reminders `resync_pending` has still to make (every firm)."""
    return session.scalar(
        select(func.count()).select_from(t.Event).where(t.Event.reminders_pending)
    )


def resync_pending(session: Session, limit: int = PENDING_CHUNK) -> int:
    """Resync up to `limit` flagged events (oldest first) and clear their flags, in the caller's
    transaction; how many were taken. Several processes take disjoint chunks (PostgreSQL: SKIP
    LOCKED; SQLite: one writer at a time). The dispatcher calls it until it answers 0."""
    query = (
        select(t.Event.id, t.Event.firm_id)
        .where(t.Event.reminders_pending)
        .order_by(t.Event.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    by_firm: dict[int, list[int]] = defaultdict(list)
    for event_id, firm_id in session.execute(query):
        by_firm[firm_id].append(event_id)
    taken = 0
    for firm_id, ids in by_firm.items():
        sync_events_in(session, firm_id, ids)
        _set_pending_in(session, ids, False)
        taken += len(ids)
    return taken


def _changed(result: SyncResult) -> bool:
    return bool(result.created or result.updated or result.deleted)


def announce_events_in(
    session: Session, firm_id: int, event_ids: Sequence[int], kind: str = "event.updated"
) -> None:
    """`event.updated` per event, so desktops showing them reload their reminders; for more
    than PUBLISH_EACH_LIMIT, one with `id` 0 and no client: "reload every event"."""
    if len(event_ids) > PUBLISH_EACH_LIMIT:
        record_events.announce(session, firm_id, kind, [(0, None)])
        return
    rows = session.execute(
        select(t.Event.id, t.Event.client_id).where(t.Event.id.in_(list(event_ids)))
    ).all()
    record_events.announce(session, firm_id, kind, [(row.id, row.client_id) for row in rows])


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic GC: with ~10^5 live rows its repeated full passes cost a third."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sync_events_in(session: Session, firm_id: int, ids: list[int], now: datetime) -> SyncResult:
    result = SyncResult()
    firm = session.get(t.Firm, firm_id)
    event_rows = []
    for chunk in _chunks(ids):
        # Lock the events (PostgreSQL) so two resyncs of one event cannot both insert its rows.
        event_rows += session.execute(
            select(
                t.Event.id,
                t.Event.client_id,
                t.Event.matter_id,
                t.Event.flow_id,
                t.Event.starts_at,
                t.Event.location,
                t.Event.status,
            )
            .where(t.Event.firm_id == firm_id, db.among(session, t.Event.id, chunk))
            .with_for_update()
        ).all()
    plan = _Plan(session, firm, event_rows, now)
    existing, done = _existing_reminders(session, firm_id, ids)
    inserts: list[dict] = []
    updates: list[dict] = []
    touched: dict[int, list[int]] = defaultdict(list)  # conversation id -> removed message ids
    for key, shape, to_number, send_at, past, requested in plan.wanted(done):
        old = existing.pop(key, None)
        if past and (old is None or old.send_at != send_at):
            # A step whose time has gone is not made; one already due keeps its place.
            if old is not None:
                existing[key] = old
            continue
        if old is None:
            inserts.append(shape.insert_row(key, to_number, send_at, now, requested))
            continue
        status = "held" if old.status == "held" and shape.status == "scheduled" else shape.status
        if (
            old.body == shape.body
            and old.send_at == send_at
            and old.requested_send_at == requested
            and old.matter_id == shape.matter_id
            and old.status == status
            and old.error_code == shape.error_code
        ):
            result.unchanged += 1
            continue
        updates.append(
            {  # keys as in _UPDATE_REMINDER
                "_id": old.id,
                "body": shape.body,
                "segments": shape.segments,
                "encoding": shape.encoding,
                "send_at": send_at,
                "matter_id": shape.matter_id,
                "status": status,
                "error_code": shape.error_code,
                "error_text": shape.error_text,
                "requested_send_at": requested,
                "send_at_reason": QUIET_HOURS if requested else None,
                "updated_at": now,
            }
        )
        touched.setdefault(old.conversation_id, [])
    removed = list(existing.values())
    for old in removed:
        touched[old.conversation_id].append(old.id)
    for chunk in _chunks([old.id for old in removed]):
        session.execute(
            delete(t.Message)
            .where(db.among(session, t.Message.id, chunk))
            .execution_options(synchronize_session=False)
        )
    if updates:
        session.execute(_UPDATE_REMINDER, updates)
    new_ids: list[int] = []
    if inserts:
        conversations = conversation_ids_in(
            session, firm_id, {row["to_number"]: row.pop("client_id") for row in inserts}
        )
        for row in inserts:
            row["conversation_id"] = conversations[row["to_number"]]
            touched.setdefault(row["conversation_id"], [])
        if len(inserts) + len(updates) <= PUBLISH_EACH_LIMIT:
            new_ids = list(session.scalars(_INSERT_REMINDER.returning(_MESSAGES.c.id), inserts))
        else:
            db.insert_many(session, _MESSAGES, inserts)
    result.created, result.updated, result.deleted = len(inserts), len(updates), len(removed)
    _announce(session, firm_id, new_ids, [row["_id"] for row in updates], touched, result)
    return result


def _existing_reminders(
    session: Session, firm_id: int, event_ids: list[int]
) -> tuple[dict[tuple[int, int, int], Row], set[tuple[int, int | None, int | None]]]:
    """Unsent reminders a resync manages, by (event, step, contact); and the keys already sent."""
    managed: dict[tuple[int, int, int], Row] = {}
    done: set[tuple[int, int | None, int | None]] = set()
    duplicates: list[Row] = []
    for chunk in _chunks(event_ids):
        rows = session.execute(
            select(
                t.Message.id,
                t.Message.event_id,
                t.Message.flow_step_id,
                t.Message.contact_id,
                t.Message.conversation_id,
                t.Message.status,
                t.Message.claimed_by,
                t.Message.error_code,
                t.Message.body,
                t.Message.send_at,
                t.Message.requested_send_at,
                t.Message.matter_id,
            ).where(
                t.Message.firm_id == firm_id,
                db.among(session, t.Message.event_id, chunk),
                t.Message.origin == "flow",
            )
        )
        for row in rows:
            key = (row.event_id, row.flow_step_id, row.contact_id)
            if not _managed(row.status, row.claimed_by, row.error_code):
                if row.status != "canceled":
                    done.add(key)
                continue
            item = row
            if key in managed or row.flow_step_id is None or row.contact_id is None:
                duplicates.append(item)
            else:
                managed[key] = item
    # A step or contact that no longer exists leaves rows with no key: they are simply unwanted.
    for index, item in enumerate(duplicates):
        managed[(-1, -1, -1 - index)] = item
    return managed, done


@dataclass(slots=True)
class _Shape:
    """What the reminders of one event's step share, whoever they go to."""

    firm_id: int
    event_id: int
    client_id: int
    matter_id: int | None
    from_number: str
    body: str
    segments: int
    encoding: str
    status: str
    error_code: str | None
    error_text: str | None
    simulated: bool

    def insert_row(
        self,
        key: tuple[int, int, int],
        to_number: str,
        send_at: datetime,
        now: datetime,
        requested: datetime | None = None,
    ) -> dict:
        return {
            "firm_id": self.firm_id,
            "client_id": self.client_id,  # popped before insert: used to file the conversation
            "conversation_id": None,
            "direction": "outbound",
            "body": self.body,
            "status": self.status,
            "segments": self.segments,
            "encoding": self.encoding,
            "from_number": self.from_number,
            "to_number": to_number,
            "send_at": send_at,
            # Moved later by the recipient's quiet hours: the step's own time, and why.
            "requested_send_at": requested,
            "send_at_reason": QUIET_HOURS if requested else None,
            "created_at": now,
            "updated_at": now,
            "error_code": self.error_code,
            "error_text": self.error_text,
            "origin": "flow",
            "simulated": self.simulated,
            "respects_quiet_hours": True,
            "contact_id": key[2],
            "event_id": key[0],
            "flow_step_id": key[1],
            "matter_id": self.matter_id,
        }


# One wanted reminder: its (event, step, contact) key, shared shape, number, time, time gone,
# and the step's own time when quiet hours moved it later (else None).
_Wanted = tuple[tuple[int, int, int], _Shape, str, datetime, bool, datetime | None]


class _Plan:
    """What the flows of a set of events want, read in a few bulk queries."""

    def __init__(self, session: Session, firm: t.Firm, event_rows, now: datetime) -> None:
        self.firm = firm
        self.now = now
        self.events = [row for row in event_rows if row.flow_id and row.status != "canceled"]
        client_ids = sorted({row.client_id for row in self.events})
        matter_ids = sorted({row.matter_id for row in self.events if row.matter_id})
        flow_ids = sorted({row.flow_id for row in self.events})
        self.clients = {}
        self.contacts: dict[int, list] = defaultdict(list)
        blocked = set(
            session.scalars(select(t.BlockedNumber.phone).where(t.BlockedNumber.firm_id == firm.id))
        )
        for chunk in _chunks(client_ids):
            for row in session.execute(
                select(
                    t.Client.id, t.Client.first_name, t.Client.last_name, t.Client.language
                ).where(db.among(session, t.Client.id, chunk))
            ):
                self.clients[row.id] = row
            for row in session.execute(
                select(t.Contact.id, t.Contact.client_id, t.Contact.phone)
                .where(db.among(session, t.Contact.client_id, chunk), *eligible_contact_clauses())
                .order_by(t.Contact.id)
            ):
                known = self.contacts[row.client_id]
                # One reminder per number, even if a client lists the same number twice.
                if row.phone not in blocked and all(c.phone != row.phone for c in known):
                    known.append(row)
        self.matters = {}
        for chunk in _chunks(matter_ids):
            for row in session.execute(
                select(t.Matter.id, t.Matter.name, t.Matter.case_number).where(
                    db.among(session, t.Matter.id, chunk)
                )
            ):
                self.matters[row.id] = row
        self.steps: dict[int, list] = defaultdict(list)
        self.simulated: dict[int, bool] = {}
        templates: dict[int, dict[str, str]] = defaultdict(dict)
        if flow_ids:
            for row in session.execute(
                select(t.Flow.id, t.Flow.simulated).where(t.Flow.id.in_(flow_ids))
            ):
                self.simulated[row.id] = row.simulated
            for row in session.execute(
                select(
                    t.FlowStep.id,
                    t.FlowStep.flow_id,
                    t.FlowStep.offset_days,
                    t.FlowStep.offset_hours,
                    t.FlowStep.send_time,
                )
                .where(t.FlowStep.flow_id.in_(flow_ids))
                .order_by(t.FlowStep.flow_id, t.FlowStep.position)
            ):
                self.steps[row.flow_id].append(row)
            for row in session.execute(
                select(t.Template.flow_step_id, t.Template.language, t.Template.body)
                .join(t.FlowStep, t.FlowStep.id == t.Template.flow_step_id)
                .where(t.FlowStep.flow_id.in_(flow_ids))
            ):
                templates[row.flow_step_id][row.language] = row.body
        self.templates = templates
        self.firm_phone = phone.format_display(firm.phone) if firm.phone else ""
        self.event_zone = firm.time_zone or DEFAULT_TIME_ZONE
        self._zones: dict[str, str] = {}
        self._times: dict[tuple, tuple[datetime, bool]] = {}
        self._renders: dict[tuple, tuple[str, int, str]] = {}

    def zone(self, number: str) -> str:
        zone = self._zones.get(number)
        if zone is None:
            zone = self._zones[number] = _time_zone(number, self.event_zone)
        return zone

    def send_time(
        self, starts_at: datetime, step, zone: str
    ) -> tuple[datetime, bool, datetime | None]:
        """When the step goes out for a recipient in `zone`, whether that time has gone, and
        the step's own time when the recipient's quiet hours moved it later.

        The step's day and fixed time are the firm's (the court's) wall clock; quiet hours are the
        recipient's; a step before the event is never sent at or after its start (see
        domain.timing.reminder_send_time).
        """
        key = (starts_at, step.id, zone)
        cached = self._times.get(key)
        if cached is None:
            when, requested = timing.reminder_timing(
                starts_at,
                step.offset_days,
                step.offset_hours,
                step.send_time,
                event_tz=self.event_zone,
                recipient_tz=zone,
                start=self.firm.quiet_start,
                end=self.firm.quiet_end,
            )
            cached = self._times[key] = (when, when <= self.now, requested)
        return cached

    def wanted(self, done: set) -> Iterator[_Wanted]:
        """Every reminder the flows want now, except the (event, step, contact) keys in `done`."""
        firm = self.firm
        from_number = firm.from_number or ""
        for event in self.events:
            client = self.clients.get(event.client_id)
            contacts = self.contacts.get(event.client_id)
            if client is None or not contacts:
                continue
            matter = self.matters.get(event.matter_id) if event.matter_id else None
            simulated = self.simulated.get(event.flow_id, False)
            for step in self.steps.get(event.flow_id, ()):
                step_templates = self.templates.get(step.id, {})
                language = client.language if client.language in step_templates else "en"
                template = step_templates.get(language)
                if template is None:
                    continue
                names_contact = "contactphone" in template.casefold()
                shape = None
                for contact in contacts:
                    key = (event.id, step.id, contact.id)
                    if key in done:
                        continue
                    if shape is None or names_contact:
                        body, segments, encoding = self.render(
                            template,
                            event,
                            client,
                            matter,
                            contact.phone if names_contact else "",
                            language,
                        )
                        too_long = segments > firm.max_segments
                        shape = _Shape(
                            firm_id=firm.id,
                            event_id=event.id,
                            client_id=client.id,
                            matter_id=event.matter_id,
                            from_number=from_number,
                            body=body,
                            segments=segments,
                            encoding=encoding,
                            status="failed" if too_long else "scheduled",
                            error_code=TOO_LONG if too_long else None,
                            error_text=(
                                f"This reminder is {segments} segments long, over the limit "
                                f"of {firm.max_segments}; shorten the flow's template."
                                if too_long
                                else None
                            ),
                            simulated=simulated,
                        )
                    send_at, past, requested = self.send_time(
                        event.starts_at, step, self.zone(contact.phone)
                    )
                    yield key, shape, contact.phone, send_at, past, requested

    def render(
        self, template: str, event, client, matter, contact_phone: str, language: str
    ) -> tuple[str, int, str]:
        """Body, segments and encoding; `contact_phone` is "" unless the template names it."""
        key = (template, event.id, language, contact_phone)
        cached = self._renders.get(key)
        if cached is None:
            values = merge_values(
                self.firm,
                event.starts_at,
                event.location,
                client.first_name,
                client.last_name,
                matter.case_number if matter else None,
                matter.name if matter else None,
                contact_phone,
                language,
                self.firm_phone,
            )
            body = merge.render(template, dict(values))
            segments, encoding = measure(body)
            cached = self._renders[key] = (body, segments, encoding)
        return cached


def eligible_contact_clauses():
    """A contact that takes reminders: valid, opted in, a text channel, not archived or trashed."""
    return (
        t.Contact.invalid.is_(False),
        t.Contact.cannot_receive_texts.is_(False),
        t.Contact.opted_out.is_(False),
        t.Contact.archived.is_(False),
        t.Contact.trashed_at.is_(None),
        t.Contact.channel == "text",
    )


def merge_values(
    firm: t.Firm,
    starts_at: datetime,
    location: str | None,
    first_name: str,
    last_name: str,
    case_number: str | None,
    matter_name: str | None,
    contact_phone: str,
    language: str,
    firm_phone: str,
) -> tuple[tuple[str, str], ...]:
    """The merge tag values of one reminder, as a hashable tuple of (tag, value)."""
    # The court's clock is the firm's: a hearing at 9:00 is 9:00 wherever the client reads it.
    local = starts_at.astimezone(_zone(firm.time_zone or DEFAULT_TIME_ZONE))
    return (
        ("ClientFirstName", first_name),
        ("ClientLastName", last_name),
        ("EventDate", format_date(local, language)),
        ("EventTime", format_time(local, language)),
        ("EventLocation", location or ""),
        ("CaseNumber", case_number or ""),
        ("MatterName", matter_name or ""),
        ("FirmName", firm.name),
        ("FirmPhone", firm_phone),
        ("ContactPhone", phone.format_display(contact_phone) if contact_phone else ""),
    )


_ZONES_BY_PREFIX: dict[tuple[str, str], str] = {}


def _time_zone(number: str, default: str) -> str:
    """phone.time_zone, remembered: a resync of many events asks again for the same numbers.

    North American zones go by area code and exchange (phonenumbers' zone prefixes are at most
    7 digits there, "+1" included), so valid +1 numbers sharing those share the answer, and a
    firm's 40,000 contacts cost a few hundred lookups.
    """
    prefix = number[:8] if len(number) == 12 and number.startswith("+1") else number
    zone = _ZONES_BY_PREFIX.get((prefix, default))
    if zone is None:
        if len(_ZONES_BY_PREFIX) > 100_000:
            _ZONES_BY_PREFIX.clear()
        zone = _ZONES_BY_PREFIX[(prefix, default)] = phone.time_zone(number, default)
    return zone


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def format_date(local: datetime, language: str) -> str:
    """ "Tuesday, December 1, 2026"; Spanish "martes, 1 de diciembre de 2026"."""
    if language.startswith("es"):
        day, month = _ES_DAYS[local.weekday()], _ES_MONTHS[local.month - 1]
        return f"{day}, {local.day} de {month} de {local.year}"
    day, month = _EN_DAYS[local.weekday()], _EN_MONTHS[local.month - 1]
    return f"{day}, {month} {local.day}, {local.year}"


def format_time(local: datetime, language: str) -> str:
    """ "9:00 AM"; Spanish "9:00 a. m."."""
    hour = local.hour % 12 or 12
    morning = local.hour < 12
    if language.startswith("es"):
        return f"{hour}:{local.minute:02d} {'a. m.' if morning else 'p. m.'}"
    return f"{hour}:{local.minute:02d} {'AM' if morning else 'PM'}"


def measure(body: str) -> tuple[int, str]:
    """Segments and encoding of `body`, as domain.sms.measure gives them, but fast for bulk work.

    sms.measure walks grapheme clusters in Python (about 0.6 ms for 180 characters), too slow
    for tens of thousands of reminders. Below U+0300 every character is its own cluster and one
    UTF-16 unit, so the count follows from the length; anything else goes to sms.measure.
    """
    if not body or "\r" in body or max(body) >= "\u0300":
        result = sms.measure(body)
        return result.segments, str(result.encoding)
    kinds = {_char_units(ch) for ch in set(body)}
    if kinds == {1}:
        single, per_segment, encoding = sms.GSM_SINGLE, sms.GSM_PER_SEGMENT, sms.Encoding.GSM7
    elif None in kinds:
        single, per_segment, encoding = sms.UCS2_SINGLE, sms.UCS2_PER_SEGMENT, sms.Encoding.UCS2
    else:
        # GSM-7 escape pairs are never split across segments: let the real rule count.
        result = sms.measure(body)
        return result.segments, str(result.encoding)
    length = len(body)
    return (1 if length <= single else math.ceil(length / per_segment)), str(encoding)


@lru_cache(maxsize=1024)
def _char_units(ch: str) -> int | None:
    """Septets of one character in GSM-7 (1 or 2), None when it needs UCS-2."""
    result = sms.measure(ch)
    return result.length if result.encoding is sms.Encoding.GSM7 else None


def _announce(
    session: Session,
    firm_id: int,
    new_ids: list[int],
    updated_ids: list[int],
    touched: dict[int, list[int]],
    result: SyncResult,
) -> None:
    """Stream events for a resync: per message when few; always one per touched thread.

    Every thread whose reminders changed gets exactly one `conversation.updated` with
    `reminders_changed: true` (and `removed_message_ids` when some went), written in one
    statement however many there are: a client reloads that thread if it has it open.
    """
    if not touched:
        return
    if result.created + result.updated <= PUBLISH_EACH_LIMIT:
        for ids, kind in ((new_ids, "message.created"), (updated_ids, "message.updated")):
            if not ids:
                continue
            messages = session.scalars(
                select(t.Message)
                .where(t.Message.id.in_(ids))
                .order_by(t.Message.id)
                .execution_options(populate_existing=True)
            )
            for message in messages:
                views.publish_message(session, message, kind)
    drafts = []
    for conversation_id, removed in sorted(touched.items()):
        payload: dict = {"id": conversation_id, "reminders_changed": True}
        if removed:
            payload["removed_message_ids"] = removed
        drafts.append(events.Draft(firm_id, "conversation.updated", payload))
    events.publish_all(session, drafts)


def conversation_ids_in(
    session: Session, firm_id: int, phones: dict[str, int | None]
) -> dict[str, int]:
    """The conversation of each phone (created when missing), filed under the given client."""
    found: dict[str, int] = {}
    unfiled: list[int] = []

    def read(numbers: Sequence[str]) -> None:
        # IN lists of at most _CHUNK numbers: a scan of every thread of the firm instead would
        # grow with the firm, and a batch of events asks for a few thousand numbers at most.
        for chunk in _chunks(numbers):
            for row in session.execute(
                select(t.Conversation.id, t.Conversation.phone, t.Conversation.client_id).where(
                    t.Conversation.firm_id == firm_id,
                    db.among(session, t.Conversation.phone, chunk),
                )
            ):
                found[row.phone] = row.id
                if row.client_id is None and phones.get(row.phone) is not None:
                    unfiled.append(row.id)

    read(sorted(phones))
    missing = [number for number in sorted(phones) if number not in found]
    if missing:
        now = t.utcnow()
        rows = [
            {"firm_id": firm_id, "phone": number, "client_id": phones[number], "created_at": now}
            for number in missing
        ]
        # Another transaction may open the same thread meanwhile: the unique key decides.
        db.insert_many(session, t.Conversation.__table__, rows, ignore_conflicts=True)
        read(missing)
    if unfiled:
        phone_of = {conversation_id: number for number, conversation_id in found.items()}
        conversations = t.Conversation.__table__
        session.execute(
            update(conversations)
            .where(conversations.c.id == bindparam("_id"))
            .values(client_id=bindparam("_client_id")),
            [
                {"_id": conversation_id, "_client_id": phones[phone_of[conversation_id]]}
                for conversation_id in unfiled
            ],
        )
    return found


def remove_reminders_in(session: Session, firm_id: int, event_ids: Iterable[int]) -> int:
    """Delete the unsent, unclaimed reminders of these events (before the events go)."""
    ids = sorted(set(event_ids))
    touched: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = session.execute(
            delete(t.Message)
            .where(
                t.Message.firm_id == firm_id,
                db.among(session, t.Message.event_id, chunk),
                t.Message.origin == "flow",
                _managed_clause(),
            )
            .returning(t.Message.id, t.Message.conversation_id)
            .execution_options(synchronize_session=False)
        ).all()
        for row in rows:
            touched[row.conversation_id].append(row.id)
    count = sum(len(removed) for removed in touched.values())
    _announce(session, firm_id, [], [], touched, SyncResult(deleted=count))
    return count


def cancel_reminders_in(
    session: Session, firm_id: int, event_ids: Iterable[int], reason: str
) -> list[int]:
    """Cancel (keep, mark `canceled`) the unsent, unclaimed reminders of these events."""
    canceled: list[int] = []
    touched: dict[int, list[int]] = {}
    for chunk in _chunks(sorted(set(event_ids))):
        for row in session.execute(
            update(t.Message)
            .where(
                t.Message.firm_id == firm_id,
                db.among(session, t.Message.event_id, chunk),
                t.Message.origin == "flow",
                _managed_clause(),
            )
            .values(status="canceled", error_text=reason, updated_at=t.utcnow())
            .returning(t.Message.id, t.Message.conversation_id)
            .execution_options(synchronize_session=False)
        ):
            canceled.append(row.id)
            touched.setdefault(row.conversation_id, [])
    if len(canceled) <= PUBLISH_EACH_LIMIT:
        messages = session.scalars(
            select(t.Message)
            .where(t.Message.id.in_(canceled))
            .order_by(t.Message.id)
            .execution_options(populate_existing=True)
        )
        for message in messages:
            views.publish_message(session, message, "message.updated")
    _announce(session, firm_id, [], [], touched, SyncResult(updated=len(canceled)))
    return canceled


def resync_for_phone_in(session: Session, firm_id: int, number: str) -> None:
    """Consent hook: a number's consent changed, so every client with it as a contact resyncs."""
    client_ids = session.scalars(
        select(t.Contact.client_id).where(
            t.Contact.firm_id == firm_id,
            t.Contact.phone == number,
            t.Contact.client_id.is_not(None),
        )
    ).all()
    if client_ids:
        sync_clients_in(session, firm_id, client_ids)


if resync_for_phone_in not in consent.consent_hooks:
    consent.consent_hooks.append(resync_for_phone_in)
