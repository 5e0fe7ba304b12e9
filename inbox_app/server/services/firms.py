"""Firms and their settings; a new firm starts with its free grant of credits."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import FirmSettingsIn, FirmSettingsOut
from inbox_app.server.config import SIMULATED_NUMBER
from inbox_app.server.errors import Conflict, Invalid, NotFound, NumberTaken

log = logging.getLogger("inbox.server.firms")

FREE_GRANT = 100
# Settings the reminders are made from: a change regenerates the unsent ones (their send times
# and the dates and times their texts name).
RESYNCS = frozenset({"time_zone", "quiet_start", "quiet_end", "max_segments"})
# Settings a null clears (from_number: the firm gives its number up and cannot text until it has
# one again); every other one needs a value.
NULLABLE = frozenset({"from_number"})


def create_firm_in(
    session: Session, name: str, *, default_number: str | None = None, **settings: object
) -> t.Firm:
    """Create a firm inside the caller's transaction, with its 100 free outgoing messages.

    The server's first firm is given `default_number` (INBOX_TWILIO_FROM, or the simulator's):
    with no other firm there is nobody else it could belong to.
    """
    first = not session.scalar(select(func.count()).select_from(t.Firm))
    if default_number and "from_number" not in settings and first:
        settings["from_number"] = default_number
    firm = t.Firm(name=name, **settings)
    session.add(firm)
    number = settings.get("from_number")
    flush_number_in(session, number if isinstance(number, str) else None, field="from_number")
    session.add(t.CreditBalance(firm_id=firm.id, balance=FREE_GRANT))
    session.add(
        t.CreditEntry(
            firm_id=firm.id,
            kind="grant",
            amount=FREE_GRANT,
            balance_after=FREE_GRANT,
            note="Free starting messages",
        )
    )
    session.flush()
    return firm


def owner_of_in(session: Session, number: str, *, besides: int | None = None) -> t.Firm | None:
    """The firm that owns `number` (other than firm `besides`), or None."""
    stmt = select(t.Firm).where(t.Firm.from_number == number)
    if besides is not None:
        stmt = stmt.where(t.Firm.id != besides)
    return session.scalar(stmt)


def number_taken(number: str, owner: t.Firm | None = None, field: str | None = None) -> NumberTaken:
    who = f"{owner.name!r} (id {owner.id})" if owner is not None else "another firm"
    prefix = f"{field}: " if field else ""
    extra = {"field": field} if field else {}
    return NumberTaken(
        f"{prefix}{number} already belongs to {who}; texts to it could not be routed to both. "
        "Give it up there first.",
        **extra,
    )


def flush_number_in(session: Session, number: str | None, field: str | None = None) -> None:
    """Flush a firm's new number; the unique index decides a race between two admins (409)."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        if number is None:
            raise
        raise number_taken(number, field=field) from None


def give_default_number(session: Session, number: str | None) -> t.Firm | None:
    """At start-up: the only firm, with no number, takes the server's unowned default number.

    A database made before numbers were owned sent from INBOX_TWILIO_FROM; with one firm there
    is nobody else it could belong to. With several firms an admin gives it explicitly.
    """
    if not number:
        return None
    with session.begin():
        if owner_of_in(session, number) is not None:
            return None
        firms = session.scalars(select(t.Firm).order_by(t.Firm.id).limit(2)).all()
        if len(firms) > 1:
            log.warning(
                "no firm owns the server number %s: texts to it are dropped and firms without "
                "a number cannot send; give it to one with `inbox-server set-firm-number FIRM %s`",
                number,
                number,
            )
        # The simulator's number never reaches a phone: a firm set up in simulate mode takes the
        # real number when the server goes live.
        if len(firms) != 1 or firms[0].from_number not in (None, SIMULATED_NUMBER):
            return None
        [firm] = firms
        firm.from_number = number
        flush_number_in(session, number)
        log.info("the server number %s now belongs to the only firm, %r", number, firm.name)
        return firm


def give_default_to_only_firm_in(session: Session, number: str | None) -> t.Firm | None:
    """Inside the caller's transaction: the only firm, when it has no number and nobody owns
    the server's `number`, takes it (the rule of start-up, for a firm made after it)."""
    if not number or owner_of_in(session, number) is not None:
        return None
    firms = session.scalars(select(t.Firm).order_by(t.Firm.id).limit(2)).all()
    if len(firms) != 1 or firms[0].from_number:
        return None
    [firm] = firms
    try:
        firm.from_number = number
        flush_number_in(session, number)
    except NumberTaken:
        session.refresh(firm)
        return None
    log.info("the server number %s now belongs to the only firm, %r", number, firm.name)
    return firm


def create_firm(session: Session, name: str, **settings: object) -> t.Firm:
    with session.begin():
        return create_firm_in(session, name, **settings)


def create_named_firm(session: Session, name: str, default_number: str | None = None) -> t.Firm:
    """A new firm for `inbox-server create-firm`; names are how operators tell firms apart.

    The server's first firm is given `default_number` (see `create_firm_in`)."""
    name = _clean_name(name)
    with session.begin():
        _refuse_taken_name(session, name)
        return create_firm_in(session, name, default_number=default_number)


def all_firms(session: Session) -> list[t.Firm]:
    return list(session.scalars(select(t.Firm).order_by(t.Firm.id)))


