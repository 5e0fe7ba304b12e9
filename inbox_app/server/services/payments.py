"""Buying bundles of credits: by invoice (manual mode) or by the firm's saved card (Stripe).

A card charge is an HTTP call that cannot be rolled back, so each attempt is a `TopUp` row whose
idempotency key is also Stripe's `Idempotency-Key`: sending the same key again never charges
twice, it returns the first answer. Credits are added only by the one transaction that moves the
row from `pending` to `succeeded` (a conditional update), so a retried request never counts twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import CardIn, CreditsOut, TopUpIn, TopUpOut
from inbox_app.server.config import PaymentMode, Settings
from inbox_app.server.errors import Conflict, Invalid, PaymentFailed, PaymentUnavailable
from inbox_app.server.services import credits, events

log = logging.getLogger("inbox.payments")

# Stripe calls block a sender (and, for auto top-up, the firm's balance row): keep them short.
STRIPE_TIMEOUT_SECONDS = 20.0
STRIPE_MAX_NETWORK_RETRIES = 1
# After a declined automatic top-up, sends wait this long before the card is tried again, so a
# dead card is not charged (and admins not alerted) once per message.
AUTO_RETRY_AFTER = timedelta(minutes=10)
INVOICE_PENDING = "to be invoiced"


class NoSavedCard(Conflict):
    code = "no_saved_card"


def _require_card(firm: t.Firm) -> None:
    if not (firm.stripe_customer_id and firm.stripe_payment_method_id):
        raise NoSavedCard(
            "No card is saved for the firm: an admin saves one under Credits "
            "(PUT /api/v1/credits/card), then tops up again."
        )


class Gateway(Protocol):
    mode: str

    def charge(self, firm: t.Firm, amount_cents: int, idempotency_key: str, what: str) -> str:
        """Take the money; returns the payment reference or raises PaymentFailed/Unavailable."""
        ...


class InvoiceGateway:
    """Manual mode: nothing is charged here; the firm is invoiced and an admin records it."""

    mode = "manual"

    def charge(self, firm: t.Firm, amount_cents: int, idempotency_key: str, what: str) -> str:
        # Only automatic top-ups get here: the bundle is added now and billed on the invoice,
        # as the products we replace do ("we add messages and bill you $20 per 1,000").
        return INVOICE_PENDING


class StripeGateway:
    """Stripe mode: an off-session PaymentIntent on the firm's saved card."""

    mode = "stripe"

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        timeout: float | None = None,
        max_network_retries: int | None = None,
    ) -> None:
        import stripe

        self._stripe = stripe
        # A client object, not stripe.api_key/api_base globals: two servers in one process
        # (tests, or a demo beside a real one) each keep their own key and address.
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=(
                STRIPE_MAX_NETWORK_RETRIES if max_network_retries is None else max_network_retries
            ),
            http_client=stripe.RequestsClient(
                timeout=STRIPE_TIMEOUT_SECONDS if timeout is None else timeout
            ),
        )

    def charge(self, firm: t.Firm, amount_cents: int, idempotency_key: str, what: str) -> str:
        if amount_cents == 0:
            return "no charge"  # A free bundle (price 0): Stripe refuses zero amounts.
        _require_card(firm)
        stripe = self._stripe
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": amount_cents,
                    "currency": "usd",
                    "customer": firm.stripe_customer_id,
                    "payment_method": firm.stripe_payment_method_id,
                    "off_session": True,
                    "confirm": True,
                    "description": what,
                    "metadata": {"firm_id": str(firm.id), "top_up": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            error = exc.error
            reason = exc.user_message or getattr(error, "message", None) or "declined"
            code = getattr(error, "decline_code", None) or exc.code or "card_declined"
            raise PaymentFailed(
                f"The card was declined: {reason} No credits were added.", decline_code=code
            ) from exc
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
            # We cannot know whether Stripe charged: the top-up stays pending and a retry
            # with the same key returns what really happened, without a second charge.
            raise PaymentUnavailable(
                "The card processor did not answer in time, so no credits were added. "
                "Try again: a retry of this top-up never charges twice."
            ) from exc
        except stripe.StripeError as exc:
            reason = exc.user_message or str(exc) or type(exc).__name__
            raise PaymentFailed(f"The card payment failed: {reason}") from exc
        if intent.status != "succeeded":
            raise PaymentFailed(
                f"The card payment did not complete (Stripe status {intent.status}); "
                "the card may need the cardholder's approval. No credits were added."
            )
        return intent.id


def make_gateway(settings: Settings) -> Gateway:
    if settings.payment_mode is PaymentMode.STRIPE:
        key = settings.stripe_api_key.get_secret_value() if settings.stripe_api_key else ""
        return StripeGateway(key, settings.stripe_api_base)
    return InvoiceGateway()


_gateways: WeakKeyDictionary[Engine, Gateway] = WeakKeyDictionary()


def install(engine: Engine, settings: Settings) -> Gateway:
    """Choose the payment gateway of the app whose database is `engine` (called at start-up)."""
    gateway = make_gateway(settings)
    _gateways[engine] = gateway
    return gateway


def gateway_for(session: Session) -> Gateway:
    """The gateway of the server this session belongs to (the dispatcher has no settings)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    gateway = _gateways.get(engine)
    if gateway is None:
        from inbox_app.server.config import get_settings

        gateway = install(engine, get_settings())
    return gateway


# --- admin top-ups (the service owns its transactions) ------------------------------------------


def _stored_key(firm_id: int, client_key: str | None) -> str:
    if client_key is None:
        return f"topup-{uuid.uuid4().hex}"
    # Scoped to the firm so two firms' clients can never collide on a key.
    return "topup-" + hashlib.sha256(f"{firm_id}:{client_key}".encode()).hexdigest()[:48]


def _find(session: Session, key: str) -> t.TopUp | None:
    return session.scalar(select(t.TopUp).where(t.TopUp.idempotency_key == key))


def _out(session: Session, top_up: t.TopUp) -> TopUpOut:
    return TopUpOut(
        id=top_up.id,
        bundles=top_up.bundles,
        credits=top_up.credits,
        amount_cents=top_up.amount_cents,
        status=top_up.status,
        reference=top_up.reference,
        error=top_up.error,
        balance=credits.balance(session, top_up.firm_id),
    )


def _replay(session: Session, top_up: t.TopUp) -> TopUpOut:
    """The first answer to a top-up asked for again with the same idempotency key."""
    if top_up.status == "failed":
        raise PaymentFailed(top_up.error or "The payment failed.", top_up_id=top_up.id)
    return _out(session, top_up)


def _note(top_up: t.TopUp, how: str) -> str:
    plural = "bundle" if top_up.bundles == 1 else "bundles"
    return f"{top_up.bundles} {plural} of messages ({top_up.credits:,} credits) {how}"


def top_up(session: Session, user: t.User, body: TopUpIn) -> TopUpOut:
    """An admin buys `bundles`: by invoice with its reference, or on the saved card."""
    gateway = gateway_for(session)
    key = _stored_key(user.firm_id, body.idempotency_key)
    if gateway.mode == "manual":
        return _record_invoice(session, user, body, key)
    return _charge_card(session, gateway, user, body, key)


def _new_top_up(firm: t.Firm, user: t.User, bundles: int, key: str, **values) -> t.TopUp:
    return t.TopUp(
        firm_id=firm.id,
        bundles=bundles,
        credits=bundles * firm.bundle_size,
        amount_cents=bundles * firm.bundle_price_cents,
        idempotency_key=key,
        user_id=user.id,
        **values,
    )


def _record_invoice(session: Session, user: t.User, body: TopUpIn, key: str) -> TopUpOut:
    reference = (body.reference or "").strip()
    if not reference:
        raise Invalid(
            "Enter the invoice reference of this purchase: bundles are bought by invoice "
            "(payment mode manual), and the ledger keeps the reference."
        )
    try:
        with session.begin():
            existing = _find(session, key)
            if existing is not None:
                return _replay(session, existing)
            firm = session.get(t.Firm, user.firm_id)
            top_up = _new_top_up(
                firm, user, body.bundles, key, status="succeeded", reference=reference
            )
            session.add(top_up)
            session.flush()
            credits.add_in(
                session,
                firm.id,
                top_up.credits,
                "purchase",
                user_id=user.id,
                reference=reference,
                note=_note(top_up, "bought by invoice"),
            )
            credits.release_held_in(session, firm.id)
            return _out(session, top_up)
    except IntegrityError:
        # The same key arrived twice at once; the other request recorded it.
        with session.begin():
            existing = _find(session, key)
            if existing is None:
                raise
            return _replay(session, existing)


def _charge_card(
    session: Session, gateway: Gateway, user: t.User, body: TopUpIn, key: str
) -> TopUpOut:
    # 1. Commit a pending row first, so the key the charge uses survives a crash mid-charge.
    try:
        with session.begin():
            top_up = _find(session, key)
            if top_up is not None and top_up.status != "pending":
                return _replay(session, top_up)
            firm = session.get(t.Firm, user.firm_id)
            if top_up is None:
                _require_card(firm)
                top_up = _new_top_up(firm, user, body.bundles, key, status="pending")
                session.add(top_up)
                session.flush()
    except IntegrityError:
        with session.begin():
            top_up = _find(session, key)
            if top_up is None:
                raise
            if top_up.status != "pending":
                return _replay(session, top_up)
            firm = session.get(t.Firm, user.firm_id)
    # 2. Charge with no transaction open: a slow card processor holds no database lock.
    what = f"Inbox messages: {_note(top_up, 'by card')}"
    try:
        reference = gateway.charge(firm, top_up.amount_cents, key, what)
    except PaymentFailed as exc:
        _finish(session, top_up.id, "failed", error=exc.message)
        exc.detail["top_up_id"] = top_up.id
        raise
    except PaymentUnavailable as exc:
        _finish(session, top_up.id, "pending", error=exc.message)
        exc.detail["top_up_id"] = top_up.id
        raise
    # 3. Record the payment; only the request that moves the row out of pending adds credits.
    return _finish(session, top_up.id, "succeeded", reference=reference, note=body.reference)


def _finish(
    session: Session,
    top_up_id: int,
    status: str,
    *,
    reference: str | None = None,
    error: str | None = None,
    note: str | None = None,
) -> TopUpOut:
    with session.begin():
        moved = session.execute(
            update(t.TopUp)
            .where(t.TopUp.id == top_up_id, t.TopUp.status == "pending")
            .values(status=status, reference=reference, error=error)
        ).rowcount
        top_up = session.get(t.TopUp, top_up_id)
        session.refresh(top_up)
        if moved and status == "succeeded":
            how = "bought by card" + (f" ({note.strip()})" if note and note.strip() else "")
            credits.add_in(
                session,
                top_up.firm_id,
                top_up.credits,
                "purchase",
                user_id=top_up.user_id,
                reference=reference,
                note=_note(top_up, how),
            )
            credits.release_held_in(session, top_up.firm_id)
        elif moved and error:
            _announce_failure_in(session, top_up)
        return _out(session, top_up)


def _announce_failure_in(session: Session, top_up: t.TopUp) -> None:
    events.publish(
        session,
        top_up.firm_id,
        "credits.top_up_failed",
        {
            "top_up_id": top_up.id,
            "is_automatic": top_up.is_automatic,
            "status": top_up.status,
            "error": top_up.error,
            "held_count": credits.held_count(session, top_up.firm_id),
        },
    )


# --- automatic top-up (inside the sender's transaction) -----------------------------------------


def auto_top_up_in(session: Session, firm: t.Firm, *, user_id: int | None = None) -> bool:
    """Buy one bundle for a firm that ran out, inside the caller's transaction.

    Called by `credits.ensure_credit_in`; False when the payment failed (the `TopUp` row says
    why, and admins hear of it) or a recent automatic attempt was declined.

    Why the charge happens inside the caller's transaction: the sender must either get its
    credit or be held in one step, and on SQLite the open write transaction forbids committing a
    pending row first. The firm's balance row is locked while we charge, so senders in every
    process wait here and then find the bundle bought instead of buying another (on SQLite
    the write lock already serialises them). The charge is bounded by the Stripe timeout. If
    the caller's transaction is lost after Stripe charged, the key repeats: it is derived from
    the committed count of the firm's automatic top-ups, so the next attempt sends the same key,
    Stripe answers with the same PaymentIntent, and the credits are recorded once.
    """
    current = session.scalar(
        select(t.CreditBalance.balance).where(t.CreditBalance.firm_id == firm.id).with_for_update()
    )
    if current:
        return True  # Another sender bought a bundle while we waited for the lock.
    latest = session.scalars(
        select(t.TopUp)
        .where(t.TopUp.firm_id == firm.id, t.TopUp.is_automatic.is_(True))
        .order_by(t.TopUp.id.desc())
        .limit(1)
    ).first()
    if (
        latest is not None
        and latest.status == "failed"
        and latest.created_at > datetime.now(UTC) - AUTO_RETRY_AFTER
    ):
        return False
    if latest is not None and latest.status == "pending":
        # The processor did not answer last time: ask again with the same key.
        top_up = latest
    else:
        count = session.scalar(
            select(func.count())
            .select_from(t.TopUp)
            .where(t.TopUp.firm_id == firm.id, t.TopUp.is_automatic.is_(True))
        )
        started = int(firm.created_at.timestamp())
        top_up = t.TopUp(
            firm_id=firm.id,
            bundles=1,
            credits=firm.bundle_size,
            amount_cents=firm.bundle_price_cents,
            status="pending",
            is_automatic=True,
            idempotency_key=f"auto-{firm.id}-{started}-{count + 1}",
            user_id=user_id,
        )
        session.add(top_up)
        session.flush()
    gateway = gateway_for(session)
    what = f"Inbox messages: automatic top-up ({top_up.credits:,} credits)"
    try:
        reference = gateway.charge(firm, top_up.amount_cents, top_up.idempotency_key, what)
    except (PaymentFailed, PaymentUnavailable, NoSavedCard) as exc:
        if not isinstance(exc, PaymentUnavailable):
            top_up.status = "failed"
        top_up.error = exc.message
        session.flush()
        log.warning("automatic top-up of firm %s failed: %s", firm.id, exc.message)
        _announce_failure_in(session, top_up)
        return False
    top_up.status = "succeeded"
    top_up.reference = reference
    top_up.error = None
    how = "charged to the saved card" if gateway.mode == "stripe" else "to be invoiced"
    credits.add_in(
        session,
        firm.id,
        top_up.credits,
        "purchase",
        user_id=user_id,
        reference=reference,
        note=f"Auto top-up: {_note(top_up, how)}",
    )
    return True


# --- the saved card -----------------------------------------------------------------------------


def save_card(session: Session, user: t.User, body: CardIn) -> CreditsOut:
    """Remember the firm's Stripe customer and card, charged off-session for top-ups."""
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        firm.stripe_customer_id = body.customer_id
        firm.stripe_payment_method_id = body.payment_method_id
        session.flush()
        return credits.summary_in(session, firm)
