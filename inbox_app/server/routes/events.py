"""Events (hearings, appointments) and the reminder messages their flow made."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from inbox_app.models.schemas import (
    AgendaEventOut,
    EventIn,
    EventOut,
    EventPatch,
    MessageOut,
    ReminderOut,
)
from inbox_app.server.deps import CurrentUser, Id, Offset, OptionalId, SessionDep
from inbox_app.server.services import agenda, reminders

router = APIRouter(prefix="/events", tags=["events"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201)
def create_event(body: EventIn, user: CurrentUser, session: SessionDep) -> EventOut:
    return reminders.create_event(session, user, body)


@router.get("")
def list_events(
    user: CurrentUser,
    session: SessionDep,
    q: str | None = None,
    client_id: OptionalId = None,
    matter_id: OptionalId = None,
    flow_id: OptionalId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[EventOut]:
    return reminders.list_events(
        session,
        user,
        q=q,
        client_id=client_id,
        matter_id=matter_id,
        flow_id=flow_id,
        limit=limit,
        offset=offset,
    )


# Before /{event_id}: "upcoming" is not an id.
@router.get("/upcoming")
def upcoming_events(
    user: CurrentUser,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=agenda.MAX_DAYS)] = 14,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    client_id: OptionalId = None,
    matter_id: OptionalId = None,
    attorney_id: OptionalId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> list[AgendaEventOut]:
    return agenda.upcoming(
        session,
        user,
        days=days,
        start=start,
        client_id=client_id,
        matter_id=matter_id,
        attorney_id=attorney_id,
        limit=limit,
    )


@router.get("/{event_id}")
def get_event(event_id: Id, user: CurrentUser, session: SessionDep) -> EventOut:
    return reminders.get_event(session, user, event_id)


@router.patch("/{event_id}")
def update_event(
    event_id: Id, body: EventPatch, user: CurrentUser, session: SessionDep
) -> EventOut:
    return reminders.update_event(session, user, event_id, body)


@router.delete("/{event_id}", status_code=204)
def delete_event(event_id: Id, user: CurrentUser, session: SessionDep) -> None:
    reminders.delete_event(session, user, event_id)


@router.get("/{event_id}/messages")
def event_messages(event_id: Id, user: CurrentUser, session: SessionDep) -> list[MessageOut]:
    return reminders.event_messages(session, user, event_id)


@router.get("/{event_id}/reminders")
def event_reminders(event_id: Id, user: CurrentUser, session: SessionDep) -> list[ReminderOut]:
    return agenda.event_reminders(session, user, event_id)
