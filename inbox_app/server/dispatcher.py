"""The dispatcher: claims due outbound messages and hands them to the carrier, once each.

One asyncio loop per server process; the database and HTTP work runs in a thread. A claim is a
lease (`claimed_by`, `claimed_until`) taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL and
inside `BEGIN IMMEDIATE` on SQLite, so several processes never take the same message. A lease
whose process died is reclaimed when it expires; a message that already has a carrier sid is
never sent again. The loop wakes on every commit that published events (a send-now message
reaches the carrier at once) and polls every `dispatcher_interval` for scheduled ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from inbox_app.domain import status as statuses
from inbox_app.models import tables as t
from inbox_app.server.carrier.base import Carrier, Receipt
from inbox_app.server.config import SendMode
from inbox_app.server.errors import CarrierError
from inbox_app.server.services import blocks, consent, credits, events, inbound, messages, views

log = logging.getLogger("inbox.dispatcher")

BATCH = 20
MAX_ATTEMPTS = 5
# Retry waits RETRY_BASE_SECONDS * 2^(attempt-1), at most RETRY_MAX_SECONDS.
RETRY_BASE_SECONDS = 2.0
RETRY_MAX_SECONDS = 300.0
# Quiet hours move a message only when the next allowed minute is further away than this.
QUIET_SLACK = timedelta(seconds=60)
SIMULATED_FROM = "+15005550006"


class Dispatcher:
    """Claims and sends due messages for one server process (see the module docstring)."""

    def __init__(self, app_state) -> None:
        self.settings = app_state.settings
        self.sessionmaker = app_state.sessionmaker
        self.process_id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._carriers: dict[str, Carrier] = {}
        self._carrier_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self.stopping = False

    # --- carriers -----------------------------------------------------------------------------

    def mode_for(self, firm: t.Firm, message: t.Message) -> str:
        """Simulated messages stay simulated; otherwise the firm's mode, else the server's."""
        if message.simulated:
            return SendMode.SIMULATE.value
        return firm.send_mode or self.settings.send_mode.value

    def carrier(self, mode: str) -> Carrier:
        with self._carrier_lock:
            carrier = self._carriers.get(mode)
            if carrier is None:
                carrier = self._carriers[mode] = self._make_carrier(mode)
            return carrier

    def _make_carrier(self, mode: str) -> Carrier:
        settings = self.settings
        if mode == SendMode.LIVE.value:
            if not (settings.twilio_account_sid and settings.twilio_auth_token):
                raise CarrierError(
                    "Live sending is not set up on this server: INBOX_TWILIO_ACCOUNT_SID and "
                    "INBOX_TWILIO_AUTH_TOKEN are needed.",
                    carrier_code="not_configured",
                )
            from inbox_app.server.carrier.live import LiveCarrier

            return LiveCarrier(
                settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base
            )
        from inbox_app.server.carrier.simulate import SimulateCarrier

        return SimulateCarrier(
            inbound.status_sink(self.sessionmaker),
            delay=settings.simulate_status_delay,
            failure_rate=settings.simulate_failure_rate,
        )

    def close(self) -> None:
        self.stopping = True
        with self._carrier_lock:
            for carrier in self._carriers.values():
                try:
                    carrier.close()
                except Exception:
                    log.exception("closing the %s carrier failed", carrier.name)
            self._carriers.clear()

    # --- one pass -----------------------------------------------------------------------------

    def dispatch_once(self) -> int:
        """Claim what is due and send it; returns how many messages were acted on."""
        with self._run_lock:
            with self.sessionmaker() as session:
                acted, to_send = self._claim(session)
            for message_id in to_send:
                if self.stopping:
                    # The lease runs out and another process (or the next start) sends it.
                    break
                self._send_one(message_id)
            return acted

    def _claim(self, session: Session) -> tuple[int, list[int]]:
        now = t.utcnow()
        m = t.Message
        due = or_(
            m.status == "queued",
            and_(m.status == "scheduled", m.send_at <= now),
            # A lease that ran out: its process died mid-send.
            and_(m.status == "sending", m.claimed_until < now),
        )
        stmt = (
            select(m)
            .where(
                m.direction == "outbound",
                due,
                or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now),
            )
            .order_by(m.id)
            .limit(BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        to_send: list[int] = []
        with session.begin():
            rows = list(session.scalars(stmt))
            for message in rows:
                try:
                    with session.begin_nested():
                        if self._settle_in(session, message, now):
                            to_send.append(message.id)
                except Exception:
                    # One bad message must not hold up the others; look at it again later.
                    log.exception("message %s could not be claimed", message.id)
                    session.refresh(message)
                    message.next_attempt_at = now + timedelta(seconds=RETRY_MAX_SECONDS / 5)
        return len(rows), to_send

    def _settle_in(self, session: Session, message: t.Message, now) -> bool:
        """Decide one due message at claim time; True when it is now leased to this process."""
        if message.status == "sending" and message.carrier_sid:
            # The carrier has it already: sending again would text the client twice.
            log.warning("lease of message %s expired after hand-off; not resent", message.id)
            message.claimed_by = None
            message.claimed_until = None
            return False
        firm = session.get(t.Firm, message.firm_id)
        reason = _cancel_reason(session, message)
        if reason:
            message.status = "canceled"
            message.error_text = reason
            message.claimed_by = message.claimed_until = None
            credits.refund_in(session, message, note=f"Not sent: {reason}")
            views.publish_message(session, message)
            return False
        if message.respects_quiet_hours:
            allowed = messages.quiet_adjusted(firm, message.to_number, now)
            if allowed - now > QUIET_SLACK:
                message.status = "scheduled"
                message.send_at = allowed
                message.claimed_by = message.claimed_until = None
                views.publish_message(session, message)
                return False
        if not message.is_debited and not credits.ensure_credit_in(session, firm, message):
            message.status = "held"
            message.held_reason = credits.held_reason(session, firm)
            message.claimed_by = message.claimed_until = None
            views.publish_message(session, message)
            return False
        message.status = "sending"
        message.claimed_by = self.process_id
        message.claimed_until = now + timedelta(seconds=self.settings.lease_seconds)
        message.attempts = (message.attempts or 0) + 1
        message.held_reason = None
        views.publish_message(session, message)
        return True

    def _send_one(self, message_id: int) -> None:
        with self.sessionmaker() as session, session.begin():
            message = session.get(t.Message, message_id)
            if message is None or message.claimed_by != self.process_id:
                # Deleted (blocked) or reclaimed by another process meanwhile.
                return
            firm = session.get(t.Firm, message.firm_id)
            mode = self.mode_for(firm, message)
            to, body = message.to_number, message.body
            from_ = message.from_number or messages.sender_number(firm, self.settings)
            if not from_ and mode == SendMode.SIMULATE.value:
                # Nothing leaves the machine, so any number will do; Twilio's own test sender.
                from_ = SIMULATED_FROM
            media_urls = self._media_urls(message)
        status_callback = (
            self.settings.public_url + inbound.STATUS_PATH if mode == SendMode.LIVE.value else None
        )
        try:
            if not from_:
                raise CarrierError(
                    "No number to send from: set the firm's number or INBOX_TWILIO_FROM.",
                    carrier_code="no_from_number",
                )
            carrier = self.carrier(mode)
            self._throttle(from_)
            receipt = carrier.send(to, from_, body, media_urls, status_callback)
        except CarrierError as exc:
            self._record_failure(message_id, exc)
            return
        except Exception as exc:
            log.exception("sending message %s failed unexpectedly", message_id)
            self._record_failure(message_id, CarrierError(f"Sending failed: {exc}", retryable=True))
            return
        self._record_receipt(message_id, receipt, mode, from_)

    def _media_urls(self, message: t.Message) -> list[str]:
        stored = [m for m in message.media if m.status == "stored"]
        if not stored:
            return []
        from inbox_app.server.services import media

        return [media.public_url(self.settings, m) for m in stored]

    def _throttle(self, from_: str) -> None:
        """Space sends from one number to INBOX_SEND_RATE_PER_SECOND (0: no limit)."""
        rate = self.settings.send_rate_per_second
        if rate <= 0:
            return
        gap = 1.0 / rate
        now = time.monotonic()
        slot = max(now, self._next_slot.get(from_, 0.0))
        self._next_slot[from_] = slot + gap
        if slot > now:
            time.sleep(slot - now)

    def _record_receipt(self, message_id: int, receipt: Receipt, mode: str, from_: str) -> None:
        with self.sessionmaker() as session, session.begin():
            message = session.scalar(
                select(t.Message).where(t.Message.id == message_id).with_for_update()
            )
            if message is None:
                log.warning("message %s was deleted while it was being sent", message_id)
                return
            message.carrier_sid = receipt.sid
            message.simulated = mode == SendMode.SIMULATE.value
            message.from_number = from_
            message.sent_at = message.sent_at or t.utcnow()
            message.claimed_by = message.claimed_until = None
            message.next_attempt_at = None
            message.error_code = message.error_text = None
            try:
                reported = statuses.from_carrier(receipt.status)
                message.status = str(statuses.advance(message.status, reported))
            except statuses.UnknownCarrierStatus:
                pass
            views.publish_message(session, message)

    def _record_failure(self, message_id: int, exc: CarrierError) -> None:
        with self.sessionmaker() as session, session.begin():
            message = session.scalar(
                select(t.Message).where(t.Message.id == message_id).with_for_update()
            )
            if message is None:
                return
            message.claimed_by = message.claimed_until = None
            message.error_code = (exc.carrier_code or "")[:16] or None
            message.error_text = exc.message
            if exc.retryable and (message.attempts or 0) < MAX_ATTEMPTS:
                wait = min(
                    RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** ((message.attempts or 1) - 1)
                )
                message.status = "queued"
                message.next_attempt_at = t.utcnow() + timedelta(seconds=wait)
                log.info("message %s: %s; retrying in %.1f s", message_id, exc.message, wait)
            else:
                message.status = "failed"
                message.next_attempt_at = None
                credits.refund_in(session, message, note=f"Refused by the carrier: {exc.message}")
                log.warning("message %s failed: %s (%s)", message_id, exc.message, exc.carrier_code)
            views.publish_message(session, message)

    # --- the loop -----------------------------------------------------------------------------

    def wake(self) -> None:
        """Run a pass now (safe from any thread, e.g. right after a commit)."""
        loop, event = self._loop, self._wake_event
        if loop is None or event is None:
            return
        # A closed loop means the server is stopping; nothing to wake.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake_event = asyncio.Event()
        events.on_commit(self.wake)
        try:
            while not self.stopping:
                self._wake_event.clear()
                try:
                    acted = await asyncio.to_thread(self.dispatch_once)
                except Exception:
                    log.exception("dispatcher pass failed; trying again shortly")
                    acted = 0
                if acted:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake_event.wait(), timeout=self.settings.dispatcher_interval
                    )
        finally:
            events.remove_listener(self.wake)


def _cancel_reason(session: Session, message: t.Message) -> str | None:
    """Why a due message must not go out any more (checked again right before sending)."""
    if consent.is_opted_out(session, message.firm_id, message.to_number):
        return "Recipient opted out"
    if blocks.is_blocked(session, message.firm_id, message.to_number):
        return "The number was blocked"
    if message.contact_id is not None:
        contact = session.get(t.Contact, message.contact_id)
        if contact is not None and contact.trashed_at is not None:
            return "The contact is in the trash"
        if contact is not None and contact.archived:
            return "The contact is archived"
    return None


def dispatcher_for(app_state) -> Dispatcher:
    """The process's dispatcher (created on first use, also when the loop is not running)."""
    dispatcher = getattr(app_state, "dispatcher", None)
    if dispatcher is None:
        dispatcher = app_state.dispatcher = Dispatcher(app_state)
    return dispatcher


def dispatch_once(app_state) -> int:
    """One claim-and-send pass, for tests and benchmarks; returns messages acted on."""
    return dispatcher_for(app_state).dispatch_once()


def start(app) -> asyncio.Task:
    """Start the dispatcher loop of this process (called from runtime.start)."""
    dispatcher = dispatcher_for(app.state)
    return asyncio.create_task(dispatcher.run(), name="dispatcher")


def stop(app) -> None:
    dispatcher = getattr(app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.close()
