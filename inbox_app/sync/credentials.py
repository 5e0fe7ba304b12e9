"""The signed-in session (server, user, token) kept in the system keyring, never on disk."""

from __future__ import annotations

import json
import logging

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

log = logging.getLogger("inbox.sync")

SERVICE = "inbox-app"
ENTRY = "session"


def is_available() -> bool:
    """Whether this desktop has a keyring to remember the session in.

    A Linux desktop without a Secret Service gets keyring's `fail` backend (or an empty
    chain); the sign-in dialog then says so in a line instead of warnings on stderr.
    """
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


def save_token(server_url: str, username: str, token: str) -> bool:
    """Remember the session so the next start signs in silently; False when it could not."""
    value = json.dumps({"server_url": server_url, "username": username, "token": token})
    try:
        keyring.set_password(SERVICE, ENTRY, value)
    except KeyringError as exc:
        # No keyring on this desktop: the user simply signs in again next time (the sign-in
        # dialog said so).
        log.info("the session is not remembered: %s", exc)
        return False
    return True


def load() -> tuple[str, str, str] | None:
    """The remembered (server_url, username, token), or None."""
    try:
        value = keyring.get_password(SERVICE, ENTRY)
    except KeyringError as exc:
        log.info("no remembered session: %s", exc)
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
        log.info("could not clear the keyring: %s", exc)
