"""Route dependencies as `Annotated` aliases: session, settings, the signed-in user."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from annotated_types import Ge, Le
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import MAX_ID, DbId
from inbox_app.server.config import Settings
from inbox_app.server.errors import Forbidden, Invalid, NotAuthenticated
from inbox_app.server.services import auth

_bearer = HTTPBearer(auto_error=False)

# Every id in a path, query or body: 1 … 2**63-1, so a huge number is a 422, never a DB overflow.
Id = DbId
OptionalId = DbId | None
# Paging offsets and stream cursors may be 0.
Offset = Annotated[int, Ge(0), Le(MAX_ID)]
NUL = "\x00"


def nul_path(value: object, where: str = "") -> str | None:
    """Where in a parsed JSON value the first NUL character is (`a.b.0`), or None."""
    if isinstance(value, str):
        return where if NUL in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if NUL in str(key):
            return (f"{where}." if where else "") + str(key).replace(NUL, "")
        found = nul_path(item, f"{where}.{key}" if where else str(key))
        if found is not None:
            return found
    return None


def refuse_nul(name: str) -> Invalid:
    return Invalid(f"{name}: must not contain NUL (\\u0000) characters.", field=name)


async def refuse_nul_input(request: Request) -> None:
    """422 naming the field when a path, query or JSON body value carries a NUL character.

    PostgreSQL text cannot hold NUL, so without this such input fails deep in the driver.
    """
    for key, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if NUL in key or NUL in str(value):
            raise refuse_nul(key.replace(NUL, ""))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("", "application/json") and not content_type.endswith("+json"):
        return  # multipart sends check their own fields
    body = await request.body()
    if b"\\u0000" not in body:
        return
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return  # the route's own parsing answers malformed JSON
    where = nul_path(parsed)
    if where is not None:
        raise refuse_nul(where or "body")


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
