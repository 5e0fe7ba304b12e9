"""Async HTTP client of the backend's JSON API (CONTRACT.md); returns wire schemas.

Every call either returns a schema or raises `ApiError` carrying the server's sentence;
`Unreachable` means the network or the server is down (the caller may fall back to its cache).
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter

if TYPE_CHECKING:
    import httpx

from inbox_app.models.schemas import (
    AgendaEventOut,
    BlockedNumberOut,
    CardOut,
    CardSetupOut,
    ClientOut,
    ColleagueOut,
    ConsentEventOut,
    ContactOut,
    ConversationOut,
    CreditsOut,
    EventOut,
    ExportOut,
    FirmSettingsOut,
    FlowOut,
    FlowPreviewOut,
    ImportReport,
    LedgerEntryOut,
    MatterOut,
    MessageOut,
    MessagePage,
    QuickReplyOut,
    QuickReplyRendered,
    ReminderOut,
    SearchOut,
    TokenOut,
    TopUpOut,
    UsageOut,
    UserAdminOut,
    UserCreateIn,
    UserOut,
    UserPatchIn,
)
from inbox_app.sync.errors import ApiError, Unreachable

T = TypeVar("T")

STREAM_READ_TIMEOUT = 50.0
EXPORT_READ_TIMEOUT = 300.0
# A 20,000-row import resyncs tens of thousands of reminders; progress lines come between.
IMPORT_READ_TIMEOUT = 300.0
ACTIONS = (
    "read",
    "unread",
    "follow",
    "mute",
    "unmute",
    "leave",
    "archive",
    "unarchive",
    "block",
)


def _error_from(response: httpx.Response) -> ApiError:
    named = None
    info: dict[str, Any] = {}
    try:
        body = response.json()
        detail = str(body.get("detail") or "")
        code = str(body.get("code") or "error")
        named = body.get("field")
        info = {k: v for k, v in body.items() if k not in ("detail", "code")}
    except (ValueError, AttributeError):
        detail, code = "", "error"
    if not detail:
        detail = f"The server answered {response.status_code} {response.reason_phrase}."
    return ApiError(response.status_code, detail, code, field_errors(detail, named), info)


def _span(from_date: date | None, to_date: date | None) -> dict[str, str | None]:
    """The `from`/`to` query of a report (the firm's days, both included)."""
    return {
        "from": from_date.isoformat() if from_date else None,
        "to": to_date.isoformat() if to_date else None,
    }


def field_errors(detail: str, field: str | None = None) -> dict[str, str]:
    """The server's sentences by the field they name: "a: x; b: y" (422) or `field` given."""
    if field:
        return {str(field): detail.removeprefix(f"{field}: ")}
    found: dict[str, str] = {}
    for part in detail.split("; "):
        name, sep, message = part.partition(": ")
        if sep and name.isidentifier():
            found.setdefault(name, message)
    return found


def _httpx():
    """httpx, imported when first needed (it and what it pulls in cost a start ~0.3 s)."""
    import httpx

    return httpx


def _network_errors() -> tuple[type[Exception], ...]:
    httpx = _httpx()
    return (httpx.TransportError, httpx.TimeoutException)


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
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        # Made (and httpx imported) at the first request: a start from the cache paints the
        # window before it needs the network.
        if self._client is None:
            self._client = _httpx().AsyncClient(
                base_url=self.base_url, timeout=self._timeout, transport=self._transport
            )
        return self._client

    # --- plumbing ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; raise `Unreachable` or `ApiError`, return only 2xx answers."""
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except _network_errors() as exc:
            raise Unreachable(f"The server at {self.base_url} cannot be reached.") from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    async def _get(self, path: str, schema: type[T] | Any, **params: Any) -> T:
        response = await self.request("GET", path, params=_clean(params))
        return _parse(schema, response)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

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

    # --- the firm's users (admins) ------------------------------------------------------------

    async def users(self) -> list[UserAdminOut]:
        return await self._get("/api/v1/users", list[UserAdminOut])

    async def create_user(self, user: UserCreateIn) -> UserAdminOut:
        response = await self.request(
            "POST", "/api/v1/users", json=user.model_dump(exclude_none=True)
        )
        return UserAdminOut.model_validate(response.json())

    async def update_user(self, user_id: int, change: UserPatchIn) -> UserAdminOut:
        response = await self.request(
            "PATCH", f"/api/v1/users/{user_id}", json=change.model_dump(exclude_unset=True)
        )
        return UserAdminOut.model_validate(response.json())

    async def reset_password(self, user_id: int, password: str) -> UserAdminOut:
        response = await self.request(
            "POST", f"/api/v1/users/{user_id}/password", json={"password": password}
        )
        return UserAdminOut.model_validate(response.json())

    async def set_user_active(self, user_id: int, active: bool) -> UserAdminOut:
        action = "enable" if active else "disable"
        response = await self.request("POST", f"/api/v1/users/{user_id}/{action}")
        return UserAdminOut.model_validate(response.json())

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

    async def conversations_page(
        self,
        unread: bool = False,
        archived: bool = False,
        q: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        mentions: bool = False,
        assigned_to_me: bool = False,
    ) -> tuple[list[ConversationOut], int, str | None]:
        """One page of the inbox, how many it holds in all, and the next page's cursor."""
        response = await self.request(
            "GET",
            "/api/v1/conversations",
            params=_clean(
                {
                    "unread": unread or None,
                    "archived": archived or None,
                    "mentions": mentions or None,
                    "assigned_to_me": assigned_to_me or None,
                    "q": q or None,
                    "limit": limit,
                    "cursor": cursor,
                }
            ),
        )
        rows = _parse(list[ConversationOut], response)
        total = int(response.headers.get("X-Total-Count") or len(rows))
        return rows, total, response.headers.get("X-Next-Cursor")

    async def search(
        self,
        q: str,
        conversation_id: int | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> SearchOut:
        return await self._get(
            "/api/v1/search",
            SearchOut,
            q=q,
            conversation_id=conversation_id,
            before=before,
            limit=limit,
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
        self,
        conversation_id: int,
        before: int | None = None,
        limit: int = 50,
        *,
        after: int | None = None,
        around: int | None = None,
        at: datetime | None = None,
    ) -> MessagePage:
        return await self._get(
            f"/api/v1/conversations/{conversation_id}/messages",
            MessagePage,
            before=before,
            limit=limit,
            after=after,
            around=around,
            at=at.isoformat() if at is not None else None,
            # The desktop shows the firm's notes and system lines in the thread; the server
            # leaves them out for a client that does not ask (they are not texts).
            include_notes="true",
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
        *,
        check_recent_reply: bool = False,
    ) -> MessageOut:
        """Send (or schedule) a message; multipart when it carries images.

        `check_recent_reply`: the server refuses it (409 `recent_reply`, nothing stored) when a
        colleague texted the conversation in the last 2 minutes.
        """
        path = f"/api/v1/conversations/{conversation_id}/messages"
        fields: dict[str, Any] = _clean(
            {
                "body": body,
                "send_at": send_at.isoformat() if send_at else None,
                "idempotency_key": idempotency_key,
            }
        )
        if check_recent_reply:
            fields["check_recent_reply"] = "true" if images else True
        if images:
            files = [("images", (name, data, ctype)) for name, ctype, data in images]
            response = await self.request("POST", path, data=fields, files=files)
        else:
            response = await self.request("POST", path, json=fields)
        return MessageOut.model_validate(response.json())

    async def typing(self, conversation_id: int) -> None:
        """Tell the firm's other users I am writing in this thread (nothing is stored)."""
        await self.request("POST", f"/api/v1/conversations/{conversation_id}/typing")

    async def viewing(self, conversation_id: int) -> None:
        """Tell the server this desktop has the thread open (typing elsewhere skips it)."""
        await self.request("POST", f"/api/v1/conversations/{conversation_id}/viewing")

    async def edit_message(
        self, message_id: int, body: str | None = None, send_at: datetime | None = None
    ) -> MessageOut:
        payload = _clean({"body": body, "send_at": send_at.isoformat() if send_at else None})
        response = await self.request("PATCH", f"/api/v1/messages/{message_id}", json=payload)
        return MessageOut.model_validate(response.json())

    async def retry_message(self, message_id: int) -> MessageOut:
        """Send a failed message again, images included: the server makes a new message."""
        response = await self.request("POST", f"/api/v1/messages/{message_id}/retry")
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

    # --- internal notes -----------------------------------------------------------------------

    async def add_note(self, conversation_id: int, body: str) -> MessageOut:
        response = await self.request(
            "POST", f"/api/v1/conversations/{conversation_id}/notes", json={"body": body}
        )
        return MessageOut.model_validate(response.json())

    async def edit_note(self, note_id: int, body: str) -> MessageOut:
        response = await self.request("PATCH", f"/api/v1/notes/{note_id}", json={"body": body})
        return MessageOut.model_validate(response.json())

    async def assign(self, conversation_id: int, user_id: int | None) -> ConversationOut:
        response = await self.request(
            "PUT", f"/api/v1/conversations/{conversation_id}/assignee", json={"user_id": user_id}
        )
        return ConversationOut.model_validate(response.json())

    async def colleagues(self) -> list[ColleagueOut]:
        return await self._get("/api/v1/colleagues", list[ColleagueOut])

    # --- quick replies ------------------------------------------------------------------------

    async def quick_replies(self) -> list[QuickReplyOut]:
        return await self._get("/api/v1/quick-replies", list[QuickReplyOut])

    async def create_quick_reply(self, name: str, body: str, scope: str) -> QuickReplyOut:
        response = await self.request(
            "POST", "/api/v1/quick-replies", json={"name": name, "body": body, "scope": scope}
        )
        return QuickReplyOut.model_validate(response.json())

    async def update_quick_reply(self, reply_id: int, **changes: Any) -> QuickReplyOut:
        response = await self.request("PATCH", f"/api/v1/quick-replies/{reply_id}", json=changes)
        return QuickReplyOut.model_validate(response.json())

    async def delete_quick_reply(self, reply_id: int) -> None:
        await self.request("DELETE", f"/api/v1/quick-replies/{reply_id}")

    async def render_quick_reply(self, reply_id: int, conversation_id: int) -> QuickReplyRendered:
        return await self._get(
            f"/api/v1/quick-replies/{reply_id}/render",
            QuickReplyRendered,
            conversation_id=conversation_id,
        )

    # --- flows and import ---------------------------------------------------------------------

    async def flows(self) -> list[FlowOut]:
        return await self._get("/api/v1/flows", list[FlowOut], limit=200)

    async def create_flow(self, body: dict[str, Any]) -> FlowOut:
        response = await self.request("POST", "/api/v1/flows", json=body)
        return FlowOut.model_validate(response.json())

    async def update_flow(self, flow_id: int, changes: dict[str, Any]) -> FlowOut:
        response = await self.request("PATCH", f"/api/v1/flows/{flow_id}", json=changes)
        return FlowOut.model_validate(response.json())

    async def preview_template(self, body: dict[str, Any]) -> FlowPreviewOut:
        response = await self.request("POST", "/api/v1/flows/preview", json=_clean(body))
        return FlowPreviewOut.model_validate(response.json())

    async def events(self, client_id: int | None = None) -> list[EventOut]:
        return await self._get("/api/v1/events", list[EventOut], client_id=client_id, limit=200)

    async def import_rows(
        self, body: dict[str, Any], progress: Callable[[str, float], None] | None = None
    ) -> ImportReport:
        """POST /api/v1/import, reading the streamed progress lines; the report, or ApiError."""
        headers = {**self._headers(), "Accept": "application/x-ndjson"}
        last: dict[str, Any] = {}
        try:
            async with self._http.stream(
                "POST",
                "/api/v1/import",
                json=body,
                headers=headers,
                timeout=_httpx().Timeout(self._timeout, read=IMPORT_READ_TIMEOUT),
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_from(response)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    last = json.loads(line)
                    if "done" in last and progress is not None:
                        progress(str(last.get("stage", "")), float(last["done"]))
        except _network_errors() as exc:
            raise Unreachable(f"The server at {self.base_url} cannot be reached.") from exc
        if "report" in last:
            return ImportReport.model_validate(last["report"])
        error = last.get("error") or {}
        raise ApiError(
            int(error.get("status") or 500),
            str(error.get("detail") or "The import did not finish."),
            str(error.get("code") or "error"),
        )

    async def export(self, conversation_id: int) -> ExportOut:
        return await self._get(f"/api/v1/conversations/{conversation_id}/export", ExportOut)

    async def export_document(self, conversation_id: int) -> AsyncIterator[bytes]:
        """The export's canonical document, the bytes its SHA-256 is of, chunk by chunk."""
        async for chunk in self.download(f"/api/v1/conversations/{conversation_id}/export.json"):
            yield chunk

    async def download(self, path: str, **params: Any) -> AsyncIterator[bytes]:
        """A file the server writes before its first byte (an export, a CSV), chunk by chunk."""
        timeout = _httpx().Timeout(self._timeout, read=EXPORT_READ_TIMEOUT)
        try:
            async with self._http.stream(
                "GET", path, params=_clean(params), headers=self._headers(), timeout=timeout
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_from(response)
                async for chunk in response.aiter_bytes():
                    yield chunk
        except _network_errors() as exc:
            raise Unreachable(f"The server at {self.base_url} cannot be reached.") from exc

    async def media(self, media_id: int) -> bytes:
        return (await self.request("GET", f"/api/v1/media/{media_id}")).content

    async def thumbnail(self, media_id: int) -> bytes:
        return (await self.request("GET", f"/api/v1/media/{media_id}/thumbnail")).content

    # --- blocked numbers (admins) -------------------------------------------------------------

    async def blocked_numbers(self) -> list[BlockedNumberOut]:
        return await self._get("/api/v1/blocks", list[BlockedNumberOut])

    async def blocked_record(
        self, block_id: int, before: int | None = None, limit: int = 50
    ) -> MessagePage:
        """A page of a blocked number's kept record, read-only."""
        return await self._get(
            f"/api/v1/blocks/{block_id}/messages", MessagePage, before=before, limit=limit
        )

    async def unblock(self, block_id: int) -> None:
        await self.request("DELETE", f"/api/v1/blocks/{block_id}")

    async def delete_blocked_record(self, block_id: int) -> None:
        await self.request("DELETE", f"/api/v1/blocks/{block_id}/record")

    # --- credits -------------------------------------------------------------------------------

    async def credits(self) -> CreditsOut:
        return await self._get("/api/v1/credits", CreditsOut)

    async def ledger(self, before: int | None = None, limit: int = 100) -> list[LedgerEntryOut]:
        """A page of the ledger, newest first; `before` is the last id of the page before."""
        return await self._get(
            "/api/v1/credits/ledger", list[LedgerEntryOut], before=before, limit=limit
        )

    async def usage(
        self, group: str, from_date: date | None = None, to_date: date | None = None
    ) -> UsageOut:
        return await self._get(
            "/api/v1/credits/usage", UsageOut, group=group, **_span(from_date, to_date)
        )

    def usage_csv(
        self, group: str, from_date: date | None = None, to_date: date | None = None
    ) -> AsyncIterator[bytes]:
        return self.download(
            "/api/v1/credits/usage", group=group, format="csv", **_span(from_date, to_date)
        )

    def ledger_csv(
        self, from_date: date | None = None, to_date: date | None = None
    ) -> AsyncIterator[bytes]:
        return self.download("/api/v1/credits/ledger.csv", **_span(from_date, to_date))

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

    async def card(self) -> CardOut:
        return await self._get("/api/v1/credits/card", CardOut)

    async def start_card_setup(self) -> CardSetupOut:
        response = await self.request("POST", "/api/v1/credits/card/setup")
        return CardSetupOut.model_validate(response.json())

    async def finish_card_setup(self, session_id: str) -> CardOut:
        response = await self.request("POST", f"/api/v1/credits/card/setup/{session_id}")
        return CardOut.model_validate(response.json())

    # --- firm (admins) ------------------------------------------------------------------------

    async def firm_settings(self) -> FirmSettingsOut:
        return await self._get("/api/v1/firm/settings", FirmSettingsOut)

    async def update_firm_settings(self, changes: dict[str, Any]) -> FirmSettingsOut:
        """A partial update: only the keys in `changes` (JSON values) are sent."""
        response = await self.request("PUT", "/api/v1/firm/settings", json=changes)
        return FirmSettingsOut.model_validate(response.json())

    # --- records ------------------------------------------------------------------------------

    async def clients(self, q: str | None = None, limit: int | None = None) -> list[ClientOut]:
        return await self._get("/api/v1/clients", list[ClientOut], q=q or None, limit=limit)

    async def create_client(self, fields: dict[str, Any]) -> ClientOut:
        response = await self.request("POST", "/api/v1/clients", json=fields)
        return ClientOut.model_validate(response.json())

    async def update_client(self, client_id: int, changes: dict[str, Any]) -> ClientOut:
        response = await self.request("PATCH", f"/api/v1/clients/{client_id}", json=changes)
        return ClientOut.model_validate(response.json())

    async def contacts(
        self, client_id: int, archived: bool = False, trashed: bool = False
    ) -> list[ContactOut]:
        return await self._get(
            f"/api/v1/clients/{client_id}/contacts",
            list[ContactOut],
            archived=str(archived).lower(),
            trashed=str(trashed).lower(),
            limit=200,
        )

    async def create_contact(self, client_id: int, fields: dict[str, Any]) -> ContactOut:
        response = await self.request("POST", f"/api/v1/clients/{client_id}/contacts", json=fields)
        return ContactOut.model_validate(response.json())

    async def update_contact(self, contact_id: int, changes: dict[str, Any]) -> ContactOut:
        response = await self.request("PATCH", f"/api/v1/contacts/{contact_id}", json=changes)
        return ContactOut.model_validate(response.json())

    async def contact_action(self, contact_id: int, name: str, note: str = "") -> ContactOut:
        """opt-out, opt-in (with the reason as `note`), archive, trash or restore."""
        body = {"note": note} if name in ("opt-out", "opt-in") else None
        response = await self.request("POST", f"/api/v1/contacts/{contact_id}/{name}", json=body)
        return ContactOut.model_validate(response.json())

    async def contact_consent(self, contact_id: int) -> list[ConsentEventOut]:
        return await self._get(f"/api/v1/contacts/{contact_id}/consent", list[ConsentEventOut])

    async def create_matter(self, fields: dict[str, Any]) -> MatterOut:
        response = await self.request("POST", "/api/v1/matters", json=fields)
        return MatterOut.model_validate(response.json())

    async def update_matter(self, matter_id: int, changes: dict[str, Any]) -> MatterOut:
        response = await self.request("PATCH", f"/api/v1/matters/{matter_id}", json=changes)
        return MatterOut.model_validate(response.json())

    async def upcoming(
        self,
        days: int = 14,
        client_id: int | None = None,
        matter_id: int | None = None,
        start: datetime | None = None,
        attorney_id: int | None = None,
    ) -> list[AgendaEventOut]:
        return await self._get(
            "/api/v1/events/upcoming",
            list[AgendaEventOut],
            days=days,
            client_id=client_id,
            matter_id=matter_id,
            attorney_id=attorney_id,
            **{"from": start.isoformat() if start else None},
        )

    async def create_event(self, fields: dict[str, Any]) -> EventOut:
        response = await self.request("POST", "/api/v1/events", json=fields)
        return EventOut.model_validate(response.json())

    async def update_event(self, event_id: int, changes: dict[str, Any]) -> EventOut:
        response = await self.request("PATCH", f"/api/v1/events/{event_id}", json=changes)
        return EventOut.model_validate(response.json())

    async def delete_event(self, event_id: int) -> None:
        await self.request("DELETE", f"/api/v1/events/{event_id}")

    async def event_reminders(self, event_id: int) -> list[ReminderOut]:
        return await self._get(f"/api/v1/events/{event_id}/reminders", list[ReminderOut])

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
        timeout = _httpx().Timeout(self._timeout, read=STREAM_READ_TIMEOUT)
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
        except _network_errors() as exc:
            raise Unreachable("The live connection to the server was lost.") from exc


class StreamEvent(BaseModel):
    """One Server-Sent Event: its id (for Last-Event-ID), kind and JSON payload."""

    # Built with the first event, not at import (the cold start, bench/cold_start.py).
    model_config = ConfigDict(defer_build=True)

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
