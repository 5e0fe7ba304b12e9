"""The after-hours reply over real webhooks: once per number per closed period, through the
dispatcher (a credit; held without one), never to STOP/HELP, opted-out numbers or short codes.

The clock of the open-or-closed question is moved (`after_hours.clock`); the firm's hours are
Monday to Friday 9:00-17:00 New York (US DST 2026 ends November 1).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from inbox_app.models import tables as t
from tests.server.conftest import CLIENT, inbound, wait_until

# Tuesday evening, Wednesday before dawn (the same night), Wednesday noon, Wednesday night.
TUESDAY_EVENING = datetime(2026, 6, 2, 23, 0, tzinfo=UTC)  # 19:00 EDT
SAME_NIGHT = datetime(2026, 6, 3, 8, 30, tzinfo=UTC)  # 04:30 EDT
WEDNESDAY_NOON = datetime(2026, 6, 3, 16, 0, tzinfo=UTC)
WEDNESDAY_NIGHT = datetime(2026, 6, 4, 3, 0, tzinfo=UTC)  # 23:00 EDT
OTHER = "+12015550177"
REPLY = "Hi [ClientFirstName], [FirmName] is closed; we answer from 9:00."


def _at(monkeypatch, when: datetime) -> None:
    from inbox_app.server.services import after_hours

    monkeypatch.setattr(after_hours, "clock", lambda: when)


def _replies(server, phone: str = CLIENT) -> list[t.Message]:
    with server.app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(t.Message)
                .where(t.Message.to_number == phone, t.Message.origin == "auto")
                .order_by(t.Message.id)
            )
        )


def test_after_hours_reply_once_per_closed_period_per_number(server, admin, monkeypatch):
    week = {day: {"open": "09:00", "close": "17:00"} for day in ("mon", "tue", "wed", "thu")}
    week["fri"] = {"open": "09:00", "close": "17:00"}
    settings = admin.put(
        "/api/v1/firm/settings",
        json={"after_hours_enabled": True, "opening_hours": week, "after_hours_reply": REPLY},
    )
    assert settings.status_code == 200, settings.text
    balance = admin.get("/api/v1/credits").json()["balance"]

    _at(monkeypatch, TUESDAY_EVENING)
    assert inbound(server, "Are you open?").status_code == 200
    [first] = _replies(server)
    assert first.body == "Hi, Doe & Roe Law is closed; we answer from 9:00."
    # Sent like any text: through the dispatcher, one credit, and the thread shows it automatic.
    wait_until(lambda: _replies(server)[0].status in ("sent", "delivered"))
    assert admin.get("/api/v1/credits").json()["balance"] == balance - 1
    cid = first.conversation_id
    thread = admin.get(f"/api/v1/conversations/{cid}/messages").json()["messages"]
    assert [(m["direction"], m["origin"]) for m in thread] == [
        ("inbound", "manual"),
        ("outbound", "auto"),
    ]
    assert thread[1]["sent_by"] is None

    # The same night, later: no second reply; STOP, HELP and a short code never get one.
    _at(monkeypatch, SAME_NIGHT)
    inbound(server, "Hello??")
    help_answer = inbound(server, "HELP", sender=OTHER)
    assert "for help call" in help_answer.text
    inbound(server, "STOP", sender=OTHER)
    inbound(server, "I said hello", sender=OTHER)  # opted out now
    inbound(server, "Your code is 1234", sender="72345")
    assert len(_replies(server)) == 1
    assert _replies(server, OTHER) == [] and _replies(server, "72345") == []

    # Open hours: no reply. The next night is another period: a reply again.
    _at(monkeypatch, WEDNESDAY_NOON)
    inbound(server, "Calling at 1?")
    assert len(_replies(server)) == 1
    # Out of credits, the reply waits `held`, as any text does.
    with server.app.state.sessionmaker.begin() as session:
        session.execute(update(t.CreditBalance).values(balance=0))
    _at(monkeypatch, WEDNESDAY_NIGHT)
    inbound(server, "Still there?")
    wait_until(lambda: len(_replies(server)) == 2 and _replies(server)[1].status == "held")

    # Turned off: no reply, even in a new period.
    admin.put("/api/v1/firm/settings", json={"after_hours_enabled": False})
    inbound(server, "Anyone?", sender="+12015550188")
    assert _replies(server, "+12015550188") == []
