"""Message status and direction, and the rule that keeps late carrier callbacks from going back."""

from __future__ import annotations

import enum

__all__ = [
    "Direction",
    "MessageStatus",
    "UnknownCarrierStatus",
    "advance",
    "from_carrier",
    "is_final",
    "rank",
]


class MessageStatus(enum.StrEnum):
    """Status of a message, as stored and sent on the wire (CONTRACT.md)."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"
    CANCELED = "canceled"
    HELD = "held"
    # A note or system line for the firm's staff: never sent, never changes.
    INTERNAL = "internal"


class Direction(enum.StrEnum):
    """Whether the firm sent the message or received it."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    # Written by the firm for the firm (a note, a system line); the client never sees it.
    INTERNAL = "internal"


class UnknownCarrierStatus(ValueError):
    """A carrier status callback with a status this code does not know."""


# Carrier progress of an outbound message. Held and scheduled wait on our side, so they share
# the lowest rank; the three outcomes share the top one.
_RANK: dict[MessageStatus, int] = {
    MessageStatus.HELD: 0,
    MessageStatus.SCHEDULED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    # Not on the outbound path: canceled ends it early, received is an inbound message.
    MessageStatus.CANCELED: 4,
    MessageStatus.RECEIVED: 4,
    MessageStatus.INTERNAL: 4,
}

_FINAL = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
        MessageStatus.RECEIVED,
    }
)

_CARRIER: dict[str, MessageStatus] = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.SCHEDULED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    # A read receipt (RCS/WhatsApp) implies delivery; we do not track reads separately.
    "read": MessageStatus.DELIVERED,
    # Some parts reached the handset; calling it undelivered would invite a duplicate resend.
    "partially_delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.CANCELED,
    "receiving": MessageStatus.RECEIVED,
    "received": MessageStatus.RECEIVED,
}


def rank(status: MessageStatus) -> int:
    """Position of `status` on the outbound carrier path (0 = waiting on us, 4 = outcome)."""
    return _RANK[status]


def is_final(status: MessageStatus) -> bool:
    """True when no later callback may change `status`."""
    return status in _FINAL


def advance(current: MessageStatus, incoming: MessageStatus) -> MessageStatus:
    """The status to keep when `incoming` is reported for a message now at `current`.

    Never moves backwards, and a final status (delivered, undelivered, failed, canceled,
    received) is kept whatever arrives later: a late "failed" does not undo "delivered".
    Explicit user actions such as retrying a failed send set the status directly, not via this.
    """
    current, incoming = MessageStatus(current), MessageStatus(incoming)
    if current == incoming or is_final(current):
        return current
    if incoming is MessageStatus.RECEIVED:
        # An inbound status cannot apply to an outbound message in flight.
        return current
    if incoming is MessageStatus.CANCELED:
        # Only a message that has not reached the handset's carrier yet can be canceled.
        return incoming if rank(current) <= rank(MessageStatus.QUEUED) else current
    return incoming if rank(incoming) >= rank(current) else current


def from_carrier(status: str) -> MessageStatus:
    """Our status for a Twilio `MessageStatus` value (case and surrounding spaces ignored)."""
    key = status.strip().lower()
    try:
        return _CARRIER[key]
    except KeyError:
        known = ", ".join(sorted(_CARRIER))
        raise UnknownCarrierStatus(
            f"Unknown carrier message status {status!r}; known: {known}"
        ) from None
