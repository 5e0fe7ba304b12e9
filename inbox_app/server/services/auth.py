"""Users, sign-in and bearer tokens; login attempts rate-limited per user and per address."""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server.errors import Conflict, Invalid, NotAuthenticated, RateLimited
from inbox_app.server.security import hash_password, new_token, token_digest, verify_password

MAX_ATTEMPTS = 10
WINDOW_SECONDS = 300.0


class LoginThrottle:
    """Sliding window of failed attempts per username and per client address."""

    def __init__(self, max_attempts: int = MAX_ATTEMPTS, window: float = WINDOW_SECONDS) -> None:
        self.max_attempts = max_attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                failures = self._failures.get(key)
                if not failures:
                    continue
                while failures and now - failures[0] > self.window:
                    failures.popleft()
                if len(failures) >= self.max_attempts:
                    wait = int(self.window - (now - failures[0])) + 1
                    raise RateLimited(
                        f"Too many failed sign-in attempts; try again in {wait} seconds."
                    )

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeed(self, username_key: str) -> None:
        with self._lock:
            self._failures.pop(username_key, None)


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    is_admin: bool = False,
    firm_name: str | None = None,
    display_name: str = "",
) -> t.User:
    """Add a user to the firm named (or the only firm, created on first use)."""
    username = username.strip()
    if not username:
        raise Invalid("A username is required.")
    if len(password) < 8:
        raise Invalid("The password must be at least 8 characters long.")
    with session.begin():
        if session.scalar(select(t.User).where(t.User.username == username)):
            raise Conflict(f"A user named {username!r} already exists.")
        firm = _firm_for_new_user(session, firm_name)
        user = t.User(
            firm_id=firm.id,
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role="admin" if is_admin else "staff",
        )
        session.add(user)
        session.flush()
    return user


def _firm_for_new_user(session: Session, firm_name: str | None) -> t.Firm:
    from inbox_app.server.services import firms

    if firm_name:
        firm = session.scalar(select(t.Firm).where(t.Firm.name == firm_name))
        return firm or firms.create_firm_in(session, firm_name)
    count = session.scalar(select(func.count()).select_from(t.Firm))
    if count == 0:
        return firms.create_firm_in(session, "My firm")
    if count > 1:
        raise Invalid("Several firms exist: name one with --firm.")
    return session.scalars(select(t.Firm)).one()


def login(
    session: Session,
    throttle: LoginThrottle,
    username: str,
    password: str,
    address: str,
    ttl: timedelta,
) -> tuple[str, t.User]:
    user_key, address_key = f"user:{username.lower()}", f"addr:{address}"
    throttle.check(user_key, address_key)
    with session.begin():
        user = session.scalar(select(t.User).where(t.User.username == username))
        if not verify_password(password, user.password_hash if user else None) or not (
            user and user.is_active
        ):
            throttle.fail(user_key, address_key)
            raise NotAuthenticated("Wrong username or password.")
        throttle.succeed(user_key)
        token = new_token()
        now = t.utcnow()
        session.execute(delete(t.AuthToken).where(t.AuthToken.expires_at < now))
        session.add(
            t.AuthToken(token_hash=token_digest(token), user_id=user.id, expires_at=now + ttl)
        )
        session.flush()
        user.firm  # noqa: B018 - load the firm's name before the session closes
    return token, user


def user_for_token(session: Session, token: str) -> t.User:
    row = session.get(t.AuthToken, token_digest(token))
    if row is None or row.expires_at < t.utcnow():
        raise NotAuthenticated("Your session has expired or was signed out; sign in again.")
    user = session.get(t.User, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("This user no longer has access.")
    return user


def update_settings(session: Session, user: t.User, notifications_enabled: bool) -> t.User:
    """Store the user's own preferences; notifications off means no desktop alerts anywhere."""
    with session.begin():
        row = session.get(t.User, user.id, with_for_update=True)
        row.notifications_enabled = notifications_enabled
        row.firm  # noqa: B018 - load the firm's name before the session closes
    return row


def logout(session: Session, token: str) -> None:
    with session.begin():
        session.execute(delete(t.AuthToken).where(t.AuthToken.token_hash == token_digest(token)))
