"""Sign-in throttling, over real HTTP: attempts are counted in the database before the password
is checked (so concurrent guesses and several processes share one count), per user and more
loosely per address; X-Forwarded-For counts only from a configured proxy; and only a few
password checks (64 MiB each) run at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from inbox_app.server.services import auth
from tests.conftest import PASSWORD, make_user
from tests.harness import AUTH_TOKEN, free_port, make_settings, serve_in_thread


def guess(base_url: str, username: str, password: str, **client) -> httpx.Response:
    with httpx.Client(timeout=60, **client) as http:
        return http.post(
            f"{base_url}/api/v1/auth/token", json={"username": username, "password": password}
        )


def test_sixty_concurrent_guesses_on_two_processes_check_at_most_ten_passwords(db_url, tmp_path):
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services.auth import create_user
    from tests.server.test_stream import servers_in_processes

    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            create_user(session, "alice", PASSWORD, is_admin=True, firm_name="Doe Law")
    finally:
        engine.dispose()
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
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        # Each guess from its own loopback address: only the per-user count can stop them.
        with ThreadPoolExecutor(30) as pool:
            answers = list(
                pool.map(
                    lambda n: guess(
                        bases[n % 2],
                        "alice",
                        f"wrong guess {n}",
                        transport=httpx.HTTPTransport(local_address=f"127.0.1.{n + 1}"),
                    ),
                    range(60),
                )
            )
        codes = [a.status_code for a in answers]
        checked = codes.count(401)
        assert set(codes) <= {401, 429, 503}, [a.text for a in answers if a.status_code >= 500]
        assert checked <= auth.MAX_ATTEMPTS, f"{checked} of 60 guesses had their password checked"
        throttled = next(a for a in answers if a.status_code == 429)
        assert throttled.json()["code"] == "rate_limited"
        # The right password waits too: this user's window is full, on both processes.
        for base in bases:
            assert guess(base, "alice", PASSWORD).status_code == 429


def test_bad_guesses_at_other_names_do_not_lock_out_a_colleague_at_the_same_address(server, admin):
    for n in range(auth.MAX_ATTEMPTS + 2):
        assert guess(server.base_url, f"guess{n}", "wrong").status_code == 401
    for _ in range(auth.MAX_ATTEMPTS):
        assert guess(server.base_url, "alice", "wrong").status_code == 401
    # alice's own window is full; her colleague at the same office address signs in.
    assert guess(server.base_url, "alice", PASSWORD).status_code == 429
    make_user(server, "paula")
    assert guess(server.base_url, "paula", PASSWORD).status_code == 200


def test_one_address_is_limited_more_loosely_than_one_user(server, admin, monkeypatch):
    monkeypatch.setattr(auth, "ADDRESS_ATTEMPTS", 5)
    for n in range(5):
        assert guess(server.base_url, f"guess{n}", "wrong").status_code == 401
    blocked = guess(server.base_url, "alice", PASSWORD)
    assert blocked.status_code == 429 and "try again" in blocked.json()["detail"]
    other = guess(
        server.base_url, "alice", PASSWORD, transport=httpx.HTTPTransport(local_address="127.0.0.2")
    )
    assert other.status_code == 200, other.text


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(auth, "ADDRESS_ATTEMPTS", 3)
    for trusted, expected in (("", 429), ("127.0.0.1", 200)):
        port = free_port()
        settings = make_settings(db_url, tmp_path, port, trusted_proxies=trusted)
        with serve_in_thread(settings) as running:
            if trusted == "":
                make_user(running, "alice", admin=True)
            base = running.base_url
            for n in range(3):
                spoofed = {"X-Forwarded-For": f"203.0.113.{n + 1 + len(trusted)}"}
                wrong = guess(base, f"guess{n}-{len(trusted)}", "wrong", headers=spoofed)
                assert wrong.status_code == 401
            answer = guess(base, "alice", PASSWORD, headers={"X-Forwarded-For": "198.51.100.7"})
            # Untrusted: every guess came from 127.0.0.1 whatever the header said, so that
            # address is full. Trusted: each guess was from its own client address.
            assert answer.status_code == expected, (trusted, answer.text)


@pytest.mark.real_argon2  # the checks must take their real time to overlap
def test_only_a_few_password_checks_run_at_once_and_the_rest_are_answered_quickly(
    server, admin, monkeypatch
):
    from inbox_app.server import security

    names = [f"user{n}" for n in range(24)]
    for name in names:
        make_user(server, name)
    running = peak = 0
    lock = threading.Lock()
    real = security.verify_password

    def counting(password, password_hash):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real(password, password_hash)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(security, "verify_password", counting)
    with ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(lambda name: guess(server.base_url, name, PASSWORD), names))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 503}, codes
    busy = [a for a in answers if a.status_code == 503]
    assert all(a.json()["code"] == "busy" for a in busy)
    assert peak <= auth.PASSWORD_CHECKS, f"{peak} password checks ran at once"
    assert codes.count(200) >= auth.PASSWORD_CHECKS
