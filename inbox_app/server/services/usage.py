"""Who used the credits: outgoing messages per user, per matter or per month.

A firm bills texting to a matter as a disbursement, so a message counts where it holds a
credit (charged and not refunded), at the time it went out (or was queued, if not yet sent).
Days and months are the firm's own (its time zone), as on its invoices.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import UsageOut, UsageRowOut
from inbox_app.server.errors import Invalid
from inbox_app.server.services import credits

Group = Literal["user", "matter", "month"]
# Rows fetched per round trip when streaming a report or the ledger.
BATCH = 2000
# A ledger export is written to memory up to this size, then to a temporary file.
SPOOL_BYTES = 1 << 20
NO_USER = "Automatic (reminders and flows)"
NO_MATTER = "Not filed under a matter"


@dataclass
class _Tally:
    key: str
    label: str
    messages: int = 0
    segments: int = 0
    credits: int = 0

    def add(self, segments: int) -> None:
        self.messages += 1
        self.segments += segments
        self.credits += 1

    def out(self) -> UsageRowOut:
        return UsageRowOut(
            key=self.key,
            label=self.label,
            messages=self.messages,
            segments=self.segments,
            credits=self.credits,
        )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _span(column, zone: ZoneInfo, from_date: date | None, to_date: date | None) -> list:
    """Conditions for `column` between two of the firm's days, both included."""
    conditions = []
    if from_date:
        conditions.append(column >= datetime.combine(from_date, time.min, zone))
    if to_date:
        conditions.append(column < datetime.combine(to_date + timedelta(days=1), time.min, zone))
    return conditions


def _zone(firm: t.Firm) -> ZoneInfo:
    try:
        return ZoneInfo(firm.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def report(
    session: Session,
    user: t.User,
    group: Group,
    from_date: date | None = None,
    to_date: date | None = None,
) -> UsageOut:
    """Billed outgoing messages between two days (both included), grouped as asked."""
    if from_date and to_date and from_date > to_date:
        raise Invalid("The 'from' day is after the 'to' day; swap them.")
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        zone = _zone(firm)
        went_out = func.coalesce(t.Message.sent_at, t.Message.created_at)
        query = (
            select(
                t.Message.segments,
                went_out,
                t.Message.sent_by_id,
                func.coalesce(t.Message.matter_id, t.Conversation.matter_id),
            )
            .join(t.Conversation, t.Conversation.id == t.Message.conversation_id)
            .where(
                t.Message.firm_id == firm.id,
                t.Message.direction == "outbound",
                t.Message.is_debited.is_(True),
            )
            .order_by(t.Message.id)
        )
        query = query.where(*_span(went_out, zone, from_date, to_date))
        tallies: dict[str, _Tally] = {}
        total = _Tally("total", "Total")
        refs: dict[str, int | None] = {}
        # Streamed in batches: five years of texts are never one list in memory.
        for segments, at, user_id, matter_id in session.execute(
            query.execution_options(yield_per=BATCH)
        ):
            if group == "month":
                key = _aware(at).astimezone(zone).strftime("%Y-%m") if at else "unknown"
            else:
                ref = user_id if group == "user" else matter_id
                key = str(ref) if ref is not None else "none"
                refs[key] = ref
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = _Tally(key, key)
            tally.add(segments or 0)
            total.add(segments or 0)
        if group != "month":
            labels = _labels(session, group, refs.values())
            for key, tally in tallies.items():
                ref = refs[key]
                tally.label = labels.get(ref) or (NO_USER if group == "user" else NO_MATTER)
    ordered = sorted(tallies.values(), key=lambda row: row.key if group == "month" else row.label)
    return UsageOut(
        group=group,
        from_date=from_date,
        to_date=to_date,
        rows=[row.out() for row in ordered],
        total=total.out(),
    )


def _labels(session: Session, group: Group, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted or group == "month":
        return {}
    if group == "user":
        users = session.execute(
            select(t.User.id, t.User.display_name, t.User.username).where(t.User.id.in_(wanted))
        ).all()
        return {uid: display or username for uid, display, username in users}
    matters = session.execute(
        select(
            t.Matter.id,
            t.Matter.name,
            t.Matter.case_number,
            t.Client.first_name,
            t.Client.last_name,
        )
        .join(t.Client, t.Client.id == t.Matter.client_id)
        .where(t.Matter.id.in_(wanted))
    ).all()
    labels = {}
    for mid, name, case_number, first, last in matters:
        client = " ".join(part for part in (first, last) if part)
        case = f" ({case_number})" if case_number else ""
        labels[mid] = f"{name}{case} - {client}" if client else f"{name}{case}"
    return labels


def to_csv(usage: UsageOut) -> str:
    """The report as CSV with a header row, ready for a spreadsheet or a bill."""
    key_column = {"user": "user_id", "matter": "matter_id", "month": "month"}[usage.group]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([key_column, usage.group, "messages", "segments", "credits"])
    for row in usage.rows:
        key = "" if row.key == "none" else row.key
        writer.writerow([key, _cell(row.label), row.messages, row.segments, row.credits])
    return buffer.getvalue()


def _cell(text: str) -> str:
    # A matter named "=HYPERLINK(...)" must stay text when the file is opened in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def filename(usage: UsageOut) -> str:
    span = "-".join(str(d) for d in (usage.from_date, usage.to_date) if d) or "all"
    return f"texting-usage-by-{usage.group}-{span}.csv"


LEDGER_COLUMNS = [
    "entry_id",
    "when",
    "kind",
    "amount",
    "balance_after",
    "user",
    "conversation_id",
    "phone",
    "client",
    "matter",
    "reference",
    "note",
]


def ledger_csv(
    session: Session, user: t.User, from_date: date | None = None, to_date: date | None = None
) -> tuple[tempfile.SpooledTemporaryFile, str]:
    """The firm's ledger between two of its days (both included), oldest first, as CSV bytes
    in a rewound spool file, and the file's name. Times are the firm's own, with their offset."""
    if from_date and to_date and from_date > to_date:
        raise Invalid("The 'from' day is after the 'to' day; swap them.")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(LEDGER_COLUMNS)
    with session.begin():
        zone = _zone(session.get(t.Firm, user.firm_id))
        query = credits.ledger_query(user.firm_id)
        query = query.where(*_span(t.CreditEntry.created_at, zone, from_date, to_date))
        rows = session.execute(query.order_by(t.CreditEntry.id).execution_options(yield_per=BATCH))
        for row in rows:
            entry = credits.ledger_entry(row)
            writer.writerow(
                [
                    entry.id,
                    _aware(entry.created_at).astimezone(zone).isoformat(timespec="seconds"),
                    entry.kind,
                    entry.amount,
                    entry.balance_after,
                    _cell(entry.user_name or ""),
                    entry.conversation_id or "",
                    entry.phone or "",
                    _cell(entry.client_name or ""),
                    _cell(entry.matter_name or ""),
                    _cell(entry.reference or ""),
                    _cell(entry.note or ""),
                ]
            )
    text.detach()  # the spool stays open for the caller
    spool.seek(0)
    span = "-".join(str(d) for d in (from_date, to_date) if d) or "all"
    return spool, f"message-credits-ledger-{span}.csv"
