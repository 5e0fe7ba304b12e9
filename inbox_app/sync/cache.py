"""The local cache and the outbox: one SQLite file per server and user (stdlib sqlite3).

The cache lets the window keep working while the server is away; the outbox keeps replies
written offline, each with the idempotency key it will be sent with, until the server has them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

# The models are imported where used, not here: the first paint reads the cache without
# pydantic (sync/quick_start.py).
if TYPE_CHECKING:
    from inbox_app.models.schemas import ConversationOut, MessageOut

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    last_message_at TEXT,
    json TEXT NOT NULL,
    phone_display TEXT
);
-- The inbox's order: the first page is read without sorting the whole cache (the first paint).
CREATE INDEX IF NOT EXISTS ix_conversations_recent
    ON conversations (last_message_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_messages_conversation ON messages (conversation_id, id);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    send_at TEXT,
    created_at TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS outbox_images (
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (key, position)
);
CREATE TABLE IF NOT EXISTS thumbnails (
    media_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (media_id, kind)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY,
    json TEXT NOT NULL
);
"""


def default_dir() -> Path:
    return Path(platformdirs.user_data_dir("inbox-app", appauthor=False))


def cache_path(server_url: str, username: str, directory: Path | None = None) -> Path:
    """One file per (server, user), so two accounts on one desktop never mix."""
    digest = hashlib.sha256(f"{server_url.rstrip('/')}|{username}".encode()).hexdigest()[:16]
    return (directory or default_dir()) / f"cache-{digest}.sqlite3"


@dataclass
class OutboxItem:
    """A reply waiting for the server; `key` is its idempotency key."""

    key: str
    conversation_id: int
    body: str
    send_at: datetime | None
    created_at: datetime
    error: str | None = None
    images: list[tuple[str, str, bytes]] = field(default_factory=list)


