"""Run the real backend for tests: uvicorn on a free loopback port, in a thread or a process."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn
from twilio.request_validator import RequestValidator

from inbox_app.server import http_guard
from inbox_app.server.config import Settings

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "a" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Ports of reserve_port(): kept bound until a ServerThread of this process listens on them, so
# another test process asking for a free port is never handed one before our server takes it.
_HELD: dict[int, socket.socket] = {}


def reserve_port() -> int:
    """A free port for a server in this process's thread (not for a server process)."""
    sock = _bound_socket(0)
    port = sock.getsockname()[1]
    _HELD[port] = sock
    return port


def _bound_socket(port: int) -> socket.socket:
    # Listening at once: nobody else can bind the port, whatever their options; and with
    # SO_REUSEADDR, as uvicorn binds, a server restarted on it is not kept out by TIME_WAIT.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _listening_socket(port: int) -> socket.socket:
    """The socket a ServerThread serves on: the reserved one, or bound now. A port another
    process took meanwhile fails here, loudly, instead of the test talking to that server."""
    held = _HELD.pop(port, None)
    return held if held is not None else _bound_socket(port)


def wait_until_up(base_url: str, timeout: float = 90.0, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"server at {base_url} did not come up")


class ServerThread:
    """The app under uvicorn in a background thread of the test process."""

    def __init__(self, settings: Settings, port: int) -> None:
        from inbox_app.server.app import create_app

        self.settings = settings
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            access_log=False,
            # As `inbox-server serve`: a stream a client left open is cancelled after the grace
            # time, then the app's shutdown stops its dispatcher.
            timeout_graceful_shutdown=2,
            **settings.proxy_options(),
            **http_guard.uvicorn_options(),
        )
        self.server = uvicorn.Server(config)
        self.socket = _listening_socket(port)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.socket]},
            name=f"uvicorn-{port}",
            daemon=True,
        )

    def start(self) -> ServerThread:
        self.thread.start()
        wait_until_up(self.base_url)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            # uvicorn waits for open connections (a stream a client left open): stop without
            # waiting, or this server's dispatcher would go on retrying against a database the
            # test has dropped, for the rest of the run.
            self.server.force_exit = True
            self.thread.join(timeout=10)
        # A forced exit skips the app's shutdown: stop the dispatcher here, so it never goes on
        # retrying against a database the test drops next.
        from inbox_app.server import dispatcher

        dispatcher.stop(self.app)


def make_settings(db_url: str, tmp_path: Path, port: int, **overrides) -> Settings:
    values = dict(
        database_url=db_url,
        media_dir=tmp_path / "media",
        public_url=f"http://127.0.0.1:{port}",
        twilio_auth_token=AUTH_TOKEN,
        twilio_account_sid=ACCOUNT_SID,
        twilio_from="+12015550100",
        simulate_status_delay=0.05,
        simulate_failure_rate=0.0,
        send_rate_per_second=0,
        dispatcher_interval=0.05,
    )
    values.update(overrides)
    return Settings(**values)


@contextlib.contextmanager
def serve_in_thread(settings: Settings) -> Iterator[ServerThread]:
    port = int(settings.public_url.rsplit(":", 1)[1])
    server = ServerThread(settings, port).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def serve_in_process(env: dict[str, str], port: int) -> Iterator[subprocess.Popen]:
    """A separate `inbox-server` process (for multi-process and restart tests).

    After the block, `process.log_text` holds everything the server wrote.
    """
    import tempfile

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    full_env.update(env)
    # Its log goes to a file, not a pipe: nobody reads a pipe while the test runs, and a full
    # one would stop the server mid-write. The file's tail explains a server that died.
    with tempfile.TemporaryFile("w+", prefix="inbox-server-", suffix=".log") as log_file:
        command = [sys.executable, "-m", "inbox_app.server.cli", "--host", "127.0.0.1"]
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            try:
                # A loaded 2-core machine starting two servers at once takes 20 s and more.
                wait_until_up(f"http://127.0.0.1:{port}", timeout=60, process=process)
            except (RuntimeError, TimeoutError) as exc:
                log_file.seek(0)
                raise RuntimeError(f"{exc}; its log ends:\n{log_file.read()[-3000:]}") from exc
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log_file.seek(0)
            process.log_text = log_file.read()  # what it wrote, for tests that read its log


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature exactly as Twilio computes it (the real library's validator)."""
    return RequestValidator(token).compute_signature(url, params)


def post_webhook(
    base_url: str,
    path: str,
    params: dict[str, str],
    *,
    public_url: str | None = None,
    token: str = AUTH_TOKEN,
    signature: str | None = None,
) -> httpx.Response:
    url = (public_url or base_url) + path
    headers = {
        "X-Twilio-Signature": signature if signature is not None else sign(url, params, token)
    }
    return httpx.post(base_url + path, data=params, headers=headers, timeout=10)
