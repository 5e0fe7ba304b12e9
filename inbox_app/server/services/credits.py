"""The prepaid counter: an append-only ledger and a balance that never goes below zero.

The balance row is debited by a conditional UPDATE (``balance >= 1``), so several senders and
several server processes can never take the last credit twice; the ledger row is written in the
same transaction, so the ledger's sum always equals the balance.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from inbox_app.models import tables as t
from inbox_app.models.schemas import CreditSettingsIn, CreditsOut, LedgerEntryOut
from inbox_app.server.services import events, views

LEDGER_PAGE_MAX = 500


def balance(session: Session, firm_id: int) -> int:
    return (
        session.scalar(select(t.CreditBalance.balance).where(t.CreditBalance.firm_id == firm_id))
        or 0
    )


def ledger_sum(session: Session, firm_id: int) -> int:
    """The sum of every ledger entry of the firm: always equal to `balance`."""
    return (
        session.scalar(
            select(func.coalesce(func.sum(t.CreditEntry.amount), 0)).where(
                t.CreditEntry.firm_id == firm_id
            )
        )
        or 0
    )


def held_count(session: Session, firm_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(t.Message)
            .where(t.Message.firm_id == firm_id, t.Message.status == "held")
        )
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
    _warn_if_low_in(session, message.firm_id, new_balance)
    return True


def try_debit_many_in(session: Session, firm_id: int, batch: list[t.Message]) -> bool:
    """Take one credit for each message of `batch` (one firm) in one conditional UPDATE: all or
    nothing, so a batch never takes part of the last credits (the caller falls back to one at a
    time, in order). Each message still gets its own ledger entry."""
    todo = [m for m in batch if not m.is_debited]
    if not todo:
        return True
    count = len(todo)
    new_balance = session.scalar(
        update(t.CreditBalance)
        .where(t.CreditBalance.firm_id == firm_id, t.CreditBalance.balance >= count)
        .values(balance=t.CreditBalance.balance - count)
        .returning(t.CreditBalance.balance)
    )
    if new_balance is None:
        return False
    after = new_balance + count
    entries = []
    session.execute(
        update(t.Message)
        .where(t.Message.id.in_([m.id for m in todo]))
        .values(is_debited=True)
        .execution_options(synchronize_session=False)
    )
    for message in todo:
        after -= 1
        set_committed_value(message, "is_debited", True)
        entries.append(
            {
                "firm_id": firm_id,
                "kind": "debit",
                "amount": -1,
                "balance_after": after,
                "message_id": message.id,
                "user_id": None,
                "note": "",
                "created_at": t.utcnow(),
            }
        )
    # One statement for the batch, in order (the ledger pages by id).
    # RETURNING makes SQLAlchemy batch the rows into one multi-row INSERT ("insertmanyvalues").
    table = t.CreditEntry.__table__
    session.execute(insert(table).returning(table.c.id), entries)
    events.publish(session, firm_id, "credits.changed", {"balance": new_balance})
    threshold = session.scalar(select(t.Firm.low_balance_threshold).where(t.Firm.id == firm_id))
    if threshold is not None and new_balance <= threshold < new_balance + count:
        events.publish(
            session, firm_id, "credits.low", {"balance": new_balance, "threshold": threshold}
        )
    return True


def _warn_if_low_in(session: Session, firm_id: int, new_balance: int) -> None:
    # Debits take one credit at a time, so landing exactly on the threshold is the crossing:
    # one warning per way down, again after a top-up lifts the balance above it.
    threshold = session.scalar(select(t.Firm.low_balance_threshold).where(t.Firm.id == firm_id))
    if threshold is not None and new_balance == threshold:
        events.publish(
            session, firm_id, "credits.low", {"balance": new_balance, "threshold": threshold}
        )


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
    session: Session, firm: t.Firm, message: t.Message, user_id: int | None = None
) -> bool:
    """Debit one credit for `message`, buying a bundle first when the firm has auto top-up on.

    False means no credit could be had: the caller keeps the message `held` (see `held_reason`).
    The card may be charged inside the caller's transaction: see `payments.auto_top_up_in`.
    """
    if try_debit_in(session, message, user_id=user_id):
        return True
    if not firm.auto_top_up:
        return False
    from inbox_app.server.services import payments

    if not payments.auto_top_up_in(session, firm, user_id=user_id):
        return False
    if not try_debit_in(session, message, user_id=user_id):
        return False
    # The bundle also covers messages that were held before auto top-up could help.
    release_held_in(session, firm.id, exclude_id=message.id)
    return True


def held_reason(session: Session, firm: t.Firm) -> str:
    """The sentence a held message shows: why it waits and what gets it going."""
    failed = _latest_top_up_error(session, firm.id)
    if firm.auto_top_up and failed:
        return f"Out of credits: the automatic top-up failed ({failed}). An admin can top up."
    return "Out of credits: it goes out as soon as an admin tops up."


def release_held_in(session: Session, firm_id: int, *, exclude_id: int | None = None) -> int:
    """After credits arrive, held messages go back to the queue oldest first, one credit each."""
    query = (
        select(t.Message)
        .where(t.Message.firm_id == firm_id, t.Message.status == "held")
        .order_by(t.Message.created_at, t.Message.id)
        # Another process may be holding a row (e.g. cancelling it); it is not ours to wait for.
        .with_for_update(skip_locked=True)
    )
    if exclude_id is not None:
        query = query.where(t.Message.id != exclude_id)
    now = datetime.now(UTC)
    released = 0
    for message in session.scalars(query).all():
        if not try_debit_in(session, message, user_id=message.sent_by_id):
            break
        # A held reminder that is not yet due waits for its time, as it did before.
        message.status = "scheduled" if message.send_at and message.send_at > now else "queued"
        message.held_reason = None
        views.publish_message(session, message, "message.updated")
        released += 1
    return released


def _latest_top_up_error(session: Session, firm_id: int) -> str | None:
    latest = session.scalars(
        select(t.TopUp).where(t.TopUp.firm_id == firm_id).order_by(t.TopUp.id.desc()).limit(1)
    ).first()
    if latest is None or latest.status == "succeeded":
        return None
    return latest.error


def summary_in(session: Session, firm: t.Firm) -> CreditsOut:
    from inbox_app.server.services import payments

    return CreditsOut(
        balance=balance(session, firm.id),
        auto_top_up=firm.auto_top_up,
        bundle_size=firm.bundle_size,
        bundle_price_cents=firm.bundle_price_cents,
        low_balance_threshold=firm.low_balance_threshold,
        held_count=held_count(session, firm.id),
        payment_mode=payments.gateway_for(session).mode,
        has_saved_card=bool(firm.stripe_customer_id and firm.stripe_payment_method_id),
        last_top_up_error=_latest_top_up_error(session, firm.id),
    )


def summary(session: Session, user: t.User) -> CreditsOut:
    """The firm's counter as every user sees it."""
    with session.begin():
        return summary_in(session, session.get(t.Firm, user.firm_id))


