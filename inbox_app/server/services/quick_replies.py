"""Quick replies: saved texts with merge tags, the firm's (admins manage them) and each user's.

A text is checked when saved exactly as a flow's template is (`domain/merge.py`: an unknown tag
or a broken bracket is a 422 naming it). The server renders one for a conversation's client, so
the compose box inserts what would be sent. Every change is announced on the stream: a firm
reply to the whole firm, a personal one to its owner only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inbox_app.domain import merge, phone, sms
from inbox_app.models import tables as t
from inbox_app.models.schemas import (
    QuickReplyIn,
    QuickReplyOut,
    QuickReplyPatch,
    QuickReplyRendered,
)
from inbox_app.server.errors import Conflict, Forbidden, Invalid, NotFound
from inbox_app.server.services import conversations, events, reminders

# A firm's list stays short enough for a picker (and bounded for every request).
MAX_PER_OWNER = 200


class QuickReplyNotFound(NotFound):
    code = "quick_reply_not_found"


def _scope(row: t.QuickReply) -> str:
    return "firm" if row.owner_id is None else "personal"


def _warnings(body: str, max_segments: int) -> list[str]:
    if merge.may_exceed_segments(body, max_segments):
        return [
            f"This reply may run past {max_segments} segments with long names or places; "
            "such a text would be refused when sent."
        ]
    return []


def _out(row: t.QuickReply, max_segments: int) -> QuickReplyOut:
    return QuickReplyOut(
        id=row.id,
        name=row.name,
        body=row.body,
        scope=_scope(row),
        tags=merge.validate(row.body),
        updated_at=row.updated_at,
        warnings=_warnings(row.body, max_segments),
    )


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Invalid("name: give the quick reply a name, e.g. “Running late”.", field="name")
    return cleaned


def _check_body(body: str, max_segments: int) -> str:
    return check_text(body, max_segments, field="body", what="the quick reply")


def check_text(body: str, max_segments: int, *, field: str, what: str) -> str:
    """A saved text with merge tags, checked as quick replies and flow templates are: not
    blank, known tags in whole brackets, within `max_segments` with the tags empty (422 names
    `field`). The after-hours reply is checked here too."""
    if not body.strip():
        raise Invalid(f"{field}: write the text of {what}.", field=field)
    try:
        merge.validate(body)
    except merge.MergeTemplateError as error:
        raise Invalid(f"{field}: {error}", field=field) from None
    if sms.measure(merge.render(body, {})).segments > max_segments:
        raise Invalid(
            f"{field}: the text is longer than {max_segments} segments even with every merge "
            "tag empty; shorten it.",
            field=field,
        )
    return body


def _max_segments(session: Session, firm_id: int) -> int:
    from inbox_app.server.services.messages import segment_cap

    return segment_cap(session.get(t.Firm, firm_id))


def _refuse_taken_name(session: Session, row_or_none, firm_id: int, owner_id, name: str) -> None:
    q = select(t.QuickReply.id).where(
        t.QuickReply.firm_id == firm_id,
        t.QuickReply.owner_id.is_(None) if owner_id is None else t.QuickReply.owner_id == owner_id,
        t.QuickReply.name == name,
    )
    if row_or_none is not None:
        q = q.where(t.QuickReply.id != row_or_none.id)
    if session.scalar(q.limit(1)) is not None:
        where = "the firm's quick replies" if owner_id is None else "your quick replies"
        raise Conflict(f"There is already “{name}” among {where}; pick another name.")


def _publish(session: Session, row: t.QuickReply, kind: str) -> None:
    payload = {"id": row.id, "scope": _scope(row)}
    events.publish(session, row.firm_id, kind, payload, user_id=row.owner_id)


def _visible_in(session: Session, user: t.User, reply_id: int) -> t.QuickReply:
    row = session.get(t.QuickReply, reply_id)
    if (
        row is None
        or row.firm_id != user.firm_id
        or (row.owner_id is not None and row.owner_id != user.id)
    ):
        raise QuickReplyNotFound("This quick reply does not exist or was deleted.")
    return row


def _changeable_in(session: Session, user: t.User, reply_id: int) -> t.QuickReply:
    row = _visible_in(session, user, reply_id)
    if row.owner_id is None and user.role != "admin":
        raise Forbidden("Only an account admin can change the firm's quick replies.")
    return row


# --- whole operations ---------------------------------------------------------------------------


def list_for(session: Session, user: t.User) -> list[QuickReplyOut]:
    """The firm's quick replies and mine, the firm's first, each by name."""
    with session.begin():
        cap = _max_segments(session, user.firm_id)
        rows = session.scalars(
            select(t.QuickReply)
            .where(
                t.QuickReply.firm_id == user.firm_id,
                or_(t.QuickReply.owner_id.is_(None), t.QuickReply.owner_id == user.id),
            )
            .order_by(t.QuickReply.owner_id.is_not(None), t.QuickReply.name, t.QuickReply.id)
            .limit(2 * MAX_PER_OWNER)
        ).all()
        return [_out(row, cap) for row in rows]


def create(session: Session, user: t.User, data: QuickReplyIn) -> QuickReplyOut:
    if data.scope == "firm" and user.role != "admin":
        raise Forbidden("Only an account admin can add a quick reply for the whole firm.")
    with session.begin():
        cap = _max_segments(session, user.firm_id)
        name = _clean_name(data.name)
        body = _check_body(data.body, cap)
        owner_id = None if data.scope == "firm" else user.id
        _refuse_taken_name(session, None, user.firm_id, owner_id, name)
        count = len(
            session.scalars(
                select(t.QuickReply.id)
                .where(
                    t.QuickReply.firm_id == user.firm_id,
                    t.QuickReply.owner_id.is_(None)
                    if owner_id is None
                    else t.QuickReply.owner_id == owner_id,
                )
                .limit(MAX_PER_OWNER)
            ).all()
        )
        if count >= MAX_PER_OWNER:
            raise Conflict(
                f"There are already {MAX_PER_OWNER} quick replies here; delete some first."
            )
        row = t.QuickReply(firm_id=user.firm_id, owner_id=owner_id, name=name, body=body)
        session.add(row)
        session.flush()
        _publish(session, row, "quick_reply.changed")
        return _out(row, cap)


def update(session: Session, user: t.User, reply_id: int, data: QuickReplyPatch) -> QuickReplyOut:
    with session.begin():
        row = _changeable_in(session, user, reply_id)
        cap = _max_segments(session, user.firm_id)
        if data.name is not None:
            name = _clean_name(data.name)
            _refuse_taken_name(session, row, row.firm_id, row.owner_id, name)
            row.name = name
        if data.body is not None:
            row.body = _check_body(data.body, cap)
        session.flush()
        _publish(session, row, "quick_reply.changed")
        return _out(row, cap)


def delete(session: Session, user: t.User, reply_id: int) -> None:
    with session.begin():
        row = _changeable_in(session, user, reply_id)
        _publish(session, row, "quick_reply.deleted")
        session.delete(row)


def render(
    session: Session, user: t.User, reply_id: int, conversation_id: int
) -> QuickReplyRendered:
    """The reply's text for the conversation's client (its matter, next event, the firm)."""
    with session.begin():
        row = _visible_in(session, user, reply_id)
        conversation = conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        firm = session.get(t.Firm, user.firm_id)
        body = merge.render(row.body, merge_values_in(session, firm, conversation))
        measured = sms.measure(body)
        return QuickReplyRendered(
            id=row.id,
            conversation_id=conversation.id,
            body=body,
            segments=measured.segments,
            encoding=str(measured.encoding),
        )


def merge_values_in(
    session: Session, firm: t.Firm, conversation: t.Conversation, now: datetime | None = None
) -> dict[str, str]:
    """Merge tag values for a text to this conversation's number (blank where unknown).

    `conversation` needs only `phone`, `client_id` and `matter_id` (the inbound path passes
    the values it has just stored).

    The event tags name the client's next scheduled event (of the thread's matter when it has
    one), in the firm's clock as reminders do.
    """
    client = session.get(t.Client, conversation.client_id) if conversation.client_id else None
    matter = session.get(t.Matter, conversation.matter_id) if conversation.matter_id else None
    language = client.language if client is not None else "en"
    values = {
        "ClientFirstName": client.first_name if client else "",
        "ClientLastName": client.last_name if client else "",
        "CaseNumber": (matter.case_number or "") if matter else "",
        "MatterName": matter.name if matter else "",
        "FirmName": firm.name,
        "FirmPhone": phone.format_display(firm.phone) if firm.phone else "",
        "ContactPhone": phone.format_display(conversation.phone)
        if conversation.phone.startswith("+")
        else conversation.phone,
        "EventDate": "",
        "EventTime": "",
        "EventLocation": "",
    }
    if client is not None:
        q = select(t.Event).where(
            t.Event.firm_id == firm.id,
            t.Event.client_id == client.id,
            t.Event.status == "scheduled",
            t.Event.starts_at >= (now or t.utcnow()),
        )
        if matter is not None:
            q = q.order_by((t.Event.matter_id == matter.id).desc())
        event = session.scalar(q.order_by(t.Event.starts_at, t.Event.id).limit(1))
        if event is not None:
            local = event.starts_at.astimezone(
                reminders._zone(firm.time_zone or reminders.DEFAULT_TIME_ZONE)
            )
            values["EventDate"] = reminders.format_date(local, language)
            values["EventTime"] = reminders.format_time(local, language)
            values["EventLocation"] = event.location or ""
    return values
