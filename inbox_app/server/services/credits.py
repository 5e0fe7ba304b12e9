"""The prepaid counter: an append-only ledger and a balance that never goes below zero.

The balance row is debited by a conditional UPDATE (``balance >= 1``), so several senders and
several server processes can never take the last credit twice; the ledger row is written in the
same transaction, so the ledger's sum always equals the balance.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server.services import events


def balance(session: Session, firm_id: int) -> int:
    return (
        session.scalar(select(t.CreditBalance.balance).where(t.CreditBalance.firm_id == firm_id))
        or 0
    )


def _entry(
    session: Session,
    firm_id: int,
    kind: str,
    amount: int,
    balance_after: int,
    *,
    message_id: int | None = None,
    user_id: int | None = None,
    reference: str | None = None,
    note: str = "",
) -> t.CreditEntry:
    entry = t.CreditEntry(
        firm_id=firm_id,
        kind=kind,
        amount=amount,
        balance_after=balance_after,
        message_id=message_id,
        user_id=user_id,
        reference=reference,
        note=note,
    )
    session.add(entry)
    events.publish(session, firm_id, "credits.changed", {"balance": balance_after})
    return entry


def add_in(
    session: Session,
    firm_id: int,
    amount: int,
    kind: str = "purchase",
    *,
    user_id: int | None = None,
    reference: str | None = None,
    note: str = "",
) -> int:
    """Add `amount` credits inside the caller's transaction; returns the new balance."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    new_balance = session.scalar(
        update(t.CreditBalance)
        .where(t.CreditBalance.firm_id == firm_id)
        .values(balance=t.CreditBalance.balance + amount)
        .returning(t.CreditBalance.balance)
    )
    if new_balance is None:
        session.add(t.CreditBalance(firm_id=firm_id, balance=amount))
        new_balance = amount
    _entry(
        session, firm_id, kind, amount, new_balance, user_id=user_id, reference=reference, note=note
    )
    return new_balance


def try_debit_in(session: Session, message: t.Message, *, user_id: int | None = None) -> bool:
    """Take one credit for `message` if one is left; False (and nothing written) otherwise."""
    if message.is_debited:
        return True
    new_balance = session.scalar(
        update(t.CreditBalance)
        .where(t.CreditBalance.firm_id == message.firm_id, t.CreditBalance.balance >= 1)
        .values(balance=t.CreditBalance.balance - 1)
        .returning(t.CreditBalance.balance)
    )
    if new_balance is None:
        return False
    message.is_debited = True
    _entry(
        session, message.firm_id, "debit", -1, new_balance, message_id=message.id, user_id=user_id
    )
    return True


def refund_in(session: Session, message: t.Message, note: str = "") -> None:
    """Give back the credit of a message the carrier refused at hand-off."""
    if not message.is_debited:
        return
    message.is_debited = False
    new_balance = session.scalar(
        update(t.CreditBalance)
        .where(t.CreditBalance.firm_id == message.firm_id)
        .values(balance=t.CreditBalance.balance + 1)
        .returning(t.CreditBalance.balance)
    )
    _entry(session, message.firm_id, "refund", 1, new_balance, message_id=message.id, note=note)


def ensure_credit_in(
    session: Session, firm: t.Firm, message: t.Message, *, user_id: int | None = None
) -> bool:
    """Debit one credit for `message`, buying a bundle first when the firm has auto top-up on.

    False means no credit could be had: the caller keeps the message `held`.
    """
    return try_debit_in(session, message, user_id=user_id)
