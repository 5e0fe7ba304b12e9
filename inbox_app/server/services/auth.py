"""Users, sign-in and bearer tokens; sign-in attempts limited per user and per address.

Attempts are counted in the database (`login_counters`), one atomic upsert per key *before* the
password is checked, so concurrent guesses and several server processes share one count: at most
USER_ATTEMPTS passwords of one user are checked per window, and ADDRESS_ATTEMPTS (more loosely:
an office shares one address) from one address. A success clears the user's count. Checking a
password costs argon2's 64 MiB, so at most PASSWORD_CHECKS run at once per process; a request
that cannot get a turn within PASSWORD_WAIT seconds is answered 503 `busy` and not counted.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server import security
from inbox_app.server.errors import Busy, Conflict, Invalid, NotAuthenticated, RateLimited
from inbox_app.server.security import hash_password, new_token, token_digest

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_USERNAME = 150
# Per user: guesses whose password is checked in one window.
MAX_ATTEMPTS = USER_ATTEMPTS = 10
# Per client address (X-Forwarded-For only from INBOX_TRUSTED_PROXIES): colleagues share it.
ADDRESS_ATTEMPTS = 100
WINDOW_SECONDS = 300.0
PASSWORD_CHECKS = 4
PASSWORD_WAIT = 2.0
# Share of reservations that also forget expired counters.
PRUNE_SHARE = 0.02


class LoginThrottle:
    """The per-process bound on concurrent password checks; the counts live in the database."""

    def __init__(self, checks: int = PASSWORD_CHECKS) -> None:
        self._checks = threading.BoundedSemaphore(checks)

    @contextlib.contextmanager
    def password_check(self) -> Iterator[None]:
        if not self._checks.acquire(timeout=PASSWORD_WAIT):
            raise Busy("The server is busy signing others in; try again in a moment.")
        try:
            yield
        finally:
            self._checks.release()


_L = t.LoginCounter.__table__


def _bump_in(session: Session, key: str, now: float, window: float) -> tuple[int, float]:
    """Count one attempt for `key` atomically; its count and window start after this one."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    expired = _L.c.window_start < now - window
    stmt = (
        dialect.insert(_L)
        .values(key=key, attempts=1, window_start=now)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "attempts": case((expired, 1), else_=_L.c.attempts + 1),
                "window_start": case((expired, now), else_=_L.c.window_start),
            },
        )
        .returning(_L.c.attempts, _L.c.window_start)
    )
    attempts, started = session.execute(stmt).one()
    return attempts, started


def reserve_in(session: Session, keys: list[tuple[str, int]], now: float) -> None:
    """Count an attempt for every key (user first: one lock order), or RateLimited for all.

    Raised inside the caller's transaction, the rollback takes back what was counted here: a
    refused attempt counts nowhere.
    """
    for key, limit in keys:
        attempts, started = _bump_in(session, key, now, WINDOW_SECONDS)
        if attempts > limit:
            wait = max(1, int(started + WINDOW_SECONDS - now) + 1)
            raise RateLimited(f"Too many sign-in attempts; try again in {wait} seconds.")
    if random.random() < PRUNE_SHARE:
        session.execute(delete(t.LoginCounter).where(_L.c.window_start < now - WINDOW_SECONDS))


def _unreserve_in(session: Session, keys: list[str]) -> None:
    session.execute(
        update(t.LoginCounter)
        .where(_L.c.key.in_(keys), _L.c.attempts > 0)
        .values(attempts=_L.c.attempts - 1)
    )


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    is_admin: bool = False,
    firm_name: str | None = None,
    display_name: str = "",
    create_missing_firm: bool = True,
    default_number: str | None = None,
    firm_id: int | None = None,
    can_text: bool = True,
) -> t.User:
    """Add a user to the firm named (or the only firm; with no firm at all, one is created).

    `create_missing_firm=False` (the command line) refuses a firm name that does not exist
    while other firms do, naming them, instead of making a new firm from a typo. The server's
    first firm is given `default_number` (the server's own, INBOX_TWILIO_FROM).
    """
    username = username.strip()
    if not username:
        raise Invalid("username: a username is required.", field="username")
    if len(username) > MAX_USERNAME:
        raise Invalid(f"username: at most {MAX_USERNAME} characters.", field="username")
    check_password(password)
    password_hash = hash_password(password)
    with session.begin():
        if session.scalar(select(t.User).where(t.User.username == username)):
            raise Conflict(f"A user named {username!r} already exists.", field="username")
        if firm_id is None:
            firm_id = _firm_for_new_user(session, firm_name, create_missing_firm, default_number).id
        user = t.User(
            firm_id=firm_id,
            username=username,
            display_name=display_name or username,
            password_hash=password_hash,
            role="admin" if is_admin else "staff",
            can_text=can_text,
        )
        session.add(user)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            # The same name created at this moment by another request.
            raise Conflict(f"A user named {username!r} already exists.", field="username") from None
        user.firm  # noqa: B018 - load the firm's name before the session closes
    return user


def check_password(password: str) -> None:
    """Invalid unless the password is 8 to 1024 characters (argon2 hashes any length; a cap
    keeps one request from costing more than a normal sign-in)."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            f"password: must be at least {MIN_PASSWORD} characters long.", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"password: at most {MAX_PASSWORD} characters.", field="password")


DEFAULT_FIRM_NAME = "My firm"


def _firm_for_new_user(
    session: Session, firm_name: str | None, create_missing: bool, number: str | None = None
) -> t.Firm:
    from inbox_app.server.services import firms

    count = session.scalar(select(func.count()).select_from(t.Firm))
    if firm_name:
        if count == 0:
            return firms.create_firm_in(session, " ".join(firm_name.split()), default_number=number)
        firm = session.scalar(select(t.Firm).where(t.Firm.name == firm_name))
        if firm is not None:
            return firm
        if create_missing:
            return firms.create_firm_in(session, firm_name)
        return firms.find_firm_in(session, firm_name)  # raises, naming the firms there are
    if count == 0:
        return firms.create_firm_in(session, DEFAULT_FIRM_NAME, default_number=number)
    if count > 1:
        listed = firms.firm_list(firms.all_firms(session))
        raise Invalid(f"Several firms exist: name one with --firm ({listed}).")
    return session.scalars(select(t.Firm)).one()


def login(
    session: Session,
    throttle: LoginThrottle,
    username: str,
    password: str,
    address: str,
    ttl: timedelta,
) -> tuple[str, t.User]:
    user_key, address_key = f"user:{username.strip().lower()[:180]}", f"addr:{address[:180]}"
    with session.begin():
        reserve_in(
            session, [(user_key, USER_ATTEMPTS), (address_key, ADDRESS_ATTEMPTS)], time.time()
        )
        found = session.execute(
            select(t.User.id, t.User.password_hash, t.User.is_active).where(
                t.User.username == username
            )
        ).one_or_none()
    # Checked outside any transaction: argon2 takes a while and must not hold a database lock.
    try:
        with throttle.password_check():
            matches = security.verify_password(password, found.password_hash if found else None)
    except Busy:
        with session.begin():
            _unreserve_in(session, [user_key, address_key])
        raise
    if not matches or not (found and found.is_active):
        raise NotAuthenticated("Wrong username or password.")
    with session.begin():
        user = session.get(t.User, found.id, with_for_update=True)
        if user is None or not user.is_active or user.password_hash != found.password_hash:
            # Disabled or given a new password while we checked the old one.
            raise NotAuthenticated("Wrong username or password.")
        session.execute(delete(t.LoginCounter).where(_L.c.key == user_key))
        _unreserve_in(session, [address_key])
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
