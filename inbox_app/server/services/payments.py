"""Buying bundles of credits: by invoice (manual mode) or by the firm's saved card (Stripe).

The card itself is typed on Stripe's own page (Checkout in setup mode): our server creates the
page, then reads back which PaymentMethod it saved, and only ever holds Stripe's ids and what
Stripe says of the card (brand, last 4, expiry). Card numbers never reach this server.

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
from inbox_app.models.schemas import (
    CardIn,
    CardOut,
    CardSetupOut,
    CreditsOut,
    TopUpIn,
    TopUpOut,
)
from inbox_app.server.config import PaymentMode, Settings
from inbox_app.server.errors import Conflict, NotFound, PaymentFailed, PaymentUnavailable
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


class CardsNeedStripe(Conflict):
    code = "payment_mode_manual"


class CardSetupIncomplete(Conflict):
    code = "card_setup_incomplete"


# Where Stripe's page sends the browser once the card is saved (a plain page saying so).
SETUP_DONE_PATH = "/api/v1/credits/card/setup/done"


def _require_card(firm: t.Firm) -> None:
    if not (firm.stripe_customer_id and firm.stripe_payment_method_id):
        raise NoSavedCard(
            "No card is saved for the firm: an admin adds one in Firm settings, Credits "
            "(or PUT /api/v1/credits/card), then tops up again."
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

    def _call(self, what: str, call):
        """One Stripe call outside any transaction; its failures as our payment errors."""
        stripe = self._stripe
        try:
            return call()
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
            raise PaymentUnavailable(
                f"The card processor did not answer ({what}). Try again in a moment."
            ) from exc
        except stripe.StripeError as exc:
            reason = exc.user_message or str(exc) or type(exc).__name__
            raise PaymentFailed(f"The card processor refused ({what}): {reason}") from exc

    def create_customer(self, firm: t.Firm, idempotency_key: str) -> str:
        customer = self._call(
            "creating the firm's customer",
            lambda: self._client.v1.customers.create(
                params={"name": firm.name, "metadata": {"firm_id": str(firm.id)}},
                options={"idempotency_key": idempotency_key},
            ),
        )
        return customer.id

    def create_setup_page(self, firm: t.Firm, customer_id: str, done_url: str) -> CardSetupOut:
        page = self._call(
            "opening the card page",
            lambda: self._client.v1.checkout.sessions.create(
                params={
                    "mode": "setup",
                    "customer": customer_id,
                    "payment_method_types": ["card"],
                    "success_url": done_url,
                    "cancel_url": done_url + "?canceled=1",
                    "metadata": {"firm_id": str(firm.id)},
                }
            ),
        )
        return CardSetupOut(session_id=page.id, url=page.url)

    def setup_result(self, session_id: str) -> tuple[str | None, str | None, str | None]:
        """(firm id in its metadata, customer, saved PaymentMethod or None while unfinished)."""
        page = self._call(
            "reading the card page",
            lambda: self._client.v1.checkout.sessions.retrieve(session_id),
        )
        firm_id = page.metadata.to_dict().get("firm_id") if page.metadata else None
        if page.status != "complete" or not page.setup_intent:
            return firm_id, page.customer, None
        intent = page.setup_intent
        intent_id = intent if isinstance(intent, str) else intent.id
        intent = self._call(
            "reading the saved card",
            lambda: self._client.v1.setup_intents.retrieve(intent_id),
        )
        method = intent.payment_method
        return firm_id, page.customer, method if isinstance(method, str) else method.id

    def describe_card(self, payment_method_id: str) -> CardOut:
        method = self._call(
            "reading the saved card",
            lambda: self._client.v1.payment_methods.retrieve(payment_method_id),
        )
        card = method.card
        return CardOut(
            payment_mode="stripe",
            has_card=True,
            brand=card.brand if card else None,
            last4=card.last4 if card else None,
            exp_month=card.exp_month if card else None,
            exp_year=card.exp_year if card else None,
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
    """An admin buys `bundles`: by invoice (its reference optional), or on the saved card."""
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
    # The invoice number is optional: the ledger keeps it when the admin gives one.
    reference = (body.reference or "").strip() or None
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


def _card_gateway(session: Session) -> StripeGateway:
    gateway = gateway_for(session)
    if gateway.mode == "manual":
        raise CardsNeedStripe(
            "Payments are in manual mode: bundles are bought by invoice, and no card is kept."
        )
    return gateway


def card(session: Session, user: t.User) -> CardOut:
    """The saved card as Stripe describes it; manual mode keeps none."""
    gateway = gateway_for(session)
    if gateway.mode == "manual":
        return CardOut(payment_mode="manual", has_card=False)
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        method_id = firm.stripe_payment_method_id if firm.stripe_customer_id else None
    if method_id is None:
        return CardOut(payment_mode="stripe", has_card=False)
    return gateway.describe_card(method_id)


def start_card_setup(session: Session, user: t.User, public_url: str) -> CardSetupOut:
    """A Stripe page where an admin types the card; creates the firm's customer the first time."""
    gateway = _card_gateway(session)
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        customer_id = firm.stripe_customer_id
        session.expunge(firm)
    if customer_id is None:
        # Keyed by the firm: a retry (or two admins at once) gets the same customer back.
        key = f"customer-{firm.id}-{int(firm.created_at.timestamp())}"
        customer_id = gateway.create_customer(firm, key)
        with session.begin():
            session.execute(
                update(t.Firm)
                .where(t.Firm.id == firm.id, t.Firm.stripe_customer_id.is_(None))
                .values(stripe_customer_id=customer_id)
            )
            customer_id = session.get(t.Firm, firm.id).stripe_customer_id
    page = gateway.create_setup_page(firm, customer_id, public_url.rstrip("/") + SETUP_DONE_PATH)
    log.info("firm %s: card page %s opened by user %s", firm.id, page.session_id, user.id)
    return page


def finish_card_setup(session: Session, user: t.User, session_id: str) -> CardOut:
    """Save the card the admin typed on Stripe's page `session_id`; it pays top-ups from now on."""
    gateway = _card_gateway(session)
    firm_id, customer_id, method_id = gateway.setup_result(session_id)
    if firm_id != str(user.firm_id) or not customer_id:
        raise NotFound("No such card page for this firm.")
    if method_id is None:
        raise CardSetupIncomplete(
            "The card is not saved yet: finish the card page in the browser, then try again."
        )
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        firm.stripe_customer_id = customer_id
        firm.stripe_payment_method_id = method_id
    log.info("firm %s: card saved from page %s by user %s", user.firm_id, session_id, user.id)
    return gateway.describe_card(method_id)


def save_card(session: Session, user: t.User, body: CardIn) -> CreditsOut:
    """Remember the firm's Stripe customer and card, charged off-session for top-ups."""
    with session.begin():
        firm = session.get(t.Firm, user.firm_id)
        firm.stripe_customer_id = body.customer_id
        firm.stripe_payment_method_id = body.payment_method_id
        session.flush()
        return credits.summary_in(session, firm)
