"""Quiet hours and flow step times across zones and DST (US DST 2026: Mar 8 and Nov 1)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from inbox_app.domain.timing import (
    UnknownTimeZone,
    closed_since,
    latest_allowed,
    next_allowed,
    reminder_send_time,
    step_send_time,
)

NY = "America/New_York"
LA = "America/Los_Angeles"
NYZ = ZoneInfo(NY)
LAZ = ZoneInfo(LA)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NYZ)


# --- next_allowed -------------------------------------------------------------------------


def test_time_inside_the_window_is_kept():
    when = ny(2026, 6, 1, 12, 34, 56)
    assert next_allowed(when, NY) == when


def test_result_is_in_the_recipients_zone():
    result = next_allowed(utc(2026, 6, 1, 16, 0), NY)
    assert result.tzinfo == NYZ
    assert result.hour == 12


def test_early_morning_moves_to_eight_the_same_day():
    assert next_allowed(ny(2026, 6, 1, 6, 15), NY) == ny(2026, 6, 1, 8, 0)


def test_late_evening_moves_to_eight_the_next_day():
    assert next_allowed(ny(2026, 6, 1, 22, 0), NY) == ny(2026, 6, 2, 8, 0)


def test_window_edges():
    assert next_allowed(ny(2026, 6, 1, 8, 0), NY) == ny(2026, 6, 1, 8, 0)
    assert next_allowed(ny(2026, 6, 1, 20, 59), NY) == ny(2026, 6, 1, 20, 59)
    assert next_allowed(ny(2026, 6, 1, 21, 0), NY) == ny(2026, 6, 2, 8, 0)
    assert next_allowed(ny(2026, 6, 1, 7, 59, 59), NY) == ny(2026, 6, 1, 8, 0)


def test_same_instant_differs_by_recipient_zone():
    # 01:00 UTC on June 1 is 21:00 EDT on May 31 (quiet) but 18:00 PDT (allowed).
    when = utc(2026, 6, 1, 1, 0)
    assert next_allowed(when, NY) == utc(2026, 6, 1, 12, 0)  # 08:00 EDT
    assert next_allowed(when, LA) == when


def test_spring_forward_night():
    # 23:00 EST Saturday Mar 7; 08:00 Sunday is already EDT (UTC-4): 12:00 UTC, not 13:00.
    result = next_allowed(ny(2026, 3, 7, 23, 0), NY)
    assert result == utc(2026, 3, 8, 12, 0)
    assert result.utcoffset().total_seconds() == -4 * 3600


def test_fall_back_night():
    # 22:00 EDT Saturday Oct 31; 08:00 Sunday is EST (UTC-5): 13:00 UTC.
    assert next_allowed(ny(2026, 10, 31, 22, 0), NY) == utc(2026, 11, 1, 13, 0)


def test_window_start_skipped_by_dst_moves_forward():
    # 02:30 does not exist on Mar 8 in New York; the first minute after the gap is 03:30 EDT.
    result = next_allowed(ny(2026, 3, 8, 1, 0), NY, start=time(2, 30), end=time(21, 0))
    assert result == utc(2026, 3, 8, 7, 30)
    assert (result.hour, result.minute) == (3, 30)


def test_custom_window():
    assert next_allowed(ny(2026, 6, 1, 9, 0), NY, start=time(10), end=time(17)) == ny(
        2026, 6, 1, 10, 0
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_allowed(datetime(2026, 6, 1, 12, 0), NY)
    with pytest.raises(UnknownTimeZone):
        next_allowed(utc(2026, 6, 1), "Mars/Olympus")
    with pytest.raises(ValueError, match="before its end"):
        next_allowed(utc(2026, 6, 1), NY, start=time(21), end=time(8))


# --- step_send_time -----------------------------------------------------------------------


def test_offset_days_keep_the_wall_time_across_dst():
    # Hearing Monday Mar 9 09:00 EDT (13:00 UTC); two days before is Saturday 09:00 EST
    # (14:00 UTC): 47 elapsed hours earlier, because the night of Mar 8 lost an hour.
    event = ny(2026, 3, 9, 9, 0)
    result = step_send_time(event, -2, tz=NY)
    assert result == ny(2026, 3, 7, 9, 0)
    assert (event.astimezone(UTC) - result.astimezone(UTC)).total_seconds() == 47 * 3600


def test_offset_hours_are_elapsed_hours():
    # Sunday Mar 8 12:00 EDT (16:00 UTC) minus 12 h is 04:00 UTC = 23:00 EST Saturday.
    result = step_send_time(ny(2026, 3, 8, 12, 0), 0, -12, tz=NY)
    assert result == utc(2026, 3, 8, 4, 0)
    assert (result.day, result.hour) == (7, 23)


def test_days_and_hours_together():
    assert step_send_time(ny(2026, 6, 10, 9, 0), -1, -2, tz=NY) == ny(2026, 6, 9, 7, 0)


def test_send_time_on_the_offset_day():
    assert step_send_time(ny(2026, 3, 9, 9, 0), -1, send_time=time(10, 0), tz=NY) == ny(
        2026, 3, 8, 10, 0
    )


def test_send_time_after_the_event():
    assert step_send_time(ny(2026, 6, 10, 9, 0), 1, send_time=time(17, 30), tz=NY) == ny(
        2026, 6, 11, 17, 30
    )


def test_day_is_counted_in_the_recipients_zone():
    # 03:00 UTC June 15 is still June 14 in New York (23:00 EDT), so "one day before at 09:00"
    # is June 13 there, not June 14 as the UTC date would suggest.
    event = utc(2026, 6, 15, 3, 0)
    result = step_send_time(event, -1, send_time=time(9, 0), tz=NY)
    assert result == ny(2026, 6, 13, 9, 0)
    assert result.tzinfo == NYZ
    # In Los Angeles the same event is 20:00 on June 14 as well.
    assert step_send_time(event, -1, send_time=time(9, 0), tz=LA) == datetime(
        2026, 6, 13, 9, 0, tzinfo=LAZ
    )


def test_hours_decide_the_day_when_send_time_is_given():
    # Event 01:00 on June 10; 2 hours before is 23:00 June 9, so the step goes June 9 at 18:00.
    result = step_send_time(ny(2026, 6, 10, 1, 0), 0, -2, send_time=time(18, 0), tz=NY)
    assert result == ny(2026, 6, 9, 18, 0)


def test_send_time_skipped_by_dst_moves_forward():
    result = step_send_time(ny(2026, 3, 9, 9, 0), -1, send_time=time(2, 30), tz=NY)
    assert result == utc(2026, 3, 8, 7, 30)  # 03:30 EDT


def test_event_day_in_the_dst_gap_moves_forward():
    # Event Mar 9 02:30 EDT; one day before lands on 02:30 Mar 8, which does not exist.
    result = step_send_time(ny(2026, 3, 9, 2, 30), -1, tz=NY)
    assert (result.month, result.day, result.hour, result.minute) == (3, 8, 3, 30)


def test_naive_event_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        step_send_time(datetime(2026, 6, 10, 9, 0), -1, tz=NY)


# --- latest_allowed -----------------------------------------------------------------------


def test_latest_allowed_keeps_a_time_inside_the_window():
    assert latest_allowed(ny(2026, 6, 1, 12, 0), NY) == ny(2026, 6, 1, 12, 0)


def test_latest_allowed_goes_back_into_the_evening_before():
    # 06:00 is quiet; the previous window's last half hour starts at 20:30.
    assert latest_allowed(ny(2026, 6, 2, 6, 0), NY) == ny(2026, 6, 1, 20, 30)
    # 22:00 is quiet too, but the same day's window is behind it.
    assert latest_allowed(ny(2026, 6, 1, 22, 0), NY) == ny(2026, 6, 1, 20, 30)
    assert latest_allowed(ny(2026, 6, 1, 21, 0), NY) == ny(2026, 6, 1, 20, 30)


def test_latest_allowed_in_a_short_window_is_its_start():
    result = latest_allowed(ny(2026, 6, 2, 7, 0), NY, start=time(20, 45), end=time(21, 0))
    assert result == ny(2026, 6, 1, 20, 45)


# --- reminder_send_time -------------------------------------------------------------------


def test_fixed_send_time_is_the_events_wall_clock_not_the_recipients():
    # A "7 days before at 9:00" step for a 10:00 ET hearing: 9:00 ET, which a Los Angeles
    # recipient may not get at 6:00 PT, so it goes at 8:00 PT (11:00 ET), a week early still.
    result = reminder_send_time(
        ny(2026, 6, 10, 10, 0), -7, send_time=time(9, 0), event_tz=NY, recipient_tz=LA
    )
    assert result == ny(2026, 6, 3, 11, 0)
    # For a New York recipient the same step is 9:00 on the dot.
    assert reminder_send_time(
        ny(2026, 6, 10, 10, 0), -7, send_time=time(9, 0), event_tz=NY, recipient_tz=NY
    ) == ny(2026, 6, 3, 9, 0)


def test_day_of_reminder_is_never_after_a_hearing_in_another_zone():
    # 10:00 ET hearing, "day of at 8:00": 8:00 ET is 5:00 PT (quiet), and 8:00 PT would be
    # 11:00 ET, after the hearing; so it goes the evening before, late in the LA window.
    event = ny(2026, 6, 10, 10, 0)
    result = reminder_send_time(event, 0, send_time=time(8, 0), event_tz=NY, recipient_tz=LA)
    assert result == datetime(2026, 6, 9, 20, 30, tzinfo=LAZ)
    assert result < event


def test_day_of_reminder_after_an_early_hearing_moves_before_it():
    # A 7:00 hearing with a "day of at 8:00" step: 8:00 is after the start, 6:00 (an hour
    # before) is quiet, so the reminder goes at 20:30 the evening before.
    event = ny(2026, 6, 10, 7, 0)
    result = reminder_send_time(event, 0, send_time=time(8, 0), event_tz=NY, recipient_tz=NY)
    assert result == ny(2026, 6, 9, 20, 30)
    # A 9:30 hearing leaves room in the morning: a step "at 9:45" goes at 8:30.
    event = ny(2026, 6, 10, 9, 30)
    result = reminder_send_time(event, 0, send_time=time(9, 45), event_tz=NY, recipient_tz=NY)
    assert result == ny(2026, 6, 10, 8, 30)


def test_a_step_at_the_start_goes_an_hour_before_and_after_event_steps_are_kept():
    event = ny(2026, 6, 10, 14, 0)
    assert reminder_send_time(event, 0, event_tz=NY, recipient_tz=NY) == ny(2026, 6, 10, 13, 0)
    # After the event (offset > 0) nothing is pulled forward.
    after = reminder_send_time(event, 0, 2, event_tz=NY, recipient_tz=NY)
    assert after == ny(2026, 6, 10, 16, 0)
    late = reminder_send_time(event, 1, send_time=time(22, 0), event_tz=NY, recipient_tz=NY)
    assert late == ny(2026, 6, 12, 8, 0)


def test_a_before_event_step_is_never_moved_later_than_it_was_meant():
    # "1 day before at 22:00" for a 7:00 hearing: 22:00 is quiet and 8:00 next morning is
    # after the hearing, so it goes at 20:30 that evening, not later.
    event = ny(2026, 6, 10, 7, 0)
    result = reminder_send_time(event, -1, send_time=time(22, 0), event_tz=NY, recipient_tz=NY)
    assert result == ny(2026, 6, 9, 20, 30)


# --- closed_since (the after-hours reply) -------------------------------------------------

WEEKDAYS_9_TO_5 = {day: (time(9, 0), time(17, 0)) for day in ("mon", "tue", "wed", "thu", "fri")}


def test_open_hours_are_not_a_closed_period():
    # Tuesday 2026-06-02, 09:00 and 16:59 New York.
    assert closed_since(ny(2026, 6, 2, 9, 0), NY, WEEKDAYS_9_TO_5) is None
    assert closed_since(ny(2026, 6, 2, 16, 59), NY, WEEKDAYS_9_TO_5) is None


def test_a_night_across_midnight_is_one_period_named_by_the_close():
    evening = closed_since(ny(2026, 6, 2, 17, 0), NY, WEEKDAYS_9_TO_5)
    after_midnight = closed_since(ny(2026, 6, 3, 2, 0), NY, WEEKDAYS_9_TO_5)
    assert evening == after_midnight == utc(2026, 6, 2, 21, 0)
    assert closed_since(ny(2026, 6, 3, 18, 0), NY, WEEKDAYS_9_TO_5) == utc(2026, 6, 3, 21, 0)


def test_a_weekend_and_a_day_closed_all_day_are_part_of_the_period():
    friday_close = utc(2026, 6, 5, 21, 0)
    assert closed_since(ny(2026, 6, 6, 12, 0), NY, WEEKDAYS_9_TO_5) == friday_close
    assert closed_since(ny(2026, 6, 8, 8, 59), NY, WEEKDAYS_9_TO_5) == friday_close
    # Only Wednesdays: from Thursday to next Wednesday morning the office is closed.
    wednesdays = {"wed": (time(10, 0), time(12, 0))}
    assert closed_since(ny(2026, 6, 10, 9, 0), NY, wednesdays) == utc(2026, 6, 3, 16, 0)


def test_hours_follow_the_wall_clock_across_dst():
    # US DST 2026 starts March 8 (a Sunday) and ends November 1: 17:00 is 22:00 UTC before,
    # 21:00 UTC after; Monday's opening at 9:00 is on the new clock.
    assert closed_since(ny(2026, 3, 9, 8, 0), NY, WEEKDAYS_9_TO_5) == utc(2026, 3, 6, 22, 0)
    assert closed_since(ny(2026, 3, 9, 9, 0), NY, WEEKDAYS_9_TO_5) is None
    assert closed_since(ny(2026, 11, 2, 8, 0), NY, WEEKDAYS_9_TO_5) == utc(2026, 10, 30, 21, 0)
    # A close at 02:30 on the night the clock skips it moves forward by the gap (03:30 EDT).
    nightly = {day: (time(0, 0), time(2, 30)) for day in WEEKDAYS_9_TO_5}
    nightly["sun"] = (time(0, 0), time(2, 30))
    assert closed_since(ny(2026, 3, 8, 4, 0), NY, nightly) == utc(2026, 3, 8, 7, 30)


def test_hours_with_no_open_day_are_refused():
    with pytest.raises(ValueError, match="no open day"):
        closed_since(ny(2026, 6, 2, 12, 0), NY, {"mon": None})
