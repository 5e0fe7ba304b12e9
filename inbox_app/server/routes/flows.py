"""Reminder flows: ordered steps with a template per language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import FlowIn, FlowOut, FlowPatch
from inbox_app.server.deps import CurrentUser, Id, Offset, SessionDep
from inbox_app.server.services import flows

router = APIRouter(prefix="/flows", tags=["flows"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201)
def create_flow(body: FlowIn, user: CurrentUser, session: SessionDep) -> FlowOut:
    return flows.create_flow(session, user, body)


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
def update_flow(flow_id: Id, body: FlowPatch, user: CurrentUser, session: SessionDep) -> FlowOut:
    return flows.update_flow(session, user, flow_id, body)


@router.delete("/{flow_id}", status_code=204)
def delete_flow(flow_id: Id, user: CurrentUser, session: SessionDep) -> None:
    flows.delete_flow(session, user, flow_id)
