"""The after-hours reply: outside the firm's opening hours, an inbound text gets the firm's
reply, once per number per closed period (a night, a weekend).

The reply is an ordinary outbound text: queued in the inbound text's own transaction and sent
by the dispatcher like any other (a credit, `held` when there is none, exactly once at the
carrier). Its idempotency key names the number and the moment the office closed, so the unique
(firm_id, idempotency_key) lets one reply per period through, whichever server process stores
the text: two texts at once from one number insert the same key and the database keeps one
(`ON CONFLICT DO NOTHING`; on PostgreSQL the second text's transaction also waits on the
conversation row the first one updated, so it usually sees that reply before trying).
STOP, START and HELP never get it, nor opted-out numbers, short codes and named senders.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_app.domain import keywords, merge, sms, timing
from inbox_app.models import tables as t
from inbox_app.models.schemas import DayHours, MessageOut
from inbox_app.server import db
from inbox_app.server.errors import Invalid
from inbox_app.server.services import consent, views

log = logging.getLogger("inbox.after_hours")

# The week of a firm that has not set its hours: Monday to Friday, 9:00 to 17:00.
DEFAULT_HOURS: dict[str, list[str] | None] = {
    day: (["09:00", "17:00"] if day not in ("sat", "sun") else None) for day in timing.WEEKDAYS
}
KEY_PREFIX = "after-hours:"


def clock() -> datetime:
    """Now, for the open-or-closed question (tests move it to a night or a weekend)."""
    return t.utcnow()


_M = t.Message.__table__


# --- the week, as stored and as the API gives it ----------------------------------------------


def hours_of(stored: Mapping[str, Any] | None) -> dict[str, tuple[time, time] | None]:
    """The stored week (None: the default one) as the domain's (open, close) per weekday."""
    week = DEFAULT_HOURS if stored is None else stored
    out: dict[str, tuple[time, time] | None] = {}
    for day in timing.WEEKDAYS:
        span = week.get(day)
        out[day] = (time.fromisoformat(span[0]), time.fromisoformat(span[1])) if span else None
    return out


def hours_out(stored: Mapping[str, Any] | None) -> dict[str, DayHours | None]:
    return {
        day: DayHours(open=span[0], close=span[1]) if span else None
        for day, span in hours_of(stored).items()
    }


def hours_to_store(week: Mapping[str, DayHours | None]) -> dict[str, list[str] | None]:
    """A week from the API, checked (422 naming the day), as the JSON column keeps it."""
    stored: dict[str, list[str] | None] = {}
    for day in timing.WEEKDAYS:
        span = week.get(day)
        if span is None:
            stored[day] = None
            continue
        for value in (span.open, span.close):
            if value.tzinfo is not None:
                raise Invalid(
                    f"opening_hours.{day}: give wall-clock times without an offset, e.g. "
                    "09:00; the zone is the firm's time_zone.",
                    field="opening_hours",
                )
        if not span.open < span.close:
            raise Invalid(
                f"opening_hours.{day}: the office must open before it closes (got "
                f"{span.open:%H:%M} to {span.close:%H:%M}); a day the office is closed is null.",
                field="opening_hours",
            )
        stored[day] = [span.open.isoformat(), span.close.isoformat()]
    return stored


def check_week_in_use(enabled: bool, stored: Mapping[str, Any] | None) -> None:
    """An after-hours reply needs a week with some hours: else the office never closes."""
    if enabled and not any(hours_of(stored).values()):
        raise Invalid(
            "opening_hours: give at least one day opening hours, or turn the after-hours "
            "reply off (after_hours_enabled: false).",
            field="opening_hours",
        )


# --- the reply ------------------------------------------------------------------------------


def period_key(phone: str, closed_at: datetime) -> str:
    """The reply's idempotency key: one per number and closed period (at most 64 characters)."""
    return f"{KEY_PREFIX}{phone}:{closed_at:%Y%m%dT%H%MZ}"


def wants_reply(body: str) -> bool:
    """STOP / START / HELP are answered by their own rules, never by the after-hours reply."""
    return keywords.classify(body) is keywords.Keyword.NONE


def reply_in(
    session: Session,
    *,
    firm_id: int,
    firm_number: str,
    time_zone: str,
    opening_hours: Mapping[str, Any] | None,
    conversation,
    contact_id: int | None,
    now: datetime,
) -> MessageOut | None:
    """Queue the after-hours reply to the text just stored in `conversation`, when the office is
    closed and this number has had none this closed period; its message, or None.

    Inside the inbound text's transaction. `conversation` carries `id`, `phone`, `client_id`,
    `matter_id`, `opted_out` and `hidden` as the text left them. Costs one indexed lookup per
    text while closed; the rest runs once per number per period.
    """
    phone = conversation.phone
    if not phone.startswith("+") or conversation.opted_out or conversation.hidden:
        return None  # a short code or named sender cannot take a reply; opted out: never
    try:
        closed_at = timing.closed_since(clock(), time_zone, hours_of(opening_hours))
    except (ValueError, timing.UnknownTimeZone) as error:
        log.warning("firm %s: after-hours reply skipped, unusable hours: %s", firm_id, error)
        return None
    if closed_at is None:
        return None
    key = period_key(phone, closed_at)
    conn = session.connection()
    replied = conn.execute(
        select(_M.c.id).where(_M.c.firm_id == firm_id, _M.c.idempotency_key == key).limit(1)
    ).first()
    if replied is not None or consent.is_opted_out(session, firm_id, phone):
        return None
    from inbox_app.server.services import messages, quick_replies

    firm = session.get(t.Firm, firm_id)
    body = merge.render(
        firm.after_hours_reply, quick_replies.merge_values_in(session, firm, conversation, now)
    ).strip()
    measured = sms.measure(body)
    if not body or measured.segments > messages.segment_cap(firm):
        log.warning(
            "firm %s: after-hours reply to conversation %s not sent: it renders %s",
            firm_id,
            conversation.id,
            "empty" if not body else f"to {measured.segments} segments, over the firm's cap",
        )
        return None
    message_id = conn.execute(
        db.insert_ignoring_conflict(_M, [_M.c.firm_id, _M.c.idempotency_key], conn.dialect.name),
        {
            "firm_id": firm_id,
            "conversation_id": conversation.id,
            "direction": "outbound",
            "body": body,
            "status": "queued",
            "segments": measured.segments,
            "encoding": str(measured.encoding),
            "from_number": firm_number,
            "to_number": phone,
            "origin": "auto",
            "idempotency_key": key,
            "respects_quiet_hours": False,
            "is_debited": False,
            "simulated": False,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            "contact_id": contact_id,
            "matter_id": conversation.matter_id,
        },
    ).scalar()
    if message_id is None:
        return None  # another process stored this period's reply a moment ago
    log.info("after-hours reply %s queued for conversation %s", message_id, conversation.id)
    return views.message_out(session.get(t.Message, message_id))
