"""Assignment: a conversation belongs to one colleague (or nobody) until it is reassigned.

Each change writes a system line in the thread ("Alice assigned this to Bob"), announces the
conversation to the whole firm, and notifies the new assignee (unless they assigned themselves).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import AssigneeIn, ConversationOut
from inbox_app.server.errors import Conflict, Invalid
from inbox_app.server.services import conversations, events, notes


def _name(user: t.User) -> str:
    return user.display_name or user.username


def line_for(by: t.User, before: t.User | None, after: t.User | None) -> str:
    """The system line of a change of assignee, in the thread's words."""
    if after is None:
        return f"{_name(by)} unassigned {'themselves' if before is by else _name(before)}"
    if after.id == by.id:
        return f"{_name(by)} took this conversation"
    return f"{_name(by)} assigned this to {_name(after)}"


def assign(
    session: Session, user: t.User, conversation_id: int, data: AssigneeIn
) -> ConversationOut:
    with session.begin():
        conversation = session.scalar(
            select(t.Conversation).where(t.Conversation.id == conversation_id).with_for_update()
        )
        if conversation is None or conversation.firm_id != user.firm_id:
            conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        if conversation.hidden:
            raise Conflict("This is a blocked number's kept record; it cannot be assigned.")
        after = None
        if data.user_id is not None:
            after = session.get(t.User, data.user_id)
            if after is None or after.firm_id != user.firm_id or not after.is_active:
                raise Invalid(
                    "user_id: there is no active user of your firm with that id.",
                    field="user_id",
                )
        if conversation.assignee_id == (after.id if after else None):
            return conversations.out_in(session, user, conversation.id)
        before = session.get(t.User, conversation.assignee_id) if conversation.assignee_id else None
        if before is not None and before.id == user.id:
            before = user
        conversation.assignee_id = after.id if after else None
        line = line_for(user, before, after)
        notes.write_internal_in(session, conversation, line, origin="system", author=user)
        conversations.publish_updated_in(session, conversation)
        if after is not None and after.id != user.id and after.notifications_enabled:
            contact = notes.contact_name_in(session, conversation)
            events.publish(
                session,
                conversation.firm_id,
                "notification",
                {
                    "conversation_id": conversation.id,
                    "kind": "assignment",
                    "phone": conversation.phone,
                    "contact_name": contact,
                    "title": f"{_name(user)} assigned you a conversation",
                    "body": contact or conversation.phone,
                },
                user_id=after.id,
            )
        return conversations.out_in(session, user, conversation.id)
