"""Route dependencies as `Annotated` aliases: session, settings, the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server.config import Settings
from inbox_app.server.errors import Forbidden, NotAuthenticated
from inbox_app.server.services import auth

_bearer = HTTPBearer(auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> t.User:
    if credentials is None:
        raise NotAuthenticated("Sign in first: this call needs a bearer token.")
    user = auth.user_for_token(session, credentials.credentials)
    # Close the read transaction so the service can open its own.
    session.commit()
    return user


CurrentUser = Annotated[t.User, Depends(get_current_user)]


def get_admin_user(user: CurrentUser) -> t.User:
    if user.role != "admin":
        raise Forbidden("Only an account admin can do this.")
    return user


AdminUser = Annotated[t.User, Depends(get_admin_user)]
