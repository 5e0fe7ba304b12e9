"""Simulate mode: nothing leaves the machine; statuses come back as if from the carrier.

Each simulated send gets a fake `SM…` id; a little later "sent" and then "delivered" (or now and
then "failed"/"undelivered", per INBOX_SIMULATE_FAILURE_RATE) are fed to the same function the
real status webhook calls, so a simulated message moves through exactly the real states.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence

from inbox_app.server.carrier.base import Receipt, StatusSink

log = logging.getLogger("inbox.carrier")

# A callback can beat the dispatcher's commit of the new sid; try again a little later.
UNKNOWN_SID_RETRIES = 40
UNKNOWN_SID_WAIT = 0.05

# Real Twilio codes, so simulated failures read like live ones.
_FAILURES = (
    ("undelivered", "30003", "Unreachable destination handset."),
    ("undelivered", "30005", "Unknown destination handset."),
    ("failed", "30008", "Unknown error."),
)


class SimulateCarrier:
    """A carrier that accepts everything and reports statuses through `sink` on its own thread."""

    name = "simulate"

    def __init__(
        self,
        sink: StatusSink,
        delay: float = 0.3,
        failure_rate: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self.sink = sink
        self.delay = delay
        self.failure_rate = failure_rate
        self.rng = rng or random.Random()
        # The latest simulated sends, for a person (or a test) looking at what went out.
        self.sent: deque[dict] = deque(maxlen=1000)
        self._queue: list[tuple[float, int, tuple]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="simulated-carrier", daemon=True)
        self._thread.start()

    def send(
        self,
        to: str,
        from_: str,
        body: str,
        media_urls: Sequence[str],
        status_callback: str | None,
    ) -> Receipt:
        sid = "SM" + uuid.uuid4().hex
        self.sent.append({"sid": sid, "to": to, "from": from_, "body": body})
        now = time.monotonic()
        self._later(now + self.delay, (sid, "sent", None, None, 0))
        if self.rng.random() < self.failure_rate:
            status, code, text = self.rng.choice(_FAILURES)
            self._later(now + 2 * self.delay, (sid, status, code, text, 0))
        else:
            self._later(now + 2 * self.delay, (sid, "delivered", None, None, 0))
        return Receipt(sid=sid, status="queued")

    def find(self, to: str, from_: str, body: str, since) -> list[Receipt]:
        """Nothing leaves the machine: a simulated text the server lost track of is sent again."""
        return []

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._queue.clear()
            self._wake.notify_all()
        self._thread.join(timeout=5)

    def _later(self, when: float, item: tuple) -> None:
        with self._wake:
            if self._closed:
                return
            heapq.heappush(self._queue, (when, next(self._order), item))
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._wake.wait(timeout)
                if self._closed:
                    return
                _when, _n, item = heapq.heappop(self._queue)
            sid, status, code, text, tries = item
            try:
                found = self.sink(sid, status, code, text)
            except Exception:
                log.exception("simulated status %s for %s could not be applied", status, sid)
                continue
            if not found and tries < UNKNOWN_SID_RETRIES:
                self._later(
                    time.monotonic() + UNKNOWN_SID_WAIT, (sid, status, code, text, tries + 1)
                )
