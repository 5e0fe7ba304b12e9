"""Request bodies are capped as they stream, and /api/v1 refuses a caller without a token before
reading what it sends; measured on a real `inbox-server` process (its peak resident memory)."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest

from tests.conftest import PASSWORD, Api
from tests.harness import AUTH_TOKEN, free_port, serve_in_process
from tests.server.limits_helpers import (
    _expected_length,
    peak_rss_mb,
    post_chunked,
    reset_peak_rss,
    rss_mb,
)

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
        process.env = env
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


def test_a_huge_request_head_is_431_at_32_kb_and_costs_no_memory(process_server):
    process, port, _api, _conversation_id = process_server

    def send_a_200_mb_header():
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
            try:
                for _ in range(200):
                    sock.sendall(b"a" * MB)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return _read_answer(sock)

    grew, answer = _grows(process, send_a_200_mb_header)
    assert grew < BOUND_MB, f"peak memory grew {grew:.0f} MB"
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "too_large"
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200


def test_calls_anybody_can_make_carry_at_most_64_kb(process_server):
    _process, port, _api, _conversation_id = process_server
    base = f"http://127.0.0.1:{port}"
    webhook = httpx.post(
        f"{base}/webhooks/twilio/messages", data={"Body": "x" * (70 * 1024), "From": "+1201"}
    )
    assert webhook.status_code == 413, webhook.text
    assert "64 KB" in webhook.json()["detail"]
    sign_in = httpx.post(
        f"{base}/api/v1/auth/token", json={"username": "alice", "password": "x" * (70 * 1024)}
    )
    assert sign_in.status_code == 413, sign_in.text


def test_slow_peers_are_cut_off_and_a_live_stream_is_not(process_server):
    """A head trickled a line at a time is 408 after HEAD_SECONDS, a connection that sends
    nothing is closed, a body that stops coming is 408 after BODY_IDLE_SECONDS; meanwhile a
    desktop's live stream, idle as long as they, stays open."""
    _process, port, api, conversation_id = process_server
    from inbox_app.server import http_guard, limits

    results: dict[str, tuple[float, bytes]] = {}

    def timed(name, sock, feed=None):
        started = time.monotonic()
        sock.settimeout(1.0)
        answer = b""
        try:
            while time.monotonic() - started < 60:
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    if feed is not None:
                        try:
                            feed(sock)
                        except OSError:
                            break
                    continue
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer and len(answer) >= _expected_length(answer):
                    break
        finally:
            sock.close()
        results[name] = (time.monotonic() - started, answer)

    head = socket.create_connection(("127.0.0.1", port))
    head.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    idle = socket.create_connection(("127.0.0.1", port))
    body = socket.create_connection(("127.0.0.1", port))
    body.sendall(
        b"POST /webhooks/twilio/messages HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nBody=hi"
    )
    threads = [
        threading.Thread(target=timed, args=("head", head, lambda s: s.sendall(b"X-A: b\r\n"))),
        threading.Thread(target=timed, args=("idle", idle)),
        threading.Thread(target=timed, args=("body", body)),
    ]
    with httpx.stream(
        "GET",
        f"http://127.0.0.1:{port}/api/v1/stream",
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=httpx.Timeout(60, read=90),
    ) as stream:
        assert stream.status_code == 200
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        # Something said now still reaches the stream that has been open all along.
        api.post(f"/api/v1/conversations/{conversation_id}/notes", json={"body": "still here"})
        heard = ""
        for chunk in stream.iter_text():
            heard += chunk
            if "still here" in heard or "note" in heard:
                break
        assert heard

    took, answer = results["head"]
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "too_slow"
    assert http_guard.HEAD_SECONDS - 1 <= took < http_guard.HEAD_SECONDS + 10, took
    took, answer = results["idle"]
    assert answer == b"" and took < http_guard.HEAD_SECONDS + 10, took
    took, answer = results["body"]
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "too_slow"
    assert limits.BODY_IDLE_SECONDS - 1 <= took < limits.BODY_IDLE_SECONDS + 10, took
    # Nothing of the cut-off webhook was stored, and the server answers as before.
    assert api.get("/api/v1/conversations").status_code == 200


def test_a_body_that_keeps_trickling_is_408_at_its_deadline(server, admin, monkeypatch):
    """Each piece comes within the pause allowed, but the whole is overdue (in-process, with
    the bounds made short)."""
    from inbox_app.server import limits

    monkeypatch.setattr(limits, "BODY_IDLE_SECONDS", 1.0)
    monkeypatch.setattr(limits, "BODY_SECONDS", 2.5)
    conversation = admin.post("/api/v1/conversations", json={"phone": "+12015550188"}).json()
    path = f"/api/v1/conversations/{conversation['id']}/messages"
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin.token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            ).encode()
        )
        started = time.monotonic()
        sock.settimeout(0.5)
        answer = b""
        while time.monotonic() - started < 15 and b"\r\n\r\n" not in answer:
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                try:
                    sock.sendall(b" ")
                except OSError:
                    break
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert 2.0 <= took < 8, took
    assert admin.get(f"{path}").json()["messages"] == []


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    sock.settimeout(10)
    while True:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not data:
            break
        answer += data
    return answer


def test_the_simulators_media_upload_takes_a_phone_photo(process_server, tmp_path):
    """`inbox-server simulate-inbound --media` with a photo of a few MB (its upload is capped at
    8 MB like a send with images, not at the 64 KB of a webhook)."""
    import os
    import subprocess
    import sys

    from PIL import Image

    _process, _port, api, _conversation_id = process_server
    photo = tmp_path / "photo.jpg"
    Image.effect_noise((1400, 1400), 80).convert("RGB").save(photo, quality=95)
    assert photo.stat().st_size > MB
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(_process.env)
    command = [sys.executable, "-m", "inbox_app.server.cli", "simulate-inbound"]
    done = subprocess.run(
        [*command, "--from", "+12015550166", "--body", "the letter", "--media", str(photo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

    def with_media():
        for conversation in api.get("/api/v1/conversations").json():
            if conversation["phone"] == "+12015550166":
                page = api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
                return [m for m in page["messages"] if m["media"]]
        return []

    deadline = time.monotonic() + 60
    while not with_media() and time.monotonic() < deadline:
        time.sleep(0.2)
    [message] = with_media()
    assert message["body"] == "the letter" and len(message["media"]) == 1


def test_a_connection_over_the_limit_is_503_busy_and_the_server_goes_on(server, admin, monkeypatch):
    """In-process, with the limit made small: kept-alive connections fill it, the next one is
    answered 503 `busy` at once, and once they close the server answers again."""
    from inbox_app.server import http_guard

    monkeypatch.setattr(http_guard, "MAX_CONNECTIONS", 5)
    port = int(server.base_url.rsplit(":", 1)[1])
    held, statuses = [], []
    try:
        for _ in range(8):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            held.append(sock)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer or len(answer) < _expected_length(answer):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            statuses.append(int(answer.split(b" ", 2)[1]))
            if statuses[-1] == 503:
                assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "busy"
    finally:
        for sock in held:
            sock.close()
    assert statuses[0] == 200 and statuses[-1] == 503, statuses
    assert statuses.count(200) <= 5, statuses
    deadline = time.monotonic() + 10
    while httpx.get(f"{server.base_url}/healthz").status_code != 200:
        assert time.monotonic() < deadline, "the server did not answer again"
        time.sleep(0.1)
    assert admin.get("/api/v1/conversations").status_code == 200
