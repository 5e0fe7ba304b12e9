"""Conversations API over real HTTP: compose, my inbox and its filters, actions, filing, firms."""

from __future__ import annotations

from tests.conftest import login, make_user
from tests.server.conftest import CLIENT, conversation_for, inbound


def test_compose_opens_one_conversation_per_number_and_hides_other_firms(server, admin):
    new = admin.post("/api/v1/conversations", json={"phone": "201-555-0123"})
    existing = admin.post("/api/v1/conversations", json={"phone": "+1 (201) 555 0123"})
    not_a_number = admin.post("/api/v1/conversations", json={"phone": "12"})
    toll_free = admin.post("/api/v1/conversations", json={"phone": "+18005550199"})
    empty = admin.post("/api/v1/conversations", json={"phone": ""})

    assert new.status_code == 201
    assert existing.status_code == 200
    assert new.json()["id"] == existing.json()["id"]
    assert new.json()["phone"] == CLIENT
    assert not_a_number.status_code == 422
    assert "not a valid mobile number" in not_a_number.json()["detail"]
    assert toll_free.status_code == 422
    assert "cannot receive texts" in toll_free.json()["detail"]
    assert empty.status_code == 422
    assert len(admin.get("/api/v1/conversations").json()) == 1

    inbound(server, "hello")
    conversation = admin.get("/api/v1/conversations").json()[0]
    cid = conversation["id"]
    message_id = admin.get(f"/api/v1/conversations/{cid}/messages").json()["messages"][0]["id"]
    make_user(server, "olga", firm="Other Firm LLP")
    olga = login(server, "olga")

    assert olga.get("/api/v1/conversations").json() == []
    calls = [
        olga.get(f"/api/v1/conversations/{cid}"),
        olga.get(f"/api/v1/conversations/{cid}/messages"),
        olga.post(f"/api/v1/conversations/{cid}/messages", json={"body": "hi"}),
        olga.post(f"/api/v1/conversations/{cid}/read"),
        olga.post(f"/api/v1/conversations/{cid}/archive"),
        olga.post(f"/api/v1/conversations/{cid}/block"),
        olga.get(f"/api/v1/conversations/{cid}/export"),
        olga.put(f"/api/v1/conversations/{cid}/file", json={"client_id": None}),
        olga.patch(f"/api/v1/messages/{message_id}", json={"body": "x"}),
        olga.delete(f"/api/v1/messages/{message_id}"),
        olga.get("/api/v1/conversations/999999"),
    ]
    assert [r.status_code for r in calls] == [404] * len(calls)
    assert admin.get(f"/api/v1/conversations/{cid}").json()["archived"] is False


def test_read_unread_mute_and_filters(server, admin, staff):
    inbound(server, "Where do I park at the courthouse?")
    inbound(server, "Got the papers", sender="+12015550144")
    inbox = admin.get("/api/v1/conversations").json()
    assert [c["phone"] for c in inbox] == ["+12015550144", CLIENT]  # newest activity first
    parking = inbox[1]["id"]

    read = admin.post(f"/api/v1/conversations/{parking}/read").json()
    assert read["unread_count"] == 0
    assert [c["id"] for c in admin.get("/api/v1/conversations?unread=true").json()] == [
        inbox[0]["id"]
    ]
    assert staff.get(f"/api/v1/conversations/{parking}").json()["unread_count"] == 1
    unread = admin.post(f"/api/v1/conversations/{parking}/unread").json()
    assert unread["unread_count"] == 1
    assert admin.post(f"/api/v1/conversations/{parking}/mute").json()["muted"] is True
    assert admin.post(f"/api/v1/conversations/{parking}/unmute").json()["muted"] is False
    assert admin.post(f"/api/v1/conversations/{parking}/teleport").status_code == 422

    def ids(q: str) -> list[int]:
        return [c["id"] for c in admin.get("/api/v1/conversations", params={"q": q}).json()]

    assert ids("courthouse") == [parking]
    assert ids("555-0144") == [inbox[0]["id"]]
    assert ids("100%_") == []


def test_filing_links_client_and_matter_of_the_number(server, admin):
    client = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    assert client.status_code == 201, client.text
    client_id = client.json()["id"]
    contact = admin.post(f"/api/v1/clients/{client_id}/contacts", json={"phone": CLIENT})
    assert contact.status_code == 201, contact.text
    matter = admin.post("/api/v1/matters", json={"client_id": client_id, "name": "Lopez v. Acme"})
    assert matter.status_code == 201, matter.text

    inbound(server, "Hi, it's Maria")
    [conversation] = admin.get("/api/v1/conversations").json()
    assert conversation["contact_name"] == "Maria Lopez"
    assert conversation["client_id"] == client_id
    assert conversation["matter"] == "Lopez v. Acme"
    assert [c["id"] for c in admin.get("/api/v1/conversations?q=lopez").json()] == [
        conversation["id"]
    ]

    stranger = conversation_for(admin, "+12015550177")
    filed = admin.put(
        f"/api/v1/conversations/{stranger['id']}/file",
        json={"client_id": client_id, "matter_id": matter.json()["id"]},
    )
    assert filed.status_code == 200
    assert filed.json()["contact_name"] == "Maria Lopez"
    make_user(server, "olga", firm="Other Firm LLP")
    olga = login(server, "olga")
    other_client = olga.post("/api/v1/clients", json={"first_name": "Zed"}).json()["id"]
    wrong_firm = admin.post(
        f"/api/v1/conversations/{stranger['id']}/file", json={"client_id": other_client}
    )
    assert wrong_firm.status_code == 422
    assert admin.get(f"/api/v1/conversations/{stranger['id']}").json()["client_id"] == client_id
