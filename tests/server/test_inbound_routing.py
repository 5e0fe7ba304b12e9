"""Inbound texts reach the firm that owns the number they were sent to, over real HTTP."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from inbox_app.models import tables as t
from inbox_app.server.errors import Conflict, Invalid, NotFound
from inbox_app.server.services.inbound import set_firm_number
from tests.conftest import login, make_user
from tests.harness import post_webhook
from tests.server.conftest import CLIENT

DOE_NUMBER = "+12015550101"
ROE_NUMBER = "+12015550102"
SERVER_NUMBER = "+12015550100"  # INBOX_TWILIO_FROM of the test servers


def text(server, to: str, body: str = "Hello", sender: str = CLIENT, sid: str | None = None):
    params = {
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "a" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    return post_webhook(server.base_url, "/webhooks/twilio/messages", params)


def counts(server) -> dict[str, int]:
    with server.app.state.sessionmaker() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (t.Message, t.Conversation, t.StreamEvent, t.ConsentEvent)
        }


def bodies(api) -> list[str]:
    out = []
    for conversation in api.get("/api/v1/conversations").json():
        page = api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
        out += [m["body"] for m in page["messages"]]
    return sorted(out)


@pytest.fixture
def two_firms(server):
    """Doe (the first firm: it was given the server's number) and Roe (no number yet)."""
    make_user(server, "doe", admin=True, firm="Doe Law")
    make_user(server, "roe", admin=True, firm="Roe Legal")
    return login(server, "doe"), login(server, "roe")


def test_each_firm_receives_only_the_texts_sent_to_its_number(server, two_firms, monkeypatch):
    doe, roe = two_firms
    with server.app.state.sessionmaker() as session:
        set_firm_number(session, "Doe Law", "(201) 555-0101")
    # Operators use the command; it normalises the number as the webhook's To is.
    from inbox_app.server import cli
    from inbox_app.server.config import get_settings

    monkeypatch.setenv("INBOX_DATABASE_URL", server.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        args = cli.build_parser().parse_args(
            ["set-firm-number", str(roe.user["firm_id"]), "201 555 0102"]
        )
        assert args.func(args) == 0
    finally:
        get_settings.cache_clear()

    assert text(server, DOE_NUMBER, "For Doe").status_code == 200
    assert text(server, ROE_NUMBER, "For Roe").status_code == 200
    assert text(server, ROE_NUMBER, "Roe again", sender="+12015550177").status_code == 200
    help_reply = text(server, ROE_NUMBER, "HELP")

    assert bodies(doe) == ["For Doe"]
    assert bodies(roe) == ["For Roe", "HELP", "Roe again"]
    assert "<Message>Roe Legal:" in help_reply.text
    with server.app.state.sessionmaker() as session:
        by_firm = dict(
            session.execute(
                select(t.Message.firm_id, func.count()).group_by(t.Message.firm_id)
            ).all()
        )
        assert by_firm == {doe.user["firm_id"]: 1, roe.user["firm_id"]: 3}
        leaked = session.scalars(
            select(t.StreamEvent).where(
                t.StreamEvent.firm_id == doe.user["firm_id"],
                t.StreamEvent.kind.in_(("message.created", "notification")),
            )
        ).all()
        assert [e.payload["body"] for e in leaked] == ["For Doe", "For Doe"]

    # The same MessageSid to the other firm's number is still a repeat: stored once.
    sid = "SM" + uuid.uuid4().hex
    text(server, DOE_NUMBER, "once", sid=sid)
    assert text(server, ROE_NUMBER, "once", sid=sid).status_code == 200
    assert "once" in bodies(doe) and "once" not in bodies(roe)


def test_a_text_to_a_number_no_firm_owns_is_acknowledged_and_stored_nowhere(server, two_firms):
    doe, roe = two_firms
    with server.app.state.sessionmaker() as session:
        set_firm_number(session, "Doe Law", DOE_NUMBER)
        set_firm_number(session, "Roe Legal", ROE_NUMBER)
    before = counts(server)

    for to in ("+12015550199", "", "12345", "x" * 100):
        response = text(server, to, "Who is this?")
        assert response.status_code == 200, (to, response.text)
        assert "<Message>" not in response.text
    stop = text(server, "+12015550199", "STOP")

    assert stop.status_code == 200
    assert counts(server) == before
    assert bodies(doe) == bodies(roe) == []


def test_the_server_number_goes_only_to_the_firm_it_was_given_to(server, two_firms):
    doe, roe = two_firms
    assert doe.get("/api/v1/firm/settings").json()["from_number"] == SERVER_NUMBER
    assert roe.get("/api/v1/firm/settings").json()["from_number"] is None

    assert text(server, SERVER_NUMBER, "to the shared number").status_code == 200
    assert bodies(doe) == ["to the shared number"]
    assert bodies(roe) == []

    # Once Doe texts from a number of its own, nobody owns the server's: its texts are dropped.
    with server.app.state.sessionmaker() as session:
        set_firm_number(session, "Doe Law", DOE_NUMBER)
    before = counts(server)
    assert text(server, SERVER_NUMBER, "shared again", sender="+12015550166").status_code == 200
    assert counts(server) == before
    assert bodies(roe) == []


def test_one_firm_gets_the_texts_to_its_number_and_odd_numbers_are_dropped_not_a_500(
    server, admin
):
    assert text(server, SERVER_NUMBER, "to our number").status_code == 200
    before = counts(server)
    assert text(server, "+14155550123", "wrong To, one firm").status_code == 200
    assert text(server, "", "no To at all", sender="+12015550111").status_code == 200

    too_long = [
        text(server, SERVER_NUMBER, "long From", sender="+1" + "2" * 80),
        text(server, "+1" + "0" * 80, "long To"),
    ]
    assert [r.status_code for r in too_long] == [200, 200]
    assert counts(server) == before
    assert bodies(admin) == ["to our number"]


def test_status_callbacks_do_not_depend_on_the_firm_number(server, two_firms):
    _doe, roe = two_firms
    with server.app.state.sessionmaker() as session:
        set_firm_number(session, "Roe Legal", ROE_NUMBER)
    text(server, ROE_NUMBER, "hi")
    [conversation] = roe.get("/api/v1/conversations").json()
    with server.app.state.sessionmaker() as session, session.begin():
        session.add(
            t.Message(
                firm_id=roe.user["firm_id"],
                conversation_id=conversation["id"],
                direction="outbound",
                body="Hi back",
                status="sent",
                from_number=ROE_NUMBER,
                to_number=CLIENT,
                carrier_sid="SM" + "b" * 32,
            )
        )
    params = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    assert post_webhook(server.base_url, "/webhooks/twilio/status", params).status_code == 200
    page = roe.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
    assert [m["status"] for m in page["messages"]] == ["received", "delivered"]


def test_firm_numbers_are_checked_and_never_shared(server, two_firms):
    with server.app.state.sessionmaker() as session:
        set_firm_number(session, "Doe Law", DOE_NUMBER)
        with pytest.raises(Conflict, match="already belongs to 'Doe Law'"):
            set_firm_number(session, "Roe Legal", "201-555-0101")
        with pytest.raises(Invalid, match="not a phone number"):
            set_firm_number(session, "Roe Legal", "555")
        with pytest.raises(NotFound):
            set_firm_number(session, "Nobody LLP", ROE_NUMBER)
        # Giving a number up frees it for another firm.
        set_firm_number(session, "Doe Law", None)
        assert set_firm_number(session, "Roe Legal", DOE_NUMBER).from_number == DOE_NUMBER


@pytest.fixture
def sqlite_server(tmp_path, _template_databases):
    """The real backend on SQLite (the case where webhooks are stored on the event loop)."""
    import shutil

    from tests.harness import free_port, make_settings, serve_in_thread

    target = tmp_path / "inbox.db"
    shutil.copy(_template_databases["sqlite"], target)
    settings = make_settings(f"sqlite:///{target}", tmp_path, free_port())
    with serve_in_thread(settings) as running:
        make_user(running, "alice", admin=True)
        yield running


def test_a_text_waits_for_a_busy_database_without_stalling_the_server(sqlite_server):
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    server = sqlite_server
    path = server.settings.effective_database_url.removeprefix("sqlite:///")
    with ThreadPoolExecutor(2) as pool:
        # Another thread of the server process is writing, then another process is.
        with server.app.state.sessionmaker() as session, session.begin():
            session.connection()
            first = pool.submit(text, server, SERVER_NUMBER, "while a thread writes")
            assert httpx.get(server.base_url + "/healthz", timeout=5).status_code == 200
            assert not first.done()
        assert first.result(timeout=10).status_code == 200

        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            second = pool.submit(text, server, SERVER_NUMBER, "while a process writes")
            assert httpx.get(server.base_url + "/healthz", timeout=5).status_code == 200
            assert not second.done()
            other.execute("COMMIT")
        finally:
            other.close()
        assert second.result(timeout=10).status_code == 200

    with server.app.state.sessionmaker() as session:
        stored = session.scalars(select(t.Message.body).order_by(t.Message.id)).all()
    assert stored == ["while a thread writes", "while a process writes"]


def test_nul_in_numbers_or_body_never_reaches_the_database(server, admin):
    from inbox_app.server.services import inbound

    def params(**fields):
        base = {"MessageSid": "SM" + uuid.uuid4().hex, "From": CLIENT, "To": SERVER_NUMBER}
        return {**base, **fields}

    # What the simulator and the demo hand the service directly, without the route's cleaning.
    with server.app.state.sessionmaker() as session:
        for odd in (params(From=CLIENT + "\x00"), params(To="\x00" + SERVER_NUMBER)):
            assert "<Message>" not in inbound.receive(session, server.settings, odd)
        assert counts(server)["messages"] == 0
        inbound.receive(session, server.settings, params(Body="see\x00 you"))
    assert bodies(admin) == ["see you"]
