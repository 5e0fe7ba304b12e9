"""Request bodies are capped as they stream, and /api/v1 refuses a caller without a token before
reading what it sends; measured on a real `inbox-server` process (its peak resident memory)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import PASSWORD, Api
from tests.harness import AUTH_TOKEN, free_port, serve_in_process
from tests.server.limits_helpers import peak_rss_mb, post_chunked, reset_peak_rss, rss_mb

MB = 1024 * 1024
# What a refused body may add to the server's peak memory.
BOUND_MB = 40


@pytest.fixture(scope="module")
def process_server(tmp_path_factory):
    """One server process for the module (SQLite: the database plays no part in these)."""
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services.auth import create_user

    tmp = tmp_path_factory.mktemp("limits")
    port = free_port()
    url = f"sqlite:///{tmp / 'inbox.db'}"
    env = {
        "INBOX_DATABASE_URL": url,
        "INBOX_MEDIA_DIR": str(tmp / "media"),
        "INBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOME": str(tmp),
    }
    with serve_in_process(env, port) as process:
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            create_user(session, "alice", PASSWORD, is_admin=True)
        engine.dispose()
        base = f"http://127.0.0.1:{port}"
        signed_in = httpx.post(
            f"{base}/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}
        ).json()
        api = Api(base, signed_in["access_token"], signed_in["user"])
        conversation = api.post("/api/v1/conversations", json={"phone": "+12015550123"}).json()
        yield process, port, api, conversation["id"]


def _grows(process, action) -> tuple[float, object]:
    """Run `action`; how far (MB) it pushed the server's peak memory above where it was."""
    reset_peak_rss(process.pid)
    before = rss_mb(process.pid)
    result = action()
    return peak_rss_mb(process.pid) - before, result


def test_a_300_mb_chunked_body_without_a_token_is_401_before_it_is_read(process_server):
    process, port, _api, conversation_id = process_server
    path = f"/api/v1/conversations/{conversation_id}/messages"

    grew, (status, body, sent) = _grows(
        process,
        lambda: post_chunked(port, path, 300 * MB, {"Content-Type": "application/json"}),
    )

    assert grew < BOUND_MB, f"peak memory grew {grew:.0f} MB (answer {status})"
    assert status == 401, body
    assert json.loads(body)["code"] == "not_authenticated"
    assert sent < 300 * MB
    bad_token = post_chunked(
        port, path, 50 * MB, {"Content-Type": "application/json", "Authorization": "Bearer nope"}
    )
    assert bad_token[0] == 401


def test_an_authenticated_chunked_body_is_cut_off_at_its_cap_with_a_413(process_server):
    process, port, api, conversation_id = process_server
    path = f"/api/v1/conversations/{conversation_id}/messages"
    auth = {"Authorization": f"Bearer {api.token}"}

    grew, (status, body, _sent) = _grows(
        process,
        lambda: post_chunked(port, path, 300 * MB, {**auth, "Content-Type": "application/json"}),
    )
    assert grew < BOUND_MB, f"peak memory grew {grew:.0f} MB (answer {status})"
    assert status == 413, body
    assert json.loads(body)["code"] == "too_large" and "1 MB" in json.loads(body)["detail"]

    multipart = {**auth, "Content-Type": "multipart/form-data; boundary=xyz"}
    # A well-formed form whose image part never ends.
    part = (
        b'--xyz\r\nContent-Disposition: form-data; name="body"\r\n\r\nhi\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
    )
    grew, (status, body, _sent) = _grows(
        process, lambda: post_chunked(port, path, 100 * MB, multipart, prefix=part)
    )
    assert status == 413, body
    assert "8 MB" in json.loads(body)["detail"]
    assert grew < BOUND_MB, f"peak memory grew {grew:.0f} MB"

    webhook = post_chunked(
        port,
        "/webhooks/twilio/messages",
        20 * MB,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert webhook[0] == 413
    # Nothing was stored, and the server still answers.
    assert api.get(f"{path}").json()["messages"] == []
    assert api.get("/api/v1/credits").status_code == 200


def test_a_declared_length_over_the_cap_is_413_without_reading_and_small_sends_pass(
    process_server,
):
    _process, port, api, conversation_id = process_server
    path = f"/api/v1/conversations/{conversation_id}/messages"
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {2 * MB}\r\n\r\n"
            ).encode()
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer

    without_token = httpx.post(f"http://127.0.0.1:{port}{path}", json={"body": "hi"})
    assert without_token.status_code == 401
    assert without_token.json()["code"] == "not_authenticated"
    sign_in = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        json={"username": "alice", "password": PASSWORD},
    )
    assert sign_in.status_code == 200
    ok = api.post(path, json={"body": "hello"})
    assert ok.status_code == 201, ok.text
