"""The signed-in session (server, user, token) kept in the system keyring, never on disk."""

from __future__ import annotations

import json
import logging

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

log = logging.getLogger("inbox.sync")

SERVICE = "inbox-app"
ENTRY = "session"


def save_token(server_url: str, username: str, token: str) -> None:
    """Remember the session so the next start signs in silently."""
    value = json.dumps({"server_url": server_url, "username": username, "token": token})
    try:
        keyring.set_password(SERVICE, ENTRY, value)
    except KeyringError as exc:
        # No keyring on this desktop: the user simply signs in again next time.
        log.warning("could not save the session in the keyring: %s", exc)


def load() -> tuple[str, str, str] | None:
    """The remembered (server_url, username, token), or None."""
    try:
        value = keyring.get_password(SERVICE, ENTRY)
    except KeyringError as exc:
        log.warning("could not read the keyring: %s", exc)
        return None
    if not value:
        return None
    try:
        data = json.loads(value)
        return data["server_url"], data["username"], data["token"]
    except (ValueError, KeyError, TypeError):
        return None


def forget() -> None:
    """Sign-out: the token is gone from the keyring."""
    try:
        keyring.delete_password(SERVICE, ENTRY)
    except PasswordDeleteError:
        pass
    except KeyringError as exc:
        log.warning("could not clear the keyring: %s", exc)
