"""What every carrier adapter offers: hand one message over, get the carrier's receipt back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Called as sink(carrier_sid, carrier_status, error_code, error_text): the same path a status
# webhook takes, so a simulated callback changes a message exactly as a real one would.
# carrier_code of a CarrierError whose request reached the carrier but got no answer: the
# message may have gone out, so it is never resent automatically and its credit is kept.
NO_ANSWER = "no_answer"

StatusSink = Callable[[str, str, str | None, str | None], bool]


@dataclass(frozen=True, slots=True)
class Receipt:
    """The carrier took the message: its id (`SM…`) and the status it reported at hand-off."""

    sid: str
    status: str


class Carrier(Protocol):
    """Sends one message; raises `errors.CarrierError` (retryable for 429, 5xx and connect errors;
    `NO_ANSWER` when the request went out but no answer came back)."""

    name: str

    def send(
        self,
        to: str,
        from_: str,
        body: str,
        media_urls: Sequence[str],
        status_callback: str | None,
    ) -> Receipt: ...

    def find(self, to: str, from_: str, body: str, since: datetime) -> list[Receipt]:
        """Messages the carrier has from `from_` to `to` with exactly `body`, created at or after
        `since`, oldest first; raises `errors.CarrierError` when the carrier cannot say."""
        ...

    def close(self) -> None: ...
