"""Live sending through Twilio's REST API with the official client; the base URL can be moved."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from inbox_app.server.carrier.base import NO_ANSWER, Receipt
from inbox_app.server.errors import CarrierError

log = logging.getLogger("inbox.carrier")

TWILIO_API = "https://api.twilio.com"
TIMEOUT_SECONDS = 15.0
# Looking a text up: how many of the number's messages to read at most, and how far the
# carrier's clock may be behind ours.
FIND_LIMIT = 500
CLOCK_SKEW = timedelta(minutes=2)


class _RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending `api.twilio.com` requests to INBOX_TWILIO_API_BASE."""

    def __init__(self, api_base: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/") if api_base else None

    def request(self, method, url, *args, **kwargs):
        if self.api_base and url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class LiveCarrier:
    """Hands messages to Twilio; its errors become `CarrierError` with Twilio's code and text."""

    name = "live"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.client = Client(
            account_sid, auth_token, http_client=_RebasedHttpClient(api_base, timeout)
        )
        # The Messages API is loaded on first use (about 0.1 s of imports): load it now, so a
        # process's first send does not reach Twilio that late after its rate slot, with the
        # second one right behind it.
        _ = self.client.messages

    def send(
        self,
        to: str,
        from_: str,
        body: str,
        media_urls: Sequence[str],
        status_callback: str | None,
    ) -> Receipt:
        kwargs: dict = {"to": to, "from_": from_, "body": body}
        if media_urls:
            kwargs["media_url"] = list(media_urls)
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            raise _carrier_error(exc) from exc
        except requests.RequestException as exc:
            raise _transport_error(exc) from exc
        except TwilioException as exc:
            raise CarrierError(f"The carrier refused the message: {exc}", retryable=False) from exc
        return Receipt(sid=message.sid, status=message.status or "queued")

    def find(self, to: str, from_: str, body: str, since: datetime) -> list[Receipt]:
        """Twilio's Messages list filtered by To, From and DateSent, matched on the body.

        A text Twilio has not sent yet has no `date_sent`, so the newest page without the date
        filter is read too."""
        earliest = since - CLOCK_SKEW
        try:
            found = self.client.messages.list(
                to=to, from_=from_, date_sent_after=earliest, limit=FIND_LIMIT, page_size=100
            )
            found += self.client.messages.list(to=to, from_=from_, limit=50)
        except TwilioRestException as exc:
            raise _lookup_error(exc) from exc
        except (requests.RequestException, TwilioException) as exc:
            raise _lookup_error(exc) from exc
        seen: set[str] = set()
        matches = []
        for message in found:
            created = message.date_created or message.date_sent
            if message.sid in seen or message.body != body or created is None:
                continue
            if created >= earliest:
                seen.add(message.sid)
                matches.append((created, Receipt(sid=message.sid, status=message.status or "sent")))
        matches.sort(key=lambda pair: pair[0])
        return [receipt for _created, receipt in matches]

    def close(self) -> None:
        session = self.client.http_client.session
        if session is not None:
            session.close()


def _transport_error(exc: requests.RequestException) -> CarrierError:
    """A request that never left may be retried; one that may have arrived must not be resent."""
    if _never_sent(exc):
        return CarrierError(
            f"The carrier could not be reached: {exc}", carrier_code="unreachable", retryable=True
        )
    # A read timeout or a connection dropped mid-answer: Twilio may well have taken the message.
    log.warning("carrier gave no answer; the message may have been sent: %s", exc)
    return CarrierError(
        "The carrier did not answer; it may have been sent. Check before resending.",
        carrier_code=NO_ANSWER,
        retryable=False,
    )


def _lookup_error(exc: Exception) -> CarrierError:
    log.warning("the carrier could not say whether it has a message: %s", exc)
    return CarrierError(
        "The carrier did not answer, and could not say afterwards whether it took the text; "
        "it may have been sent. Check before resending.",
        carrier_code=NO_ANSWER,
        retryable=False,
    )


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    # requests wraps urllib3's errors; only a failure to connect proves nothing was sent.
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _carrier_error(exc: TwilioRestException) -> CarrierError:
    status = int(exc.status or 0)
    text = (exc.msg or "").removeprefix("Unable to create record: ").strip()
    code = str(exc.code) if exc.code else None
    retryable = status == 429 or status >= 500
    if not text:
        text = f"The carrier answered HTTP {status}."
    log.warning("carrier refused a message: HTTP %s code %s: %s", status, code, text)
    return CarrierError(text, carrier_code=code, retryable=retryable, http_status=status)
