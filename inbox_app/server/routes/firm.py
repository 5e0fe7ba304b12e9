"""The firm's texting settings: time zone, quiet hours, send delay, length cap, HELP reply,
bundles, trash retention and sender number. Admins only (403 for staff)."""

from __future__ import annotations

from fastapi import APIRouter

from inbox_app.models.schemas import FirmSettingsIn, FirmSettingsOut
from inbox_app.server.deps import AdminUser, SessionDep
from inbox_app.server.services import firms

router = APIRouter(prefix="/firm", tags=["firm"])


@router.get("/settings")
def get_settings(user: AdminUser, session: SessionDep) -> FirmSettingsOut:
    return firms.settings_of(session, user)


@router.put("/settings")
def put_settings(body: FirmSettingsIn, user: AdminUser, session: SessionDep) -> FirmSettingsOut:
    return firms.update_settings(session, user, body)
