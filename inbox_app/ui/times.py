"""Times said the way people say them: "8:00 AM Eastern", in the recipient's zone or mine."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox_app.ui import strings

# US zones by the names people use; elsewhere the zone's city ("London", "Sao Paulo").
_US_NAMES = {
    "America/New_York": "ZONE_EASTERN",
    "America/Detroit": "ZONE_EASTERN",
    "America/Indiana/Indianapolis": "ZONE_EASTERN",
    "America/Kentucky/Louisville": "ZONE_EASTERN",
    "America/Chicago": "ZONE_CENTRAL",
    "America/Denver": "ZONE_MOUNTAIN",
    "America/Boise": "ZONE_MOUNTAIN",
    "America/Phoenix": "ZONE_ARIZONA",
    "America/Los_Angeles": "ZONE_PACIFIC",
    "America/Anchorage": "ZONE_ALASKA",
    "Pacific/Honolulu": "ZONE_HAWAII",
    "America/Puerto_Rico": "ZONE_ATLANTIC",
}


def zone_of(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_label(name: str | None) -> str:
    """A zone as people call it: "Eastern", "Pacific", else its city ("London")."""
    if not name:
        return ""
    key = _US_NAMES.get(name)
    if key is not None:
        return getattr(strings, key)
    return name.rsplit("/", 1)[-1].replace("_", " ")


def clock(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """The time of day, e.g. "8:00 AM", in `zone` (this computer's when None)."""
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    return f"{local:%I:%M %p}".lstrip("0")


def day_and_clock(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """E.g. "Tue Dec 2, 8:00 AM", in `zone` (this computer's when None)."""
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    return f"{local:%a %b} {local.day}, {clock(local, local.tzinfo)}"


def same_zone(name: str | None, moment: datetime) -> bool:
    """Whether `name` shows the same wall clock as this computer at `moment`."""
    zone = zone_of(name)
    if zone is None:
        return True
    return moment.astimezone(zone).utcoffset() == moment.astimezone().utcoffset()


def moved_note(requested: datetime | None, send_at: datetime, zone_name: str | None) -> str:
    """Why a scheduled text goes later than asked: the recipient's quiet hours."""
    zone = zone_of(zone_name)
    label = zone_label(zone_name) if zone is not None else ""
    when = clock(send_at, zone)
    if (
        requested is not None
        and requested.astimezone(zone).date() != send_at.astimezone(zone).date()
    ):
        when = day_and_clock(send_at, zone)
    return strings.moved_for_quiet_hours(when, label, clock(requested, zone) if requested else "")


def recipient_time(moment: datetime, zone_name: str | None) -> str:
    """The send-later dialog's line: the picked time on the client's clock."""
    zone = zone_of(zone_name)
    if zone is None:
        return ""
    if same_zone(zone_name, moment):
        return strings.recipient_same_time(zone_label(zone_name))
    return strings.recipient_time(day_and_clock(moment, zone), zone_label(zone_name))
