"""A Stripe-compatible API on 127.0.0.1 that the real `stripe` client talks to.

`POST /v1/payment_intents` (form-encoded, as the library sends it) answers Stripe-shaped JSON and
honours `Idempotency-Key`: the same key gets the same answer and records one charge. Set
`mode` to "decline" for Stripe's card_error (402), or "hang" to answer only after `hang_seconds`
(past the client's timeout; the charge is still recorded then, as a real processor might).

Saving a card: `POST /v1/customers`, `POST /v1/checkout/sessions` (mode=setup: its `url` is the
page where the cardholder types the card, at Stripe), and `GET` of a checkout session, a
SetupIntent and a PaymentMethod. `complete_setup(session_id)` plays the cardholder finishing
that page. Stripe's test method `pm_card_visa` is known from the start.

The page itself answers `GET /pay/{session_id}` (a browser opening the session's `url`, e.g. the
e2e tests' stand-in browser, tests/e2e/browser.py): with `page_action` "complete" the cardholder
types `page_card` (brand, last 4) and the browser is sent on to the session's `success_url`;
"cancel" sends it to its `cancel_url` with nothing saved; "stay" (the default) shows the page and
waits, as a person who has not typed yet. `pages_opened` lists the sessions whose page was shown.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qsl

DECLINE = {
    "error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }
}


def _unknown(path: str) -> tuple[int, dict]:
    return 404, {
        "error": {
            "type": "invalid_request_error",
            "message": f"Unrecognized request URL ({path}).",
        }
    }


def _payment_method(method_id: str, brand: str, last4: str) -> dict:
    return {
        "id": method_id,
        "object": "payment_method",
        "type": "card",
        "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034},
    }


@dataclass
class Charge:
    id: str
    amount: int
    currency: str
    customer: str | None
    payment_method: str | None
    idempotency_key: str | None
    params: dict[str, str]


@dataclass
class StripeRequest:
    path: str
    params: dict[str, str]
    idempotency_key: str | None
    authorization: str | None


@dataclass
class FakeStripe:
    """`with FakeStripe() as fake:` then point the client at `fake.url`."""

    mode: Literal["succeed", "decline", "hang"] = "succeed"
    hang_seconds: float = 5.0
    page_action: Literal["stay", "complete", "cancel"] = "stay"
    page_card: tuple[str, str] = ("visa", "4242")
    pages_opened: list[str] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    requests: list[StripeRequest] = field(default_factory=list)
    _answers: dict[str, tuple[int, dict]] = field(default_factory=dict)
    # Stripe objects by id (customers, checkout sessions, SetupIntents, PaymentMethods).
    objects: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.objects.setdefault("pm_card_visa", _payment_method("pm_card_visa", "visa", "4242"))
        # Set on shutdown so hanging handlers end at once.
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                key = self.headers.get("Idempotency-Key")
                with fake._lock:
                    fake.requests.append(
                        StripeRequest(self.path, params, key, self.headers.get("Authorization"))
                    )
                    mode = fake.mode
                if self.path in ("/v1/customers", "/v1/checkout/sessions"):
                    self._answer(*fake._create(self.path, params, key))
                    return
                if self.path != "/v1/payment_intents":
                    self._answer(*_unknown(self.path))
                    return
                if mode == "hang":
                    fake._stop.wait(fake.hang_seconds)
                status, body = fake._create_payment_intent(params, key, mode)
                # The client may have given up waiting; the charge stands, as at Stripe.
                with contextlib.suppress(OSError):
                    self._answer(status, body)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path.startswith("/pay/"):
                    self._page(path.removeprefix("/pay/"))
                    return
                with fake._lock:
                    fake.requests.append(
                        StripeRequest(path, {}, None, self.headers.get("Authorization"))
                    )
                    kind, _, object_id = path.removeprefix("/v1/").rpartition("/")
                    found = fake.objects.get(object_id)
                if found is None or kind not in (
                    "checkout/sessions",
                    "setup_intents",
                    "payment_methods",
                    "customers",
                ):
                    self._answer(*_unknown(path))
                    return
                self._answer(200, found)

            def _page(self, session_id: str) -> None:
                """Stripe's card page, as the cardholder's browser meets it."""
                with fake._lock:
                    checkout = fake.objects.get(session_id)
                    action = fake.page_action
                    if checkout is not None:
                        fake.pages_opened.append(session_id)
                if checkout is None or checkout.get("status") != "open":
                    self._html(404, "This page has expired or does not exist.")
                    return
                if action == "stay":
                    self._html(200, "Stripe (fake): type your card.")
                    return
                if action == "complete":
                    fake.complete_setup(session_id, *fake.page_card)
                    target = checkout["success_url"]
                else:
                    target = checkout["cancel_url"]
                self.send_response(303)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _html(self, status: int, text: str) -> None:
                data = f"<!doctype html><title>Stripe</title><p>{text}</p>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _create(self, path: str, params: dict[str, str], key: str | None) -> tuple[int, dict]:
        with self._lock:
            if key is not None and key in self._answers:
                return self._answers[key]
            metadata = {
                k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")
            }
            if path == "/v1/customers":
                customer_id = f"cus_{uuid.uuid4().hex[:14]}"
                body = {
                    "id": customer_id,
                    "object": "customer",
                    "name": params.get("name"),
                    "metadata": metadata,
                }
            else:
                session_id = f"cs_test_{uuid.uuid4().hex[:24]}"
                body = {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": params.get("mode"),
                    "customer": params.get("customer"),
                    "status": "open",
                    "setup_intent": None,
                    "success_url": params.get("success_url"),
                    "cancel_url": params.get("cancel_url"),
                    "url": f"{self.url}/pay/{session_id}",
                    "metadata": metadata,
                }
            self.objects[body["id"]] = body
            answer = (200, body)
            if key is not None:
                self._answers[key] = answer
            return answer

    def complete_setup(
        self, session_id: str, brand: str = "mastercard", last4: str = "4444"
    ) -> str:
        """The cardholder typed a card on Stripe's page: the session is complete; its method id."""
        with self._lock:
            checkout = self.objects[session_id]
            method_id = f"pm_{uuid.uuid4().hex[:24]}"
            intent_id = f"seti_{uuid.uuid4().hex[:24]}"
            self.objects[method_id] = _payment_method(method_id, brand, last4)
            self.objects[intent_id] = {
                "id": intent_id,
                "object": "setup_intent",
                "customer": checkout["customer"],
                "payment_method": method_id,
                "status": "succeeded",
                "usage": "off_session",
            }
            checkout.update(status="complete", setup_intent=intent_id, url=None)
            return method_id

    def _create_payment_intent(
        self, params: dict[str, str], key: str | None, mode: str
    ) -> tuple[int, dict]:
        with self._lock:
            if key is not None and key in self._answers:
                return self._answers[key]
            if mode == "decline":
                answer = (402, DECLINE)
            else:
                intent_id = f"pi_{uuid.uuid4().hex[:24]}"
                amount = int(params.get("amount", "0"))
                currency = params.get("currency", "usd")
                self.charges.append(
                    Charge(
                        intent_id,
                        amount,
                        currency,
                        params.get("customer"),
                        params.get("payment_method"),
                        key,
                        params,
                    )
                )
                answer = (
                    200,
                    {
                        "id": intent_id,
                        "object": "payment_intent",
                        "amount": amount,
                        "amount_received": amount,
                        "currency": currency,
                        "customer": params.get("customer"),
                        "payment_method": params.get("payment_method"),
                        "status": "succeeded",
                        "livemode": False,
                        "metadata": {
                            k[len("metadata[") : -1]: v
                            for k, v in params.items()
                            if k.startswith("metadata[")
                        },
                    },
                )
            if key is not None:
                self._answers[key] = answer
            return answer

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
