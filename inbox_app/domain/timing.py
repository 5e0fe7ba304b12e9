"""When reminders go out (flow step send times, the recipient's quiet hours), and whether the
firm's office is open (its weekly opening hours, for the after-hours reply)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "LATE_MARGIN",
    "REMINDER_LEAD",
    "SEND_FROM",
    "SEND_UNTIL",
    "WEEKDAYS",
    "UnknownTimeZone",
    "closed_since",
    "latest_allowed",
    "next_allowed",
    "reminder_send_time",
    "reminder_timing",
    "step_send_time",
]

# Sending window in the recipient's local time, TCPA-style: 8 am up to (not including) 9 pm.
SEND_FROM = time(8, 0)
SEND_UNTIL = time(21, 0)
# A reminder for a step before the event that cannot go out in time is moved to at least this
# long before the start: a text seconds before a hearing does not get anyone there.
REMINDER_LEAD = timedelta(hours=1)
# Moved back into an earlier window, a reminder goes this long before the window closes, so a
# dispatcher running a little late still finds it allowed instead of waiting for the morning.
LATE_MARGIN = timedelta(minutes=30)


class UnknownTimeZone(ValueError):
    """A time zone name the IANA database does not know."""


def next_allowed(
    when: datetime, tz: str, start: time = SEND_FROM, end: time = SEND_UNTIL
) -> datetime:
    """`when` if it falls in [start, end) local time in `tz`, else the next `start` there.

    The result is in `tz`. `end` itself is quiet: a 21:00 send waits for the next morning.
    """
    _require_aware(when, "when")
    if not start < end:
        raise ValueError(f"Sending window start {start} must be before its end {end}")
    zone = _zone(tz)
    local = when.astimezone(zone)
    if start <= local.time() < end:
        return local
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return _wall_time(datetime.combine(day, start), zone)


def latest_allowed(
    when: datetime, tz: str, start: time = SEND_FROM, end: time = SEND_UNTIL
) -> datetime:
    """`when` if it falls in [start, end) local time in `tz`, else late in the window before it.

    "Late" is `LATE_MARGIN` before that window's end (never before its start). The result is in
    `tz` and never after `when`.
    """
    _require_aware(when, "when")
    if not start < end:
        raise ValueError(f"Sending window start {start} must be before its end {end}")
    zone = _zone(tz)
    local = when.astimezone(zone)
    if start <= local.time() < end:
        return local
    day = local.date() if local.time() >= end else local.date() - timedelta(days=1)
    opens = _wall_time(datetime.combine(day, start), zone)
    closes = _wall_time(datetime.combine(day, end), zone)
    return max(opens, (closes - LATE_MARGIN).astimezone(zone))


def reminder_send_time(
    event_start: datetime,
    offset_days: int,
    offset_hours: int = 0,
    send_time: time | None = None,
    *,
    event_tz: str,
    recipient_tz: str,
    start: time = SEND_FROM,
    end: time = SEND_UNTIL,
) -> datetime:
    """When a flow step's reminder goes out to one recipient (in `recipient_tz`).

    The step's day and fixed send time are the event's wall clock (`event_tz`: the firm's, the
    court's): "day of at 8:00" is 8:00 where the hearing is. Quiet hours are then the
    recipient's. A step at or before the event (offset <= 0) never lands at or after the event's
    start: when it would, it is moved earlier, to `REMINDER_LEAD` before the start or, if that is
    quiet for the recipient, late in their previous sending window (often the evening before).
    Whether that time has already gone is the caller's question.
    """
    return reminder_timing(
        event_start,
        offset_days,
        offset_hours,
        send_time,
        event_tz=event_tz,
        recipient_tz=recipient_tz,
        start=start,
        end=end,
    )[0]


def reminder_timing(
    event_start: datetime,
    offset_days: int,
    offset_hours: int = 0,
    send_time: time | None = None,
    *,
    event_tz: str,
    recipient_tz: str,
    start: time = SEND_FROM,
    end: time = SEND_UNTIL,
) -> tuple[datetime, datetime | None]:
    """`reminder_send_time`, and the step's own time when the recipient's quiet hours moved it
    later (None otherwise): the thread then says why it goes when it does, as for a one-off
    text moved out of quiet hours. A step moved earlier, to stay before the event, is not
    "moved by quiet hours"."""
    nominal = step_send_time(event_start, offset_days, offset_hours, send_time, tz=event_tz)
    when = next_allowed(nominal, recipient_tz, start, end)
    is_before_event = offset_days * 24 + offset_hours <= 0
    if is_before_event and when >= event_start:
        when = latest_allowed(min(nominal, event_start - REMINDER_LEAD), recipient_tz, start, end)
        return when, None
    return when, (nominal if when != nominal else None)


def step_send_time(
    event_start: datetime,
    offset_days: int,
    offset_hours: int = 0,
    send_time: time | None = None,
    *,
    tz: str,
) -> datetime:
    """When a flow step for an event starting at `event_start` is sent, in `tz`.

    Days count on the local calendar (a 9:00 hearing minus one day is 9:00 the day before, even
    across a DST change); hours are elapsed hours. With `send_time`, the step goes out at that
    local wall time on the day the offsets land on.
    """
    _require_aware(event_start, "event_start")
    zone = _zone(tz)
    local = event_start.astimezone(zone)
    shifted_day = _wall_time(local.replace(tzinfo=None) + timedelta(days=offset_days), zone)
    landed = (shifted_day.astimezone(UTC) + timedelta(hours=offset_hours)).astimezone(zone)
    if send_time is None:
        return landed
    return _wall_time(datetime.combine(landed.date(), send_time), zone)


# --- opening hours --------------------------------------------------------------------------

# Keys of a week's opening hours, Monday first (as `date.weekday()` counts).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

OpeningHours = Mapping[str, "tuple[time, time] | None"]


def closed_since(when: datetime, tz: str, hours: OpeningHours) -> datetime | None:
    """None while the office is open at `when`; else the moment it last closed, in UTC.

    `hours` maps each weekday (`WEEKDAYS`) to its local (open, close), open before close; a day
    left out or None is closed all day. That moment names the closed period: a night, or a
    weekend from Friday's close to Monday's opening, is one period whatever the texts in it.
    Times are the wall clock in `tz` on each date, so a DST change moves them with the clock
    (a close skipped by spring-forward moves forward by the gap). ValueError when no day of the
    week has hours: the office would never have closed.
    """
    _require_aware(when, "when")
    zone = _zone(tz)
    today = when.astimezone(zone).date()
    # Back a whole week and a day: the latest close before `when` is at most that far.
    for back in range(8):
        day = today - timedelta(days=back)
        span = hours.get(WEEKDAYS[day.weekday()])
        if not span:
            continue
        opens = _wall_time(datetime.combine(day, span[0]), zone)
        closes = _wall_time(datetime.combine(day, span[1]), zone)
        if opens <= when < closes:
            return None
        if closes <= when:
            return closes.astimezone(UTC)
    raise ValueError("The opening hours have no open day; the office never closes or opens.")


def _wall_time(naive: datetime, zone: ZoneInfo) -> datetime:
    """`naive` local time in `zone`; a time skipped by DST moves forward by the gap."""
    # Round-tripping through UTC turns a non-existent 02:30 into 03:30 after spring-forward;
    # an ambiguous fall-back time takes its first occurrence (fold=0).
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownTimeZone(f"Unknown time zone {tz!r}") from error


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
