"""Numbers and firms (CONTRACT.md): a firm sends only from a number it owns, a number has at most
one firm (a database constraint, so two admins racing for it get one 200 and one 409), and a
text to a number no firm owns is acknowledged and stored nowhere. Over real HTTP."""

from __future__ import annotations

import threading
import uuid

import httpx
from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.conftest import PASSWORD, login, make_user
from tests.harness import post_webhook
from tests.server.conftest import CLIENT, conversation_for

SERVER_NUMBER = "+12015550100"  # INBOX_TWILIO_FROM of the test servers
B_CLIENT = "+12015550177"


def text(base_url: str, to: str, body: str, sender: str = CLIENT):
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "a" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    return post_webhook(base_url, "/webhooks/twilio/messages", params)


def stored(server, model, **where) -> int:
    with server.app.state.sessionmaker() as session:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return session.scalar(stmt)


def bodies(api) -> list[str]:
    out = []
    for conversation in api.get("/api/v1/conversations").json():
        page = api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
        out += [m["body"] for m in page["messages"]]
    return sorted(out)


def test_a_firm_without_a_number_of_its_own_cannot_send_and_stores_nothing(server, admin):
    # The server's first firm was given INBOX_TWILIO_FROM; a second firm has no number.
    assert admin.get("/api/v1/firm/settings").json()["from_number"] == SERVER_NUMBER
    make_user(server, "olga", admin=True, firm="Other Firm")
    other = login(server, "olga")
    assert other.get("/api/v1/firm/settings").json()["from_number"] is None
    cid = conversation_for(other, B_CLIENT)["id"]

    response = other.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Hi from B"})

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "no_sender_number"
    assert "number" in response.json()["detail"]
    assert stored(server, t.Message, firm_id=other.user["firm_id"]) == 0
    # The client of firm B texting the shared number reaches firm A only if A texted them:
    # it is A's number. Nothing of it is ever stored in B.
    assert text(server.base_url, SERVER_NUMBER, "Reply to B?", sender=B_CLIENT).status_code == 200
    assert bodies(other) == []
    assert bodies(admin) == ["Reply to B?"]

    # Once B has its own number it sends from it, and its clients' replies reach B alone.
    assert other.put("/api/v1/firm/settings", json={"from_number": "+12015550155"}).is_success
    sent = other.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Hi from B"})
    assert sent.status_code == 201, sent.text
    with server.app.state.sessionmaker() as session:
        assert session.get(t.Message, sent.json()["id"]).from_number == "+12015550155"
    assert text(server.base_url, "+12015550155", "For B", sender=B_CLIENT).status_code == 200
    assert bodies(other) == ["For B", "Hi from B"]
    assert "For B" not in bodies(admin)


def test_a_text_to_a_number_no_firm_owns_is_stored_nowhere_even_with_one_firm(server, admin):
    before = stored(server, t.Message)
    for to in ("+14155550123", "", "+12015550199"):
        response = text(server.base_url, to, "Who is this?")
        assert response.status_code == 200, (to, response.text)
        assert "<Message>" not in response.text
    assert stored(server, t.Message) == before
    assert stored(server, t.Conversation) == 0


def test_the_first_firm_is_given_the_server_number_once(server, admin):
    # A firm that gives the number up leaves it to no one: texts to it are dropped.
    assert admin.put("/api/v1/firm/settings", json={"from_number": "+12015550101"}).is_success
    make_user(server, "olga", admin=True, firm="Other Firm")
    other = login(server, "olga")
    assert other.get("/api/v1/firm/settings").json()["from_number"] is None
    assert text(server.base_url, SERVER_NUMBER, "anyone?").status_code == 200
    assert stored(server, t.Message) == 0
    # Given explicitly, it is the new owner's.
    assert other.put("/api/v1/firm/settings", json={"from_number": SERVER_NUMBER}).is_success
    assert text(server.base_url, SERVER_NUMBER, "now for Other").status_code == 200
    assert bodies(other) == ["now for Other"]
    assert bodies(admin) == []


def test_two_admins_claiming_one_number_on_two_processes_get_one_200_and_one_409(db_url, tmp_path):
    """Two `inbox-server` processes on one database; 30 races for 30 numbers."""
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services.auth import create_user
    from tests.harness import AUTH_TOKEN, free_port
    from tests.server.test_stream import servers_in_processes

    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        for name, firm in (("doe", "Doe Law"), ("roe", "Roe Legal")):
            with sessions() as session:
                create_user(session, name, PASSWORD, is_admin=True, firm_name=firm)
        ports = [free_port(), free_port()]
        envs = [
            {
                "INBOX_DATABASE_URL": db_url,
                "INBOX_MEDIA_DIR": str(tmp_path / "media"),
                "INBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "INBOX_DISPATCHER_ENABLED": "false",
            }
            for port in ports
        ]
        with servers_in_processes(envs, ports):
            clients = []
            for name, port in zip(("doe", "roe"), ports, strict=True):
                base = f"http://127.0.0.1:{port}"
                token = httpx.post(
                    f"{base}/api/v1/auth/token",
                    json={"username": name, "password": PASSWORD},
                    timeout=15,
                ).json()["access_token"]
                clients.append(
                    httpx.Client(
                        base_url=base, timeout=15, headers={"Authorization": f"Bearer {token}"}
                    )
                )
            both_won = 0
            for n in range(30):
                number = f"+1201555{1000 + n:04d}"
                barrier = threading.Barrier(2)
                answers: list[httpx.Response] = [None, None]  # type: ignore[list-item]

                def claim(i: int, number=number, barrier=barrier, answers=answers) -> None:
                    barrier.wait()
                    answers[i] = clients[i].put(
                        "/api/v1/firm/settings", json={"from_number": number}
                    )

                threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                codes = sorted(a.status_code for a in answers)
                if codes == [200, 200]:
                    both_won += 1
                    continue
                assert codes == [200, 409], [a.text for a in answers]
                loser = next(a for a in answers if a.status_code == 409)
                assert loser.json()["code"] == "number_taken"
                assert "from_number" in loser.json()["detail"]
            for client in clients:
                client.close()
        assert both_won == 0
        with sessions() as session:
            numbers = session.scalars(select(t.Firm.from_number)).all()
        assert len([n for n in numbers if n]) == len({n for n in numbers if n}) == 2
    finally:
        engine.dispose()


def test_the_only_firm_made_without_a_number_takes_the_server_number_when_it_texts(server):
    from inbox_app.server.services.auth import create_user

    with server.app.state.sessionmaker() as session:
        create_user(session, "solo", PASSWORD, is_admin=True, firm_name="Solo Law")
    solo = login(server, "solo")
    assert solo.get("/api/v1/firm/settings").json()["from_number"] is None
    assert text(server.base_url, SERVER_NUMBER, "Hello?").status_code == 200
    assert bodies(solo) == ["Hello?"]
    assert solo.get("/api/v1/firm/settings").json()["from_number"] == SERVER_NUMBER
    # A second firm made the same way gets nothing: the number is taken.
    with server.app.state.sessionmaker() as session:
        create_user(session, "duo", PASSWORD, is_admin=True, firm_name="Duo Law")
    duo = login(server, "duo")
    cid = conversation_for(duo, B_CLIENT)["id"]
    refused = duo.post(f"/api/v1/conversations/{cid}/messages", json={"body": "hi"})
    assert refused.status_code == 409 and refused.json()["code"] == "no_sender_number"
