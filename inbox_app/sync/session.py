"""`SyncClient`: the one object the window talks to (API, live stream, cache, outbox)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from inbox_app.domain.phone import format_display
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
    TopUpOut,
    UserOut,
)
from inbox_app.sync import credentials
from inbox_app.sync.api import ApiClient, StreamEvent
from inbox_app.sync.cache import LocalStore, OutboxItem, cache_path
from inbox_app.sync.errors import ApiError, Unreachable

log = logging.getLogger("inbox.sync")
T = TypeVar("T")


def notification_from(data: dict[str, Any]) -> dict[str, Any]:
    """The stream's notification payload with a `title` and `body` ready to show."""
    out = dict(data)
    if not out.get("title"):
        name = out.get("contact_name")
        out["title"] = name or format_display(str(out.get("phone") or ""))
    if not out.get("body") and out.get("has_media"):
        out["body"] = "Photo"
    out["conversation_id"] = int(out.get("conversation_id") or 0)
    return out


class SyncClient(QObject):
    """The signed-in user's inbox, kept live and usable offline.

    Signals:
      signed_in(UserOut): a session started (interactive or silent).
      signed_out(): the session ended; the token is forgotten.
      conversations_changed(): reload the list (reconnect, bulk change).
      conversation_updated(int id): one conversation changed (fetch it again).
      thread_changed(int id): many of its messages changed at once (reminders regenerated):
        reload its messages if it is open.
      messages_removed(int conversation_id, list[int] ids): the server removed these messages.
      conversation_deleted(int id): gone for good (blocked).
      message_received(MessageOut): a new message in any conversation (stream or own send).
      message_updated(MessageOut): a status or body change of a message.
      outbox_changed(int conversation_id): replies waiting for the server changed.
      credits_changed(int balance): the firm's prepaid balance.
      notify(dict): {conversation_id, title, body} of a notification for this user.
      online_changed(bool): the server became reachable / unreachable.
      error(str): a sentence to show once in the status bar.
    """

    signed_in = Signal(object)
    signed_out = Signal()
    conversations_changed = Signal()
    conversation_updated = Signal(int)
    thread_changed = Signal(int)
    messages_removed = Signal(int, list)
    conversation_deleted = Signal(int)
    message_received = Signal(object)
    message_updated = Signal(object)
    outbox_changed = Signal(int)
    credits_changed = Signal(int)
    notify = Signal(dict)
    online_changed = Signal(bool)
    error = Signal(str)

    def __init__(
        self,
        server_url: str | None = None,
        *,
        cache_dir: Path | None = None,
        retry_interval: float = 2.0,
        remember: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.server_url = (server_url or "").rstrip("/") or None
        self.cache_dir = cache_dir
        self.retry_interval = retry_interval
        self.remember = remember
        self.api: ApiClient | None = None
        self.store: LocalStore | None = None
        self.user: UserOut | None = None
        self.is_online = False
        self._live: asyncio.Task | None = None
        self._flush_lock = asyncio.Lock()
        self._in_flight: set[str] = set()
        self._reader: asyncio.Future | None = None

    # --- session ---------------------------------------------------------------------------

    @property
    def is_signed_in(self) -> bool:
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == "admin"

    def set_server_url(self, url: str) -> None:
        self.server_url = url.rstrip("/")

    async def sign_in(self, username: str, password: str) -> UserOut:
        """Sign in with a password; the token goes to the keyring (when `remember`)."""
        if not self.server_url:
            raise ApiError(0, "Enter the address of your firm's Inbox server.", "no_server")
        api = ApiClient(self.server_url)
        try:
            token = await api.login(username, password)
        except BaseException:
            await api.close()
            raise
        if self.remember:
            credentials.save_token(self.server_url, token.user.username, token.access_token)
        await self._start_session(api, token.user, online=True)
        return token.user

    async def resume(self) -> UserOut | None:
        """Sign in silently with the remembered token; None when the user must sign in."""
        saved = credentials.load()
        if saved is None:
            return None
        server_url, username, token = saved
        if self.server_url and self.server_url != server_url.rstrip("/"):
            return None
        self.server_url = server_url.rstrip("/")
        api = ApiClient(self.server_url, token)
        try:
            user = await api.me()
            online = True
        except Unreachable:
            # Start offline from the cache with the user we knew last time.
            store = self._open_store(username)
            raw = store.get_meta("user")
            store.close()
            if raw is None:
                await api.close()
                return None
            user, online = UserOut.model_validate_json(raw), False
        except ApiError:
            credentials.forget()
            await api.close()
            return None
        await self._start_session(api, user, online=online)
        return user

    async def sign_out(self) -> None:
        """Forget the token here and on the server."""
        api = self.api
        await self.stop()
        credentials.forget()
        if api is not None:
            with contextlib.suppress(ApiError):
                await api.logout()
            await api.close()
        self.api = None
        self.user = None
        self.signed_out.emit()

    async def _start_session(self, api: ApiClient, user: UserOut, *, online: bool) -> None:
        if self.api is not None and self.api is not api:
            await self.api.close()
        self.api = api
        self.user = user
        if self.store is not None:
            self.store.close()
        self.store = self._open_store(user.username)
        self.store.set_meta("user", user.model_dump_json())
        self._set_online(online)
        self.signed_in.emit(user)

    def _open_store(self, username: str) -> LocalStore:
        assert self.server_url
        return LocalStore(cache_path(self.server_url, username, self.cache_dir))

    def start(self) -> None:
        """Start listening to the live stream (and flushing the outbox on reconnect)."""
        if self._live is None or self._live.done():
            self._live = asyncio.ensure_future(self._live_loop())

    async def stop(self) -> None:
        """Stop the live stream (the session stays signed in)."""
        task, self._live = self._live, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def close(self) -> None:
        await self.stop()
        if self.api is not None:
            await self.api.close()
        if self.store is not None:
            self.store.close()
            self.store = None

    # --- live stream -------------------------------------------------------------------------

    def _set_online(self, online: bool) -> None:
        if online != self.is_online:
            self.is_online = online
            self.online_changed.emit(online)
        if not online and self._reader is not None and not self._reader.done():
            # A call just failed: the stream may be a half-dead connection; reconnect now.
            self._reader.cancel()

    async def _read_stream(self) -> None:
        last_id = self.store.get_meta("last_event_id") if self.store else None
        async for event in self.api.stream(last_id):
            if event.kind == "stream.open":
                await self._on_connected()
            else:
                self._handle(event)

    async def _live_loop(self) -> None:
        while self.api is not None:
            self._reader = asyncio.ensure_future(self._read_stream())
            try:
                await self._reader
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    self._reader.cancel()
                    raise
                # Only the reader was cancelled (an outage was noticed elsewhere): retry.
            except Unreachable:
                self._set_online(False)
            except ApiError as exc:
                if exc.status == 401:
                    self.error.emit(exc.detail)
                    self._set_online(False)
                    return
                # No stream on this server (yet): stay usable, check it is alive.
                log.warning("live stream refused: %s", exc.detail)
                alive = await self.api.health()
                if alive and not self.is_online:
                    await self._on_connected()
                self._set_online(alive)
            except Exception:
                log.exception("live stream failed")
                self._set_online(False)
            await asyncio.sleep(self.retry_interval)

    async def _on_connected(self) -> None:
        was_online = self.is_online
        self._set_online(True)
        if not was_online:
            self.conversations_changed.emit()
        await self.flush_outbox()
        with contextlib.suppress(ApiError):
            self.credits_changed.emit((await self.api.credits()).balance)

    def _handle(self, event: StreamEvent) -> None:
        """Apply one stream event to the cache and tell the window.

        Never raises: a newer server may send kinds or fields this client does not know, and
        an exception here would drop the stream and replay the same event on reconnect.
        """
        if self.store is not None and event.id:
            self.store.set_meta("last_event_id", event.id)
        data = event.data
        kind = event.kind
        try:
            self._apply(kind, data)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("ignored a malformed %s event: %r", kind, data)
        except Exception:
            log.exception("could not apply a %s event", kind)

    def _apply(self, kind: str, data: dict[str, Any]) -> None:
        if kind in ("message.created", "message.updated"):
            message = self._message_from(data)
            if message is not None:
                if self.store is not None:
                    self.store.save_messages([message])
                if kind == "message.created":
                    self.message_received.emit(message)
                else:
                    self.message_updated.emit(message)
        elif kind == "conversation.updated":
            conversation_id = int(data["id"])
            self._removed(conversation_id, data)
            if data.get("reminders_changed"):
                self.thread_changed.emit(conversation_id)
            self.conversation_updated.emit(conversation_id)
            return
        elif kind == "conversation.deleted":
            if self.store is not None:
                self.store.delete_conversation(int(data["id"]))
            self.conversation_deleted.emit(int(data["id"]))
        elif kind == "credits.changed":
            self.credits_changed.emit(int(data["balance"]))
        elif kind == "notification":
            self.notify.emit(notification_from(data))
        else:
            log.debug("ignored a stream event of unknown kind %r", kind)
        if data.get("removed_message_ids") and data.get("conversation_id") is not None:
            self._removed(int(data["conversation_id"]), data)

    def _removed(self, conversation_id: int, data: dict[str, Any]) -> None:
        ids = [int(i) for i in data.get("removed_message_ids") or ()]
        if not ids:
            return
        if self.store is not None:
            self.store.delete_messages(ids)
        self.messages_removed.emit(conversation_id, ids)

    def _message_from(self, data: dict[str, Any]) -> MessageOut | None:
        try:
            return MessageOut.model_validate(data)
        except ValueError:
            pass
        # A partial update ({"id", "status"}) applies to the copy we have, if any.
        cached = self.store.message(int(data["id"])) if self.store is not None else None
        if cached is None:
            return None
        return cached.model_copy(update={k: v for k, v in data.items() if k in cached.__dict__})

    # --- calls through the cache and outbox ------------------------------------------------

    async def _call(self, awaitable: Awaitable[T]) -> T:
        try:
            result = await awaitable
        except Unreachable:
            self._set_online(False)
            raise
        self._set_online(True)
        return result

    def _need_api(self) -> ApiClient:
        if self.api is None:
            raise ApiError(401, "Sign in first.", "not_authenticated")
        return self.api

    async def conversations(
        self, unread: bool = False, archived: bool = False, q: str | None = None
    ) -> list[ConversationOut]:
        """The inbox; from the cache when the server is away."""
        try:
            result = await self._call(self._need_api().conversations(unread, archived, q))
        except Unreachable:
            return self.store.conversations(unread, archived, q) if self.store else []
        if self.store is not None:
            self.store.save_conversations(result, replace=not (unread or archived or q))
        return result

    async def conversation(self, conversation_id: int) -> ConversationOut | None:
        try:
            result = await self._call(self._need_api().conversation(conversation_id))
        except Unreachable:
            return self.store.conversation(conversation_id) if self.store else None
        if self.store is not None:
            self.store.upsert_conversation(result)
        return result

    def cached_conversation(self, conversation_id: int) -> ConversationOut | None:
        return self.store.conversation(conversation_id) if self.store else None

    async def messages(
        self, conversation_id: int, before: int | None = None, limit: int = 50
    ) -> MessagePage:
        """A page of the thread, oldest first; from the cache when the server is away."""
        try:
            page = await self._call(self._need_api().messages(conversation_id, before, limit))
        except Unreachable:
            if self.store is None:
                return MessagePage(messages=[], has_more=False)
            cached, has_more = self.store.messages(conversation_id, before, limit)
            return MessagePage(messages=cached, has_more=has_more)
        if self.store is not None:
            self.store.save_messages(page.messages)
        return page

    async def all_messages(self, conversation_id: int) -> list[MessageOut]:
        return await self._call(self._need_api().all_messages(conversation_id))

    async def compose(
        self, phone: str, client_id: int | None = None, matter_id: int | None = None
    ) -> tuple[ConversationOut, bool]:
        conversation, created = await self._call(
            self._need_api().compose(phone, client_id, matter_id)
        )
        if self.store is not None:
            self.store.upsert_conversation(conversation)
        return conversation, created

    def outbox(self, conversation_id: int | None = None) -> list[OutboxItem]:
        return self.store.outbox(conversation_id) if self.store else []

    async def send(
        self,
        conversation_id: int,
        body: str,
        send_at: datetime | None = None,
        images: Sequence[tuple[str, str, bytes]] = (),
    ) -> MessageOut | None:
        """Send a reply; None means the server is away and it waits in the outbox."""
        if self.store is None:
            return await self._call(
                self._need_api().send(conversation_id, body, send_at, None, images)
            )
        item = self.store.outbox_add(conversation_id, body, send_at, list(images))
        self.outbox_changed.emit(conversation_id)
        return await self._send_item(item, raise_errors=True)

    async def _send_item(self, item: OutboxItem, *, raise_errors: bool) -> MessageOut | None:
        if item.key in self._in_flight:
            return None
        self._in_flight.add(item.key)
        try:
            message = await self._call(
                self._need_api().send(
                    item.conversation_id, item.body, item.send_at, item.key, item.images
                )
            )
        except Unreachable:
            return None
        except ApiError as exc:
            if raise_errors:
                # Refused while the user watches: the compose box still has the text.
                self.store.outbox_done(item.key)
                self.outbox_changed.emit(item.conversation_id)
                raise
            self.store.outbox_failed(item.key, exc.detail)
            self.outbox_changed.emit(item.conversation_id)
            self.error.emit(exc.detail)
            return None
        finally:
            self._in_flight.discard(item.key)
        self.store.outbox_done(item.key)
        self.store.save_messages([message])
        self.outbox_changed.emit(item.conversation_id)
        self.message_received.emit(message)
        return message

    async def flush_outbox(self) -> int:
        """Send what waited offline, oldest first, once each; returns how many went."""
        if self.store is None:
            return 0
        sent = 0
        async with self._flush_lock:
            for item in self.store.outbox():
                if item.error:
                    continue
                if await self._send_item(item, raise_errors=False) is not None:
                    sent += 1
                elif not self.is_online:
                    break
        return sent

    def discard_outbox(self, key: str) -> None:
        if self.store is None:
            return
        for item in self.store.outbox():
            if item.key == key:
                self.store.outbox_done(key)
                self.outbox_changed.emit(item.conversation_id)

    async def retry(self, message: MessageOut) -> MessageOut | None:
        """Send a failed message's text again (a new message; the failed one stays as record)."""
        return await self.send(message.conversation_id, message.body)

    async def edit_message(
        self, message_id: int, body: str | None = None, send_at: datetime | None = None
    ) -> MessageOut:
        message = await self._call(self._need_api().edit_message(message_id, body, send_at))
        self.message_updated.emit(message)
        return message

    async def cancel_message(self, message_id: int) -> MessageOut | None:
        message = await self._call(self._need_api().cancel_message(message_id))
        if message is not None:
            self.message_updated.emit(message)
        return message

    async def action(self, conversation_id: int, name: str, **body: Any) -> ConversationOut | None:
        result = await self._call(self._need_api().action(conversation_id, name, **body))
        if self.store is not None:
            if name == "block":
                self.store.delete_conversation(conversation_id)
            elif result is not None:
                self.store.upsert_conversation(result)
        return result

    async def file_under(
        self, conversation_id: int, client_id: int | None, matter_id: int | None
    ) -> ConversationOut:
        result = await self._call(
            self._need_api().file_under(conversation_id, client_id, matter_id)
        )
        if self.store is not None:
            self.store.upsert_conversation(result)
        return result

    async def export(self, conversation_id: int) -> ExportOut:
        return await self._call(self._need_api().export(conversation_id))

    async def media(self, media_id: int) -> bytes:
        return await self._image(media_id, "full")

    async def thumbnail(self, media_id: int) -> bytes:
        return await self._image(media_id, "thumb")

    async def _image(self, media_id: int, kind: str) -> bytes:
        if self.store is not None:
            cached = self.store.image(media_id, kind)
            if cached is not None:
                return cached
        api = self._need_api()
        fetch = api.thumbnail if kind == "thumb" else api.media
        data = await self._call(fetch(media_id))
        if self.store is not None:
            self.store.save_image(media_id, kind, data)
        return data

    async def credits(self) -> CreditsOut:
        return await self._call(self._need_api().credits())

    async def ledger(self) -> list[LedgerEntryOut]:
        return await self._call(self._need_api().ledger())

    async def top_up(self, bundles: int, reference: str | None = None) -> TopUpOut:
        result = await self._call(self._need_api().top_up(bundles, reference))
        self.credits_changed.emit(result.balance)
        return result

    async def credit_settings(self, auto_top_up: bool) -> CreditsOut:
        return await self._call(self._need_api().credit_settings(auto_top_up))

    async def set_notifications_enabled(self, enabled: bool) -> UserOut:
        """Keep the user's notification choice on the server, for every computer they use."""
        self.user = await self._call(self._need_api().update_me(enabled))
        return self.user

    async def clients(self, q: str | None = None) -> list[ClientOut]:
        return await self._call(self._need_api().clients(q))

    async def client(self, client_id: int) -> ClientOut:
        return await self._call(self._need_api().client(client_id))

    async def matters(self, client_id: int | None = None) -> list[MatterOut]:
        return await self._call(self._need_api().matters(client_id))

    async def consent_history(self, phone: str) -> list[ConsentEventOut]:
        return await self._call(self._need_api().consent_history(phone))
