"""Sign-in over real HTTP: tokens, wrong passwords, throttling, roles."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, login, make_user


def test_sign_in_gives_a_token_that_works(server, admin):
    assert admin.user["role"] == "admin"
    assert admin.user["firm_name"] == "Doe & Roe Law"
    me = admin.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"


def test_wrong_password_is_401_with_a_message(server, admin):
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token", json={"username": "alice", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong username or password."


def test_no_token_and_bad_token_are_401(server):
    assert httpx.get(f"{server.base_url}/api/v1/auth/me").status_code == 401
    response = httpx.get(
        f"{server.base_url}/api/v1/auth/me", headers={"Authorization": "Bearer forged"}
    )
    assert response.status_code == 401


def test_repeated_failures_are_throttled(server, admin):
    for _ in range(10):
        httpx.post(
            f"{server.base_url}/api/v1/auth/token", json={"username": "alice", "password": "wrong"}
        )
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "try again" in response.json()["detail"]


def test_logout_forgets_the_token(server, admin):
    assert admin.post("/api/v1/auth/logout").status_code == 204
    assert admin.get("/api/v1/auth/me").status_code == 401


def test_malformed_login_is_422_not_500(server):
    response = httpx.post(f"{server.base_url}/api/v1/auth/token", json={"username": ""})
    assert response.status_code == 422
    assert "password" in response.json()["detail"]


def test_create_user_refuses_duplicates_and_short_passwords(server, admin):
    import pytest

    from inbox_app.server.errors import Conflict, Invalid
    from inbox_app.server.services.auth import create_user

    with server.app.state.sessionmaker() as session, pytest.raises(Conflict):
        create_user(session, "alice", PASSWORD)
    with server.app.state.sessionmaker() as session, pytest.raises(Invalid):
        create_user(session, "bob", "short")
    make_user(server, "carol", firm="Other Firm")


def test_openapi_docs_are_served(server):
    docs = httpx.get(f"{server.base_url}/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    schema = httpx.get(f"{server.base_url}/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/conversations/{conversation_id}/messages" in schema.json()["paths"]


def test_users_keep_their_notification_choice_and_nothing_else(server, admin):
    turned_off = admin.patch("/api/v1/auth/me", json={"notifications_enabled": False})
    assert turned_off.status_code == 200, turned_off.text
    assert turned_off.json()["notifications_enabled"] is False
    assert admin.get("/api/v1/auth/me").json()["notifications_enabled"] is False
    # Only the preference: a role cannot be raised this way, and bad values change nothing.
    assert admin.patch("/api/v1/auth/me", json={"role": "admin"}).status_code == 422
    maybe = admin.patch("/api/v1/auth/me", json={"notifications_enabled": "maybe"})
    assert maybe.status_code == 422
    assert admin.get("/api/v1/auth/me").json()["notifications_enabled"] is False
    make_user(server, "paula")
    other = login(server, "paula")
    assert other.get("/api/v1/auth/me").json()["notifications_enabled"] is True