class LocalStore:
    """Conversations, messages, thumbnails and the outbox of one user, on disk."""

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(conversations)")}
        if "phone_display" not in columns:  # a cache from before the column
            self._db.execute("ALTER TABLE conversations ADD COLUMN phone_display TEXT")

    def close(self) -> None:
        self._db.close()

    # --- conversations --------------------------------------------------------------------

    def save_conversations(self, conversations: list[ConversationOut], *, replace: bool) -> None:
        """Store a fresh inbox listing; `replace` drops rows the server no longer lists."""
        with self._db:
            self._db.execute("BEGIN")
            if replace:
                self._db.execute("DELETE FROM conversations")
            self._db.executemany(
                _INSERT_CONVERSATION,
                [_conversation_row(c) for c in conversations],
            )

    def upsert_conversation(self, conversation: ConversationOut) -> None:
        self._db.execute(_INSERT_CONVERSATION, _conversation_row(conversation))

    def delete_conversation(self, conversation_id: int) -> None:
        """Forget a thread deleted for good (blocked): its messages, images and unsent replies."""
        with self._db:
            self._db.execute("BEGIN")
            rows = self._db.execute(
                "SELECT json FROM messages WHERE conversation_id = ?", (conversation_id,)
            ).fetchall()
            from inbox_app.models.schemas import MessageOut

            media_ids = [m.id for (raw,) in rows for m in MessageOut.model_validate_json(raw).media]
            self._db.executemany(
                "DELETE FROM thumbnails WHERE media_id = ?", [(i,) for i in media_ids]
            )
            self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            self._db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            self._db.execute(
                "DELETE FROM outbox_images WHERE key IN "
                "(SELECT key FROM outbox WHERE conversation_id = ?)",
                (conversation_id,),
            )
            self._db.execute("DELETE FROM outbox WHERE conversation_id = ?", (conversation_id,))

    def conversation(self, conversation_id: int) -> ConversationOut | None:
        row = self._db.execute(
            "SELECT json FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        from inbox_app.models.schemas import ConversationOut

        return ConversationOut.model_validate_json(row[0]) if row else None

    def conversations(
        self,
        unread: bool = False,
        archived: bool = False,
        q: str | None = None,
        limit: int | None = None,
    ) -> list[ConversationOut]:
        """The cached inbox, filtered the way the server filters it (newest first); the
        first `limit` only when given (rows after them are not even read)."""
        from inbox_app.models.schemas import ConversationOut

        rows = self._db.execute(
            "SELECT json FROM conversations ORDER BY last_message_at DESC, id DESC"
        )
        result = []
        needle = (q or "").strip().lower()
        for (raw,) in rows:
            c = ConversationOut.model_validate_json(raw)
            if c.archived != archived or (unread and not c.unread_count):
                continue
            if needle and not _matches(c, needle, self):
                continue
            result.append(c)
            if limit is not None and len(result) >= limit:
                break
        return result

    # --- messages -------------------------------------------------------------------------

    def save_messages(self, messages: list[MessageOut]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO messages (id, conversation_id, json) VALUES (?, ?, ?)",
                [(m.id, m.conversation_id, m.model_dump_json()) for m in messages],
            )

    def delete_messages(self, message_ids: list[int]) -> None:
        """Forget messages the server removed (e.g. reminders regenerated for a moved date)."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in message_ids])

    def message(self, message_id: int) -> MessageOut | None:
        row = self._db.execute("SELECT json FROM messages WHERE id = ?", (message_id,)).fetchone()
        from inbox_app.models.schemas import MessageOut

        return MessageOut.model_validate_json(row[0]) if row else None

    def messages(
        self, conversation_id: int, before: int | None = None, limit: int = 50
    ) -> tuple[list[MessageOut], bool]:
        """A page of cached messages, oldest first, and whether older ones are cached."""
        rows = self._db.execute(
            "SELECT json FROM messages WHERE conversation_id = ? AND id < ? ORDER BY id DESC"
            " LIMIT ?",
            (conversation_id, before if before is not None else 2**62, limit + 1),
        ).fetchall()
        has_more = len(rows) > limit
        from inbox_app.models.schemas import MessageOut

        page = [MessageOut.model_validate_json(r[0]) for r in rows[:limit]]
        page.reverse()
        return page, has_more

    # --- thumbnails ------------------------------------------------------------------------

    def image(self, media_id: int, kind: str) -> bytes | None:
        row = self._db.execute(
            "SELECT data FROM thumbnails WHERE media_id = ? AND kind = ?", (media_id, kind)
        ).fetchone()
        return bytes(row[0]) if row else None

    def save_image(self, media_id: int, kind: str, data: bytes) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO thumbnails (media_id, kind, data) VALUES (?, ?, ?)",
            (media_id, kind, data),
        )

    # --- outbox ---------------------------------------------------------------------------

    def outbox_add(
        self,
        conversation_id: int,
        body: str,
        send_at: datetime | None = None,
        images: list[tuple[str, str, bytes]] | None = None,
    ) -> OutboxItem:
        """Keep a reply before trying to send it: a crash or a lost server loses nothing."""
        item = OutboxItem(
            key=uuid.uuid4().hex,
            conversation_id=conversation_id,
            body=body,
            send_at=send_at,
            created_at=datetime.now(UTC),
            images=list(images or []),
        )
        with self._db:
            self._db.execute("BEGIN")
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
            self._db.execute(
                "INSERT INTO outbox (key, seq, conversation_id, body, send_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    item.key,
                    seq,
                    conversation_id,
                    body,
                    send_at.isoformat() if send_at else None,
                    item.created_at.isoformat(),
                ),
            )
            self._db.executemany(
                "INSERT INTO outbox_images (key, position, filename, content_type, data)"
                " VALUES (?, ?, ?, ?, ?)",
                [(item.key, i, n, ct, data) for i, (n, ct, data) in enumerate(item.images)],
            )
        return item

    def outbox(self, conversation_id: int | None = None) -> list[OutboxItem]:
        """Replies still waiting, oldest first (optionally of one conversation)."""
        sql = "SELECT key, conversation_id, body, send_at, created_at, error FROM outbox"
        args: tuple = ()
        if conversation_id is not None:
            sql += " WHERE conversation_id = ?"
            args = (conversation_id,)
        items = []
        for key, cid, body, send_at, created_at, error in self._db.execute(
            sql + " ORDER BY seq", args
        ):
            images = [
                (n, ct, bytes(data))
                for n, ct, data in self._db.execute(
                    "SELECT filename, content_type, data FROM outbox_images WHERE key = ?"
                    " ORDER BY position",
                    (key,),
                )
            ]
            items.append(
                OutboxItem(
                    key=key,
                    conversation_id=cid,
                    body=body,
                    send_at=datetime.fromisoformat(send_at) if send_at else None,
                    created_at=datetime.fromisoformat(created_at),
                    error=error,
                    images=images,
                )
            )
        return items

    def outbox_done(self, key: str) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))
            self._db.execute("DELETE FROM outbox_images WHERE key = ?", (key,))

    def outbox_failed(self, key: str, error: str) -> None:
        self._db.execute("UPDATE outbox SET error = ? WHERE key = ?", (error, key))

    # --- meta -----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- records (clients, a client's page, the agenda) as last read -----------------------

    def save_record(self, key: str, json: str) -> None:
        """Keep the JSON of one read ("clients", "client:12", "upcoming") for offline use."""
        self._db.execute("INSERT OR REPLACE INTO records (key, json) VALUES (?, ?)", (key, json))

    def record(self, key: str) -> str | None:
        row = self._db.execute("SELECT json FROM records WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None


_INSERT_CONVERSATION = (
    "INSERT OR REPLACE INTO conversations (id, last_message_at, json, phone_display)"
    " VALUES (?, ?, ?, ?)"
)


def _conversation_row(c: ConversationOut) -> tuple[int, str | None, str, str]:
    from inbox_app.domain.phone import format_display

    stamp = c.last_message_at.astimezone(UTC).isoformat() if c.last_message_at else None
    # The number as the list shows it, kept so the first paint needs no phonenumbers.
    return c.id, stamp, c.model_dump_json(), format_display(c.phone)


def _matches(c: ConversationOut, needle: str, store: LocalStore) -> bool:
    digits = "".join(ch for ch in needle if ch.isdigit())
    haystack = " ".join(filter(None, [c.contact_name, c.matter, c.last_message, c.phone])).lower()
    if needle in haystack or (digits and digits in c.phone):
        return True
    # Search offline also looks through the cached message texts, as the server does.
    row = store._db.execute(
        "SELECT 1 FROM messages WHERE conversation_id = ? AND json LIKE ? LIMIT 1",
        (c.id, f'%"body":"%{needle}%'),
    ).fetchone()
    return row is not None
