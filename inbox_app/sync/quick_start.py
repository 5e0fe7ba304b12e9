"""What a start paints before anything else: the last session's cached inbox (stdlib only).

A start with a cache shows its inbox at once (issue 15, bench/cold_start.py). Finding that
cache must not wait for the keyring (its import, and on Linux its scan for a backend), and
reading it must not wait for pydantic: this module knows which cache to open from a plain
file beside the caches, `last-session.json`, holding the server address and user name of
the last session (never the token: that stays in the keyring), and reads the first rows of
the conversation list with sqlite3 and json into light rows the list paints as it paints
`ConversationOut`s. The session itself (token, `UserOut`, the real models) comes just after
the first paint, from `SyncClient.resume_cached()`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from inbox_app.sync.cache import cache_path, default_dir

log = logging.getLogger("inbox.sync")

LAST_SESSION = "last-session.json"

# ConversationOut's defaults for what the list reads (a cache written by an older client may
# lack a field a newer one paints).
_ROW_DEFAULTS: dict[str, Any] = {
    "contact_name": None,
    "client_id": None,
    "matter_id": None,
    "matter": None,
    "last_message": "",
    "unread_count": 0,
    "muted": False,
    "archived": False,
    "opted_out": False,
    "blocked": False,
    "has_outbound": False,
    "left": False,
    "bell": "not_following",
    "has_failed": False,
    "time_zone": None,
    "mentioned": False,
    "assignee_id": None,
    "assignee": None,
}


def _file(directory: Path | None) -> Path:
    return (directory or default_dir()) / LAST_SESSION


def remember(server_url: str, username: str, directory: Path | None = None) -> None:
    """Note which cache the next start paints first (a session started)."""
    path = _file(directory)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"server_url": server_url.rstrip("/"), "username": username}))
        os.replace(tmp, path)
    except OSError as exc:
        log.info("could not note the last session: %s", exc)


def forget(directory: Path | None = None) -> None:
    """Sign-out: the next start paints nothing before the sign-in dialog."""
    try:
        _file(directory).unlink(missing_ok=True)
    except OSError as exc:
        log.info("could not forget the last session: %s", exc)


def recall(directory: Path | None = None) -> tuple[str, str] | None:
    """The last session's (server_url, username), or None."""
    try:
        data = json.loads(_file(directory).read_text())
        return str(data["server_url"]).rstrip("/"), str(data["username"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class CachedConversation:
    """A cached conversation row as the list reads it, without pydantic: the same attributes
    as `ConversationOut` (`last_message_at` a datetime), and `phone_display`, the number as
    the list shows it (`domain.phone.format_display`, kept by the cache; None in a row cached
    before it was kept). `data` is the stored JSON object, from which the window makes the
    real model once the session is up."""

    __slots__ = ("__dict__", "data")

    def __init__(self, data: dict[str, Any], phone_display: str | None = None) -> None:
        self.data = data
        fields = dict(_ROW_DEFAULTS, phone_display=phone_display)
        fields.update(data)
        stamp = fields.get("last_message_at")
        fields["last_message_at"] = datetime.fromisoformat(stamp) if stamp else None
        self.__dict__.update(fields)


@dataclass
class CachedStart:
    """What the first paint shows: whose inbox, from which server, and its first rows."""

    server_url: str
    username: str
    user: dict[str, Any]
    rows: list[CachedConversation]


def peek(
    server_url: str | None, directory: Path | None = None, limit: int = 200
) -> CachedStart | None:
    """The last session's cached user and first `limit` inbox rows (newest first, not
    archived), read-only; None when there is no last session, it was on another server than
    `server_url` (when given), or its cache holds no user or no rows."""
    last = recall(directory)
    if last is None:
        return None
    last_url, username = last
    if server_url and server_url.rstrip("/") != last_url:
        return None
    path = cache_path(last_url, username, directory)
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'user'").fetchone()
        if row is None or not row[0]:
            return None
        user = json.loads(row[0])
        rows: list[CachedConversation] = []
        for raw, shown in _listing(db):
            conversation = CachedConversation(json.loads(raw), shown)
            if conversation.archived:
                continue
            rows.append(conversation)
            if len(rows) >= limit:
                break
    except (sqlite3.Error, ValueError, TypeError, KeyError):
        log.info("the cache could not be read for the first paint", exc_info=True)
        return None
    finally:
        db.close()
    if not rows or user.get("username") != username:
        return None
    return CachedStart(last_url, username, user, rows)


# Newest first, in the order of the cache's index (sync/cache.py), as LocalStore lists them.
LISTING = "SELECT json, phone_display FROM conversations ORDER BY last_message_at DESC, id DESC"


def _listing(db: sqlite3.Connection) -> sqlite3.Cursor:
    try:
        return db.execute(LISTING)
    except sqlite3.OperationalError:  # a cache from before the column (added when next opened)
        return db.execute(LISTING.replace("phone_display", "NULL"))
