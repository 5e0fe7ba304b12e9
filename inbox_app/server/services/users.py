"""Managing a firm's users: list, create, change role, reset a password, disable and enable.

A password change or a disable revokes every token of the user (and so ends their open
streams); a firm always keeps one active admin. Admins see only their own firm's users. The
`inbox-server` commands (`set-password`, `disable-user`, `enable-user`) use the same functions.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import ColleagueOut, UserAdminOut, UserCreateIn, UserPatchIn
from inbox_app.server.errors import Conflict, Invalid, NotFound
from inbox_app.server.security import hash_password
from inbox_app.server.services import auth

MIN_PASSWORD = auth.MIN_PASSWORD


class UserNotFound(NotFound):
    code = "user_not_found"


class LastAdmin(Conflict):
    code = "last_admin"


def _out(user: t.User) -> UserAdminOut:
    return UserAdminOut.model_validate(user)


def colleagues(session: Session, user: t.User) -> list[ColleagueOut]:
    """The firm's active users, by name: whom a note can mention and a thread be assigned to."""
    with session.begin():
        rows = session.scalars(
            select(t.User)
            .where(t.User.firm_id == user.firm_id, t.User.is_active.is_(True))
            .order_by(
                func.lower(func.coalesce(func.nullif(t.User.display_name, ""), t.User.username))
            )
            .limit(1000)
        ).all()
        return [
            ColleagueOut(id=row.id, username=row.username, display_name=row.display_name)
            for row in rows
        ]


def list_users(session: Session, admin: t.User) -> list[UserAdminOut]:
    with session.begin():
        rows = session.scalars(
            select(t.User).where(t.User.firm_id == admin.firm_id).order_by(t.User.id)
        ).all()
        return [_out(row) for row in rows]


def create(session: Session, admin: t.User, body: UserCreateIn) -> UserAdminOut:
    """A new user of the admin's firm."""
    user = auth.create_user(
        session,
        body.username,
        body.password,
        is_admin=body.role == "admin",
        firm_id=admin.firm_id,
        display_name=body.display_name or "",
        can_text=body.can_text,
    )
    return _out(user)


def _lock_firm_in(session: Session, firm_id: int) -> None:
    # Every change that could leave a firm without an admin takes this lock first, so two
    # admins demoting each other at once cannot both pass the count below.
    session.scalar(select(t.Firm.id).where(t.Firm.id == firm_id).with_for_update())


def _target_in(session: Session, firm_id: int, user_id: int) -> t.User:
    user = session.scalar(
        select(t.User).where(t.User.id == user_id, t.User.firm_id == firm_id).with_for_update()
    )
    if user is None:
        raise UserNotFound("There is no such user in your firm.")
    return user


def _keeps_an_admin_in(session: Session, user: t.User, role: str, is_active: bool) -> None:
    """LastAdmin when `user` is the firm's last active admin and would stop being one."""
    if user.role != "admin" or not user.is_active or (role == "admin" and is_active):
        return
    others = session.scalar(
        select(func.count())
        .select_from(t.User)
        .where(
            t.User.firm_id == user.firm_id,
            t.User.id != user.id,
            t.User.role == "admin",
            t.User.is_active.is_(True),
        )
    )
    if not others:
        raise LastAdmin(
            f"{user.username} is the firm's last active admin; make another user an admin first."
        )


def revoke_tokens_in(session: Session, user_id: int) -> None:
    """Sign the user out everywhere: their tokens stop working and their streams end."""
    session.execute(delete(t.AuthToken).where(t.AuthToken.user_id == user_id))


def update(session: Session, admin: t.User, user_id: int, body: UserPatchIn) -> UserAdminOut:
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name}: must not be null; leave it out to keep it.", field=name)
    with session.begin():
        _lock_firm_in(session, admin.firm_id)
        user = _target_in(session, admin.firm_id, user_id)
        _keeps_an_admin_in(
            session,
            user,
            changes.get("role", user.role),
            changes.get("is_active", user.is_active),
        )
        if changes.get("is_active") is False and user.is_active:
            revoke_tokens_in(session, user.id)
        for name, value in changes.items():
            setattr(user, name, value)
        session.flush()
        return _out(user)


def set_active(session: Session, admin: t.User, user_id: int, active: bool) -> UserAdminOut:
    return update(session, admin, user_id, UserPatchIn(is_active=active))


def reset_password(session: Session, admin: t.User, user_id: int, password: str) -> UserAdminOut:
    auth.check_password(password)
    password_hash = hash_password(password)
    with session.begin():
        user = _target_in(session, admin.firm_id, user_id)
        user.password_hash = password_hash
        revoke_tokens_in(session, user.id)
        session.flush()
        return _out(user)


# --- the operator's commands (no signed-in admin: the user is named) ---------------------------


def _by_name_in(session: Session, username: str) -> t.User:
    user = session.scalar(select(t.User).where(t.User.username == username.strip()))
    if user is None:
        raise UserNotFound(f"There is no user named {username!r}.")
    return user


def set_password_by_name(session: Session, username: str, password: str) -> t.User:
    auth.check_password(password)
    password_hash = hash_password(password)
    with session.begin():
        user = _by_name_in(session, username)
        user.password_hash = password_hash
        revoke_tokens_in(session, user.id)
    return user


def set_active_by_name(session: Session, username: str, active: bool) -> t.User:
    with session.begin():
        user = _by_name_in(session, username)
        _lock_firm_in(session, user.firm_id)
        session.refresh(user)
        _keeps_an_admin_in(session, user, user.role, active)
        if not active:
            revoke_tokens_in(session, user.id)
        user.is_active = active
    return user
