"""Matters: a client's cases; a new case number or name rewrites the reminders that show it."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import MatterIn, MatterOut, MatterPatch
from inbox_app.server.errors import Invalid, NotFound
from inbox_app.server.services import record_events, reminders


def matter_in(session: Session, firm_id: int, matter_id: int) -> t.Matter:
    matter = session.get(t.Matter, matter_id)
    if matter is None or matter.firm_id != firm_id:
        raise NotFound(f"There is no matter {matter_id}.")
    return matter


def _case_number(value: str | None) -> str | None:
    return (value or "").strip() or None


def create_matter(session: Session, user: t.User, body: MatterIn) -> MatterOut:
    name = body.name.strip()
    if not name:
        raise Invalid("name: a matter needs a name.")
    with session.begin():
        client = session.get(t.Client, body.client_id)
        if client is None or client.firm_id != user.firm_id:
            raise NotFound(f"There is no client {body.client_id}.")
        reminders.check_attorney(session, user.firm_id, body.attorney_id)
        matter = t.Matter(
            firm_id=user.firm_id,
            client_id=client.id,
            name=name,
            case_number=_case_number(body.case_number),
            attorney_id=body.attorney_id,
        )
        session.add(matter)
        session.flush()
        record_events.announce(session, user.firm_id, "matter.updated", [(matter.id, client.id)])
        return MatterOut.model_validate(matter)


def get_matter(session: Session, user: t.User, matter_id: int) -> MatterOut:
    with session.begin():
        return MatterOut.model_validate(matter_in(session, user.firm_id, matter_id))


def list_matters(
    session: Session,
    user: t.User,
    *,
    q: str | None = None,
    client_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[MatterOut]:
    """Matters by name; `q` matches the name or the case number."""
    query = select(t.Matter).where(t.Matter.firm_id == user.firm_id)
    if client_id is not None:
        query = query.where(t.Matter.client_id == client_id)
    if q and q.strip():
        pattern = f"%{q.strip()}%"
        query = query.where(or_(t.Matter.name.ilike(pattern), t.Matter.case_number.ilike(pattern)))
    query = query.order_by(t.Matter.name, t.Matter.id).limit(limit).offset(offset)
    with session.begin():
        return [MatterOut.model_validate(matter) for matter in session.scalars(query)]


def _event_ids(session: Session, matter_id: int) -> list[int]:
    return list(session.scalars(select(t.Event.id).where(t.Event.matter_id == matter_id)))


def update_matter(session: Session, user: t.User, matter_id: int, patch: MatterPatch) -> MatterOut:
    """Rename a matter or change its case number; its events' reminders resync."""
    fields = patch.model_dump(exclude_unset=True)
    if "name" in fields:
        if not (fields["name"] or "").strip():
            raise Invalid("name: a matter needs a name.")
        fields["name"] = fields["name"].strip()
    if "case_number" in fields:
        fields["case_number"] = _case_number(fields["case_number"])
    with session.begin():
        matter = matter_in(session, user.firm_id, matter_id)
        if "attorney_id" in fields:
            reminders.check_attorney(session, user.firm_id, fields["attorney_id"])
        for name, value in fields.items():
            setattr(matter, name, value)
        session.flush()
        reminders.sync_events_in(session, user.firm_id, _event_ids(session, matter.id))
        record_events.announce(
            session, user.firm_id, "matter.updated", [(matter.id, matter.client_id)]
        )
        return MatterOut.model_validate(matter)


def delete_matter(session: Session, user: t.User, matter_id: int) -> None:
    """Delete a matter; its events stay, without it, and their reminders resync."""
    with session.begin():
        matter = matter_in(session, user.firm_id, matter_id)
        event_ids = _event_ids(session, matter.id)
        session.delete(matter)
        session.flush()
        reminders.sync_events_in(session, user.firm_id, event_ids)
        record_events.announce(
            session, user.firm_id, "matter.deleted", [(matter_id, matter.client_id)]
        )
