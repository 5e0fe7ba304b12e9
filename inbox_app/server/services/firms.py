"""Firms and their settings; a new firm starts with its free grant of credits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inbox_app.models import tables as t

FREE_GRANT = 100


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
