"""MMS images: the firm's own (signed in), the carrier's copy of outbound ones, the simulator's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from inbox_app.server.deps import CurrentUser, Id, SessionDep, SettingsDep
from inbox_app.server.errors import Invalid
from inbox_app.server.services import media

router = APIRouter(prefix="/media", tags=["media"])
public_router = APIRouter(tags=["media"])

_PRIVATE = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@router.get("/{media_id}", response_class=FileResponse)
def image(media_id: Id, user: CurrentUser, session: SessionDep, settings: SettingsDep):
    stored, content_type = media.file_for(session, settings, user, media_id)
    return stored.response(content_type, _PRIVATE)


@router.get("/{media_id}/thumbnail", response_class=FileResponse)
def thumbnail(media_id: Id, user: CurrentUser, session: SessionDep, settings: SettingsDep):
    stored, content_type = media.file_for(session, settings, user, media_id, thumbnail=True)
    return stored.response(content_type, _PRIVATE)


@public_router.get("/media/public/{media_id}/{token}", response_class=FileResponse)
def public_image(media_id: Id, token: str, session: SessionDep, settings: SettingsDep):
    stored, content_type = media.public_file_for(session, settings, media_id, token)
    return stored.response(content_type, _NO_STORE)


@public_router.post(media.SIMULATOR_PATH, status_code=201)
async def simulator_upload(
    request: Request,
    settings: SettingsDep,
    signature: Annotated[str, Header(alias=media.SIMULATOR_SIGNATURE_HEADER)] = "",
) -> dict[str, str]:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > media.SIMULATOR_UPLOAD_LIMIT:
            raise Invalid("A simulator upload can be at most 8 MB.")
    content_type = request.headers.get("content-type", "application/octet-stream")
    url = await run_in_threadpool(
        media.save_simulator_upload, settings, bytes(data), content_type, signature
    )
    return {"url": url}


@public_router.get(f"{media.SIMULATOR_PATH}/{{name}}", response_class=FileResponse)
def simulator_media(name: str, settings: SettingsDep):
    stored, content_type = media.simulator_file(settings, name)
    return stored.response(content_type, _NO_STORE)
