"""The firm's agenda (court dates in the coming days, with names) and an event's reminders as
their recipients get them (number, language, time zone, cost)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_app.domain import phone
from inbox_app.models import tables as t
from inbox_app.models.schemas import AgendaEventOut, ReminderOut
from inbox_app.server.errors import Invalid, NotFound
from inbox_app.server.services import reminders, views

# Reminders that have not gone yet (the agenda's "3 to send").
PENDING = ("scheduled", "queued", "held")
# Up to two years: a client's page asks for all of their court dates in one window.
MAX_DAYS = 800


def _name(user: t.User | None) -> str | None:
    return (user.display_name or user.username) if user is not None else None


def upcoming(
    session: Session,
    user: t.User,
    *,
    days: int = 14,
    start: datetime | None = None,
    client_id: int | None = None,
    matter_id: int | None = None,
    attorney_id: int | None = None,
    limit: int = 500,
) -> list[AgendaEventOut]:
    """Events from `start` (default: the start of today on the firm's clock) for `days` days,
    soonest first, canceled ones included (their status says so); `attorney_id` keeps the events
    that attorney has: their own, else their matter's."""
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days: give 1 to {MAX_DAYS} days.")
    if start is not None and (start.tzinfo is None or start.utcoffset() is None):
        raise Invalid("from needs a time zone offset, for example 2026-12-01T00:00:00-05:00.")
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        zone_name = (firm.time_zone if firm else None) or reminders.DEFAULT_TIME_ZONE
        zone = ZoneInfo(zone_name)
        if start is None:
            today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
            start = today
        end = start + timedelta(days=days)
        pending = (
            select(func.count(t.Message.id))
            .where(
                t.Message.event_id == t.Event.id,
                t.Message.origin == "flow",
                t.Message.status.in_(PENDING),
            )
            .correlate(t.Event)
            .scalar_subquery()
        )
        # The court date's own attorney wins; without one, its matter's.
        attorney_of = func.coalesce(t.Event.attorney_id, t.Matter.attorney_id)
        query = (
            select(t.Event, t.Client, t.Matter, t.Flow.name, pending, t.User)
            .join(t.Client, t.Client.id == t.Event.client_id)
            .outerjoin(t.Matter, t.Matter.id == t.Event.matter_id)
            .outerjoin(t.Flow, t.Flow.id == t.Event.flow_id)
            .outerjoin(t.User, (t.User.id == attorney_of) & (t.User.firm_id == t.Event.firm_id))
            .where(
                t.Event.firm_id == user.firm_id,
                t.Event.starts_at >= start,
                t.Event.starts_at < end,
            )
        )
        if client_id is not None:
            query = query.where(t.Event.client_id == client_id)
        if matter_id is not None:
            query = query.where(t.Event.matter_id == matter_id)
        if attorney_id is not None:
            query = query.where(attorney_of == attorney_id)
        query = query.order_by(t.Event.starts_at, t.Event.id).limit(limit)
        out = []
        for event, client, matter, flow_name, count, attorney in session.execute(query):
            row = reminders.event_out(event).model_dump()
            row.pop("attorney_id")  # the agenda's is the one that applies (below)
            source = None
            if attorney is not None:
                source = "event" if event.attorney_id is not None else "matter"
            out.append(
                AgendaEventOut(
                    **row,
                    client_name=f"{client.first_name} {client.last_name}".strip(),
                    client_language=client.language,
                    matter_name=matter.name if matter else None,
                    case_number=matter.case_number if matter else None,
                    attorney_id=attorney.id if attorney else None,
                    attorney_name=_name(attorney),
                    attorney_source=source,
                    flow_name=flow_name,
                    pending_reminders=count or 0,
                    time_zone=zone_name,
                )
            )
        return out


def event_reminders(session: Session, user: t.User, event_id: int) -> list[ReminderOut]:
    """The event's reminders in the order they go out, each with the number it goes to, the
    language it was written in (the client's, else English when the flow has no such template),
    and the recipient's time zone."""
    with session.begin():
        event = session.get(t.Event, event_id)
        if event is None or event.firm_id != user.firm_id:
            raise NotFound(f"There is no event {event_id}.")
        firm = session.get(t.Firm, user.firm_id)
        default_zone = (firm.time_zone if firm else None) or reminders.DEFAULT_TIME_ZONE
        client = session.get(t.Client, event.client_id)
        wanted = client.language if client else "en"
        messages = session.scalars(
            select(t.Message)
            .where(t.Message.firm_id == user.firm_id, t.Message.event_id == event.id)
            .order_by(t.Message.send_at, t.Message.id)
        ).all()
        step_ids = {m.flow_step_id for m in messages if m.flow_step_id is not None}
        languages: dict[int, set[str]] = {}
        if step_ids:
            for step_id, language in session.execute(
                select(t.Template.flow_step_id, t.Template.language).where(
                    t.Template.flow_step_id.in_(step_ids)
                )
            ):
                languages.setdefault(step_id, set()).add(language)
        out = []
        for message in messages:
            written = languages.get(message.flow_step_id or 0, set())
            language = wanted if wanted in written or not written else "en"
            base = views.message_out(message).model_dump()
            out.append(
                ReminderOut(
                    **base,
                    phone=message.to_number,
                    language=language,
                    time_zone=phone.time_zone(message.to_number, default_zone),
                )
            )
        return out
