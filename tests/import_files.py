"""Files to import in tests: a Clio-style export of clients with their next hearing."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

CLIO_HEADERS = [
    "Contact ID",
    "First Name",
    "Last Name",
    "Primary Phone Number",
    "Primary Email Address",
    "Matter",
    "Calendar Entry ID",
    "Start Date",
    "Start Time",
    "Location",
]
# Data lines (file line numbers: the header is line 1) that carry a mistake.
BAD_LINES = {11: "phone", 21: "event_date", 31: "first_name"}
FIRST_NAMES = ["Maria", "John", "Ana", "Luis", "Grace", "Omar", "Mei", "Tom", "Rosa", "Ivan"]
LAST_NAMES = ["Lopez", "Smith", "Garcia", "Nguyen", "Okafor", "Haddad", "Chen", "Brown", "Diaz"]


def clio_rows(
    count: int = 50, *, changed: bool = False, today: date | None = None
) -> list[list[str]]:
    """`count` clients, each with a hearing 10-40 days out; `changed` moves the first five
    hearings a day later, changes the sixth's courtroom and the seventh client's last name."""
    today = today or date.today()
    rows = []
    for i in range(count):
        line = i + 2
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)]
        number = f"(201) 555-{1000 + i:04d}"
        day = today + timedelta(days=10 + i % 30)
        location = f"Courtroom {i % 12 + 1}"
        if changed and i < 5:
            day += timedelta(days=1)
        if changed and i == 5:
            location = "Courtroom 12B"
        if changed and i == 6:
            last += "-Reyes"
        when = day.strftime("%m/%d/%Y")
        if BAD_LINES.get(line) == "phone":
            number = "555-12"
        if BAD_LINES.get(line) == "event_date":
            when = "next Tuesday"
        if BAD_LINES.get(line) == "first_name":
            first = last = ""
        rows.append(
            [
                str(9000 + i),
                first,
                last,
                number,
                f"client{i}@example.com",
                f"{i + 1:05d}-{last or 'Unknown'}",
                str(77000 + i),
                when,
                "9:30 AM" if i % 2 else "14:00",
                location,
            ]
        )
    return rows


def clio_csv(count: int = 50, *, changed: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CLIO_HEADERS)
    writer.writerows(clio_rows(count, changed=changed))
    return out.getvalue()