def firm_list(firms: list[t.Firm]) -> str:
    """'A' (id 1), 'B' (id 2): for errors that ask the operator to pick one."""
    return ", ".join(f"{firm.name!r} (id {firm.id})" for firm in firms)


def find_firm_in(session: Session, name_or_id: str) -> t.Firm:
    """The firm with this name (or id); NotFound names the firms there are."""
    wanted = name_or_id.strip()
    match = session.scalars(select(t.Firm).where(t.Firm.name == wanted)).all()
    if not match and wanted.isdigit():
        match = [firm] if (firm := session.get(t.Firm, int(wanted))) else []
    if not match:
        match = session.scalars(
            select(t.Firm).where(func.lower(t.Firm.name) == wanted.lower())
        ).all()
    if len(match) == 1:
        return match[0]
    if match:
        raise Invalid(f"{wanted!r} names several firms ({firm_list(match)}); give the id instead.")
    firms = all_firms(session)
    if not firms:
        raise NotFound(
            f"There is no firm named {wanted!r}: there are no firms yet "
            "(add one with `inbox-server create-firm NAME`)."
        )
    raise NotFound(f"There is no firm named {wanted!r}; the firms are {firm_list(firms)}.")


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("name: a firm needs a name.", field="name")
    if len(name) > 200:
        raise Invalid("name: at most 200 characters.", field="name")
    return name


def _refuse_taken_name(session: Session, name: str, firm_id: int | None = None) -> None:
    query = select(t.Firm).where(func.lower(t.Firm.name) == name.lower())
    if firm_id is not None:
        query = query.where(t.Firm.id != firm_id)
    other = session.scalar(query.limit(1))
    if other is not None:
        raise Conflict(
            f"name: a firm named {other.name!r} (id {other.id}) already exists; "
            "firms are told apart by name.",
            field="name",
        )


def _resync_upcoming_in(session: Session, firm_id: int) -> None:
    from datetime import timedelta

    from inbox_app.server.services import reminders

    since = t.utcnow() - timedelta(days=1)
    event_ids = session.scalars(
        select(t.Event.id).where(
            t.Event.firm_id == firm_id, t.Event.flow_id.is_not(None), t.Event.starts_at > since
        )
    ).all()
    reminders.sync_events_in(session, firm_id, event_ids)


def _settings_out(firm: t.Firm) -> FirmSettingsOut:
    from inbox_app.server.services import after_hours

    values = {name: getattr(firm, name) for name in FirmSettingsOut.model_fields}
    values["opening_hours"] = after_hours.hours_out(firm.opening_hours)
    return FirmSettingsOut(**values)


def settings_of(session: Session, user: t.User) -> FirmSettingsOut:
    with session.begin():
        return _settings_out(session.get(t.Firm, user.firm_id))


def update_settings(session: Session, user: t.User, body: FirmSettingsIn) -> FirmSettingsOut:
    """Change the fields given (all checked first: a bad one changes nothing)."""
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in NULLABLE:
            raise Invalid(f"{name}: must not be null; leave it out to keep it.", field=name)
    for name in ("quiet_start", "quiet_end"):
        value = changes.get(name)
        if value is not None and value.tzinfo is not None:
            raise Invalid(
                f"{name}: give a wall-clock time without an offset, e.g. 08:00; the zone is the "
                "recipient's.",
                field=name,
            )
    if "help_reply" in changes and not changes["help_reply"].strip():
        raise Invalid("help_reply: must not be blank.", field="help_reply")
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"])
    from inbox_app.server.services import after_hours, messages, quick_replies

    if "opening_hours" in changes:
        changes["opening_hours"] = after_hours.hours_to_store(body.opening_hours)
    with session.begin():
        firm = session.scalar(select(t.Firm).where(t.Firm.id == user.firm_id).with_for_update())
        start = changes.get("quiet_start", firm.quiet_start)
        end = changes.get("quiet_end", firm.quiet_end)
        if not start < end:
            field = "quiet_start" if "quiet_start" in changes else "quiet_end"
            raise Invalid(
                f"{field}: quiet hours need a sending window that starts before it ends "
                f"(got {start:%H:%M} to {end:%H:%M}); texts go out between the two.",
                field=field,
            )
        if "name" in changes:
            _refuse_taken_name(session, changes["name"], firm.id)
        if "after_hours_reply" in changes:
            # The same check as a quick reply's text: known merge tags, within the length cap.
            cap = changes.get("max_segments") or messages.segment_cap(firm)
            quick_replies.check_text(
                changes["after_hours_reply"],
                cap,
                field="after_hours_reply",
                what="the after-hours reply",
            )
        after_hours.check_week_in_use(
            changes.get("after_hours_enabled", firm.after_hours_enabled),
            changes.get("opening_hours", firm.opening_hours),
        )
        number = changes.get("from_number")
        if number is not None and owner_of_in(session, number, besides=firm.id) is not None:
            # Inbound texts are routed by the number they were sent to: never two firms on one.
            raise number_taken(number, field="from_number")
        for name, value in changes.items():
            setattr(firm, name, value)
        # Two admins saving one number at once both pass the check above; the index decides.
        flush_number_in(session, number, field="from_number")
        if RESYNCS.intersection(changes):
            _resync_upcoming_in(session, firm.id)
        return _settings_out(firm)
