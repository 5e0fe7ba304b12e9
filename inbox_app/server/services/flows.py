"""Flows: named, ordered reminder steps, each an offset from the event and a template per language.

Templates are checked when saved: an unknown merge tag or a broken bracket is refused (422
naming it); a step whose rendering could run past the firm's segment limit is only a warning.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_app.domain import merge, phone, sms
from inbox_app.models import tables as t
from inbox_app.models.schemas import (
    FlowIn,
    FlowOut,
    FlowPatch,
    FlowPreviewIn,
    FlowPreviewOut,
    FlowStepIn,
    FlowStepOut,
)
from inbox_app.server.errors import Invalid, NotFound
from inbox_app.server.services import reminders

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$")


def flow_in(session: Session, firm_id: int, flow_id: int) -> t.Flow:
    flow = session.get(t.Flow, flow_id)
    if flow is None or flow.firm_id != firm_id:
        raise NotFound(f"There is no flow {flow_id}.")
    return flow


def _check_steps(steps: list[FlowStepIn], max_segments: int) -> tuple[list[dict], list[str]]:
    """Clean templates per step (lower-case language keys) and the warnings they deserve."""
    cleaned: list[dict] = []
    warnings: list[str] = []
    for number, step in enumerate(steps, start=1):
        templates: dict[str, str] = {}
        for language, body in step.templates.items():
            code = language.strip().lower()
            if not _LANGUAGE.match(code):
                raise Invalid(
                    f"Step {number}: {language!r} is not a language code; use one like en or es."
                )
            if code in templates:
                raise Invalid(f"Step {number} has two {code} templates; keep one.")
            if not body.strip():
                continue
            try:
                merge.validate(body)
            except merge.MergeTemplateError as error:
                raise Invalid(f"Step {number}, {code} template: {error}") from None
            if sms.measure(merge.render(body, {})).segments > max_segments:
                raise Invalid(
                    f"Step {number}, {code} template is longer than {max_segments} segments "
                    "even with every merge tag empty; shorten it."
                )
            if merge.may_exceed_segments(body, max_segments):
                warnings.append(
                    f"Step {number}, {code} template may run past {max_segments} segments "
                    "with long names or places; such a reminder would not be sent."
                )
            templates[code] = body
        if not templates.get("en"):
            raise Invalid(f"Step {number} needs an English (en) template.")
        cleaned.append(
            {
                "offset_days": step.offset_days,
                "offset_hours": step.offset_hours,
                "send_time": step.send_time,
                "templates": templates,
            }
        )
    return cleaned, warnings


def _firm(session: Session, firm_id: int) -> t.Firm:
    return session.get(t.Firm, firm_id)


def flow_out(session: Session, flow: t.Flow, warnings: list[str] | None = None) -> FlowOut:
    steps = [
        FlowStepOut(
            id=step.id,
            offset_days=step.offset_days,
            offset_hours=step.offset_hours,
            send_time=step.send_time,
            templates={template.language: template.body for template in step.templates},
        )
        for step in flow.steps
    ]
    if warnings is None:
        max_segments = _firm(session, flow.firm_id).max_segments
        warnings = [
            f"Step {number}, {language} template may run past {max_segments} segments "
            "with long names or places; such a reminder would not be sent."
            for number, step in enumerate(steps, start=1)
            for language, body in step.templates.items()
            if merge.may_exceed_segments(body, max_segments)
        ]
    return FlowOut(
        id=flow.id, name=flow.name, simulated=flow.simulated, steps=steps, warnings=warnings
    )


def _write_steps(session: Session, flow: t.Flow, cleaned: list[dict]) -> None:
    """Replace steps position by position, so reminders already sent keep their step."""
    existing = list(flow.steps)
    for position, values in enumerate(cleaned):
        if position < len(existing):
            step = existing[position]
        else:
            step = t.FlowStep(flow=flow, position=position)
            session.add(step)
        step.position = position
        step.offset_days = values["offset_days"]
        step.offset_hours = values["offset_hours"]
        step.send_time = values["send_time"]
        by_language = {template.language: template for template in step.templates}
        for language, body in values["templates"].items():
            if language in by_language:
                by_language.pop(language).body = body
            else:
                step.templates.append(t.Template(language=language, body=body))
        for template in by_language.values():
            step.templates.remove(template)
    for step in existing[len(cleaned) :]:
        flow.steps.remove(step)
    session.flush()


def create_flow(session: Session, user: t.User, body: FlowIn) -> FlowOut:
    name = body.name.strip()
    if not name:
        raise Invalid("name: a flow needs a name.")
    with session.begin():
        cleaned, warnings = _check_steps(body.steps, _firm(session, user.firm_id).max_segments)
        flow = t.Flow(firm_id=user.firm_id, name=name, simulated=body.simulated)
        session.add(flow)
        session.flush()
        _write_steps(session, flow, cleaned)
        return flow_out(session, flow, warnings)


def get_flow(session: Session, user: t.User, flow_id: int) -> FlowOut:
    with session.begin():
        return flow_out(session, flow_in(session, user.firm_id, flow_id))


def list_flows(
    session: Session, user: t.User, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> list[FlowOut]:
    query = select(t.Flow).where(t.Flow.firm_id == user.firm_id)
    if q and q.strip():
        query = query.where(t.Flow.name.ilike(f"%{q.strip()}%"))
    query = query.order_by(t.Flow.name, t.Flow.id).limit(limit).offset(offset)
    with session.begin():
        return [flow_out(session, flow) for flow in session.scalars(query)]


def update_flow(session: Session, user: t.User, flow_id: int, patch: FlowPatch) -> FlowOut:
    """Rename, mark simulated, or replace the steps; events on the flow resync."""
    fields = patch.model_dump(exclude_unset=True)
    for required in ("name", "simulated", "steps"):
        if required in fields and fields[required] is None:
            raise Invalid(f"{required} cannot be cleared.")
    with session.begin():
        flow = flow_in(session, user.firm_id, flow_id)
        warnings = None
        if "name" in fields:
            if not fields["name"].strip():
                raise Invalid("name: a flow needs a name.")
            flow.name = fields["name"].strip()
        if "simulated" in fields:
            # Reminders already made keep their flag; new ones follow the flow (as eCourtDate).
            flow.simulated = fields["simulated"]
        if patch.steps is not None:
            cleaned, warnings = _check_steps(patch.steps, _firm(session, user.firm_id).max_segments)
            _write_steps(session, flow, cleaned)
        session.flush()
        if patch.steps is not None:
            event_ids = session.scalars(select(t.Event.id).where(t.Event.flow_id == flow.id))
            reminders.sync_events_in(session, user.firm_id, list(event_ids))
        return flow_out(session, flow, warnings)


def delete_flow(session: Session, user: t.User, flow_id: int) -> None:
    """Delete a flow; its unsent reminders go, sent ones stay, its events keep no flow."""
    with session.begin():
        flow = flow_in(session, user.firm_id, flow_id)
        event_ids = session.scalars(select(t.Event.id).where(t.Event.flow_id == flow.id)).all()
        reminders.remove_reminders_in(session, user.firm_id, event_ids)
        session.delete(flow)


def preview(session: Session, user: t.User, body: FlowPreviewIn) -> FlowPreviewOut:
    """A template rendered as the reminder for one event would read, measured as it would be
    sent; without an event, for the client's next one or a sample client a week out.

    A template that cannot be rendered is refused (422, field "template") with the same words
    a save would use.
    """
    try:
        tags = merge.validate(body.template)
    except merge.MergeTemplateError as error:
        unknown = getattr(error, "tags", [])
        raise Invalid(f"template: {error}", field="template", unknown_tags=unknown) from None
    language = body.language.strip().lower()
    if not _LANGUAGE.match(language):
        raise Invalid(f"language: {body.language!r} is not a language code; use one like en or es.")
    with session.begin():
        firm = _firm(session, user.firm_id)
        event = client = matter = None
        if body.event_id is not None:
            event = session.get(t.Event, body.event_id)
            if event is None or event.firm_id != user.firm_id:
                raise NotFound(f"There is no event {body.event_id}.")
        if body.client_id is not None or event is not None:
            client_id = event.client_id if event is not None else body.client_id
            client = session.get(t.Client, client_id)
            if client is None or client.firm_id != user.firm_id:
                raise NotFound(f"There is no client {client_id}.")
            if event is None:
                event = session.scalar(
                    select(t.Event)
                    .where(t.Event.client_id == client.id, t.Event.starts_at >= t.utcnow())
                    .order_by(t.Event.starts_at)
                    .limit(1)
                )
        if event is not None and event.matter_id is not None:
            matter = session.get(t.Matter, event.matter_id)
        number = None
        if client is not None:
            number = session.scalar(
                select(t.Contact.phone)
                .where(t.Contact.client_id == client.id, *reminders.eligible_contact_clauses())
                .order_by(t.Contact.id)
                .limit(1)
            )
        starts_at = event.starts_at if event is not None else _sample_start()
        values = reminders.merge_values(
            firm,
            starts_at,
            event.location if event is not None else "Courtroom 4B, 100 Main St",
            client.first_name if client is not None else "Maria",
            client.last_name if client is not None else "Lopez",
            matter.case_number
            if matter is not None
            else ("24-CR-1187" if client is None else None),
            matter.name if matter is not None else ("State v. Lopez" if client is None else None),
            number or ("+12015550123" if client is None else ""),
            language,
            phone.format_display(firm.phone) if firm.phone else "",
        )
        rendered = merge.render(body.template, dict(values))
        measured = sms.measure(rendered)
        return FlowPreviewOut(
            body=rendered,
            segments=measured.segments,
            encoding=str(measured.encoding),
            characters=measured.length,
            max_segments=firm.max_segments,
            too_long=measured.segments > firm.max_segments,
            tags=tags,
            is_sample=event is None,
        )


def _sample_start():
    """A week from now, 14:00 UTC (9:00 in New York): a plausible hearing for the sample."""
    start = t.utcnow() + timedelta(days=7)
    return start.replace(hour=14, minute=0, second=0, microsecond=0)
