"""The dispatcher: claims due outbound messages and hands them to the carrier, once each.

One asyncio loop per server process; the database and HTTP work runs in threads. A claim is a
lease (`claimed_by`, `claimed_until`) taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL and
inside `BEGIN IMMEDIATE` on SQLite, so several processes never take the same message. The claim
also records `carrier_attempted_at` ("may be handed to the carrier from now on"), committed
before any carrier call; a text given back unsent (server stopping, deferred behind a retry, a
refusal that proves the carrier does not have it) clears it. Right before a carrier call, when
little of the lease is left, one conditional UPDATE checks that it is still this process's and
unexpired, and extends it. A message whose lease ran out (its process died, or was too slow) is
reclaimed by another, and a message that already has a carrier sid is never sent again.

Sending exactly once (CONTRACT.md): a message claimed again with `carrier_attempted_at` set and
no carrier sid may be at the carrier already (the process died mid-call, or the answer was
lost). Before it is sent again it is looked up there (`Carrier.find`: Twilio's Messages list by
To, From and DateSent, matched on the body); found, it takes that sid; not found, it is sent;
when the carrier cannot say, it is `failed` with code `no_answer` and left for a person.

A claimed batch is sent by a small thread pool, one conversation per task so each recipient gets
their texts in order; the per-sender-number rate is kept in `sender_slots`, shared by every
process. Answers are recorded in bulk, a few at a time. The loop wakes on every commit that
published events (a send-now message reaches the carrier at once) and polls every
`dispatcher_interval` for scheduled ones.

Each pass first makes one chunk of the reminders a large import left to it (court dates committed
with `reminders_pending`, see services/reminders.resync_pending), in a transaction of its own,
and passes again at once while any are left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from inbox_app.domain import status as statuses
from inbox_app.models import tables as t
from inbox_app.server.carrier.base import NO_ANSWER, Carrier, Receipt
from inbox_app.server.config import SendMode
from inbox_app.server.errors import CarrierError
from inbox_app.server.services import credits, events, inbound, messages, reminders, views

log = logging.getLogger("inbox.dispatcher")

BATCH = 100
# Carrier calls in flight at once per process (one conversation per call chain).
SEND_CONCURRENCY = 8
# Answers are written in bulk: at most this many, or after this long, per transaction.
RECORD_EVERY = 25
RECORD_WAIT_SECONDS = 0.05
MAX_ATTEMPTS = 5
# The longest a carrier call may take (live.TIMEOUT_SECONDS, and a margin): a send starts only
# while at least this much of its lease is left, else the lease is checked and renewed first.
CARRIER_CALL_SECONDS = 20.0
# Retry waits RETRY_BASE_SECONDS * 2^(attempt-1), at most RETRY_MAX_SECONDS.
RETRY_BASE_SECONDS = 2.0
RETRY_MAX_SECONDS = 300.0
# After a lost answer, how long to wait before asking the carrier whether it took the text (its
# list may lag a moment behind what it accepted).
RECONCILE_DELAY_SECONDS = 2.0
# Quiet hours move a message only when the next allowed minute is further away than this.
QUIET_SLACK = timedelta(seconds=60)
# After a chunk of an import's reminders failed, how long until it is tried again.
PENDING_RETRY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything one carrier call needs, read while the message was claimed."""

    message_id: int
    mode: str
    to: str
    from_: str
    body: str
    media_urls: tuple[str, ...]
    status_callback: str | None
    # time.monotonic() when the lease taken at claim time runs out.
    lease_deadline: float
    # When it was last handed to the carrier with no answer recorded: look it up there first.
    reconcile_since: datetime | None = None
    # Tried MAX_ATTEMPTS times already: when not found at the carrier, left for a person.
    is_last_try: bool = False


@dataclass(slots=True)
class _Outcome:
    """What became of one job: a receipt, a carrier error, or nothing (lease lost, deferred)."""

    job: _Job
    receipt: Receipt | None = None
    error: CarrierError | None = None
    # Not tried because an earlier text to the same recipient must be retried first.
    deferred_until: datetime | None = None
    # The carrier could not say whether it has the text: failed, never resent automatically.
    unresolved: bool = False


