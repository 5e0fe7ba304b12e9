"""A Twilio-compatible Messages endpoint on 127.0.0.1 that the real `twilio` client talks to.

`POST /2010-04-01/Accounts/{sid}/Messages.json` (form-encoded, as the library sends it) records
the request's fields and answers 201 with a message resource (`SM…`, status "queued"). Queue
Twilio's real error answers with `fail_next("unsubscribed" | "invalid_to" | "rate_limited" |
"server_error", times=n)`, or make the next requests hang past the client's timeout with
`stall_next(seconds, times=n)` (the request arrives, the answer does not).

`GET /2010-04-01/Accounts/{sid}/Messages.json` lists the messages it took, newest first, shaped
as Twilio's Messages list: filters `To`, `From`, `DateSent`, `DateSent<`, `DateSent>` (a GMT date
`YYYY-MM-DD`, or a full `YYYY-MM-DDTHH:MM:SSZ` as the twilio library sends a datetime), paging by
`PageSize` (default 50, at most 1000), `Page` and `PageToken`, with `uri`, `first_page_uri`,
`next_page_uri`, `previous_page_uri`, `page`, `page_size`, `start` and `end`. A message it took
shows `date_sent` (it "sends" at once) and status `sent` there. `fail_list_next(kind)` makes the
next list requests fail like `fail_next` does for sends.

Run alone (`python -m tests.fakes.twilio --port P`, for benchmarks) it serves until killed, and
`GET /__stats` answers `{"accepted": n, "distinct_bodies": m}`.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

MAX_PAGE_SIZE = 1000

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
    # When set, the account fetch checks Basic auth against it (sends are not checked).
    auth_token: str | None = None
    # Message resources it took, oldest first, with the time each was taken.
    messages: list[tuple[datetime, dict]] = field(default_factory=list)
    list_requests: list[dict[str, str]] = field(default_factory=list)
    _failures: list[str] = field(default_factory=list)
    _list_failures: list[str] = field(default_factory=list)
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

    def fail_list_next(self, kind: str, times: int = 1) -> None:
        """The next Messages list requests fail (the carrier cannot say what it has)."""
        with self._lock:
            self._list_failures.extend([kind] * times)

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
                data = self.rfile.read(length)
                if len(data) < length:
                    # The sender died mid-request (kill -9): a real carrier never acts on a
                    # request it did not receive whole.
                    self.close_connection = True
                    return
                raw = data.decode("utf-8")
                pairs = parse_qsl(raw, keep_blank_values=True)
                status, body = fake._answer(self.path, pairs, self.headers.get("Authorization"))
                with fake._lock:
                    stall = fake._stalls.pop(0) if fake._stalls else 0.0
                if stall:
                    time.sleep(stall)
                self._reply(status, body)

            def do_GET(self) -> None:
                account = fake._account(self.path, self.headers.get("Authorization"))
                if account is not None:
                    self._reply(*account)
                    return
                if urlsplit(self.path).path.endswith("/Messages.json"):
                    self._reply(*fake._list(self.path))
                    return
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

    def _account(self, path: str, authorization: str | None) -> tuple[int, dict] | None:
        """GET /2010-04-01/Accounts/{sid}.json (what `inbox-server check` fetches), else None.

        With `auth_token` set, credentials other than (that sid, that token) get Twilio's 401.
        """
        match = re.fullmatch(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})\.json", path)
        if match is None:
            return None
        sid = match.group(1)
        given = ""
        if authorization and authorization.startswith("Basic "):
            given = base64.b64decode(authorization[6:]).decode()
        if self.auth_token is not None and given != f"{sid}:{self.auth_token}":
            return 401, {
                "code": 20003,
                "detail": "Your AccountSid or AuthToken was incorrect.",
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            }
        return 200, {
            "sid": sid,
            "friendly_name": "Fake Twilio account",
            "status": "active",
            "type": "Full",
            "uri": f"/2010-04-01/Accounts/{sid}.json",
        }

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
        taken = datetime.now(UTC).replace(microsecond=0)
        now = format_datetime(taken)
        resource = {
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
        with self._lock:
            listed = {**resource, "status": "sent", "date_sent": now}
            self.messages.append((taken, listed))
        return 201, resource

    def _list(self, target: str) -> tuple[int, dict]:
        """Twilio's Messages list: filtered, newest first, one page."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.list_requests.append(query)
            failure = self._list_failures.pop(0) if self._list_failures else None
            taken = list(self.messages)
        if failure:
            return ERRORS[failure]
        account_sid = parts.path.split("/")[3]
        try:
            size = min(MAX_PAGE_SIZE, max(1, int(query.get("PageSize", 50))))
            page = max(0, int(query.get("Page", 0)))
            matches = [
                resource
                for when, resource in reversed(taken)
                if resource["account_sid"] == account_sid
                and query.get("To", resource["to"]) == resource["to"]
                and query.get("From", resource["from"]) == resource["from"]
                and _sent_within(when, query)
            ]
        except ValueError:
            return 400, {
                "code": 20001,
                "message": "Invalid filter or paging value",
                "more_info": "https://www.twilio.com/docs/errors/20001",
                "status": 400,
            }
        rows = matches[page * size : (page + 1) * size]
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(number: int) -> str:
            paging = {"PageSize": size, "Page": number}
            if number > 0:
                previous = matches[number * size - 1]["sid"]
                paging["PageToken"] = f"PA{previous}"
            return f"{parts.path}?{urlencode({**filters, **paging})}"

        has_next = (page + 1) * size < len(matches)
        return 200, {
            "messages": rows,
            "uri": uri(page),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if has_next else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "page": page,
            "page_size": size,
            "start": page * size,
            "end": page * size + max(0, len(rows) - 1),
        }


def _sent_within(sent: datetime, query: dict[str, str]) -> bool:
    """Twilio's DateSent filters: `DateSent` is a GMT day (the date of a datetime); `DateSent<`
    and `DateSent>` take a day's midnight, or the instant of a full datetime."""
    for key, compare in (("DateSent", "on"), ("DateSent<", "before"), ("DateSent>", "after")):
        value = query.get(key)
        if not value:
            continue
        if "T" in value and compare != "on":
            instant = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            start, end = instant, instant
        else:
            start = datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
            end = start + timedelta(days=1)
        if compare == "on" and not start <= sent < end:
            return False
        if compare == "before" and not sent <= end:
            return False
        if compare == "after" and not sent >= start:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Twilio-compatible Messages endpoint.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with FakeTwilio(port=args.port) as fake:
        print(f"fake Twilio on {fake.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
