"""Async HTTP client of the backend's JSON API (CONTRACT.md); returns wire schemas.

Every call either returns a schema or raises `ApiError` carrying the server's sentence;
`Unreachable` means the network or the server is down (the caller may fall back to its cache).
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from inbox_app.models.schemas import (
    ClientOut,
    ConsentEventOut,
    ConversationOut,
    CreditsOut,
    ExportOut,
    LedgerEntryOut,
    MatterOut,
    MessageOut,
    MessagePage,
    TokenOut,
    TopUpOut,
    UserOut,
)
from inbox_app.sync.errors import ApiError, Unreachable

T = TypeVar("T")

STREAM_READ_TIMEOUT = 50.0
ACTIONS = ("read", "unread", "mute", "unmute", "leave", "archive", "unarchive", "block")


def _error_from(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
        detail = str(body.get("detail") or "")
        code = str(body.get("code") or "error")
    except (ValueError, AttributeError):
        detail, code = "", "error"
    if not detail:
        detail = f"The server answered {response.status_code} {response.reason_phrase}."
    return ApiError(response.status_code, detail, code)


class ApiClient:
    """One signed-in (or not yet) user's connection to one server."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._timeout = timeout
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    # --- plumbing ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; raise `Unreachable` or `ApiError`, return only 2xx answers."""
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise Unreachable(f"The server at {self.base_url} cannot be reached.") from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    async def _get(self, path: str, schema: type[T] | Any, **params: Any) -> T:
        response = await self.request("GET", path, params=_clean(params))
        return _parse(schema, response)

    async def close(self) -> None:
        await self._http.aclose()

    async def health(self) -> bool:
        """True when the server answers its liveness probe."""
        try:
            await self.request("GET", "/healthz", timeout=3)
        except ApiError:
            return False
        return True

    # --- auth --------------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> TokenOut:
        response = await self.request(
            "POST", "/api/v1/auth/token", json={"username": username, "password": password}
        )
        token = TokenOut.model_validate(response.json())
        self.token = token.access_token
        return token

    async def logout(self) -> None:
        try:
            await self.request("POST", "/api/v1/auth/logout")
        finally:
            self.token = None

    async def me(self) -> UserOut:
        return await self._get("/api/v1/auth/me", UserOut)

    async def update_me(self, notifications_enabled: bool) -> UserOut:
        response = await self.request(
            "PATCH", "/api/v1/auth/me", json={"notifications_enabled": notifications_enabled}
        )
        return UserOut.model_validate(response.json())

    # --- conversations and messages -----------------------------------------------------------

    async def conversations(
        self, unread: bool = False, archived: bool = False, q: str | None = None
    ) -> list[ConversationOut]:
        return await self._get(
            "/api/v1/conversations",
            list[ConversationOut],
            unread=unread or None,
            archived=archived or None,
            q=q or None,
        )

    async def conversation(self, conversation_id: int) -> ConversationOut:
        return await self._get(f"/api/v1/conversations/{conversation_id}", ConversationOut)

    async def compose(
        self, phone: str, client_id: int | None = None, matter_id: int | None = None
    ) -> tuple[ConversationOut, bool]:
        """Open the conversation with `phone`; the flag says whether it was just created."""
        response = await self.request(
            "POST",
            "/api/v1/conversations",
            json={"phone": phone, "client_id": client_id, "matter_id": matter_id},
        )
        return ConversationOut.model_validate(response.json()), response.status_code == 201

    async def messages(
        self, conversation_id: int, before: int | None = None, limit: int = 50
    ) -> MessagePage:
        return await self._get(
            f"/api/v1/conversations/{conversation_id}/messages",
            MessagePage,
            before=before,
            limit=limit,
        )

    async def all_messages(self, conversation_id: int) -> list[MessageOut]:
        """Every message of the thread, oldest first (pages backwards through it)."""
        pages: list[list[MessageOut]] = []
        before = None
        while True:
            page = await self.messages(conversation_id, before=before, limit=200)
            if page.messages:
                pages.append(page.messages)
            if not page.has_more or not page.messages:
                break
            before = page.messages[0].id
        return [m for page in reversed(pages) for m in page]

    async def send(
        self,
        conversation_id: int,
        body: str,
        send_at: datetime | None = None,
        idempotency_key: str | None = None,
        images: Sequence[tuple[str, str, bytes]] = (),
    ) -> MessageOut:
        """Send (or schedule) a message; multipart when it carries images."""
        path = f"/api/v1/conversations/{conversation_id}/messages"
        fields = _clean(
            {
                "body": body,
                "send_at": send_at.isoformat() if send_at else None,
                "idempotency_key": idempotency_key,
            }
        )
        if images:
            files = [("images", (name, data, ctype)) for name, ctype, data in images]
            response = await self.request("POST", path, data=fields, files=files)
        else:
            response = await self.request("POST", path, json=fields)
        return MessageOut.model_validate(response.json())

    async def edit_message(
        self, message_id: int, body: str | None = None, send_at: datetime | None = None
    ) -> MessageOut:
        payload = _clean({"body": body, "send_at": send_at.isoformat() if send_at else None})
        response = await self.request("PATCH", f"/api/v1/messages/{message_id}", json=payload)
        return MessageOut.model_validate(response.json())

    async def cancel_message(self, message_id: int) -> MessageOut | None:
        response = await self.request("DELETE", f"/api/v1/messages/{message_id}")
        return _maybe(MessageOut, response)

    async def action(self, conversation_id: int, name: str, **body: Any) -> ConversationOut | None:
        """One of the conversation actions of DESIGN.md (read, mute, leave, archive, block, …)."""
        if name not in ACTIONS:
            raise ValueError(f"unknown conversation action {name!r}")
        response = await self.request(
            "POST", f"/api/v1/conversations/{conversation_id}/{name}", json=body or None
        )
        return _maybe(ConversationOut, response)

    async def file_under(
        self, conversation_id: int, client_id: int | None, matter_id: int | None
    ) -> ConversationOut:
        response = await self.request(
            "PUT",
            f"/api/v1/conversations/{conversation_id}/file",
            json={"client_id": client_id, "matter_id": matter_id},
        )
        return ConversationOut.model_validate(response.json())

    async def export(self, conversation_id: int) -> ExportOut:
        return await self._get(f"/api/v1/conversations/{conversation_id}/export", ExportOut)

    async def media(self, media_id: int) -> bytes:
        return (await self.request("GET", f"/api/v1/media/{media_id}")).content

    async def thumbnail(self, media_id: int) -> bytes:
        return (await self.request("GET", f"/api/v1/media/{media_id}/thumbnail")).content

    # --- credits -------------------------------------------------------------------------------

    async def credits(self) -> CreditsOut:
        return await self._get("/api/v1/credits", CreditsOut)

    async def ledger(self) -> list[LedgerEntryOut]:
        return await self._get("/api/v1/credits/ledger", list[LedgerEntryOut])

    async def top_up(self, bundles: int, reference: str | None = None) -> TopUpOut:
        response = await self.request(
            "POST",
            "/api/v1/credits/top-up",
            json=_clean({"bundles": bundles, "reference": reference}),
        )
        return TopUpOut.model_validate(response.json())

    async def credit_settings(self, auto_top_up: bool) -> CreditsOut:
        response = await self.request(
            "PUT", "/api/v1/credits/settings", json={"auto_top_up": auto_top_up}
        )
        return CreditsOut.model_validate(response.json())

    # --- records ------------------------------------------------------------------------------

    async def clients(self, q: str | None = None) -> list[ClientOut]:
        return await self._get("/api/v1/clients", list[ClientOut], q=q or None)

    async def client(self, client_id: int) -> ClientOut:
        return await self._get(f"/api/v1/clients/{client_id}", ClientOut)

    async def matters(self, client_id: int | None = None) -> list[MatterOut]:
        return await self._get("/api/v1/matters", list[MatterOut], client_id=client_id)

    async def consent_history(self, phone: str) -> list[ConsentEventOut]:
        return await self._get("/api/v1/consent", list[ConsentEventOut], phone=phone)

    # --- realtime -----------------------------------------------------------------------------

    async def stream(self, last_event_id: str | None = None) -> AsyncIterator[StreamEvent]:
        """Server-Sent Events from GET /api/v1/stream until the connection ends."""
        headers = {**self._headers(), "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        # The server sends a keep-alive every 15 s; three missed ones mean a dead connection.
        timeout = httpx.Timeout(self._timeout, read=STREAM_READ_TIMEOUT)
        try:
            async with self._http.stream(
                "GET", "/api/v1/stream", headers=headers, timeout=timeout
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_from(response)
                # Connected: the caller learns it before the first event arrives.
                yield StreamEvent(kind="stream.open")
                parser = SseParser()
                async for line in response.aiter_lines():
                    event = parser.feed(line)
                    if event is not None:
                        yield event
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise Unreachable("The live connection to the server was lost.") from exc


class StreamEvent(BaseModel):
    """One Server-Sent Event: its id (for Last-Event-ID), kind and JSON payload."""

    id: str | None = None
    kind: str
    data: dict[str, Any] = {}


class SseParser:
    """Turns text/event-stream lines into events (the WHATWG rules we need)."""

    def __init__(self) -> None:
        self._id: str | None = None
        self._event = "message"
        self._data: list[str] = []

    def feed(self, line: str) -> StreamEvent | None:
        line = line.rstrip("\r")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # keep-alive comment
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            self._id = value
        elif field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> StreamEvent | None:
        if not self._data:
            self._event = "message"
            return None
        raw = "\n".join(self._data)
        kind = self._event
        self._data, self._event = [], "message"
        try:
            data = json.loads(raw)
        except ValueError:
            data = {"text": raw}
        if not isinstance(data, dict):
            data = {"value": data}
        return StreamEvent(id=self._id, kind=kind, data=data)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@functools.cache
def _adapter(schema: Any) -> TypeAdapter:
    return TypeAdapter(schema)


def _parse(schema: Any, response: httpx.Response) -> Any:
    return _adapter(schema).validate_python(response.json())


def _maybe(schema: type[BaseModel], response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return schema.model_validate(response.json())
    except ValueError:
        return None
