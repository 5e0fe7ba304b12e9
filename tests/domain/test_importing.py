"""Reading import cells: dates, times, names and languages as exports write them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inbox_app.domain import importing

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        ("2026-12-11", "9:30 AM", "2026-12-11T09:30:00-05:00"),
        ("12/11/2026 9:00 AM", "", "2026-12-11T09:00:00-05:00"),
        ("12/11/26", "2:15 pm", "2026-12-11T14:15:00-05:00"),
        ("Dec 11, 2026", "14:30", "2026-12-11T14:30:00-05:00"),
        ("Friday, December 11, 2026", "10:00 a.m.", "2026-12-11T10:00:00-05:00"),
        ("11-Dec-2026", "9am", "2026-12-11T09:00:00-05:00"),
        ("2026-12-11T09:00:00-06:00", "", "2026-12-11T09:00:00-06:00"),
        ("2026-12-11 09:00", "", "2026-12-11T09:00:00-05:00"),
    ],
)
def test_export_dates_and_times_are_read_in_the_firms_zone(day, at, expected):
    assert importing.parse_when(day, at, NEW_YORK) == datetime.fromisoformat(expected)


@pytest.mark.parametrize(
    ("day", "at", "message"),
    [
        ("next Tuesday", "9:00", "unknown date format 'next Tuesday'"),
        ("2026-02-30", "9:00", "'2026-02-30' is not a real date"),
        ("2026-12-11", "", "has no time"),
        ("2026-12-11", "9", "unknown time format '9'"),
        ("2026-12-11", "13:00 PM", "is not a time"),
    ],
)
def test_unreadable_dates_and_times_say_what_is_expected(day, at, message):
    with pytest.raises(importing.CellError, match=message):
        importing.parse_when(day, at, NEW_YORK)


def test_names_and_languages():
    assert importing.split_name("Lopez, Maria") == ("Maria", "Lopez")
    assert importing.split_name("Maria  de la Cruz") == ("Maria", "de la Cruz")
    assert [importing.parse_language(v) for v in ("Spanish", "ES", "", "pt-BR")] == [
        "es",
        "es",
        "en",
        "pt-br",
    ]
    with pytest.raises(importing.CellError, match="unknown language 'Klingon'"):
        importing.parse_language("Klingon")


def test_a_mobile_column_wins_over_home_and_work():
    headers = ["First Name", "Last Name", "Home Phone", "Work Phone", "Mobile Phone", "Id"]
    assert importing.guess_mapping(headers)["phone"] == 4
    assert importing.guess_mapping(headers)["client_id"] == 5
    assert importing.guess_source(["First Name", "Contact Group"]) == "mycase"
    assert importing.guess_source(["First", "Phone"]) == "csv"
