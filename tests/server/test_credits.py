"""The prepaid counter over real HTTP: free grant, invoice top-ups, ledger, held messages, usage."""

from __future__ import annotations

import csv
import io
import itertools
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from inbox_app.models import tables as t
from inbox_app.server.services import credits

# --- helpers shared with test_payments.py -------------------------------------------------------


def firm_of(server, api) -> t.Firm:
    with server.app.state.sessionmaker() as session:
        return session.get(t.Firm, api.user["firm_id"])


def make_messages(server, firm_id: int, count: int, *, status: str = "held", **values) -> list[int]:
    """Outbound messages written straight to the tables, oldest first; returns their ids.

    "scheduled" ones are due tomorrow, so the running dispatcher leaves them to the test.
    """
    if status == "scheduled":
        values.setdefault("send_at", datetime.now(UTC) + timedelta(days=1))
    values.setdefault("segments", 1)
    with server.app.state.sessionmaker() as session, session.begin():
        conversation = session.scalar(
            select(t.Conversation).where(
                t.Conversation.firm_id == firm_id, t.Conversation.phone == "+12015550123"
            )
        )
        if conversation is None:
            conversation = t.Conversation(firm_id=firm_id, phone="+12015550123")
            session.add(conversation)
            session.flush()
        start = datetime.now(UTC) - timedelta(minutes=10)
        ids = []
        for n in range(count):
            message = t.Message(
                firm_id=firm_id,
                conversation_id=conversation.id,
                direction="outbound",
                body=f"message {n}",
                status=status,
                to_number="+12015550123",
                from_number="+12015550100",
                created_at=start + timedelta(seconds=n),
                held_reason="Out of credits" if status == "held" else None,
                **values,
            )
            session.add(message)
            session.flush()
            ids.append(message.id)
        return ids


def drain(server, firm_id: int) -> None:
    """Spend every credit of the firm on sent messages, through the real debit."""
    with server.app.state.sessionmaker() as session, session.begin():
        left = credits.balance(session, firm_id)
    ids = make_messages(server, firm_id, left, status="scheduled")
    with server.app.state.sessionmaker() as session, session.begin():
        for message_id in ids:
            assert credits.try_debit_in(session, session.get(t.Message, message_id))
        assert credits.balance(session, firm_id) == 0


def ensure_credit(server, firm_id: int, message_id: int) -> bool:
    with server.app.state.sessionmaker() as session, session.begin():
        firm = session.get(t.Firm, firm_id)
        return credits.ensure_credit_in(session, firm, session.get(t.Message, message_id))


def assert_ledger_matches_balance(server, firm_id: int) -> None:
    with server.app.state.sessionmaker() as session, session.begin():
        assert credits.ledger_sum(session, firm_id) == credits.balance(session, firm_id)


def stream_events(server, firm_id: int, kind: str) -> list[dict]:
    with server.app.state.sessionmaker() as session, session.begin():
        rows = session.scalars(
            select(t.StreamEvent)
            .where(t.StreamEvent.firm_id == firm_id, t.StreamEvent.kind == kind)
            .order_by(t.StreamEvent.id)
        ).all()
        return [row.payload for row in rows]


def statuses(server, ids: list[int]) -> list[str]:
    with server.app.state.sessionmaker() as session, session.begin():
        return [session.get(t.Message, i).status for i in ids]


# --- the counter --------------------------------------------------------------------------------


