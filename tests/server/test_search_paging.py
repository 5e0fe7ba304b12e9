"""Search through the index, unread counts kept as data, and paging of the inbox and of a thread,
over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from inbox_app.models import tables as t
from tests.conftest import login, make_user
from tests.server.conftest import CLIENT, conversation_for, inbound


def sender(i: int) -> str:
    return f"+120155501{i:02d}"


def marked(hit: dict) -> list[str]:
    return [hit["snippet"][a:b] for a, b in hit["marks"]]


def list_pages(api, limit: int, between=None, **params) -> tuple[list[list[dict]], list[str]]:
    pages, totals, cursor = [], [], None
    while True:
        query = {"limit": limit, **params}
        if cursor:
            query["cursor"] = cursor
        response = api.get("/api/v1/conversations", params=query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        totals.append(response.headers["X-Total-Count"])
        cursor = response.headers.get("X-Next-Cursor")
        if not cursor:
            return pages, totals
        if between:
            between(len(pages))


def test_search_finds_text_names_numbers_matters_and_case_numbers(server, admin):
    inbound(server, "The Zebra crossing by the courthouse, is that where I park?", sender(1))
    for i in range(2, 14):
        inbound(server, f"Question number {i} about the hearing", sender(i))
    maria = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    maria = maria.json()
    matter = admin.post(
        "/api/v1/matters",
        json={"client_id": maria["id"], "name": "State v. Lopez", "case_number": "2024-CV-01234"},
    ).json()
    filed = admin.post(
        "/api/v1/conversations",
        json={"phone": "+12015550177", "client_id": maria["id"], "matter_id": matter["id"]},
    ).json()

    # The zebra text's conversation is the oldest: beyond the first page of the inbox.
    first_page = admin.get("/api/v1/conversations", params={"limit": 5}).json()
    zebra_id = admin.get("/api/v1/conversations", params={"q": "zebra"}).json()[0]["id"]
    assert zebra_id not in [c["id"] for c in first_page]

    found = admin.get("/api/v1/search", params={"q": "zebra"}).json()
    assert [c["id"] for c in found["conversations"]] == [zebra_id]
    assert found["conversations"][0]["matched"] == ["message"]
    assert found["conversations_total"] == 1
    [hit] = found["messages"]
    assert hit["conversation_id"] == zebra_id
    assert marked(hit) == ["Zebra"]
    assert hit["snippet"].startswith("The Zebra crossing")
    # Part of a word finds it too (substring, case-insensitive).
    assert [
        h["id"] for h in admin.get("/api/v1/search", params={"q": "EBRA c"}).json()["messages"]
    ] == [hit["id"]]
    assert admin.get("/api/v1/search", params={"q": "giraffe"}).json()["messages"] == []

    for typed in ("(201) 555-0177", "201.555.0177", "+1 201 555 0177", "2015550177", "0177"):
        result = admin.get("/api/v1/search", params={"q": typed}).json()
        assert [c["id"] for c in result["conversations"]] == [filed["id"]], typed
        assert "phone" in result["conversations"][0]["matched"]
    by_name = admin.get("/api/v1/search", params={"q": "maria lop"}).json()
    assert [(c["id"], c["matched"]) for c in by_name["conversations"]] == [(filed["id"], ["name"])]
    by_matter = admin.get("/api/v1/search", params={"q": "state v."}).json()
    assert [c["id"] for c in by_matter["conversations"]] == [filed["id"]]
    assert "matter" in by_matter["conversations"][0]["matched"]
    for typed in ("2024-CV-01234", "2024cv01234", "cv-0123", "2024 CV 01234"):
        result = admin.get("/api/v1/search", params={"q": typed}).json()
        assert [c["id"] for c in result["conversations"]] == [filed["id"]], typed
        assert result["conversations"][0]["matched"] == ["case_number"], typed
    # The inbox's q= searches the same fields.
    assert [c["id"] for c in admin.get("/api/v1/conversations", params={"q": "2024cv"}).json()] == [
        filed["id"]
    ]

    # A word in many messages: newest first, paged with before=.
    first = admin.get("/api/v1/search", params={"q": "hearing", "limit": 5}).json()
    assert len(first["messages"]) == 5 and first["has_more_messages"]
    assert first["conversations_total"] == 12
    rest = admin.get(
        "/api/v1/search",
        params={"q": "hearing", "limit": 50, "before": first["messages"][-1]["id"]},
    ).json()
    ids = [h["id"] for h in first["messages"] + rest["messages"]]
    assert len(ids) == 12 and ids == sorted(ids, reverse=True) and not rest["has_more_messages"]

    # Another firm sees none of it.
    make_user(server, "olga", firm="Other Firm LLP")
    olga = login(server, "olga")
    other = olga.get("/api/v1/search", params={"q": "zebra"}).json()
    assert other["conversations"] == [] and other["messages"] == []
    assert (
        olga.get("/api/v1/search", params={"q": "zebra", "conversation_id": zebra_id}).status_code
        == 404
    )


def test_thread_search_finds_every_hit_of_one_conversation(server, admin):
    for i in range(12):
        inbound(server, f"{'Parking' if i % 3 == 0 else 'Other'} note {i}")
    inbound(server, "Parking elsewhere", sender(1))
    cid = admin.get("/api/v1/conversations", params={"q": CLIENT}).json()[0]["id"]
    result = admin.get(
        "/api/v1/search", params={"q": "park", "conversation_id": cid, "limit": 3}
    ).json()
    assert [h["snippet"] for h in result["messages"]] == [
        "Parking note 9",
        "Parking note 6",
        "Parking note 3",
    ]
    assert result["has_more_messages"]
    rest = admin.get(
        "/api/v1/search",
        params={"q": "park", "conversation_id": cid, "before": result["messages"][-1]["id"]},
    ).json()
    assert [h["snippet"] for h in rest["messages"]] == ["Parking note 0"]
    # Within one thread, even two characters are searched.
    assert (
        len(
            admin.get("/api/v1/search", params={"q": "9", "conversation_id": cid}).json()[
                "messages"
            ]
        )
        == 1
    )


def test_index_follows_edit_and_block(server, admin):
    conversation = conversation_for(admin)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    scheduled = admin.post(url, json={"body": "Bring the blue folder", "send_at": later}).json()
    assert [
        h["id"] for h in admin.get("/api/v1/search", params={"q": "blue folder"}).json()["messages"]
    ] == [scheduled["id"]]
    edited = admin.patch(
        f"/api/v1/messages/{scheduled['id']}", json={"body": "Bring the red binder"}
    )
    assert edited.status_code == 200
    assert admin.get("/api/v1/search", params={"q": "blue folder"}).json()["messages"] == []
    assert [
        h["id"] for h in admin.get("/api/v1/search", params={"q": "red binder"}).json()["messages"]
    ] == [scheduled["id"]]
    inbound(server, "Stop texting me about the red binder")
    assert len(admin.get("/api/v1/search", params={"q": "red binder"}).json()["messages"]) == 2

    assert admin.post(f"/api/v1/conversations/{conversation['id']}/block").status_code == 204
    gone = admin.get("/api/v1/search", params={"q": "red binder"}).json()
    assert gone == {
        "q": "red binder",
        "conversations": [],
        "conversations_total": 0,
        "messages": [],
        "has_more_messages": False,
    }
    if server.settings.database_url.startswith("sqlite"):
        # The index holds nothing of the deleted thread either.
        import sqlite3

        path = server.settings.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            hits = db.execute(
                "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"binder\"'"
            ).fetchone()[0]
        assert hits == 0


def test_search_refuses_bad_input_with_a_sentence(server, admin):
    for params in (
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 201},
        {"q": "a", "limit": 0},
        {"q": "a\x00"},
    ):
        response = admin.get("/api/v1/search", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"] and response.json()["code"], params
    # Characters that mean something to the index or to LIKE are only text.
    inbound(server, 'He said "100%_sure" (really) * OR NEAR')
    for typed in ('"100%_sure"', "100%_", "(really) *", "OR NEAR"):
        hits = admin.get("/api/v1/search", params={"q": typed}).json()["messages"]
        assert len(hits) == 1, typed
    assert admin.get("/api/v1/search", params={"q": "100%x"}).json()["messages"] == []


def test_unread_counts_are_kept_per_user(server, admin, staff):
    for body in ("one", "two", "three"):
        inbound(server, body)
    [row] = admin.get("/api/v1/conversations").json()
    assert row["unread_count"] == 3
    admin.post(f"/api/v1/conversations/{row['id']}/read")
    inbound(server, "four")
    inbound(server, "five")
    assert admin.get("/api/v1/conversations").json()[0]["unread_count"] == 2
    assert staff.get("/api/v1/conversations").json()[0]["unread_count"] == 5
    admin.post(f"/api/v1/conversations/{row['id']}/read")
    assert admin.get("/api/v1/conversations", params={"unread": "true"}).json() == []
    assert (
        admin.get("/api/v1/conversations", params={"unread": "true"}).headers["X-Total-Count"]
        == "0"
    )
    admin.post(f"/api/v1/conversations/{row['id']}/unread")
    assert [
        c["unread_count"]
        for c in admin.get("/api/v1/conversations", params={"unread": "true"}).json()
    ] == [1]
    # Replying does not count as unread.
    admin.post(f"/api/v1/conversations/{row['id']}/read")
    admin.post(f"/api/v1/conversations/{row['id']}/messages", json={"body": "ok"})
    assert admin.get("/api/v1/conversations").json()[0]["unread_count"] == 0


def test_inbox_pages_return_every_conversation_once_while_texts_arrive(server, admin):
    for i in range(23):
        inbound(server, f"first text {i}", sender(i))
    ids_before = {c["id"] for c in admin.get("/api/v1/conversations").json()}
    assert len(ids_before) == 23

    def texts_arrive(pages_so_far: int) -> None:
        # Texts to threads already listed and not yet listed, and a new thread.
        inbound(server, "again", sender(22 - pages_so_far))
        inbound(server, "again", sender(pages_so_far))
        inbound(server, "new thread", sender(50 + pages_so_far))

    pages, totals = list_pages(admin, 5, between=texts_arrive)
    seen = [c["id"] for page in pages for c in page]
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == ids_before
    assert totals[0] == "23"
    # Without arrivals: the pages are the whole list, newest activity first.
    whole = admin.get("/api/v1/conversations").json()
    paged = [c for page in list_pages(admin, 7)[0] for c in page]
    assert [c["id"] for c in paged] == [c["id"] for c in whole]
    assert list_pages(admin, 7)[1][0] == str(len(whole))
    # The unread filter pages the same way.
    unread = [c["id"] for page in list_pages(admin, 4, unread="true")[0] for c in page]
    assert unread == [c["id"] for c in whole if c["unread_count"]]


def test_a_cursor_that_is_not_ours_is_refused(server, admin):
    inbound(server, "hi")
    for cursor in ("garbage", "W10", "x" * 401):
        response = admin.get("/api/v1/conversations", params={"cursor": cursor})
        assert response.status_code == 422, cursor
        assert response.json()["detail"]


def _thread(server, admin, count: int) -> tuple[int, list[int], list[datetime]]:
    for i in range(count):
        inbound(server, f"message {i}")
    cid = admin.get("/api/v1/conversations").json()[0]["id"]
    ids = [
        m["id"]
        for m in admin.get(f"/api/v1/conversations/{cid}/messages", params={"limit": 200}).json()[
            "messages"
        ]
    ]
    # One message a day from 2025-01-01, so dates can be asked for.
    days = [datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(days=i) for i in range(count)]
    with server.app.state.sessionmaker() as session, session.begin():
        for message_id, day in zip(ids, days, strict=True):
            session.execute(
                update(t.Message).where(t.Message.id == message_id).values(created_at=day)
            )
    return cid, ids, days


def test_thread_pages_around_a_message_a_date_and_the_start(server, admin):
    cid, ids, _days = _thread(server, admin, 30)
    url = f"/api/v1/conversations/{cid}/messages"

    def page(**params):
        response = admin.get(url, params={"limit": 10, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        return [m["id"] for m in body["messages"]], body

    got, body = page(around=ids[15])
    assert got == ids[10:20] and body["anchor_id"] == ids[15]
    assert body["has_more"] and body["has_more_after"]
    got, body = page(around=ids[0])
    assert got == ids[0:10] and not body["has_more"] and body["has_more_after"]
    got, body = page(around=ids[-1])
    assert got == ids[20:30] and body["has_more"] and not body["has_more_after"]
    got, body = page(around=ids[28])
    assert got == ids[20:30] and body["anchor_id"] == ids[28]

    got, body = page(at="2025-01-11T00:00:00+00:00")
    assert body["anchor_id"] == ids[10] and ids[10] in got
    got, body = page(at="2024-06-01T00:00:00-04:00")
    assert body["anchor_id"] == ids[0] and got == ids[:10] and not body["has_more"]
    got, body = page(at="2030-01-01T00:00:00+00:00")
    assert body["anchor_id"] == ids[-1] and got == ids[20:] and not body["has_more_after"]

    got, body = page(after=0)
    assert got == ids[:10] and not body["has_more"] and body["has_more_after"]
    got, body = page(after=ids[24])
    assert got == ids[25:] and body["has_more"] and not body["has_more_after"]
    got, body = page(after=ids[-1])
    assert got == [] and body["has_more"] and not body["has_more_after"]
    got, body = page()
    assert got == ids[20:] and body["has_more"] and not body["has_more_after"]
    got, body = page(before=ids[20])
    assert got == ids[10:20] and body["has_more"] and body["has_more_after"]

    for bad in ({"before": ids[5], "after": ids[1]}, {"at": "2025-01-01T00:00:00"}, {"around": 0}):
        response = admin.get(url, params=bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"]
    inbound(server, "elsewhere", sender(1))
    elsewhere = admin.get("/api/v1/conversations").json()[0]["id"]
    response = admin.get(f"/api/v1/conversations/{elsewhere}/messages", params={"around": ids[3]})
    assert response.status_code == 404
