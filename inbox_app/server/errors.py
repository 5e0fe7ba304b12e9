"""Typed errors the services raise; `app.py` maps each to an HTTP status in one place."""

from __future__ import annotations


class InboxError(Exception):
    """Base of every error a person can act on; `status` is the HTTP answer at the edge."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotAuthenticated(InboxError):
    status, code = 401, "not_authenticated"


class Forbidden(InboxError):
    status, code = 403, "forbidden"


class NotFound(InboxError):
    status, code = 404, "not_found"


class ThreadNotFound(NotFound):
    code = "conversation_not_found"


class Invalid(InboxError):
    status, code = 422, "invalid"


class Conflict(InboxError):
    status, code = 409, "conflict"


class PayloadTooLarge(InboxError):
    status, code = 413, "too_large"


class RequestTooSlow(InboxError):
    """A request body that stopped arriving, or arrived too slowly to finish in time."""

    status, code = 408, "too_slow"


class RecipientOptedOut(Conflict):
    code = "opted_out"


class RecipientBlocked(Conflict):
    code = "blocked"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class RecentReply(Conflict):
    """A colleague texted this conversation moments ago (a send asked to be warned of that)."""

    code = "recent_reply"


class NumberTaken(Conflict):
    """The number belongs to another firm: texts to it could not be routed to both."""

    code = "number_taken"


class NotRetryable(Conflict):
    code = "not_retryable"


class NoSenderNumber(Conflict):
    """The firm owns no number to text from."""

    code = "no_sender_number"


class AlreadyClaimed(Conflict):
    code = "already_sending"


class PaymentFailed(InboxError):
    status, code = 402, "payment_failed"


class PaymentUnavailable(InboxError):
    """The card processor did not answer; whether it charged is unknown until the retry."""

    status, code = 503, "payment_unavailable"


class RateLimited(InboxError):
    status, code = 429, "rate_limited"


class Unavailable(InboxError):
    status, code = 503, "unavailable"


class Busy(Unavailable):
    """Too many costly checks (password hashing) at once; try again in a moment."""

    code = "busy"


class CarrierError(InboxError):
    """The carrier refused a message at hand-off; `retryable` for 429 and 5xx."""

    status, code = 502, "carrier_error"

    def __init__(
        self,
        message: str,
        carrier_code: str | None = None,
        retryable: bool = False,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, carrier_code=carrier_code)
        self.carrier_code = carrier_code
        self.retryable = retryable
        self.http_status = http_status