def test_new_firm_starts_with_100_free_credits_and_staff_only_see_the_balance(server, admin, staff):
    body = staff.get("/api/v1/credits").json()
    assert body["balance"] == 100
    assert body["held_count"] == 0
    assert (body["bundle_size"], body["bundle_price_cents"]) == (1000, 2000)
    assert body["payment_mode"] == "manual"
    ledger = admin.get("/api/v1/credits/ledger").json()
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in ledger] == [("grant", 100, 100)]
    calls = [
        ("get", "/api/v1/credits/ledger", None),
        ("post", "/api/v1/credits/top-up", {"bundles": 1, "reference": "INV-9"}),
        ("put", "/api/v1/credits/settings", {"auto_top_up": True}),
        ("put", "/api/v1/credits/card", {"customer_id": "cus_1", "payment_method_id": "pm_1"}),
        ("get", "/api/v1/credits/usage", None),
        ("get", "/api/v1/credits/usage?format=csv", None),
        ("get", "/api/v1/credits/ledger.csv", None),
        ("get", "/api/v1/credits/card", None),
        ("post", "/api/v1/credits/card/setup", None),
        ("post", "/api/v1/credits/card/setup/cs_test_1", None),
    ]
    for method, path, body in calls:
        response = getattr(staff, method)(path, **({"json": body} if body else {}))
        assert response.status_code == 403, path
        assert response.json()["detail"] == "Only an account admin can do this."
    assert firm_of(server, admin).auto_top_up is False
    # Manual mode keeps no card: bundles are bought by invoice.
    assert admin.get("/api/v1/credits/card").json()["payment_mode"] == "manual"
    refused = admin.post("/api/v1/credits/card/setup")
    assert (refused.status_code, refused.json()["code"]) == (409, "payment_mode_manual")


