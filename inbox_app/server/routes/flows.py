"""Reminder flows: ordered steps with a template per language. Everyone reads them; only admins
create, change or delete them (403 for staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import FlowIn, FlowOut, FlowPatch, FlowPreviewIn, FlowPreviewOut
from inbox_app.server.deps import AdminUser, CurrentUser, Id, Offset, SessionDep
from inbox_app.server.services import flows

router = APIRouter(prefix="/flows", tags=["flows"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201)
def create_flow(body: FlowIn, user: AdminUser, session: SessionDep) -> FlowOut:
    return flows.create_flow(session, user, body)


@router.post("/preview")
def preview_template(body: FlowPreviewIn, user: CurrentUser, session: SessionDep) -> FlowPreviewOut:
    """A template rendered for a client's event as its reminder would read (nothing is saved)."""
    return flows.preview(session, user, body)


@router.get("")
def list_flows(
    user: CurrentUser,
    session: SessionDep,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[FlowOut]:
    return flows.list_flows(session, user, q=q, limit=limit, offset=offset)


@router.get("/{flow_id}")
def get_flow(flow_id: Id, user: CurrentUser, session: SessionDep) -> FlowOut:
    return flows.get_flow(session, user, flow_id)


@router.patch("/{flow_id}")
def update_flow(flow_id: Id, body: FlowPatch, user: AdminUser, session: SessionDep) -> FlowOut:
    return flows.update_flow(session, user, flow_id, body)


@router.delete("/{flow_id}", status_code=204)
def delete_flow(flow_id: Id, user: AdminUser, session: SessionDep) -> None:
    flows.delete_flow(session, user, flow_id)
