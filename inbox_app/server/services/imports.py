"""Importing a file of clients and court dates (Clio, MyCase, our template) in one transaction.

Each row is read and checked on its own: a row with any bad cell is rejected whole and listed,
and never stops the others. Rows are matched to what the firm already has by their external id
(kept per source, so re-importing a file updates instead of duplicating); without one, a client
is matched by name and number and an event by client and start. New and moved events, and
clients whose name, language or numbers changed, are resynced by the reminder service: in the
same transaction when they fit one chunk of `reminders.PENDING_CHUNK` events, else right after it,
by the dispatcher's pass, a chunk a transaction (the events are committed flagged, so a crash
loses nothing; a 10,000-row file holds SQLite's write lock for its own rows only, not for the
15,000 reminders too). A dry run answers the same report and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_app.domain import importing, phone
from inbox_app.models import tables as t
from inbox_app.models.schemas import (
    MAX_EVENT_DISTANCE,
    ImportCellError,
    ImportIn,
    ImportReport,
    ImportRowOut,
)
from inbox_app.server import db
from inbox_app.server.errors import Conflict, Invalid, NotFound
from inbox_app.server.services import events, reminders

_CHUNK = 900  # ids per IN (...) list, under SQLite's bound-parameter limit
_LIMITS = {
    "client_id": 100,
    "event_id": 100,
    "first_name": 100,
    "last_name": 100,
    "full_name": 200,
    "matter_name": 200,
    "case_number": 100,
    "location": 300,
    "attorney": 200,
}
CLIENT_FIELDS = frozenset(
    {"client_id", "first_name", "last_name", "full_name", "phone", "language"}
)

Progress = Callable[[str, float], None]


def _no_progress(_stage: str, _done: float) -> None:
    pass


@dataclass(slots=True)
class _Row:
    line: int
    errors: list[ImportCellError] = field(default_factory=list)
    client_ext: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    language: str | None = None
    matter_name: str | None = None
    case_number: str | None = None
    event_ext: str | None = None
    starts_at: datetime | None = None
    location: str | None = None
    flow_id: int | None = None
    attorney_id: int | None = None
    has_client: bool = False
    has_event: bool = False
    # Resolved:
    client_key: object = None
    client_action: str = "none"
    event_action: str = "none"
    existing_event: int | None = None
    is_empty: bool = False
    existing_matter: int | None = None

    def fail(self, name: str, message: str) -> None:
        self.errors.append(ImportCellError(field=name, message=message))


_MOBILE_BY_PREFIX: dict[str, bool] = {}


def _mobile_capable(number: str) -> bool:
    """phone.is_mobile_capable, remembered per North American area code and exchange (what the
    line type goes by there, as reminders' time zones do), so 10,000 numbers cost a few hundred
    lookups."""
    if not (len(number) == 12 and number.startswith("+1")):
        return phone.is_mobile_capable(number)
    prefix = number[:8]
    known = _MOBILE_BY_PREFIX.get(prefix)
    if known is None:
        if len(_MOBILE_BY_PREFIX) > 100_000:
            _MOBILE_BY_PREFIX.clear()
        known = _MOBILE_BY_PREFIX[prefix] = phone.is_mobile_capable(number)
    return known


@lru_cache(maxsize=4096)
def _when(date_text: str, time_text: str, zone: ZoneInfo) -> datetime:
    """importing.parse_when, remembered: a calendar of 5,000 hearings holds a few hundred
    distinct dates and times (a bad cell raises each time: errors are not remembered)."""
    return importing.parse_when(date_text, time_text, zone)


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _read_row(
    line: int,
    cells: dict[str, str],
    zone: ZoneInfo,
    flows_by_name: dict[str, int],
    default_flow: int | None,
    now: datetime,
    attorneys_by_name: dict[str, int | None],
) -> _Row:
    """One row's cells read and checked (no database), each problem named at its field."""
    row = _Row(line=line)
    for name, limit in _LIMITS.items():
        if len(cells.get(name, "")) > limit:
            row.fail(name, f"longer than {limit} characters")
            cells[name] = ""
    row.client_ext = cells.get("client_id") or None
    first, last = cells.get("first_name", ""), cells.get("last_name", "")
    if not first and not last and cells.get("full_name"):
        first, last = importing.split_name(cells["full_name"])
    row.first_name, row.last_name = first or None, last or None
    if cells.get("phone"):
        try:
            row.phone = phone.normalize(cells["phone"])
        except phone.InvalidPhoneNumber as error:
            row.fail("phone", f"{cells['phone']!r} is not a phone number: {error.reason}")
    if "language" in cells:
        try:
            row.language = importing.parse_language(cells["language"])
        except importing.CellError as error:
            row.fail("language", str(error))
    row.matter_name = cells.get("matter_name") or None
    row.case_number = cells.get("case_number") or None
    row.has_client = any(cells.get(name) for name in CLIENT_FIELDS)
    row.event_ext = cells.get("event_id") or None
    row.has_event = bool(cells.get("event_date") or row.event_ext)
    if row.has_event:
        try:
            row.starts_at = _when(cells.get("event_date", ""), cells.get("event_time", ""), zone)
        except importing.CellError as error:
            # A bad time cell is the time's fault; everything else is the date's.
            bad_time = cells.get("event_time") and "time" in str(error).split(";")[0]
            row.fail("event_time" if bad_time else "event_date", str(error))
        else:
            if abs(row.starts_at - now) > MAX_EVENT_DISTANCE:
                row.fail("event_date", "must be within 20 years of today")
        row.location = cells.get("location") or None
        flow_name = cells.get("flow", "").strip()
        if flow_name:
            row.flow_id = flows_by_name.get(flow_name.casefold())
            if row.flow_id is None:
                row.fail("flow", f"there is no flow named {flow_name!r}")
        else:
            row.flow_id = default_flow
        attorney = cells.get("attorney", "")
        if attorney:
            # A user of the firm, by username or display name.
            row.attorney_id = attorneys_by_name.get(attorney.casefold())
            if row.attorney_id is None:
                row.fail(
                    "attorney",
                    f"{attorney!r} names two users: use the username"
                    if attorney.casefold() in attorneys_by_name
                    else f"there is no active user named {attorney!r}",
                )
    # A blank line in a spreadsheet is skipped, not rejected.
    row.is_empty = not any(cells.values())
    named = row.has_client or row.has_event or row.matter_name or row.case_number
    if not row.is_empty and not named:
        row.fail("row", "no client, matter or court date in this row")
    return row


def _attorneys_by_name(session: Session, firm_id: int, columns: list[str]) -> dict[str, int | None]:
    """The firm's active users by username and by display name (casefolded); a name two users
    share maps to None. Read only when the file has an Attorney column."""
    if "attorney" not in columns:
        return {}
    by_name: dict[str, int | None] = {}
    users = session.execute(
        select(t.User.id, t.User.username, t.User.display_name).where(
            t.User.firm_id == firm_id, t.User.is_active.is_(True)
        )
    ).all()
    for user_id, *names in users:
        for name in {n.casefold() for n in names if n}:
            by_name[name] = user_id if by_name.get(name, user_id) == user_id else None
    return by_name


def import_file(
    session: Session, user: t.User, body: ImportIn, progress: Progress = _no_progress
) -> ImportReport:
    """Check every row, then (unless a dry run) write the good ones in one transaction."""
    if len(set(body.columns)) != len(body.columns):
        twice = sorted({name for name in body.columns if body.columns.count(name) > 1})
        raise Invalid(f"columns: each field can be mapped once; {', '.join(twice)} is twice.")
    if "event_time" in body.columns and "event_date" not in body.columns:
        raise Invalid("columns: a Time column needs a Date column beside it.")
    if not CLIENT_FIELDS & set(body.columns) and not {"event_date", "event_id"} & set(body.columns):
        raise Invalid("columns: map at least a client's name or id, or an event's date.")
    source = body.source
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        zone = ZoneInfo(firm.time_zone or reminders.DEFAULT_TIME_ZONE)
        flows_by_name = {
            name.casefold(): flow_id
            for flow_id, name in session.execute(
                select(t.Flow.id, t.Flow.name).where(t.Flow.firm_id == user.firm_id)
            )
        }
        if body.flow_id is not None and body.flow_id not in flows_by_name.values():
            raise NotFound(f"There is no flow {body.flow_id}.")
        attorneys_by_name = _attorneys_by_name(session, user.firm_id, body.columns)
        now = datetime.now(UTC)
        rows: list[_Row] = []
        width = len(body.columns)
        total = max(len(body.rows), 1)
        for index, cells in enumerate(body.rows):
            line = body.first_line + index
            if len(cells) != width:
                row = _Row(line=line)
                row.fail("row", f"has {len(cells)} cells where the mapping has {width}")
            else:
                values = {
                    name: cell.strip() for name, cell in zip(body.columns, cells, strict=True)
                }
                row = _read_row(
                    line, values, zone, flows_by_name, body.flow_id, now, attorneys_by_name
                )
            rows.append(row)
            if index % 1000 == 999:
                progress("checking", 0.2 * (index + 1) / total)
        plan = _Plan(session, user.firm_id, source, rows)
        plan.resolve()
        progress("checking", 0.25)
        report = plan.report(body.dry_run)
        if body.dry_run:
            return report
        try:
            resync = plan.write(body.file_name, user.id)
        except IntegrityError:
            # Another import gave one of these external ids a record meanwhile.
            raise Conflict(
                "Another import of the same records finished meanwhile; import the file again."
            ) from None
        progress("writing", 0.4)
        ids = sorted(resync)
        if len(ids) <= reminders.PENDING_CHUNK:
            reminders.sync_events_in(session, user.firm_id, ids)
            progress("reminders", 1.0)
            report.events_resynced = len(ids)
        else:
            # More than one chunk: their reminders are made right after this commit, a chunk a
            # transaction, by the dispatcher's pass; the flag keeps the job across a crash.
            reminders.mark_pending_in(session, ids)
            report.events_pending = len(ids)
        if report.imported:
            # One event for the whole file (a per-row event for 10,000 rows would flood every
            # desktop's stream): id 0 and no client say "many changed, reload them all". It
            # wakes the dispatcher too: a resynced reminder may be due now.
            events.publish_all(
                session,
                [
                    events.Draft(
                        user.firm_id,
                        "client.imported",
                        {
                            "id": 0,
                            "client_id": None,
                            "clients_created": report.clients_created,
                            "clients_updated": report.clients_updated,
                            "events_created": report.events_created,
                            "events_updated": report.events_updated,
                        },
                    )
                ],
            )
        return report


class _Plan:
    """The rows matched to the firm's records, and the writes they need."""

    def __init__(self, session: Session, firm_id: int, source: str, rows: list[_Row]) -> None:
        self.session, self.firm_id, self.source, self.rows = session, firm_id, source, rows
        self._reset()

    def _reset(self) -> None:
        # client key -> existing client id (None: to be created), and the row that defines it
        self.clients: dict[object, int | None] = {}
        self.client_rows: dict[object, _Row] = {}
        self.client_changes: dict[int, dict] = {}
        self.phones_to_add: dict[object, list[str]] = {}
        self.existing_phones: dict[int, set[str]] = {}
        self.event_changes: dict[int, dict] = {}

    def _ext(self, value: str) -> str:
        return f"{self.source}:{value}"

    # -- matching ---------------------------------------------------------------------------

    def resolve(self) -> None:
        """Match rows to records; a row rejected while matching events may have been the one
        that defined a new client, so matching starts over without it (rejections only grow)."""
        while True:
            rejected = sum(1 for row in self.rows if row.errors)
            self._reset()
            for row in self.rows:
                row.client_key, row.client_action, row.event_action = None, "none", "none"
                row.existing_event = None
            self._resolve()
            if sum(1 for row in self.rows if row.errors) == rejected:
                return

    def _resolve(self) -> None:
        session, firm_id = self.session, self.firm_id
        good = [row for row in self.rows if not row.errors and not row.is_empty]
        exts = sorted({self._ext(row.client_ext) for row in good if row.client_ext})
        by_ext: dict[str, Row] = {}
        for chunk in _chunks(exts):
            for client in session.execute(
                select(*_CLIENT_COLUMNS).where(
                    t.Client.firm_id == firm_id, db.among(session, t.Client.external_id, chunk)
                )
            ):
                by_ext[client.external_id] = client
        names = sorted(
            {
                (row.first_name or "").casefold()
                for row in good
                if not row.client_ext and row.first_name
            }
        )
        by_name: dict[tuple[str, str], list[Row]] = {}
        for chunk in _chunks(names):
            for client in session.execute(
                select(*_CLIENT_COLUMNS).where(
                    t.Client.firm_id == firm_id,
                    db.among(session, func.lower(t.Client.first_name), chunk),
                )
            ):
                key = (client.first_name.casefold(), client.last_name.casefold())
                by_name.setdefault(key, []).append(client)
        clients = {client.id: client for client in by_ext.values()} | {
            client.id: client for group in by_name.values() for client in group
        }
        self._load_phones(list(clients))
        matters = self._matters_by_reference(good)
        for row in good:
            self._resolve_client(row, by_ext, by_name, matters)
        self._resolve_events([row for row in good if not row.errors and row.has_event])

    def _load_phones(self, client_ids: list[int]) -> None:
        for chunk in _chunks(sorted(client_ids)):
            for client_id, number in self.session.execute(
                select(t.Contact.client_id, t.Contact.phone).where(
                    db.among(self.session, t.Contact.client_id, chunk),
                    t.Contact.archived.is_(False),
                    t.Contact.trashed_at.is_(None),
                )
            ):
                self.existing_phones.setdefault(client_id, set()).add(number)

    def _matters_by_reference(self, rows: list[_Row]) -> dict[tuple[str, str], list[int]]:
        """("case"|"name", value) -> client ids of the firm's matters, for rows naming no client."""
        wanted_cases = sorted(
            {r.case_number.casefold() for r in rows if not r.has_client and r.case_number}
        )
        wanted_names = sorted(
            {r.matter_name.casefold() for r in rows if not r.has_client and r.matter_name}
        )
        found: dict[tuple[str, str], list[int]] = {}
        m = t.Matter
        for kind, column, wanted in (
            ("case", m.case_number, wanted_cases),
            ("name", m.name, wanted_names),
        ):
            for chunk in _chunks(wanted):
                for value, client_id in self.session.execute(
                    select(column, m.client_id).where(
                        m.firm_id == self.firm_id, db.among(self.session, func.lower(column), chunk)
                    )
                ):
                    ids = found.setdefault((kind, value.casefold()), [])
                    if client_id not in ids:
                        ids.append(client_id)
        return found

    def _resolve_client(self, row: _Row, by_ext, by_name, matters) -> None:
        if not row.has_client:
            # A calendar row: its client is the one whose matter it names.
            for kind, value in (("case", row.case_number), ("name", row.matter_name)):
                if value:
                    owners = matters.get((kind, value.casefold()), [])
                    if len(owners) == 1:
                        row.client_key = ("id", owners[0])
                        self.clients.setdefault(row.client_key, owners[0])
                        self.client_rows.setdefault(row.client_key, row)
                        return
                    if len(owners) > 1:
                        row.fail(
                            "matter_name" if kind == "name" else "case_number",
                            f"{value!r} is the matter of {len(owners)} clients; "
                            "map a client id or name",
                        )
                        return
            row.fail("client_id", "no client: map a client's id or name, or a known case number")
            return
        if row.client_ext:
            key: object = ("ext", row.client_ext)
            existing = by_ext.get(self._ext(row.client_ext))
        else:
            first, last = (row.first_name or "").casefold(), (row.last_name or "").casefold()
            key = ("name", first, last, row.phone)
            candidates = by_name.get((first, last), [])
            if row.phone:
                candidates = [
                    c for c in candidates if row.phone in self.existing_phones.get(c.id, set())
                ]
            existing = candidates[0] if len(candidates) == 1 else None
        if key in self.client_rows:
            row.client_key = key
            first_row = self.client_rows[key]
            row.client_action = "unchanged" if first_row.client_action != "created" else "created"
            if row.phone and row.phone != first_row.phone:
                self._add_phone(key, row.phone)
            return
        if existing is None and not row.first_name:
            row.fail("first_name", "missing name: a new client needs a first name")
            return
        row.client_key = key
        self.client_rows[key] = row
        self.clients[key] = existing.id if existing else None
        self.phones_to_add.setdefault(key, [])
        if existing is None:
            row.client_action = "created"
            if row.phone:
                self._add_phone(key, row.phone)
            return
        changes = {}
        if row.first_name and row.first_name != existing.first_name:
            changes["first_name"] = row.first_name
        if row.last_name is not None and row.last_name != existing.last_name:
            changes["last_name"] = row.last_name
        if row.language and row.language != existing.language:
            changes["language"] = row.language
        if row.phone and row.phone not in self.existing_phones.get(existing.id, set()):
            self._add_phone(key, row.phone)
        if changes:
            self.client_changes[existing.id] = changes
        row.client_action = "updated" if changes or self.phones_to_add[key] else "unchanged"

    def _add_phone(self, key: object, number: str) -> None:
        numbers = self.phones_to_add.setdefault(key, [])
        if number not in numbers:
            numbers.append(number)

    def _resolve_events(self, rows: list[_Row]) -> None:
        session, firm_id = self.session, self.firm_id
        exts = sorted({self._ext(row.event_ext) for row in rows if row.event_ext})
        by_ext: dict[str, dict] = {}
        for chunk in _chunks(exts):
            for event in session.execute(
                select(*_EVENT_COLUMNS).where(
                    t.Event.firm_id == firm_id, db.among(session, t.Event.external_id, chunk)
                )
            ).mappings():
                by_ext[event["external_id"]] = dict(event)
        known_clients = sorted({cid for cid in self.clients.values() if cid is not None})
        by_start: dict[tuple[int, datetime], dict] = {}
        for chunk in _chunks(known_clients):
            for event in session.execute(
                select(*_EVENT_COLUMNS).where(
                    t.Event.firm_id == firm_id,
                    db.among(session, t.Event.client_id, chunk),
                    t.Event.external_id.is_(None),
                )
            ).mappings():
                by_start[(event["client_id"], event["starts_at"])] = dict(event)
        seen: dict[str, int] = {}
        for row in rows:
            client_id = self.clients.get(row.client_key)
            if row.event_ext:
                if row.event_ext in seen:
                    row.fail(
                        "event_id", f"event {row.event_ext} is also on line {seen[row.event_ext]}"
                    )
                    continue
                seen[row.event_ext] = row.line
                existing = by_ext.get(self._ext(row.event_ext))
                if (
                    existing is not None
                    and client_id is not None
                    and existing["client_id"] != client_id
                ):
                    row.fail("event_id", f"event {row.event_ext} belongs to another client")
                    continue
                if existing is not None and client_id is None and row.has_client:
                    row.fail("event_id", f"event {row.event_ext} belongs to another client")
                    continue
            else:
                existing = (
                    by_start.get((client_id, row.starts_at)) if client_id is not None else None
                )
            if existing is None:
                row.event_action = "created"
                continue
            changes = {}
            if existing["starts_at"] != row.starts_at:
                changes["starts_at"] = row.starts_at
            if row.location is not None and row.location != existing["location"]:
                changes["location"] = row.location
            if row.flow_id is not None and row.flow_id != existing["flow_id"]:
                changes["flow_id"] = row.flow_id
            if row.attorney_id is not None and row.attorney_id != existing["attorney_id"]:
                changes["attorney_id"] = row.attorney_id
            row.event_action = "updated" if changes else "unchanged"
            self.event_changes.setdefault(existing["id"], {}).update(changes)
            row.existing_event = existing["id"]
            row.existing_matter = existing["matter_id"]

    # -- the report ---------------------------------------------------------------------------

    def report(self, dry_run: bool) -> ImportReport:
        results, counts = [], dict.fromkeys(("cc", "cu", "ec", "eu"), 0)
        seen_clients: set[object] = set()
        for row in self.rows:
            if row.errors:
                results.append(
                    ImportRowOut(
                        line=row.line, client="rejected", event="rejected", errors=row.errors
                    )
                )
                continue
            if row.client_key not in seen_clients and row.client_action in ("created", "updated"):
                counts["cc" if row.client_action == "created" else "cu"] += 1
            seen_clients.add(row.client_key)
            if row.event_action in ("created", "updated"):
                counts["ec" if row.event_action == "created" else "eu"] += 1
            # Built without validation (our own int and two words): validating 10,000 of
            # them cost a tenth of a second.
            results.append(
                ImportRowOut.model_construct(
                    line=row.line, client=row.client_action, event=row.event_action, errors=[]
                )
            )
        rejected = sum(1 for row in self.rows if row.errors)
        empty = sum(1 for row in self.rows if row.is_empty)
        return ImportReport(
            dry_run=dry_run,
            rows=len(self.rows),
            imported=len(self.rows) - rejected - empty,
            rejected=rejected,
            clients_created=counts["cc"],
            clients_updated=counts["cu"],
            events_created=counts["ec"],
            events_updated=counts["eu"],
            events_resynced=0,
            results=results,
        )

    # -- writing ------------------------------------------------------------------------------

    def write(self, file_name: str, user_id: int) -> set[int]:
        """Write clients, contacts, matters and events; the ids of events to resync."""
        session, firm_id = self.session, self.firm_id
        now = t.utcnow()
        new_keys = [key for key, cid in self.clients.items() if cid is None]
        if new_keys:
            rows = [self.client_rows[key] for key in new_keys]
            ids = db.insert_many(
                session,
                t.Client.__table__,
                [
                    {
                        "firm_id": firm_id,
                        "first_name": row.first_name,
                        "last_name": row.last_name or "",
                        "language": row.language or "en",
                        "external_id": self._ext(row.client_ext) if row.client_ext else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for row in rows
                ],
                ids=True,
            )
            for key, client_id in zip(new_keys, ids, strict=True):
                self.clients[key] = client_id
        if self.client_changes:
            table = t.Client.__table__
            for names in {tuple(sorted(c)) for c in self.client_changes.values()}:
                batch = [
                    {"_id": cid, "updated_at": now, **changes}
                    for cid, changes in self.client_changes.items()
                    if tuple(sorted(changes)) == names
                ]
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("_id"))
                    .values({name: bindparam(name) for name in (*names, "updated_at")}),
                    batch,
                )
        touched_clients = set(self.client_changes)
        touched_clients |= self._write_contacts(file_name, user_id, now)
        matter_of = self._write_matters()
        resync = self._write_events(matter_of, now)
        if touched_clients:
            for chunk in _chunks(sorted(touched_clients)):
                resync.update(
                    session.scalars(
                        select(t.Event.id).where(
                            t.Event.firm_id == firm_id,
                            db.among(session, t.Event.client_id, chunk),
                            t.Event.flow_id.is_not(None),
                        )
                    )
                )
        return resync

    def _write_contacts(self, file_name: str, user_id: int, now: datetime) -> set[int]:
        session, firm_id = self.session, self.firm_id
        wanted = [
            (self.clients[key], number)
            for key, numbers in self.phones_to_add.items()
            if key in self.clients
            for number in numbers
        ]
        if not wanted:
            return set()
        numbers = sorted({number for _, number in wanted})
        opted_out: set[str] = set()
        unfiled: dict[str, int] = {}
        for chunk in _chunks(numbers):
            opted_out.update(
                session.scalars(
                    select(t.Conversation.phone).where(
                        t.Conversation.firm_id == firm_id,
                        db.among(session, t.Conversation.phone, chunk),
                        t.Conversation.opted_out.is_(True),
                    )
                )
            )
            opted_out.update(
                session.scalars(
                    select(t.Contact.phone).where(
                        t.Contact.firm_id == firm_id,
                        db.among(session, t.Contact.phone, chunk),
                        t.Contact.opted_out.is_(True),
                    )
                )
            )
            for conversation_id, number in session.execute(
                select(t.Conversation.id, t.Conversation.phone).where(
                    t.Conversation.firm_id == firm_id,
                    db.among(session, t.Conversation.phone, chunk),
                    t.Conversation.client_id.is_(None),
                )
            ):
                unfiled[number] = conversation_id
        contact_ids = db.insert_many(
            session,
            t.Contact.__table__,
            [
                {
                    "firm_id": firm_id,
                    "client_id": client_id,
                    "phone": number,
                    "type": "cell",
                    "channel": "text",
                    "invalid": False,
                    "cannot_receive_texts": not _mobile_capable(number),
                    "opted_out": number in opted_out,
                    "archived": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for client_id, number in wanted
            ],
            ids=True,
        )
        note = f"Imported from {file_name}" if file_name else "Imported"
        # The evidence a staff-added contact gets: consent given when the record was made.
        consents = [
            {
                "firm_id": firm_id,
                "phone": number,
                "contact_id": contact_id,
                "opted_in": True,
                "source": "created",
                "user_id": user_id,
                "note": note[:300],
                "created_at": now,
            }
            for (_, number), contact_id in zip(wanted, contact_ids, strict=True)
            if number not in opted_out
        ]
        if consents:
            db.insert_many(session, t.ConsentEvent.__table__, consents)
        filed = {}
        for client_id, number in wanted:
            if number in unfiled and unfiled[number] not in filed:
                filed[unfiled[number]] = client_id
        if filed:
            table = t.Conversation.__table__
            session.execute(
                update(table)
                .where(table.c.id == bindparam("_id"), table.c.client_id.is_(None))
                .values(client_id=bindparam("client_id")),
                [{"_id": cid, "client_id": client_id} for cid, client_id in filed.items()],
            )
            events.publish_all(
                session,
                [
                    events.Draft(firm_id, "conversation.updated", {"id": cid, "client_id": client})
                    for cid, client in filed.items()
                ],
                creates_work=False,
            )
        return {client_id for client_id, _ in wanted}

    def _write_matters(self) -> dict[int, int]:
        """Row line -> matter id, finding a client's matter by case number, else by name."""
        session = self.session
        rows = [
            row
            for row in self.rows
            if not row.errors
            and (row.matter_name or row.case_number)
            and row.client_key in self.clients
        ]
        client_ids = sorted({self.clients[row.client_key] for row in rows})
        existing: dict[int, list[dict]] = {}
        for chunk in _chunks(client_ids):
            for matter in session.execute(
                select(t.Matter.id, t.Matter.client_id, t.Matter.name, t.Matter.case_number).where(
                    db.among(session, t.Matter.client_id, chunk)
                )
            ).mappings():
                existing.setdefault(matter["client_id"], []).append(dict(matter))
        matter_of: dict[int, int] = {}
        for row in rows:
            client_id = self.clients[row.client_key]
            found = None
            for matter in existing.get(client_id, []):
                if (
                    row.case_number
                    and (matter["case_number"] or "").casefold() == row.case_number.casefold()
                ):
                    found = matter
                    break
                if (
                    not row.case_number
                    and matter["name"].casefold() == (row.matter_name or "").casefold()
                ):
                    found = matter
                    break
            if found is None:
                matter = t.Matter(
                    firm_id=self.firm_id,
                    client_id=client_id,
                    name=row.matter_name or row.case_number,
                    case_number=row.case_number,
                )
                session.add(matter)
                session.flush()
                found = {
                    "id": matter.id,
                    "client_id": client_id,
                    "name": matter.name,
                    "case_number": matter.case_number,
                }
                existing.setdefault(client_id, []).append(found)
            elif row.matter_name and row.case_number and found["name"] != row.matter_name:
                session.execute(
                    update(t.Matter).where(t.Matter.id == found["id"]).values(name=row.matter_name)
                )
                found["name"] = row.matter_name
            matter_of[row.line] = found["id"]
        return matter_of

    def _write_events(self, matter_of: dict[int, int], now: datetime) -> set[int]:
        session = self.session
        created = [
            row
            for row in self.rows
            if not row.errors and row.has_event and row.event_action == "created"
        ]
        resync: set[int] = set()
        if created:
            ids = db.insert_many(
                session,
                t.Event.__table__,
                [
                    {
                        "firm_id": self.firm_id,
                        "client_id": self.clients[row.client_key],
                        "matter_id": matter_of.get(row.line),
                        "flow_id": row.flow_id,
                        "starts_at": row.starts_at,
                        "location": row.location,
                        "attorney_id": row.attorney_id,
                        "status": "scheduled",
                        "external_id": self._ext(row.event_ext) if row.event_ext else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for row in created
                ],
                ids=True,
            )
            resync.update(
                event_id for event_id, row in zip(ids, created, strict=True) if row.flow_id
            )
        for row in self.rows:
            if (
                not row.errors
                and row.event_action in ("updated", "unchanged")
                and row.line in matter_of
            ) and matter_of[row.line] != row.existing_matter:
                changes = self.event_changes.setdefault(row.existing_event, {})
                changes.setdefault("matter_id", matter_of[row.line])
        changed = {eid: c for eid, c in self.event_changes.items() if c}
        if changed:
            table = t.Event.__table__
            for names in {tuple(sorted(c)) for c in changed.values()}:
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("_id"))
                    .values({name: bindparam(name) for name in (*names, "updated_at")}),
                    [
                        {"_id": eid, "updated_at": now, **c}
                        for eid, c in changed.items()
                        if tuple(sorted(c)) == names
                    ],
                )
            resync.update(changed)
        return resync


# What matching reads of a client (rows, not ORM objects: a file of 5,000 rows loads 5,000).
_CLIENT_COLUMNS = (
    t.Client.id,
    t.Client.first_name,
    t.Client.last_name,
    t.Client.language,
    t.Client.external_id,
)
_EVENT_COLUMNS = (
    t.Event.id,
    t.Event.client_id,
    t.Event.matter_id,
    t.Event.starts_at,
    t.Event.location,
    t.Event.status,
    t.Event.flow_id,
    t.Event.attorney_id,
    t.Event.external_id,
)
