"""Importing clients and court dates from a CSV: the fields a row can fill, the column guesses,
and how a cell's date, time, name and language are read.

The desktop guesses which column is which (`guess_mapping`) and sends the mapped cells; the
server reads and checks each value with the same functions (`parse_*`), so a date the preview
accepts is the date the import stores.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

__all__ = [
    "FIELDS",
    "MAX_ROWS",
    "SOURCES",
    "CellError",
    "guess_mapping",
    "guess_source",
    "parse_date",
    "parse_language",
    "parse_time",
    "parse_when",
    "split_name",
]

# Rows one file may hold; a bigger export is split (each part is one transaction of its own).
MAX_ROWS = 20_000
# Where a file comes from: external ids are kept per source, so Clio's 12 and MyCase's 12 differ.
SOURCES = ("clio", "mycase", "csv")

# Our field names, in the order the mapping step lists them, with their labels.
FIELDS: dict[str, str] = {
    "client_id": "Client ID",
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "phone": "Mobile phone",
    "language": "Language",
    "matter_name": "Matter",
    "case_number": "Case number",
    "event_id": "Event ID",
    "event_date": "Date (or date and time)",
    "event_time": "Time",
    "location": "Location",
    "flow": "Flow",
    "attorney": "Attorney",
}
EVENT_FIELDS = frozenset({"event_id", "event_date", "event_time", "location", "flow", "attorney"})


class CellError(ValueError):
    """A cell that cannot be read; the message says what was found and what is expected."""


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9#]", "", header.casefold())


# Header spellings per field, best first. Phones prefer a mobile column to a home or work one.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "client_id": (
        "clientid",
        "contactid",
        "clientnumber",
        "clioid",
        "mycaseid",
        "clientexternalid",
        "externalid",
    ),
    "first_name": ("firstname", "first", "givenname", "clientfirstname"),
    "last_name": ("lastname", "last", "surname", "familyname", "clientlastname"),
    "full_name": ("fullname", "clientname", "contactname", "name", "client", "contact"),
    "phone": (
        "mobilephone",
        "mobilephonenumber",
        "mobile",
        "cellphone",
        "cell",
        "cellphonenumber",
        "mobilenumber",
        "phonenumbermobile",
        "primaryphonenumber",
        "primaryphone",
        "phone",
        "phonenumber",
        "homephone",
        "workphone",
    ),
    "language": ("language", "preferredlanguage", "lang", "primarylanguage"),
    "matter_name": ("matter", "mattername", "caselead", "case", "casename", "matterdescription"),
    "case_number": (
        "casenumber",
        "caseno",
        "case#",
        "docketnumber",
        "docket",
        "courtcasenumber",
        "matternumber",
        "displaynumber",
    ),
    "event_id": ("eventid", "calendarentryid", "entryid", "calendareventid", "hearingid"),
    "event_date": (
        "startdate",
        "eventdate",
        "hearingdate",
        "courtdate",
        "date",
        "start",
        "startdatetime",
        "startsat",
        "startat",
    ),
    "event_time": ("starttime", "eventtime", "hearingtime", "courttime", "time"),
    "location": ("location", "courtroom", "court", "venue", "where"),
    "flow": ("flow", "reminderflow", "reminders"),
    "attorney": (
        "attorney",
        "responsibleattorney",
        "leadattorney",
        "assignedattorney",
        "attorneyname",
    ),
}


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Our field -> the index of the column that most likely holds it (fields not found left out).

    A bare "Id" is the event's in a calendar export (a file with a date column) and the
    client's otherwise; a "Name" or "Summary" in a calendar export is the event's title, which
    Inbox does not keep, so it is not taken for the client's name.
    """
    keys = [_key(header) for header in headers]
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    for field, synonyms in _SYNONYMS.items():
        for synonym in synonyms:
            if synonym in keys and keys.index(synonym) not in taken:
                mapping[field] = keys.index(synonym)
                taken.add(mapping[field])
                break
    is_calendar = "event_date" in mapping
    if "id" in keys and keys.index("id") not in taken:
        field = "event_id" if is_calendar else "client_id"
        if field not in mapping:
            mapping[field] = keys.index("id")
    if is_calendar and "full_name" in mapping and keys[mapping["full_name"]] == "name":
        del mapping["full_name"]
    if "first_name" in mapping and "full_name" in mapping:
        del mapping["full_name"]
    return mapping


def guess_source(headers: list[str]) -> str:
    """clio, mycase or csv, from headers only those exports use."""
    keys = {_key(header) for header in headers}
    if keys & {"clioid", "primaryphonenumber", "primaryemailaddress", "displaynumber"}:
        return "clio"
    if keys & {"mycaseid", "caselead", "contactgroup"}:
        return "mycase"
    return "csv"