def test_invoice_top_up_adds_a_bundle_with_its_reference_once_per_key(server, admin):
    response = admin.post("/api/v1/credits/top-up", json={"bundles": 2, "reference": "INV-1001"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "succeeded"
    assert (body["credits"], body["amount_cents"], body["balance"]) == (2000, 4000, 2100)
    newest = admin.get("/api/v1/credits/ledger").json()[0]
    assert newest["kind"] == "purchase"
    assert newest["amount"] == 2000
    assert newest["reference"] == "INV-1001"
    assert newest["user_id"] == admin.user["id"]
    assert admin.get("/api/v1/credits").json()["balance"] == 2100
    assert_ledger_matches_balance(server, admin.user["firm_id"])

    # The same idempotency key again gives the first answer and records nothing new.
    body = {"bundles": 1, "reference": "INV-1001", "idempotency_key": "retry-key-0001"}
    first = admin.post("/api/v1/credits/top-up", json=body).json()
    second = admin.post("/api/v1/credits/top-up", json=body).json()
    assert second["id"] == first["id"]
    assert second["balance"] == 3100
    purchases = [e for e in admin.get("/api/v1/credits/ledger").json() if e["kind"] == "purchase"]
    assert len(purchases) == 2


def test_invoice_top_up_refuses_no_bundles_and_the_ledger_pages_newest_first(server, admin):
    assert (
        admin.post("/api/v1/credits/top-up", json={"bundles": 0, "reference": "x"}).status_code
        == 422
    )
    assert admin.get("/api/v1/credits").json()["balance"] == 100
    assert len(admin.get("/api/v1/credits/ledger").json()) == 1

    # The ledger pages newest first.
    for n in range(3):
        admin.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": f"INV-{n}"})
    page = admin.get("/api/v1/credits/ledger", params={"limit": 2}).json()
    assert [e["reference"] for e in page] == ["INV-2", "INV-1"]
    rest = admin.get("/api/v1/credits/ledger", params={"limit": 2, "before": page[-1]["id"]})
    assert [e["kind"] for e in rest.json()] == ["purchase", "grant"]
    assert admin.get("/api/v1/credits/ledger", params={"limit": 0}).status_code == 422


def test_settings_change_auto_top_up_bundle_and_threshold(server, admin, staff):
    response = admin.put(
        "/api/v1/credits/settings",
        json={
            "auto_top_up": True,
            "bundle_size": 500,
            "bundle_price_cents": 1200,
            "low_balance_threshold": 20,
        },
    )
    assert response.status_code == 200, response.text
    body = staff.get("/api/v1/credits").json()
    assert body["auto_top_up"] is True
    assert (body["bundle_size"], body["bundle_price_cents"]) == (500, 1200)
    assert body["low_balance_threshold"] == 20
    # Fields left out keep their value.
    admin.put("/api/v1/credits/settings", json={"auto_top_up": False})
    assert staff.get("/api/v1/credits").json()["bundle_size"] == 500
    bad = admin.put("/api/v1/credits/settings", json={"auto_top_up": True, "bundle_size": 0})
    assert bad.status_code == 422
    assert "bundle_size" in bad.json()["detail"]


def test_low_balance_warns_once_when_the_threshold_is_crossed(server, admin):
    firm_id = admin.user["firm_id"]
    admin.put("/api/v1/credits/settings", json={"auto_top_up": False, "low_balance_threshold": 98})
    ids = make_messages(server, firm_id, 4, status="scheduled")
    with server.app.state.sessionmaker() as session, session.begin():
        for message_id in ids:
            assert credits.try_debit_in(session, session.get(t.Message, message_id))
    assert stream_events(server, firm_id, "credits.low") == [{"balance": 98, "threshold": 98}]
    changed = stream_events(server, firm_id, "credits.changed")
    assert [e["balance"] for e in changed] == [99, 98, 97, 96]


def test_held_messages_go_out_oldest_first_after_a_top_up(server, admin):
    firm_id = admin.user["firm_id"]
    drain(server, firm_id)
    admin.put("/api/v1/credits/settings", json={"auto_top_up": False, "bundle_size": 2})
    # Without auto top-up a send gets no credit: the caller holds it.
    [message_id] = make_messages(server, firm_id, 1, status="scheduled")
    assert ensure_credit(server, firm_id, message_id) is False
    with server.app.state.sessionmaker() as session, session.begin():
        firm = session.get(t.Firm, firm_id)
        assert "admin tops up" in credits.held_reason(session, firm)
    held = make_messages(server, firm_id, 3)
    assert admin.get("/api/v1/credits").json()["held_count"] == 3

    body = admin.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": "INV-2"}).json()

    assert body["balance"] == 0
    first, second, third = statuses(server, held)
    # Released ones are queued; the running dispatcher may already be sending them.
    assert first != "held" and second != "held" and third == "held"
    debits = [e for e in admin.get("/api/v1/credits/ledger").json() if e["kind"] == "debit"]
    assert [e["message_id"] for e in debits[:2]] == [held[1], held[0]]
    updated = stream_events(server, firm_id, "message.updated")
    queued = [e for e in updated if e["status"] == "queued"]
    assert [(e["id"], e["status"], e["held_reason"]) for e in queued] == [
        (held[0], "queued", None),
        (held[1], "queued", None),
    ]
    assert admin.get("/api/v1/credits").json()["held_count"] == 1
    assert_ledger_matches_balance(server, firm_id)


def test_auto_top_up_by_invoice_buys_a_bundle_then_debits(server, admin):
    firm_id = admin.user["firm_id"]
    drain(server, firm_id)
    admin.put("/api/v1/credits/settings", json={"auto_top_up": True})
    held = make_messages(server, firm_id, 2)
    [message_id] = make_messages(server, firm_id, 1, status="scheduled")

    assert ensure_credit(server, firm_id, message_id) is True

    ledger = admin.get("/api/v1/credits/ledger").json()
    # Newest first: the bought bundle, this message's debit, then the two held ones released.
    assert [(e["kind"], e["message_id"]) for e in ledger[:4]] == [
        ("debit", held[1]),
        ("debit", held[0]),
        ("debit", message_id),
        ("purchase", None),
    ]
    purchase = ledger[3]
    assert purchase["note"].startswith("Auto top-up")
    assert purchase["reference"] == "to be invoiced"
    assert purchase["amount"] == 1000
    assert admin.get("/api/v1/credits").json()["balance"] == 997
    assert "held" not in statuses(server, held)
    assert_ledger_matches_balance(server, firm_id)


def test_concurrent_debits_never_take_more_than_the_balance(server, admin):
    firm_id = admin.user["firm_id"]
    admin.put("/api/v1/credits/settings", json={"auto_top_up": False, "bundle_size": 5})
    drain(server, firm_id)
    admin.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": "INV-5"})
    ids = make_messages(server, firm_id, 20, status="scheduled")
    results: list[bool] = []
    barrier = threading.Barrier(len(ids))

    def debit(message_id: int) -> None:
        with server.app.state.sessionmaker() as session:
            barrier.wait()
            with session.begin():
                results.append(credits.try_debit_in(session, session.get(t.Message, message_id)))

    threads = [threading.Thread(target=debit, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False] * 15 + [True] * 5
    assert admin.get("/api/v1/credits").json()["balance"] == 0
    assert_ledger_matches_balance(server, firm_id)


# --- usage report -------------------------------------------------------------------------------


def _usage_fixture(server, admin) -> dict:
    """Billed messages by two users on two matters over two months, plus unbilled ones."""
    from tests.conftest import make_user

    firm_id = admin.user["firm_id"]
    bob = make_user(server, "bob")
    with server.app.state.sessionmaker() as session, session.begin():
        client = t.Client(firm_id=firm_id, first_name="Ana", last_name="Diaz")
        session.add(client)
        session.flush()
        smith = t.Matter(
            firm_id=firm_id, client_id=client.id, name="Diaz v. Smith", case_number="24-CV-17"
        )
        estate = t.Matter(firm_id=firm_id, client_id=client.id, name="=Estate of Diaz")
        session.add_all([smith, estate])
        session.flush()
        ids = {"smith": smith.id, "estate": estate.id, "bob": bob.id}
    march = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    april = datetime(2025, 4, 2, 15, 0, tzinfo=UTC)
    sent = []
    sent += make_messages(
        server,
        firm_id,
        2,
        status="delivered",
        sent_at=march,
        segments=2,
        sent_by_id=admin.user["id"],
        matter_id=ids["smith"],
    )
    sent += make_messages(
        server,
        firm_id,
        1,
        status="sent",
        sent_at=april,
        segments=3,
        sent_by_id=bob.id,
        matter_id=ids["estate"],
    )
    sent += make_messages(server, firm_id, 1, status="delivered", sent_at=april, segments=1)
    make_messages(server, firm_id, 2, status="held")  # Not billed: no credit taken.
    with server.app.state.sessionmaker() as session, session.begin():
        for message_id in sent:
            assert credits.try_debit_in(session, session.get(t.Message, message_id))
    return ids


def test_usage_report_per_user_matter_and_month_as_json_and_csv(server, admin):
    ids = _usage_fixture(server, admin)

    by_user = admin.get("/api/v1/credits/usage", params={"group": "user"}).json()
    rows = {r["label"]: (r["messages"], r["segments"], r["credits"]) for r in by_user["rows"]}
    assert rows == {
        "alice": (2, 4, 2),
        "bob": (1, 3, 1),
        "Automatic (reminders and flows)": (1, 1, 1),
    }
    assert (by_user["total"]["messages"], by_user["total"]["credits"]) == (4, 4)

    by_matter = admin.get("/api/v1/credits/usage", params={"group": "matter"}).json()
    rows = {r["key"]: (r["label"], r["credits"]) for r in by_matter["rows"]}
    assert rows[str(ids["smith"])] == ("Diaz v. Smith (24-CV-17) - Ana Diaz", 2)
    assert rows["none"] == ("Not filed under a matter", 1)

    by_month = admin.get("/api/v1/credits/usage", params={"group": "month"}).json()
    assert [(r["key"], r["messages"]) for r in by_month["rows"]] == [("2025-03", 2), ("2025-04", 2)]

    april = admin.get(
        "/api/v1/credits/usage", params={"group": "user", "from": "2025-04-01", "to": "2025-04-30"}
    ).json()
    assert april["total"]["messages"] == 2
    backwards = admin.get(
        "/api/v1/credits/usage", params={"from": "2025-05-01", "to": "2025-04-01"}
    )
    assert backwards.status_code == 422
    assert admin.get("/api/v1/credits/usage", params={"group": "client"}).status_code == 422

    response = admin.get("/api/v1/credits/usage", params={"group": "matter", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ".csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["matter_id", "matter", "messages", "segments", "credits"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(ids["smith"])][2:] == ["2", "4", "2"]
    # A formula-looking matter name stays text in a spreadsheet.
    assert by_id[str(ids["estate"])][1] == "'=Estate of Diaz - Ana Diaz"
    assert by_id[""][1] == "Not filed under a matter"


def test_held_sends_reach_the_carrier_in_order_once_an_admin_tops_up(live):
    """Live mode, auto top-up off: each send answers 201 `held` and waits; the top-up releases them
    and the carrier gets every recipient's texts in the order they were written."""
    from tests.server.conftest import conversation_for, wait_until

    admin, fake = live.admin, live.fake
    firm_id = admin.user["firm_id"]
    drain(live.server, firm_id)
    threads = [conversation_for(admin, phone)["id"] for phone in ("+12015550123", "+12015550124")]
    bodies = [f"update {n}" for n in range(6)]
    for n, body in enumerate(bodies):
        response = admin.post(
            f"/api/v1/conversations/{threads[n % 2]}/messages", json={"body": body}
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "held"
    assert fake.requests == []
    assert admin.get("/api/v1/credits").json()["held_count"] == 6

    admin.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": "INV-9"})

    arrived = fake.wait_for(6)
    by_recipient = {
        phone: [r.params["Body"] for r in arrived if r.params["To"] == phone]
        for phone in ("+12015550123", "+12015550124")
    }
    assert by_recipient == {"+12015550123": bodies[0::2], "+12015550124": bodies[1::2]}
    wait_until(lambda: admin.get("/api/v1/credits").json()["held_count"] == 0)
    assert admin.get("/api/v1/credits").json()["balance"] == 1000 - 6
    assert len(fake.requests) == 6
    assert_ledger_matches_balance(live.server, firm_id)


def test_ledger_names_who_and_what_and_exports_csv_by_the_firms_days(server, admin):
    ids = _usage_fixture(server, admin)
    firm_id = admin.user["firm_id"]
    with server.app.state.sessionmaker() as session, session.begin():
        conversation = session.scalar(
            select(t.Conversation).where(t.Conversation.firm_id == firm_id)
        )
        conversation.client_id = session.get(t.Matter, ids["smith"]).client_id
        conversation_id = conversation.id
    admin.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": "INV-7"})

    ledger = admin.get("/api/v1/credits/ledger").json()
    # (The two held texts go out after the top-up: their debits come after the purchase.)
    [purchase] = [e for e in ledger if e["kind"] == "purchase"]
    debits = [e for e in ledger if e["kind"] == "debit" and e["id"] < purchase["id"]]
    assert (purchase["kind"], purchase["user_name"], purchase["reference"]) == (
        "purchase",
        "alice",
        "INV-7",
    )
    assert purchase["conversation_id"] is None and purchase["matter_name"] is None
    who_what = sorted(
        (e["user_name"] or "", e["matter_name"] or "", e["client_name"], e["phone"]) for e in debits
    )
    assert who_what == [
        ("", "", "Ana Diaz", "+12015550123"),  # a reminder: nobody sent it, no matter
        ("alice", "Diaz v. Smith (24-CV-17)", "Ana Diaz", "+12015550123"),
        ("alice", "Diaz v. Smith (24-CV-17)", "Ana Diaz", "+12015550123"),
        ("bob", "=Estate of Diaz", "Ana Diaz", "+12015550123"),
    ]
    assert {e["conversation_id"] for e in debits} == {conversation_id}

    response = admin.get("/api/v1/credits/ledger.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="message-credits-ledger-all.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:6] == ["entry_id", "when", "kind", "amount", "balance_after", "user"]
    body = rows[1:]
    assert [row[2] for row in body[:6]] == ["grant", "debit", "debit", "debit", "debit", "purchase"]
    assert [int(row[0]) for row in body] == sorted(int(row[0]) for row in body)
    for before, after in itertools.pairwise(body):  # each entry moves the balance
        assert int(before[4]) + int(after[3]) == int(after[4])
    assert "'=Estate of Diaz" in {row[9] for row in body}  # stays text in a spreadsheet
    assert datetime.fromisoformat(body[0][1]).utcoffset() is not None

    # Days are the firm's: nothing of today is in a span that ended yesterday.
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    old = admin.get("/api/v1/credits/ledger.csv", params={"to": yesterday})
    assert len(list(csv.reader(io.StringIO(old.text)))) == 1
    backwards = admin.get(
        "/api/v1/credits/ledger.csv", params={"from": "2025-05-01", "to": "2025-04-01"}
    )
    assert backwards.status_code == 422
