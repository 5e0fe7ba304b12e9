"""A conversation as one canonical JSON document and its SHA-256, so a printout can be verified.

Canonical: sorted keys, no spaces, UTF-8 without escapes, times in UTC to the second. Nothing
volatile (no export time), so the same thread always gives the same digest and any change to
it gives another.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inbox_app.models import tables as t
from inbox_app.models.schemas import ExportOut
from inbox_app.server.services import conversations

FORMAT_VERSION = 1


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def export(session: Session, user: t.User, conversation_id: int) -> ExportOut:
    """The whole thread (firm, contact, matter, every message) as canonical JSON and its digest."""
    with session.begin():
        conversation = conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        firm = session.get(t.Firm, conversation.firm_id)
        client = session.get(t.Client, conversation.client_id) if conversation.client_id else None
        matter = session.get(t.Matter, conversation.matter_id) if conversation.matter_id else None
        rows = list(
            session.scalars(
                select(t.Message)
                .where(t.Message.conversation_id == conversation.id)
                .options(selectinload(t.Message.media))
                .order_by(t.Message.id)
            )
        )
        user_ids = {m.sent_by_id for m in rows if m.sent_by_id}
        names = (
            {
                u.id: u.display_name or u.username
                for u in session.scalars(select(t.User).where(t.User.id.in_(user_ids)))
            }
            if user_ids
            else {}
        )
        document = {
            "format": FORMAT_VERSION,
            "firm": {"id": firm.id, "name": firm.name, "phone": firm.phone},
            "contact": {
                "phone": conversation.phone,
                "name": f"{client.first_name} {client.last_name}".strip() if client else None,
                "client_id": client.id if client else None,
            },
            "matter": {"id": matter.id, "name": matter.name, "case_number": matter.case_number}
            if matter
            else None,
            "conversation": {"id": conversation.id, "opted_out": conversation.opted_out},
            "messages": [_message(m, names) for m in rows],
        }
    text = canonical(document)
    return ExportOut(document=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def _message(message: t.Message, names: dict[int, str]) -> dict:
    if message.direction == "inbound":
        sender = message.from_number
    elif message.sent_by_id:
        sender = names.get(message.sent_by_id, f"user {message.sent_by_id}")
    else:
        sender = "Automated reminder" if message.origin == "flow" else "The firm"
    return {
        "id": message.id,
        "time": _utc(message.sent_at or message.created_at),
        "created_at": _utc(message.created_at),
        "direction": message.direction,
        "from": message.from_number,
        "to": message.to_number,
        "sender": sender,
        "status": message.status,
        "body": message.body,
        "error": message.error_text,
        "media": [
            {
                "position": m.position,
                "content_type": m.content_type,
                "size": m.size,
                "sha256": m.sha256,
                "status": m.status,
            }
            for m in message.media
        ],
    }