def split_name(full: str) -> tuple[str, str]:
    """(first, last) from "Maria Lopez", "Lopez, Maria" or "Maria de la Cruz" (first word first)."""
    text = " ".join(full.split())
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    first, _, last = text.partition(" ")
    return first, last


_LANGUAGES = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "espanol": "es",
    "español": "es",
}
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$")


def parse_language(text: str) -> str:
    """A language code ("en", "es", "pt-br") from a code or an English or Spanish name."""
    value = text.strip().casefold()
    if not value:
        return "en"
    if value in _LANGUAGES:
        return _LANGUAGES[value]
    if _LANGUAGE_CODE.match(value):
        return value
    raise CellError(f"unknown language {text.strip()!r}; use a code like en or es")


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_WORDS = re.compile(r"^(?:[a-z]+,?\s+)?([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")  # (Tue,) Dec 1, 2026
_DAY_FIRST_WORDS = re.compile(r"^(\d{1,2})[\s-]([a-z]+)\.?[\s-](\d{4})$")  # 1 Dec 2026, 1-Dec-2026
DATE_FORMATS = "YYYY-MM-DD, MM/DD/YYYY or Dec 1, 2026"
TIME_FORMATS = "9:30 AM or 14:30"


def parse_date(text: str) -> date:
    """A calendar date in one of the forms exports use; US order (month first) for slashes."""
    value = " ".join(text.strip().casefold().split())
    if not value:
        raise CellError("no date")
    try:
        if match := _ISO.match(value):
            year, month, day = (int(part) for part in match.groups())
        elif match := _US.match(value):
            month, day, year = (int(part) for part in match.groups())
            year += 2000 if year < 100 else 0
        elif (match := _WORDS.match(value)) and match.group(1) in _MONTHS:
            month, day, year = _MONTHS[match.group(1)], int(match.group(2)), int(match.group(3))
        elif (match := _DAY_FIRST_WORDS.match(value)) and match.group(2) in _MONTHS:
            day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
        else:
            raise CellError(f"unknown date format {text.strip()!r}; use {DATE_FORMATS}")
        return date(year, month, day)
    except ValueError as error:
        if isinstance(error, CellError):
            raise
        raise CellError(f"{text.strip()!r} is not a real date") from None


_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(a\.?\s?m\.?|p\.?\s?m\.?)?$")


def parse_time(text: str) -> time:
    """A time of day: "9:30 AM", "9:30am", "9 AM", "14:30", "14:30:00"."""
    value = text.strip().casefold()
    match = _TIME.match(value)
    if not value or match is None:
        raise CellError(f"unknown time format {text.strip()!r}; use {TIME_FORMATS}")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(4) or "").replace(".", "").replace(" ", "")
    if meridiem:
        if not 1 <= hour <= 12:
            raise CellError(f"{text.strip()!r} is not a time: {hour} o'clock with AM or PM")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif match.group(2) is None:
        # A bare "9" could be morning or evening.
        raise CellError(f"unknown time format {text.strip()!r}; use {TIME_FORMATS}")
    if hour > 23 or minute > 59:
        raise CellError(f"{text.strip()!r} is not a time of day")
    return time(hour, minute)


def parse_when(date_text: str, time_text: str, zone: tzinfo) -> datetime:
    """The moment a date cell (which may carry its time) and a time cell name, in `zone`.

    "2026-12-11T09:00:00-05:00" keeps its own offset; "2026-12-11 09:00", "12/11/2026 9:00 AM"
    or a date with a separate time cell are wall-clock times in `zone` (the firm's). A court
    date needs its time: a date alone is refused rather than guessed.
    """
    value = " ".join(date_text.strip().split())
    if len(value) > 10 and _ISO.match(value[:10]) and value[10] in "Tt":
        try:
            parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            raise CellError(f"unknown date format {value!r}; use {DATE_FORMATS}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    parts = value.split(" ")
    for cut in range(len(parts), 0, -1):
        try:
            day = parse_date(" ".join(parts[:cut]))
        except CellError:
            continue
        rest = " ".join(parts[cut:])
        break
    else:
        day, rest = parse_date(value), ""  # parse_date raises its own message
    if time_text.strip():
        at = parse_time(time_text)
    elif rest:
        at = parse_time(rest)
    else:
        raise CellError(f"{value!r} has no time; a court date needs one (map a Time column)")
    return datetime.combine(day, at, tzinfo=zone)
