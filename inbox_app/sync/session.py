"""`SyncClient`: the one object the window talks to (API, live stream, cache, outbox)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from inbox_app.domain.phone import format_display
from inbox_app.models.schemas import (
    BlockedNumberOut,
    CardOut,
    CardSetupOut,
    ClientOut,
    ColleagueOut,
    ConsentEventOut,
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
    SearchOut,
    TopUpOut,
    UsageOut,
    UserAdminOut,
    UserCreateIn,
    UserOut,
    UserPatchIn,
)
from inbox_app.sync import credentials, quick_start
from inbox_app.sync.api import ApiClient, StreamEvent
from inbox_app.sync.cache import LocalStore, OutboxItem, cache_path
from inbox_app.sync.errors import ApiError, Unreachable

log = logging.getLogger("inbox.sync")
T = TypeVar("T")

FIRM_SETTINGS_KEY = "firm_settings"
# Only texts wait in the outbox; a settings change made offline is refused, not queued.
OFFLINE_EDIT = "The server cannot be reached: changes can only be saved while online."


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
      message_received(MessageOut): a new message in any conversation (stream or own send),
        an internal note or system line (`note.created`) too.
      message_updated(MessageOut): a status or body change of a message (or an edited note).
      outbox_changed(int conversation_id): replies waiting for the server changed.
      credits_changed(int balance): the firm's prepaid balance.
      notify(dict): {conversation_id, title, body} of a notification for this user.
      quick_replies_changed(): the firm's or my quick replies changed (read them again).
      online_changed(bool): the server became reachable / unreachable.
      error(str): a sentence to show once in the status bar.
      record_changed(str kind, dict data): a client, contact, matter or event changed
        ("client.updated", … see sync.records.RECORD_KINDS); data is {id, client_id}.
      colleague_typing(dict): a colleague is writing in a thread: {conversation_id, user_id, user,
        display_name, until, seconds} (never my own; show it for `seconds`).
      seen_changed(int conversation_id, list seen_by): who has read the thread since its
        latest inbound text, [{id, name}], changed (a colleague opened it).
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
    quick_replies_changed = Signal()
    online_changed = Signal(bool)
    error = Signal(str)
    record_changed = Signal(str, dict)
    colleague_typing = Signal(dict)
    seen_changed = Signal(int, list)

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
        # True from a start off the cache until the server first answers or is found away.
        self.connecting = False
        # The thread this desktop shows (see announce_viewing).
        self.open_thread: int | None = None
        self.said_viewing: int | None = None  # the last the server took
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
        remembered = self.remember and credentials.save_token(
            self.server_url, token.user.username, token.access_token
        )
        await self._start_session(api, token.user, online=True)
        if remembered:
            # Only a session the keyring keeps is painted first next time.
            quick_start.remember(self.server_url, token.user.username, self.cache_dir)
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
            self._forget_session()
            await api.close()
            return None
        await self._start_session(api, user, online=online)
        if self.remember:
            quick_start.remember(self.server_url, user.username, self.cache_dir)
        return user

    def resume_cached(self) -> UserOut | None:
        """Start at once from the remembered session and this user's cache: no network call.

        The window paints the cached inbox before the server answers (reachable or not);
        `verify()` then asks the server whether the token still holds. None when there is no
        remembered session, or nothing cached for its user (then `resume()` asks the server).
        """
        saved = credentials.load()
        if saved is None:
            if self.remember:  # the keyring lost it: the next start paints nothing first
                quick_start.forget(self.cache_dir)
            return None
        server_url, username, token = saved
        server_url = server_url.rstrip("/")
        if self.server_url and self.server_url != server_url:
            return None
        path = cache_path(server_url, username, self.cache_dir)
        if not path.exists():
            return None
        store = LocalStore(path)
        raw = store.get_meta("user")
        if raw is None:
            store.close()
            return None
        user = UserOut.model_validate_json(raw)
        if self.store is not None:
            self.store.close()
        self.server_url = server_url
        self.api = ApiClient(server_url, token)
        self.user = user
        self.store = store
        self.connecting = True
        if self.remember:
            quick_start.remember(server_url, user.username, self.cache_dir)
        log.info("started from the cache as %s", user.username)
        self.signed_in.emit(user)
        return user

    async def verify(self) -> bool:
        """After `resume_cached()`: ask the server who the token belongs to.

        False when the server refuses the token (it is forgotten; the user must sign in again).
        True when it holds, and also when the server cannot be reached: the window keeps
        working from the cache and the live stream keeps trying.
        """
        api = self._need_api()
        try:
            user = await api.me()
        except Unreachable:
            self._set_online(False)
            return True
        except ApiError as exc:
            if exc.status in (401, 403):
                log.info("the remembered session was refused: %s", exc.detail)
                self._forget_session()
                return False
            log.warning("could not check the remembered session: %s", exc.detail)
            return True
        self.user = user
        if self.store is not None:
            self.store.set_meta("user", user.model_dump_json())
        self._set_online(True)
        return True

    async def sign_out(self) -> None:
        """Forget the token here and on the server."""
        api = self.api
        await self.stop()
        self._forget_session()
        if api is not None:
            with contextlib.suppress(ApiError):
                await api.logout()
            await api.close()
        self.api = None
        self.user = None
        self.connecting = False
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

    def _forget_session(self) -> None:
        """The token is gone (sign-out, or refused): from the keyring, and the next start
        paints no cached inbox before the sign-in dialog."""
        credentials.forget()
        if self.remember:
            quick_start.forget(self.cache_dir)

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
        was_connecting, self.connecting = self.connecting, False
        if online != self.is_online or was_connecting:
            self.is_online = online
            self.online_changed.emit(online)
        if not online and self._reader is not None and not self._reader.done():
            # A call just failed: the stream may be a half-dead connection; reconnect now.
            self._reader.cancel()

    async def _read_stream(self) -> None:
        last_id = self.store.get_meta("last_event_id") if self.store else None
        # Closed here when the reader is cancelled (sign-out), not later by the garbage
        # collector outside the loop, which printed "async generator ignored GeneratorExit".
        async with contextlib.aclosing(self.api.stream(last_id)) as events:
            async for event in events:
                if event.kind == "stream.open":
                    log.info("live stream open")
                    await self._on_connected(resumed=bool(last_id))
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

    async def _on_connected(self, resumed: bool = True) -> None:
        """The stream is open. `resumed`: it replays what happened since our last event id.
        Without one (a new cache) nothing is replayed, so what the window read before the stream
        opened (the list, the quick replies) is read again: a change made in between is in it."""
        was_online = self.is_online
        self._set_online(True)
        if not was_online or not resumed:
            self.conversations_changed.emit()
        if not resumed:
            self.quick_replies_changed.emit()
        await self.flush_outbox()
        if self.open_thread is not None:
            # Perhaps a server process that never heard which thread is open here.
            await self.announce_viewing(self.open_thread)
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
        # A note or system line has kinds of its own (`note.*`) and lands in the thread as a text.
        if kind in ("message.created", "message.updated", "note.created", "note.updated"):
            message = self._message_from(data)
            if message is not None:
                if self.store is not None:
                    self.store.save_messages([message])
                if kind.endswith(".created"):
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
        elif kind == "presence.typing":
            self.colleague_typing.emit({**data, "conversation_id": int(data["conversation_id"])})
        elif kind == "conversation.seen":
            self.seen_changed.emit(int(data["conversation_id"]), list(data.get("seen_by") or ()))
        elif kind in ("quick_reply.changed", "quick_reply.deleted"):
            self.quick_replies_changed.emit()
        elif kind.partition(".")[0] in ("client", "contact", "matter", "event"):
            self.record_changed.emit(kind, data)
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
        """A page of the inbox, its total and the next cursor; the whole cache when away.

        `mentions`: only conversations where a note mentions me that I have not opened;
        `assigned_to_me`: only those assigned to me."""
        try:
            rows, total, next_cursor = await self._call(
                self._need_api().conversations_page(
                    unread,
                    archived,
                    q,
                    limit,
                    cursor,
                    mentions=mentions,
                    assigned_to_me=assigned_to_me,
                )
            )
        except Unreachable:
            if cursor is not None:
                return [], 0, None
            cached = self.store.conversations(unread, archived, q) if self.store else []
            if mentions:
                cached = [c for c in cached if c.mentioned]
            if assigned_to_me:
                me = self.user.id if self.user else None
                cached = [c for c in cached if c.assignee_id == me]
            return cached, len(cached), None
        if self.store is not None:
            # Pages add to the cache; only a whole unfiltered listing may drop rows from it.
            self.store.save_conversations(
                rows,
                replace=not (
                    unread or archived or mentions or assigned_to_me or q or cursor or next_cursor
                ),
            )
        return rows, total, next_cursor

    async def search(
        self, q: str, conversation_id: int | None = None, before: int | None = None, limit: int = 50
    ) -> SearchOut:
        """Conversations and messages matching `q` (the server's search; none when away)."""
        try:
            return await self._call(self._need_api().search(q, conversation_id, before, limit))
        except Unreachable:
            return SearchOut(
                q=q, conversations=[], conversations_total=0, messages=[], has_more_messages=False
            )

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
        self,
        conversation_id: int,
        before: int | None = None,
        limit: int = 50,
        *,
        after: int | None = None,
        around: int | None = None,
        at: datetime | None = None,
    ) -> MessagePage:
        """A page of the thread, oldest first; from the cache when the server is away."""
        try:
            page = await self._call(
                self._need_api().messages(
                    conversation_id, before, limit, after=after, around=around, at=at
                )
            )
        except Unreachable:
            if after is not None or around is not None or at is not None:
                raise
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
        *,
        check_recent_reply: bool = False,
    ) -> MessageOut | None:
        """Send a reply; None means the server is away and it waits in the outbox.

        `check_recent_reply`: refused with ApiError `recent_reply` (its `info` has `sent_by`
        and `seconds_ago`) when a colleague texted the conversation in the last 2 minutes. Only
        this attempt asks: once in the outbox (offline) it is sent as written.
        """
        if self.store is None:
            return await self._call(
                self._need_api().send(
                    conversation_id,
                    body,
                    send_at,
                    None,
                    images,
                    check_recent_reply=check_recent_reply,
                )
            )
        item = self.store.outbox_add(conversation_id, body, send_at, list(images))
        self.outbox_changed.emit(conversation_id)
        return await self._send_item(item, raise_errors=True, check_recent_reply=check_recent_reply)

    async def _send_item(
        self, item: OutboxItem, *, raise_errors: bool, check_recent_reply: bool = False
    ) -> MessageOut | None:
        if item.key in self._in_flight:
            return None
        self._in_flight.add(item.key)
        try:
            message = await self._call(
                self._need_api().send(
                    item.conversation_id,
                    item.body,
                    item.send_at,
                    item.key,
                    item.images,
                    check_recent_reply=check_recent_reply,
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

    async def announce_typing(self, conversation_id: int) -> None:
        """Tell colleagues I am writing here; best effort (offline or refused: nobody hears)."""
        if self.api is None or not self.is_online:
            return
        try:
            await self._call(self.api.typing(conversation_id))
        except ApiError as exc:
            log.debug("typing signal not sent: %s", exc.detail)

    async def announce_viewing(self, conversation_id: int | None) -> None:
        """Tell the server which thread this desktop has open (`open_thread`, said again on
        every reconnect), so colleagues' typing elsewhere is not sent here; best effort."""
        self.open_thread = conversation_id
        if conversation_id is None or self.api is None or not self.is_online:
            return
        try:
            await self._call(self.api.viewing(conversation_id))
        except ApiError as exc:
            # A server from before `…/viewing` answers 404: it sends every thread's typing.
            log.debug("viewing not said: %s", exc.detail)
            return
        self.said_viewing = conversation_id
        log.info("viewing %s said", conversation_id)

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
        """Send a failed message again, images included (a new message on the server; the
        failed one stays as the record)."""
        sent = await self._call(self._need_api().retry_message(message.id))
        if self.store is not None:
            self.store.save_messages([sent])
        self.message_received.emit(sent)
        return sent

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

    async def export_document(self, conversation_id: int) -> AsyncIterator[bytes]:
        """The export's canonical bytes (what its SHA-256 is of), streamed; never cached."""
        async for chunk in self._need_api().export_document(conversation_id):
            yield chunk

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

    async def blocked_numbers(self) -> list[BlockedNumberOut]:
        return await self._call(self._need_api().blocked_numbers())

    async def blocked_record(
        self, block_id: int, before: int | None = None, limit: int = 50
    ) -> MessagePage:
        return await self._call(self._need_api().blocked_record(block_id, before, limit))

    async def unblock(self, block_id: int) -> None:
        await self._call(self._need_api().unblock(block_id))
        # A kept record comes back to the inbox; the list reloads to show it.
        self.conversations_changed.emit()

    async def delete_blocked_record(self, block_id: int) -> None:
        await self._call(self._need_api().delete_blocked_record(block_id))

    async def credits(self) -> CreditsOut:
        return await self._call(self._need_api().credits())

    async def ledger(self, before: int | None = None, limit: int = 100) -> list[LedgerEntryOut]:
        return await self._call(self._need_api().ledger(before, limit))

    async def usage(
        self, group: str, from_date: date | None = None, to_date: date | None = None
    ) -> UsageOut:
        return await self._call(self._need_api().usage(group, from_date, to_date))

    async def save_report(
        self,
        target: Path,
        report: str,
        *,
        group: str = "user",
        from_date: date | None = None,
        to_date: date | None = None,
    ) -> int:
        """Download the "ledger" or the "usage" report as CSV into `target` (written whole or
        not at all); returns its size in bytes."""
        api = self._need_api()
        chunks = (
            api.ledger_csv(from_date, to_date)
            if report == "ledger"
            else api.usage_csv(group, from_date, to_date)
        )
        partial = target.with_name(target.name + ".part")
        size = 0
        try:
            with partial.open("wb") as out:
                async for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
            partial.replace(target)
        except Unreachable:
            self._set_online(False)
            raise
        finally:
            partial.unlink(missing_ok=True)
        self._set_online(True)
        return size

    async def top_up(self, bundles: int, reference: str | None = None) -> TopUpOut:
        result = await self._call(self._need_api().top_up(bundles, reference))
        self.credits_changed.emit(result.balance)
        return result

    async def credit_settings(self, auto_top_up: bool) -> CreditsOut:
        return await self._call(self._need_api().credit_settings(auto_top_up))

    async def card(self) -> CardOut:
        """The firm's saved card (brand, last 4, expiry), as Stripe describes it."""
        return await self._call(self._need_api().card())

    async def start_card_setup(self) -> CardSetupOut:
        """A Stripe page to type the card on (in the browser); finish with its session id."""
        return await self._call(self._need_api().start_card_setup())

    async def finish_card_setup(self, session_id: str) -> CardOut:
        return await self._call(self._need_api().finish_card_setup(session_id))

    async def users(self) -> list[UserAdminOut]:
        return await self._call(self._need_api().users())

    # model_construct: the server judges every value (one rule, one place) and names the field.
    async def create_user(self, **fields: Any) -> UserAdminOut:
        body = UserCreateIn.model_construct(**fields)
        return await self._call(self._online_api().create_user(body))

    async def update_user(self, user_id: int, **changes: Any) -> UserAdminOut:
        body = UserPatchIn.model_construct(**changes)
        return await self._call(self._online_api().update_user(user_id, body))

    async def reset_password(self, user_id: int, password: str) -> UserAdminOut:
        return await self._call(self._online_api().reset_password(user_id, password))

    # --- internal notes -----------------------------------------------------------------------

    async def add_note(self, conversation_id: int, body: str) -> MessageOut:
        """Write an internal note in the thread (online only: a note is not a text to queue)."""
        note = await self._call(self._online_api().add_note(conversation_id, body))
        if self.store is not None:
            self.store.save_messages([note])
        return note

    async def edit_note(self, note_id: int, body: str) -> MessageOut:
        note = await self._call(self._online_api().edit_note(note_id, body))
        if self.store is not None:
            self.store.save_messages([note])
        return note

    async def assign(self, conversation_id: int, user_id: int | None) -> ConversationOut:
        """Assign the conversation to a colleague (or nobody, None); online only."""
        result = await self._call(self._online_api().assign(conversation_id, user_id))
        if self.store is not None:
            self.store.upsert_conversation(result)
        return result

    async def colleagues(self) -> list[ColleagueOut]:
        """The firm's active users (for @mentions and assignment); none while away."""
        try:
            return await self._call(self._need_api().colleagues())
        except Unreachable:
            return []

    # --- quick replies ------------------------------------------------------------------------

    async def quick_replies(self) -> list[QuickReplyOut]:
        """The firm's quick replies and mine (none while the server is away)."""
        try:
            return await self._call(self._need_api().quick_replies())
        except Unreachable:
            return []

    async def create_quick_reply(self, name: str, body: str, scope: str) -> QuickReplyOut:
        return await self._call(self._online_api().create_quick_reply(name, body, scope))

    async def update_quick_reply(self, reply_id: int, **changes: Any) -> QuickReplyOut:
        return await self._call(self._online_api().update_quick_reply(reply_id, **changes))

    async def delete_quick_reply(self, reply_id: int) -> None:
        await self._call(self._online_api().delete_quick_reply(reply_id))

    async def render_quick_reply(self, reply_id: int, conversation_id: int) -> QuickReplyRendered:
        """The reply's text for this conversation's client, as the server fills it."""
        return await self._call(self._online_api().render_quick_reply(reply_id, conversation_id))

    # --- flows and import: read online (nothing cached), edits refused offline -------------

    async def flows(self) -> list[FlowOut]:
        return await self._call(self._need_api().flows())

    async def create_flow(self, body: dict[str, Any]) -> FlowOut:
        return await self._call(self._online_api().create_flow(body))

    async def update_flow(self, flow_id: int, changes: dict[str, Any]) -> FlowOut:
        return await self._call(self._online_api().update_flow(flow_id, changes))

    async def preview_template(self, **body: Any) -> FlowPreviewOut:
        """The template as the server renders it for a client's event (`event_id`, `client_id`)."""
        return await self._call(self._need_api().preview_template(body))

    async def events(self, client_id: int | None = None) -> list[EventOut]:
        return await self._call(self._need_api().events(client_id))

    async def import_rows(
        self, body: dict[str, Any], progress: Callable[[str, float], None] | None = None
    ) -> ImportReport:
        """Check (`dry_run`) or import a mapped file; `progress(stage, 0..1)` while it works."""
        return await self._call(self._online_api().import_rows(body, progress))

    def _online_api(self) -> ApiClient:
        """The API for an edit: refused offline (only texts wait in the outbox)."""
        if not self.is_online:
            raise Unreachable(OFFLINE_EDIT)
        return self._need_api()

    async def firm_settings(self) -> FirmSettingsOut:
        """The firm's settings (admins); offline, the copy last read, or `Unreachable`."""
        try:
            settings = await self._call(self._need_api().firm_settings())
        except Unreachable:
            cached = self.store.get_meta(FIRM_SETTINGS_KEY) if self.store is not None else None
            if cached is None:
                raise
            return FirmSettingsOut.model_validate_json(cached)
        self._keep_firm_settings(settings)
        return settings

    async def update_firm_settings(
        self, changes: dict[str, Any], auto_top_up: bool | None = None
    ) -> FirmSettingsOut:
        """Change the firm's settings (and auto top-up); refused offline, never queued."""
        if not self.is_online:
            raise Unreachable(OFFLINE_EDIT)
        api = self._need_api()
        settings = await self._call(api.update_firm_settings(changes)) if changes else None
        if auto_top_up is not None:
            await self._call(api.credit_settings(auto_top_up))
        if settings is None:
            settings = await self._call(api.firm_settings())
        self._keep_firm_settings(settings)
        if self.user is not None and self.user.firm_name != settings.name:
            self.user = self.user.model_copy(update={"firm_name": settings.name})
        return settings

    def _keep_firm_settings(self, settings: FirmSettingsOut) -> None:
        if self.store is not None:
            self.store.set_meta(FIRM_SETTINGS_KEY, settings.model_dump_json())

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
