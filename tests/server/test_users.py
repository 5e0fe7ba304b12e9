"""Managing users: the admin API `/api/v1/users` and the `inbox-server` commands, over real HTTP
and real processes. A password change or disable revokes the user's tokens; a firm always keeps
an active admin; an admin sees and changes only the users of their own firm."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import func, select

from inbox_app.models import tables as t
from tests.conftest import PASSWORD, login, make_user
from tests.server.test_tokens import run_cli

USER_FIELDS = {"id", "username", "display_name", "role", "can_text", "is_active", "created_at"}


def sign_in(server, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=15,
    )


def user_count(server) -> int:
    with server.app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(t.User))


def test_an_admin_creates_changes_resets_and_disables_users(server, admin):
    [me] = admin.get("/api/v1/users").json()
    assert set(me) == USER_FIELDS
    assert (me["username"], me["role"], me["is_active"]) == ("alice", "admin", True)

    created = admin.post(
        "/api/v1/users",
        json={"username": "bob", "password": "bob's first pass", "display_name": "Bob B."},
    )
    assert created.status_code == 201, created.text
    bob = created.json()
    assert set(bob) == USER_FIELDS
    assert (bob["role"], bob["display_name"], bob["can_text"]) == ("staff", "Bob B.", True)
    assert [u["username"] for u in admin.get("/api/v1/users").json()] == ["alice", "bob"]
    first = sign_in(server, "bob", "bob's first pass")
    assert first.status_code == 200
    bob_headers = {"Authorization": f"Bearer {first.json()['access_token']}"}

    promoted = admin.patch(f"/api/v1/users/{bob['id']}", json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    # A role change keeps the session: the next call already has the new role.
    assert httpx.get(f"{server.base_url}/api/v1/users", headers=bob_headers, timeout=15).is_success

    reset = admin.post(f"/api/v1/users/{bob['id']}/password", json={"password": "new pass 123"})
    assert reset.status_code == 200, reset.text
    me_url = f"{server.base_url}/api/v1/auth/me"
    assert httpx.get(me_url, headers=bob_headers, timeout=15).status_code == 401
    assert sign_in(server, "bob", "bob's first pass").status_code == 401
    second = sign_in(server, "bob", "new pass 123")
    assert second.status_code == 200
    bob_headers = {"Authorization": f"Bearer {second.json()['access_token']}"}

    disabled = admin.post(f"/api/v1/users/{bob['id']}/disable")
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    assert httpx.get(me_url, headers=bob_headers, timeout=15).status_code == 401
    assert sign_in(server, "bob", "new pass 123").status_code == 401
    enabled = admin.post(f"/api/v1/users/{bob['id']}/enable")
    assert enabled.status_code == 200 and enabled.json()["is_active"] is True
    assert sign_in(server, "bob", "new pass 123").status_code == 200


def test_an_admin_sees_and_changes_only_their_own_firms_users(server, admin, staff):
    make_user(server, "olga", admin=True, firm="Other Firm")
    other = login(server, "olga")
    assert [u["username"] for u in other.get("/api/v1/users").json()] == ["olga"]
    for call in (
        other.patch(f"/api/v1/users/{staff.user['id']}", json={"role": "admin"}),
        other.post(f"/api/v1/users/{staff.user['id']}/disable"),
        other.post(f"/api/v1/users/{staff.user['id']}/password", json={"password": "x" * 12}),
    ):
        assert call.status_code == 404, call.text
        assert call.json()["code"] == "user_not_found"
    # Staff manage nobody, themselves included.
    for call in (
        staff.get("/api/v1/users"),
        staff.post("/api/v1/users", json={"username": "sneaky", "password": "x" * 12}),
        staff.patch(f"/api/v1/users/{staff.user['id']}", json={"role": "admin"}),
    ):
        assert call.status_code == 403, call.text
    assert staff.get("/api/v1/auth/me").json()["role"] == "staff"
    assert sign_in(server, "paula", PASSWORD).status_code == 200


def test_bad_user_input_is_a_clear_4xx_and_stores_nothing(server, admin):
    before = user_count(server)
    cases = [
        ({"username": "bob", "password": "short"}, 422, "password"),
        ({"username": "  ", "password": "long enough pass"}, 422, "username"),
        ({"username": "bob", "password": "long enough pass", "role": "owner"}, 422, "role"),
        ({"username": "bob", "password": "long enough pass", "colour": "red"}, 422, "colour"),
        ({"username": "alice", "password": "long enough pass"}, 409, "alice"),
        ({"username": "x" * 151, "password": "long enough pass"}, 422, "username"),
    ]
    for body, status, named in cases:
        response = admin.post("/api/v1/users", json=body)
        assert response.status_code == status, (body, response.text)
        assert named in response.json()["detail"], (body, response.text)
        assert response.json()["code"]
    assert user_count(server) == before
    me = admin.user["id"]
    assert admin.patch(f"/api/v1/users/{me}", json={"password": "x" * 12}).status_code == 422
    assert admin.patch(f"/api/v1/users/{me}", json={"role": None}).status_code == 422
    assert admin.post(f"/api/v1/users/{me}/password", json={"password": "short"}).status_code == 422
    assert sign_in(server, "alice", PASSWORD).status_code == 200


def test_the_last_admin_can_be_neither_disabled_nor_demoted(server, admin, staff):
    me = admin.user["id"]
    for call in (
        admin.post(f"/api/v1/users/{me}/disable"),
        admin.patch(f"/api/v1/users/{me}", json={"role": "staff"}),
        admin.patch(f"/api/v1/users/{me}", json={"is_active": False}),
    ):
        assert call.status_code == 409, call.text
        assert call.json()["code"] == "last_admin"
    assert admin.get("/api/v1/auth/me").json()["role"] == "admin"

    # With a second admin, two demoting each other at once leave exactly one admin.
    assert admin.patch(f"/api/v1/users/{staff.user['id']}", json={"role": "admin"}).is_success
    barrier = threading.Barrier(2)
    answers = {}

    def demote(api, target: int) -> None:
        barrier.wait()
        answers[target] = api.patch(f"/api/v1/users/{target}", json={"role": "staff"})

    threads = [
        threading.Thread(target=demote, args=(admin, staff.user["id"])),
        threading.Thread(target=demote, args=(staff, me)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The loser is 409 (last admin), or 403 when it was demoted before its own call began.
    assert sorted(a.status_code for a in answers.values()) in ([200, 403], [200, 409]), {
        k: a.text for k, a in answers.items()
    }
    with server.app.state.sessionmaker() as session:
        admins = session.scalar(
            select(func.count()).select_from(t.User).where(t.User.role == "admin")
        )
    assert admins == 1


def test_the_commands_set_a_password_and_disable_and_enable_a_user(server, admin, staff):
    done = run_cli(server, "set-password", "paula", "--password", "-", stdin="paula's new one")
    assert done.returncode == 0, done.stderr
    assert staff.get("/api/v1/auth/me").status_code == 401
    assert sign_in(server, "paula", PASSWORD).status_code == 401
    assert sign_in(server, "paula", "paula's new one").status_code == 200

    assert run_cli(server, "disable-user", "paula").returncode == 0
    assert sign_in(server, "paula", "paula's new one").status_code == 401
    assert run_cli(server, "enable-user", "paula").returncode == 0
    assert sign_in(server, "paula", "paula's new one").status_code == 200

    refused = run_cli(server, "disable-user", "alice")
    assert refused.returncode == 2
    assert "last active admin" in refused.stderr
    assert run_cli(server, "set-password", "nobody", "--password", "-", stdin="x" * 12).returncode
    short = run_cli(server, "set-password", "paula", "--password", "-", stdin="short")
    assert short.returncode == 2 and "8 characters" in short.stderr
    assert admin.get("/api/v1/auth/me").status_code == 200
