"""Firms and their settings; a new firm starts with its free grant of credits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import FirmSettingsIn, FirmSettingsOut
from inbox_app.server.errors import Conflict, Invalid

FREE_GRANT = 100
# Settings a null clears (the server's default applies); every other one needs a value.
NULLABLE = frozenset({"from_number"})


def create_firm_in(session: Session, name: str, **settings: object) -> t.Firm:
    """Create a firm inside the caller's transaction, with its 100 free outgoing messages."""
    firm = t.Firm(name=name, **settings)
    session.add(firm)
    session.flush()
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


def create_firm(session: Session, name: str, **settings: object) -> t.Firm:
    with session.begin():
        return create_firm_in(session, name, **settings)


def _settings_out(firm: t.Firm) -> FirmSettingsOut:
    return FirmSettingsOut.model_validate(firm)


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
        number = changes.get("from_number")
        if number is not None:
            # Inbound texts are routed by the number they were sent to: never two firms on one.
            owner = session.scalar(
                select(t.Firm).where(t.Firm.from_number == number, t.Firm.id != firm.id)
            )
            if owner is not None:
                raise Conflict(
                    f"from_number: {number} already belongs to another firm; texts to it could "
                    "not be routed to both.",
                    field="from_number",
                )
        for name, value in changes.items():
            setattr(firm, name, value)
        session.flush()
        return _settings_out(firm)