@dataclass
class _Batch:
    """A claimed batch in flight: its chains' futures and the answers they report."""

    expected: int
    job_ids: list[int] = field(default_factory=list)
    futures: list = field(default_factory=list)
    outcomes: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    # Recipients with a text waiting for a retry: their texts in the next batch wait too.
    retrying: set[str] = field(default_factory=set)


class Dispatcher:
    """Claims and sends due messages for one server process (see the module docstring)."""

    def __init__(self, app_state) -> None:
        self.settings = app_state.settings
        self.sessionmaker = app_state.sessionmaker
        self.process_id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._carriers: dict[str, Carrier] = {}
        self._carrier_lock = threading.Lock()
        self._run_lock = threading.Lock()
        # Carrier sids given to messages by `_reconcile`, until their answers are recorded.
        self._found_sids: set[str] = set()
        self._found_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(SEND_CONCURRENCY, thread_name_prefix="dispatch-send")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self._pending_retry_at = 0.0
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
            from inbox_app.server.carrier import live

            return live.LiveCarrier(
                settings.twilio_account_sid,
                settings.twilio_auth_token.get_secret_value(),
                settings.twilio_api_base,
                timeout=live.TIMEOUT_SECONDS,
            )
        from inbox_app.server.carrier.simulate import SimulateCarrier

        return SimulateCarrier(
            inbound.status_sink(self.sessionmaker),
            delay=settings.simulate_status_delay,
            failure_rate=settings.simulate_failure_rate,
        )

    def close(self) -> None:
        self.stopping = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._carrier_lock:
            for carrier in self._carriers.values():
                try:
                    carrier.close()
                except Exception:
                    log.exception("closing the %s carrier failed", carrier.name)
            self._carriers.clear()

    # --- one pass -----------------------------------------------------------------------------

    def dispatch_once(self) -> int:
        """Claim what is due and send it, until nothing is; returns how many were acted on.

        The next batch is claimed while the carrier calls of the current one are in flight;
        batches do not overlap at the carrier, so one recipient's texts keep their order.
        """
        with self._run_lock:
            # A chunk of reminders left by an import first (its texts may be due now).
            acted_total = self._make_pending_reminders()
            flight: _Batch | None = None
            while not self.stopping:
                with self.sessionmaker() as session:
                    acted, jobs = self._claim(session)
                acted_total += acted
                behind: set[str] = set()
                if flight is not None:
                    self._finish(flight)
                    behind = flight.retrying
                flight = self._start(jobs, behind) if jobs else None
                if acted < BATCH:
                    break
            if flight is not None:
                self._finish(flight)
            return acted_total

    def _make_pending_reminders(self) -> int:
        """One chunk of the court dates an import left flagged (reminders.resync_pending), in
        its own transaction; how many. A failing chunk is logged and tried again after
        PENDING_RETRY_SECONDS, and never keeps the due texts from going out."""
        if time.monotonic() < self._pending_retry_at:
            return 0
        try:
            with self.sessionmaker() as session, session.begin():
                return reminders.resync_pending(session)
        except Exception:
            log.exception(
                "making the reminders an import left failed; trying again in %g s",
                PENDING_RETRY_SECONDS,
            )
            self._pending_retry_at = time.monotonic() + PENDING_RETRY_SECONDS
            return 0

    def _claim(self, session: Session) -> tuple[int, list[_Job]]:
        # Read before `now`, so the local deadline never outlasts the lease written below.
        lease_deadline = time.monotonic() + self.settings.lease_seconds
        now = t.utcnow()
        m = t.Message
        due = or_(
            _waiting_to_go(now),
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
        with session.begin():
            rows = list(session.scalars(stmt))
            if rows:
                waiting = _behind_earlier_texts(session, rows, now, self.process_id)
                rows = [message for message in rows if message.id not in waiting]
            if not rows:
                return 0, []
            # Loaded in one query (not locked): the media of the claimed messages.
            session.scalars(
                select(m).where(m.id.in_([r.id for r in rows])).options(selectinload(m.media))
            ).all()
            reasons = _cancel_reasons(session, rows)
            # Held here: the session's identity map alone would let them be collected and
            # loaded again for every message.
            firms = {
                firm.id: firm
                for firm in session.scalars(
                    select(t.Firm).where(t.Firm.id.in_({m.firm_id for m in rows}))
                )
            }
            ready: list[t.Message] = []
            for message in rows:
                try:
                    with session.begin_nested():
                        if self._settle_in(session, message, now, reasons.get(message.id), firms):
                            ready.append(message)
                except Exception:
                    # One bad message must not hold up the others; look at it again later.
                    log.exception("message %s could not be claimed", message.id)
                    session.refresh(message)
                    message.next_attempt_at = now + timedelta(seconds=RETRY_MAX_SECONDS / 5)
            leased = self._debit_in(session, ready, firms)
            # Handed over before (and no sid): look it up at the carrier before sending again.
            earlier = {m.id: m.carrier_attempted_at for m in leased if not m.carrier_sid}
            self._lease_in(session, leased, now + timedelta(seconds=self.settings.lease_seconds))
            _publish_messages(session, leased)
            jobs = [
                self._job_in(firms[m.firm_id], m, lease_deadline, earlier.get(m.id)) for m in leased
            ]
        return len(rows), jobs

    def _lease_in(self, session: Session, leased: list[t.Message], until: datetime) -> None:
        """Mark the batch `sending`, leased to this process: one UPDATE, not one per row."""
        if not leased:
            return
        session.flush()  # anything else pending goes first, as it would have
        values = {
            "status": "sending",
            "claimed_by": self.process_id,
            "claimed_until": until,
            "held_reason": None,
            "is_debited": True,
            # Committed with the claim, before any carrier call (see the module docstring).
            "carrier_attempted_at": t.utcnow(),
            "updated_at": t.utcnow(),
        }
        session.execute(
            update(t.Message)
            .where(t.Message.id.in_([m.id for m in leased]))
            .values(attempts=t.Message.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )
        for message in leased:
            # What the UPDATE wrote, without the ORM writing it again.
            for name, value in values.items():
                set_committed_value(message, name, value)
            set_committed_value(message, "attempts", (message.attempts or 0) + 1)

    def _settle_in(
        self,
        session: Session,
        message: t.Message,
        now: datetime,
        reason: str | None,
        firms: dict[int, t.Firm],
    ) -> bool:
        """Decide one due message at claim time; True when it may be sent (credit aside)."""
        if message.status == "sending" and message.carrier_sid:
            # The carrier has it already: sending again would text the client twice.
            log.warning("lease of message %s expired after hand-off; not resent", message.id)
            message.claimed_by = None
            message.claimed_until = None
            return False
        if reason:
            message.status = "canceled"
            message.error_text = reason
            message.claimed_by = message.claimed_until = None
            credits.refund_in(session, message, note=f"Not sent: {reason}")
            views.publish_message(session, message)
            return False
        if message.respects_quiet_hours:
            firm = firms[message.firm_id]
            allowed = messages.quiet_adjusted(firm, message.to_number, now)
            if allowed - now > QUIET_SLACK:
                message.status = "scheduled"
                if message.send_at_reason is None:
                    # Due in the window but claimed after it closed: the thread says why.
                    message.requested_send_at = message.send_at or now
                    message.send_at_reason = "quiet_hours"
                message.send_at = allowed
                message.claimed_by = message.claimed_until = None
                views.publish_message(session, message)
                return False
        return True

    def _debit_in(
        self, session: Session, ready: list[t.Message], firms: dict[int, t.Firm]
    ) -> list[t.Message]:
        """One credit per message: per firm in one UPDATE when the balance covers the batch,
        else one at a time in id order (auto top-up, or `held` once credits run out)."""
        by_firm: dict[int, list[t.Message]] = defaultdict(list)
        for message in ready:
            by_firm[message.firm_id].append(message)
        leased: list[t.Message] = []
        for firm_id, batch in by_firm.items():
            if credits.try_debit_many_in(session, firm_id, batch):
                leased.extend(batch)
                continue
            firm = firms[firm_id]
            for message in batch:
                try:
                    with session.begin_nested():
                        if message.is_debited or credits.ensure_credit_in(session, firm, message):
                            leased.append(message)
                            continue
                        message.status = "held"
                        message.held_reason = credits.held_reason(session, firm)
                        message.claimed_by = message.claimed_until = None
                        views.publish_message(session, message)
                except Exception:
                    log.exception("message %s could not be debited", message.id)
                    session.refresh(message)
                    message.next_attempt_at = t.utcnow() + timedelta(seconds=RETRY_MAX_SECONDS / 5)
        leased.sort(key=lambda message: message.id)
        return leased

    def _job_in(
        self,
        firm: t.Firm,
        message: t.Message,
        lease_deadline: float,
        reconcile_since: datetime | None = None,
    ) -> _Job:
        mode = self.mode_for(firm, message)
        # Only the number the firm owns now: one it gave up may be another firm's already.
        from_ = firm.from_number or ""
        status_callback = (
            self.settings.public_url + inbound.STATUS_PATH if mode == SendMode.LIVE.value else None
        )
        return _Job(
            message_id=message.id,
            mode=mode,
            to=message.to_number,
            from_=from_,
            body=message.body,
            media_urls=tuple(self._media_urls(message)),
            status_callback=status_callback,
            lease_deadline=lease_deadline,
            reconcile_since=reconcile_since,
            is_last_try=(message.attempts or 0) > MAX_ATTEMPTS,
        )

    def _media_urls(self, message: t.Message) -> list[str]:
        stored = [m for m in message.media if m.status == "stored"]
        if not stored:
            return []
        from sqlalchemy.orm import object_session

        from inbox_app.server.services import media

        # Still in the claim's transaction: a new link's token is stored with the claim.
        session = object_session(message)
        return [media.public_url_in(session, self.settings, m) for m in stored]

    # --- sending a claimed batch --------------------------------------------------------------

    def _start(self, jobs: list[_Job], behind: set[str] = frozenset()) -> _Batch:
        """Hand a claimed batch to the pool: one task per recipient, in id order. Recipients
        `behind` a text of the previous batch that waits for a retry wait with it."""
        by_recipient: dict[str, list[_Job]] = defaultdict(list)
        for job in jobs:
            by_recipient[job.to].append(job)
        batch = _Batch(expected=len(jobs), job_ids=[job.message_id for job in jobs])
        retry_at = t.utcnow() + timedelta(seconds=RETRY_BASE_SECONDS)
        for to, chain in by_recipient.items():
            deferred_until = None
            if to in behind:
                deferred_until = retry_at
                batch.retrying.add(to)  # and the batch after this one waits as well
            try:
                batch.futures.append(
                    self._pool.submit(self._send_chain, chain, batch, deferred_until)
                )
            except RuntimeError:
                break  # The pool is shut down: the server is stopping. `_finish` releases them.
        return batch

    def _finish(self, batch: _Batch) -> None:
        """Record the batch's answers as they come, a few per transaction, until all are in."""
        futures = batch.futures
        expected, recorded = batch.expected, 0
        pending: list[_Outcome] = []
        answered: set[int] = set()
        last_flush = time.monotonic()
        while recorded < expected:
            try:
                outcome = batch.outcomes.get(timeout=RECORD_WAIT_SECONDS)
                pending.append(outcome)
                answered.add(outcome.job.message_id)
            except queue.Empty:
                if all(f.done() for f in futures) and batch.outcomes.empty():
                    break  # Chains stopped early: the server is stopping.
            now = time.monotonic()
            if pending and (
                len(pending) >= RECORD_EVERY
                or now - last_flush >= RECORD_WAIT_SECONDS
                or recorded + len(pending) == expected
            ):
                self._record(pending)
                recorded += len(pending)
                pending = []
                last_flush = now
        if pending:
            self._record(pending)
        unsent = [i for i in batch.job_ids if i not in answered]
        if unsent:
            self._release(unsent)
        for future in futures:
            # Chains catch their own errors; this surfaces a bug instead of hiding it.
            if not future.cancelled():
                future.result()

    def _release(self, message_ids: list[int]) -> None:
        """Give back leases of messages never handed to the carrier, so a restart need not wait
        for them to run out."""
        m = t.Message
        with self.sessionmaker() as session, session.begin():
            released = session.scalars(
                update(m)
                .where(
                    m.id.in_(message_ids),
                    m.status == "sending",
                    m.claimed_by == self.process_id,
                    m.carrier_sid.is_(None),
                )
                .values(
                    status="queued",
                    claimed_by=None,
                    claimed_until=None,
                    # Never handed over: the chain stopped before it.
                    carrier_attempted_at=None,
                    attempts=m.attempts - 1,
                    updated_at=t.utcnow(),
                )
                .returning(m.id)
                .execution_options(synchronize_session=False)
            ).all()
            # Clients showed these as `sending`: tell them they wait again.
            for message in session.scalars(select(m).where(m.id.in_(released))):
                views.publish_message(session, message)
        log.info("released %d claimed messages that were not sent", len(released))

    def _send_chain(
        self, chain: list[_Job], batch: _Batch, deferred_until: datetime | None = None
    ) -> None:
        """Texts to one recipient, in order; after a retryable failure the rest wait with it."""
        for job in chain:
            if deferred_until is not None:
                batch.outcomes.put(_Outcome(job, deferred_until=deferred_until))
                continue
            if self.stopping:
                return  # `_finish` releases the rest for the next start (or another process).
            outcome = self._send_job(job)
            batch.outcomes.put(outcome)
            if outcome.error is not None and (outcome.error.retryable or _is_lost_answer(outcome)):
                deferred_until = t.utcnow() + timedelta(seconds=RETRY_BASE_SECONDS)
                batch.retrying.add(job.to)

    def _send_job(self, job: _Job) -> _Outcome:
        try:
            if not job.from_:
                raise CarrierError(
                    "No number to send from: an admin gives the firm its number first.",
                    carrier_code="no_from_number",
                )
            carrier = self.carrier(job.mode)
            if job.reconcile_since is not None:
                found = self._reconcile(carrier, job)
                if found is not None:
                    return found
            self._throttle(job.from_)
            if (
                time.monotonic() + CARRIER_CALL_SECONDS >= job.lease_deadline
                and not self._renew_lease(job.message_id)
            ):
                # Reclaimed by another process, canceled or deleted meanwhile: not ours to send.
                log.info("message %s is no longer leased to this process; skipped", job.message_id)
                return _Outcome(job)
            receipt = carrier.send(
                job.to, job.from_, job.body, list(job.media_urls), job.status_callback
            )
        except CarrierError as exc:
            return _Outcome(job, error=exc)
        except Exception as exc:
            log.exception("sending message %s failed unexpectedly", job.message_id)
            return _Outcome(job, error=CarrierError(f"Sending failed: {exc}", retryable=True))
        return _Outcome(job, receipt=receipt)

    def _renew_lease(self, message_id: int) -> bool:
        """Check, in one statement, that the lease is still ours and unexpired; extend it.

        Needed only when the claim's lease might run out before the carrier answers (a long
        batch, a wait for the rate limit): until then nobody else may take the message.
        """
        now = t.utcnow()
        m = t.Message
        values = {"claimed_until": now + timedelta(seconds=self.settings.lease_seconds)}
        with self.sessionmaker() as session, session.begin():
            result = session.execute(
                update(m)
                .where(
                    m.id == message_id,
                    m.status == "sending",
                    m.claimed_by == self.process_id,
                    m.claimed_until > now,
                    m.carrier_sid.is_(None),
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def _reconcile(self, carrier: Carrier, job: _Job) -> _Outcome | None:
        """Ask the carrier whether it already has this text; an outcome when that settles it
        (found, or the carrier cannot say), None when it must be sent."""
        try:
            candidates = carrier.find(job.to, job.from_, job.body, job.reconcile_since)
        except CarrierError as exc:
            return _Outcome(job, error=exc, unresolved=True)
        if candidates:
            m = t.Message
            with self.sessionmaker() as session:
                # A sid another of our texts already has (the same words sent twice) is not it.
                known = set(
                    session.scalars(
                        select(m.carrier_sid).where(
                            m.carrier_sid.in_([receipt.sid for receipt in candidates])
                        )
                    )
                )
            with self._found_lock:
                # Answers are recorded in bulk: a sid picked moments ago may not be stored yet.
                if len(self._found_sids) > 10_000:
                    self._found_sids.clear()
                for receipt in candidates:
                    if receipt.sid not in known and receipt.sid not in self._found_sids:
                        self._found_sids.add(receipt.sid)
                        log.info("message %s was found at the carrier; not resent", job.message_id)
                        return _Outcome(job, receipt=receipt)
        if job.is_last_try:
            return _Outcome(
                job,
                error=CarrierError(
                    "The carrier did not answer several times; it may have been sent. "
                    "Check before resending.",
                    carrier_code=NO_ANSWER,
                ),
                unresolved=True,
            )
        log.info("message %s is not at the carrier; sending it", job.message_id)
        return None

    def _throttle(self, from_: str) -> None:
        """Space sends from one number to INBOX_SEND_RATE_PER_SECOND across every process."""
        rate = self.settings.send_rate_per_second
        if rate <= 0:
            return
        wait = reserve_send_slot(self.sessionmaker, from_, 1.0 / rate)
        if wait > 0:
            time.sleep(wait)

    # --- recording answers --------------------------------------------------------------------

    def _record(self, outcomes: list[_Outcome]) -> None:
        """Write a group of answers in one transaction."""
        acted = [o for o in outcomes if o.receipt or o.error or o.deferred_until]
        if not acted:
            return
        ids = sorted(o.job.message_id for o in acted)
        with self.sessionmaker() as session, session.begin():
            rows = {
                row.id: row
                for row in session.scalars(
                    select(t.Message)
                    .where(t.Message.id.in_(ids))
                    .order_by(t.Message.id)
                    .options(selectinload(t.Message.media))
                    .with_for_update()
                )
            }
            changed: list[t.Message] = []
            for outcome in acted:
                message = rows.get(outcome.job.message_id)
                if message is None:
                    log.warning(
                        "message %s was deleted while it was being sent", outcome.job.message_id
                    )
                    continue
                if outcome.receipt is not None:
                    self._receipt_in(message, outcome.receipt, outcome.job)
                elif message.claimed_by != self.process_id:
                    continue  # Another process owns it now; its answer counts.
                elif outcome.error is not None:
                    self._failure_in(session, message, outcome.error, outcome.unresolved)
                else:
                    self._defer_in(message, outcome.deferred_until)
                changed.append(message)
            _publish_messages(session, sorted(changed, key=lambda message: message.id))

    def _receipt_in(self, message: t.Message, receipt: Receipt, job: _Job) -> None:
        message.carrier_sid = receipt.sid
        message.simulated = job.mode == SendMode.SIMULATE.value
        message.from_number = job.from_
        message.sent_at = message.sent_at or t.utcnow()
        message.claimed_by = message.claimed_until = None
        message.next_attempt_at = None
        message.error_code = message.error_text = None
        try:
            reported = statuses.from_carrier(receipt.status)
            message.status = str(statuses.advance(message.status, reported))
        except statuses.UnknownCarrierStatus:
            pass

    def _failure_in(
        self, session: Session, message: t.Message, exc: CarrierError, unresolved: bool = False
    ) -> None:
        message.claimed_by = message.claimed_until = None
        message.error_code = (exc.carrier_code or "")[:16] or None
        message.error_text = exc.message
        if exc.carrier_code == NO_ANSWER and not unresolved:
            # The request went out and its answer was lost: the carrier may have the text. It
            # stays `sending` until the carrier is asked (`_reconcile`, from the next claim).
            message.status = "sending"
            message.claimed_until = t.utcnow()
            message.next_attempt_at = t.utcnow() + timedelta(seconds=RECONCILE_DELAY_SECONDS)
            message.error_code = message.error_text = None
            log.info("message %s: no answer from the carrier; it will be looked up", message.id)
            return
        if exc.carrier_code != NO_ANSWER:
            # The carrier refused it or was never reached: it does not have the text.
            message.carrier_attempted_at = None
        if exc.retryable and (message.attempts or 0) < MAX_ATTEMPTS:
            wait = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** ((message.attempts or 1) - 1))
            message.status = "queued"
            message.next_attempt_at = t.utcnow() + timedelta(seconds=wait)
            log.info("message %s: %s; retrying in %.1f s", message.id, exc.message, wait)
        elif exc.carrier_code == NO_ANSWER:
            # It may have reached the client: no automatic resend, and the credit stays spent.
            message.status = "failed"
            message.next_attempt_at = None
            log.warning("message %s: no answer from the carrier; left for a person", message.id)
        else:
            message.status = "failed"
            message.next_attempt_at = None
            credits.refund_in(session, message, note=f"Refused by the carrier: {exc.message}")
            log.warning("message %s failed: %s (%s)", message.id, exc.message, exc.carrier_code)
            from inbox_app.server.services import reachability

            reachability.carrier_refused_in(session, message, exc.carrier_code)

    def _defer_in(self, message: t.Message, until: datetime | None) -> None:
        # Not tried: back to the queue behind the earlier text, without spending an attempt.
        message.status = "queued"
        message.carrier_attempted_at = None
        message.claimed_by = message.claimed_until = None
        message.attempts = max(0, (message.attempts or 1) - 1)
        message.next_attempt_at = until

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


def _is_lost_answer(outcome: _Outcome) -> bool:
    return (
        outcome.error is not None
        and outcome.error.carrier_code == NO_ANSWER
        and not outcome.unresolved
    )


def _waiting_to_go(now: datetime):
    """Outbound messages that should be at the carrier by now: queued, or scheduled and due."""
    m = t.Message
    return or_(m.status == "queued", and_(m.status == "scheduled", m.send_at <= now))


def _behind_earlier_texts(
    session: Session, rows: list[t.Message], now: datetime, process_id: str
) -> set[int]:
    """The due messages that must wait their turn: an earlier text to the same recipient is
    still on its way and not in this claim (another process is sending it, it waits for a
    retry, or another claim holds its lock). A client reads texts in the order they were
    written. This process's own in-flight batch does not count: batches never overlap."""
    m = t.Message
    still_going = or_(
        _waiting_to_go(now),
        and_(
            m.status == "sending",
            m.carrier_sid.is_(None),
            # Unclaimed while `sending`: waiting to be looked up at the carrier.
            or_(m.claimed_by.is_(None), m.claimed_by != process_id),
        ),
    )
    first_waiting = dict(
        session.execute(
            select(m.conversation_id, func.min(m.id))
            .where(
                m.conversation_id.in_({message.conversation_id for message in rows}),
                m.direction == "outbound",
                m.id.not_in([message.id for message in rows]),
                still_going,
            )
            .group_by(m.conversation_id)
        ).all()
    )
    return {
        message.id
        for message in rows
        if first_waiting.get(message.conversation_id, message.id) < message.id
    }


def _cancel_reasons(session: Session, rows: list[t.Message]) -> dict[int, str]:
    """Why due messages must not go out any more (checked again right before sending): opted
    out, blocked, contact archived or trashed. A few queries for the whole batch."""
    firm_ids = {m.firm_id for m in rows}
    phones = {m.to_number for m in rows}
    opted_out = _pairs(
        session.execute(
            select(t.Conversation.firm_id, t.Conversation.phone).where(
                t.Conversation.firm_id.in_(firm_ids),
                t.Conversation.phone.in_(phones),
                t.Conversation.opted_out.is_(True),
            )
        )
    ) | _pairs(
        session.execute(
            select(t.Contact.firm_id, t.Contact.phone).where(
                t.Contact.firm_id.in_(firm_ids),
                t.Contact.phone.in_(phones),
                t.Contact.opted_out.is_(True),
            )
        )
    )
    blocked = _pairs(
        session.execute(
            select(t.BlockedNumber.firm_id, t.BlockedNumber.phone).where(
                t.BlockedNumber.firm_id.in_(firm_ids), t.BlockedNumber.phone.in_(phones)
            )
        )
    )
    contact_ids = {m.contact_id for m in rows if m.contact_id is not None}
    contacts = (
        {c.id: c for c in session.scalars(select(t.Contact).where(t.Contact.id.in_(contact_ids)))}
        if contact_ids
        else {}
    )
    reasons: dict[int, str] = {}
    for message in rows:
        key = (message.firm_id, message.to_number)
        contact = contacts.get(message.contact_id) if message.contact_id is not None else None
        if key in opted_out:
            reasons[message.id] = "Recipient opted out"
        elif key in blocked:
            reasons[message.id] = "The number was blocked"
        elif contact is not None and contact.trashed_at is not None:
            reasons[message.id] = "The contact is in the trash"
        elif contact is not None and contact.archived:
            reasons[message.id] = "The contact is archived"
    return reasons


def _publish_messages(session: Session, rows: list[t.Message]) -> None:
    """`message.updated` for each row, written together; one wake-up for the lot."""
    if not rows:
        return
    session.flush()
    names = {
        user.id: user.display_name
        for user in session.scalars(
            select(t.User).where(t.User.id.in_({m.sent_by_id for m in rows if m.sent_by_id}))
        )
    }
    payloads = [
        (m.firm_id, views.message_out(m, names.get(m.sent_by_id)).model_dump(mode="json"))
        for m in rows
    ]
    # Publishing the last one sends the one notification (the broker reads every new row, of
    # any firm, when woken).
    if len(payloads) > 1:
        created = t.utcnow()
        table = t.StreamEvent.__table__
        # RETURNING makes SQLAlchemy send the rows as one multi-row INSERT, in order.
        session.execute(
            insert(table).returning(table.c.id),
            [
                {
                    "firm_id": firm_id,
                    "user_id": None,
                    "kind": "message.updated",
                    "payload": payload,
                    "created_at": created,
                }
                for firm_id, payload in payloads[:-1]
            ],
        )
    firm_id, payload = payloads[-1]
    events.publish(session, firm_id, "message.updated", payload)


def _pairs(result) -> set[tuple[int, str]]:
    return {(firm_id, phone) for firm_id, phone in result}


def reserve_send_slot(sessionmaker, from_: str, gap: float) -> float:
    """Take the next send slot of `from_` (every process shares it); returns seconds to wait."""
    with sessionmaker() as session, session.begin():
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(
            insert(t.SenderSlot)
            .values(from_number=from_, next_send_at=0.0)
            .on_conflict_do_nothing(index_elements=["from_number"])
        )
        # The row lock (PostgreSQL) or the write lock (SQLite) makes this read-then-write atomic.
        slot_row = session.scalar(
            select(t.SenderSlot).where(t.SenderSlot.from_number == from_).with_for_update()
        )
        now = time.time()
        slot = max(now, slot_row.next_send_at)
        slot_row.next_send_at = slot + gap
    return slot - now


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
