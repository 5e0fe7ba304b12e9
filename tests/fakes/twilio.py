"""A Twilio-compatible Messages endpoint on 127.0.0.1 that the real `twilio` client talks to.

`POST /2010-04-01/Accounts/{sid}/Messages.json` (form-encoded, as the library sends it) records
the request's fields and answers 201 with a message resource (`SM…`, status "queued"). Queue
Twilio's real error answers with `fail_next("unsubscribed" | "invalid_to" | "rate_limited" |
"server_error", times=n)`, or make the next requests hang past the client's timeout with
`stall_next(seconds, times=n)` (the request arrives, the answer does not).

Run alone (`python -m tests.fakes.twilio --port P`, for benchmarks) it serves until killed, and
`GET /__stats` answers `{"accepted": n, "distinct_bodies": m}`.
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

# Bodies exactly as Twilio answers them (legacy error format the client parses).
ERRORS: dict[str, tuple[int, dict]] = {
    "unsubscribed": (
        400,
        {
            "code": 21610,
            "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610",
            "status": 400,
        },
    ),
    "invalid_to": (
        400,
        {
            "code": 21211,
            "message": "Invalid 'To' Phone Number: +1555000XXXX",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
    ),
    "rate_limited": (
        429,
        {
            "code": 20429,
            "message": "Too Many Requests",
            "more_info": "https://www.twilio.com/docs/errors/20429",
            "status": 429,
        },
    ),
    "server_error": (
        500,
        {
            "code": 20500,
            "message": "Internal Server Error",
            "more_info": "https://www.twilio.com/docs/errors/20500",
            "status": 500,
        },
    ),
}


@dataclass
class TwilioRequest:
    method: str
    path: str
    params: dict[str, str]
    account_sid: str | None
    media_urls: list[str] = field(default_factory=list)
    answered: int = 0
    received_at: float = field(default_factory=time.monotonic)


@dataclass
class FakeTwilio:
    """`with FakeTwilio() as fake:` then set INBOX_TWILIO_API_BASE to `fake.url`."""

    requests: list[TwilioRequest] = field(default_factory=list)
    port: int = 0
    _failures: list[str] = field(default_factory=list)
    _stalls: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- what tests use -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, kind: str, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([kind] * times)

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """The next requests get their answer only after `seconds` (a read timeout)."""
        with self._lock:
            self._stalls.extend([seconds] * times)

    @property
    def sent(self) -> list[TwilioRequest]:
        """Message creations the fake accepted (answered 201)."""
        with self._lock:
            return [r for r in self.requests if r.answered == 201]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[TwilioRequest]:
        """Wait until `count` create requests arrived (accepted or refused)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} requests at the fake Twilio, got {self.requests}")

    # --- serving ------------------------------------------------------------------------------

    def __enter__(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                pairs = parse_qsl(raw, keep_blank_values=True)
                status, body = fake._answer(self.path, pairs, self.headers.get("Authorization"))
                with fake._lock:
                    stall = fake._stalls.pop(0) if fake._stalls else 0.0
                if stall:
                    time.sleep(stall)
                self._reply(status, body)

            def do_GET(self) -> None:
                if self.path != "/__stats":
                    self._reply(404, {"code": 20404, "message": "not found"})
                    return
                with fake._lock:
                    accepted = [r for r in fake.requests if r.answered == 201]
                bodies = {r.params.get("Body") for r in accepted}
                self._reply(200, {"accepted": len(accepted), "distinct_bodies": len(bodies)})

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            # Many senders connect at once; the default backlog of 5 drops SYNs (1 s retries).
            request_queue_size = 128

        self._server = Server(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, path: str, pairs: list[tuple[str, str]], authorization: str | None):
        account_sid = None
        if authorization and authorization.startswith("Basic "):
            account_sid = base64.b64decode(authorization[6:]).decode().split(":", 1)[0]
        params = dict(pairs)
        media_urls = [v for k, v in pairs if k == "MediaUrl"]
        request = TwilioRequest("POST", path, params, account_sid, media_urls)
        with self._lock:
            self.requests.append(request)
            failure = self._failures.pop(0) if self._failures else None
        if not path.endswith("/Messages.json"):
            request.answered = 404
            return 404, {"code": 20404, "message": "The requested resource was not found"}
        if failure:
            status, body = ERRORS[failure]
            request.answered = status
            return status, body
        request.answered = 201
        sid = "SM" + uuid.uuid4().hex
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        return 201, {
            "sid": sid,
            "account_sid": account_sid,
            "to": params.get("To"),
            "from": params.get("From"),
            "body": params.get("Body", ""),
            "status": "queued",
            "num_segments": "1",
            "num_media": str(len(media_urls)),
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "price": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Twilio-compatible Messages endpoint.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with FakeTwilio(port=args.port) as fake:
        print(f"fake Twilio on {fake.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
