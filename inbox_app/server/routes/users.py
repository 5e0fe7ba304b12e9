"""The firm's users, for its admins: list, create, change role, reset password, disable/enable.

Admins only (403 for staff); an admin sees only the users of their own firm (404 otherwise).
"""

from __future__ import annotations

from fastapi import APIRouter

from inbox_app.models.schemas import PasswordIn, UserAdminOut, UserCreateIn, UserPatchIn
from inbox_app.server.deps import AdminUser, Id, SessionDep
from inbox_app.server.services import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(admin: AdminUser, session: SessionDep) -> list[UserAdminOut]:
    return users.list_users(session, admin)


@router.post("", status_code=201)
def create_user(body: UserCreateIn, admin: AdminUser, session: SessionDep) -> UserAdminOut:
    return users.create(session, admin, body)


@router.patch("/{user_id}")
def update_user(
    user_id: Id, body: UserPatchIn, admin: AdminUser, session: SessionDep
) -> UserAdminOut:
    return users.update(session, admin, user_id, body)


@router.post("/{user_id}/password")
def reset_password(
    user_id: Id, body: PasswordIn, admin: AdminUser, session: SessionDep
) -> UserAdminOut:
    return users.reset_password(session, admin, user_id, body.password)


@router.post("/{user_id}/disable")
def disable_user(user_id: Id, admin: AdminUser, session: SessionDep) -> UserAdminOut:
    return users.set_active(session, admin, user_id, False)


@router.post("/{user_id}/enable")
def enable_user(user_id: Id, admin: AdminUser, session: SessionDep) -> UserAdminOut:
    return users.set_active(session, admin, user_id, True)
