"""Message status order: callbacks arriving late or twice never move a message backwards."""

from __future__ import annotations

import itertools

import pytest

from inbox_app.domain.status import (
    Direction,
    MessageStatus,
    UnknownCarrierStatus,
    advance,
    from_carrier,
    is_final,
    rank,
)

S = MessageStatus
ALL = list(MessageStatus)
FINAL = {S.DELIVERED, S.UNDELIVERED, S.FAILED, S.CANCELED, S.RECEIVED}


def test_values_match_the_contract():
    assert {s.value for s in MessageStatus} == {
        "scheduled",
        "queued",
        "sending",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "received",
        "canceled",
        "held",
        # The firm's own lines in a thread (notes, assignments): never sent (issue 17).
        "internal",
    }
    assert {d.value for d in Direction} == {"inbound", "outbound", "internal"}
    assert S.DELIVERED == "delivered"


def test_carrier_progress_order():
    assert rank(S.HELD) == rank(S.SCHEDULED) < rank(S.QUEUED) < rank(S.SENDING) < rank(S.SENT)
    assert rank(S.SENT) < rank(S.DELIVERED) == rank(S.UNDELIVERED) == rank(S.FAILED)


@pytest.mark.parametrize("status", ALL)
def test_is_final(status):
    assert is_final(status) is (status in FINAL)


@pytest.mark.parametrize(("current", "incoming"), list(itertools.product(ALL, ALL)))
def test_advance_never_goes_backwards(current, incoming):
    kept = advance(current, incoming)
    assert kept in (current, incoming)
    if is_final(current):
        assert kept == current
    if kept != current:
        assert rank(kept) >= rank(current)
    # Applying the same callback again changes nothing.
    assert advance(kept, incoming) == kept
    assert advance(kept, kept) == kept


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (S.QUEUED, S.SENDING, S.SENDING),
        (S.SENDING, S.SENT, S.SENT),
        (S.SENT, S.DELIVERED, S.DELIVERED),
        (S.DELIVERED, S.SENT, S.DELIVERED),  # late "sent" does not undo delivery
        (S.DELIVERED, S.QUEUED, S.DELIVERED),
        (S.DELIVERED, S.FAILED, S.DELIVERED),
        (S.FAILED, S.DELIVERED, S.FAILED),
        (S.SENT, S.FAILED, S.FAILED),
        (S.SENT, S.UNDELIVERED, S.UNDELIVERED),
        (S.QUEUED, S.DELIVERED, S.DELIVERED),  # skipped steps are fine
        (S.SENT, S.QUEUED, S.SENT),
        (S.SCHEDULED, S.QUEUED, S.QUEUED),
        (S.SCHEDULED, S.HELD, S.HELD),  # due but no credits
        (S.HELD, S.QUEUED, S.QUEUED),  # credits arrived
        (S.SCHEDULED, S.CANCELED, S.CANCELED),
        (S.HELD, S.CANCELED, S.CANCELED),
        (S.QUEUED, S.CANCELED, S.CANCELED),
        (S.SENDING, S.CANCELED, S.SENDING),  # too late to cancel
        (S.SENT, S.CANCELED, S.SENT),
        (S.CANCELED, S.SENT, S.CANCELED),
        (S.QUEUED, S.RECEIVED, S.QUEUED),  # inbound status on an outbound message
        (S.RECEIVED, S.DELIVERED, S.RECEIVED),
    ],
)
def test_advance_examples(current, incoming, expected):
    assert advance(current, incoming) is expected


def test_advance_accepts_plain_strings():
    assert advance("sent", "delivered") is S.DELIVERED


def test_any_arrival_order_ends_at_the_outcome():
    # Callbacks for one delivered message in every possible order end delivered.
    for order in itertools.permutations([S.QUEUED, S.SENDING, S.SENT, S.DELIVERED]):
        status = S.QUEUED
        for incoming in order:
            status = advance(status, incoming)
        assert status is S.DELIVERED


@pytest.mark.parametrize(
    ("carrier", "expected"),
    [
        ("accepted", S.QUEUED),
        ("scheduled", S.SCHEDULED),
        ("queued", S.QUEUED),
        ("sending", S.SENDING),
        ("sent", S.SENT),
        ("delivered", S.DELIVERED),
        ("undelivered", S.UNDELIVERED),
        ("failed", S.FAILED),
        ("read", S.DELIVERED),
        ("canceled", S.CANCELED),
        ("receiving", S.RECEIVED),
        ("received", S.RECEIVED),
        ("partially_delivered", S.DELIVERED),
        (" Delivered ", S.DELIVERED),
    ],
)
def test_from_carrier(carrier, expected):
    assert from_carrier(carrier) is expected


def test_from_carrier_rejects_unknown_status():
    with pytest.raises(UnknownCarrierStatus, match="'lost'"):
        from_carrier("lost")
    with pytest.raises(ValueError):
        from_carrier("")