def ledger_query(firm_id: int):
    """Ledger entries with who caused each (the user) and what for (the text's conversation,
    its client and matter); oldest first unless reordered."""
    matter_id = func.coalesce(t.Message.matter_id, t.Conversation.matter_id)
    return (
        select(
            t.CreditEntry,
            t.User.display_name,
            t.User.username,
            t.Message.conversation_id,
            t.Conversation.phone,
            t.Client.first_name,
            t.Client.last_name,
            t.Matter.name,
            t.Matter.case_number,
        )
        .outerjoin(t.Message, t.Message.id == t.CreditEntry.message_id)
        # A debit names the user who sent the text (none for reminders).
        .outerjoin(t.User, t.User.id == func.coalesce(t.CreditEntry.user_id, t.Message.sent_by_id))
        .outerjoin(t.Conversation, t.Conversation.id == t.Message.conversation_id)
        .outerjoin(t.Client, t.Client.id == t.Conversation.client_id)
        .outerjoin(t.Matter, t.Matter.id == matter_id)
        .where(t.CreditEntry.firm_id == firm_id)
    )


def ledger_entry(row) -> LedgerEntryOut:
    """One row of `ledger_query` as the API gives it."""
    entry, display, username, conversation_id, phone, first, last, matter, case_number = row
    client = " ".join(part for part in (first, last) if part) or None
    matter_label = f"{matter} ({case_number})" if matter and case_number else matter
    return LedgerEntryOut(
        id=entry.id,
        kind=entry.kind,
        amount=entry.amount,
        balance_after=entry.balance_after,
        message_id=entry.message_id,
        user_id=entry.user_id,
        reference=entry.reference,
        note=entry.note,
        created_at=entry.created_at,
        user_name=(display or username) if username else None,
        conversation_id=conversation_id,
        phone=phone,
        client_name=client,
        matter_name=matter_label,
    )


def ledger(
    session: Session, user: t.User, *, limit: int = 100, before: int | None = None
) -> list[LedgerEntryOut]:
    """Ledger entries newest first; `before` is the id of the last entry of the previous page."""
    limit = max(1, min(limit, LEDGER_PAGE_MAX))
    query = ledger_query(user.firm_id)
    if before is not None:
        query = query.where(t.CreditEntry.id < before)
    with session.begin():
        rows = session.execute(query.order_by(t.CreditEntry.id.desc()).limit(limit)).all()
        return [ledger_entry(row) for row in rows]


def update_settings(session: Session, user: t.User, body: CreditSettingsIn) -> CreditsOut:
    """Auto top-up on or off, and the bundle and warning sizes (unset fields stay as they are)."""
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        firm.auto_top_up = body.auto_top_up
        for name in ("bundle_size", "bundle_price_cents", "low_balance_threshold"):
            value = getattr(body, name)
            if value is not None:
                setattr(firm, name, value)
        session.flush()
        return summary_in(session, firm)
