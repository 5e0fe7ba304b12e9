"""Sign-in and sign-out."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.security.utils import get_authorization_scheme_param

from inbox_app.models.schemas import LoginIn, TokenOut, UserOut, UserSettingsIn
from inbox_app.server.deps import CurrentUser, SessionDep, SettingsDep
from inbox_app.server.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


def user_out(user) -> UserOut:
    out = UserOut.model_validate(user)
    out.firm_name = user.firm.name
    out.firm_time_zone = user.firm.time_zone or ""
    return out


@router.post("/token")
def token(body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    address = request.client.host if request.client else "unknown"
    access_token, user = auth.login(
        session,
        request.app.state.login_throttle,
        body.username,
        body.password,
        address,
        timedelta(hours=settings.token_ttl_hours),
    )
    return TokenOut(access_token=access_token, user=user_out(user))


@router.get("/me")
def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.patch("/me")
def update_me(body: UserSettingsIn, user: CurrentUser, session: SessionDep) -> UserOut:
    return user_out(auth.update_settings(session, user, body.notifications_enabled))


@router.post("/logout", status_code=204)
def logout(request: Request, session: SessionDep, user: CurrentUser) -> None:
    _scheme, value = get_authorization_scheme_param(request.headers.get("authorization"))
    auth.logout(session, value)
