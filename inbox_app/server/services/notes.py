"""Internal notes: messages of direction `internal` the firm's staff write in a thread.

A note is never handed to the carrier (the dispatcher only sends outbound texts) and costs no
credit; it is in the thread, the search, the export and the printout, marked internal. `@name`
mentions a colleague by username: they get a notification and the thread is in their Mentions
filter until they open (read) it. Its author may change a note for 15 minutes; then it is fixed,
as a record of what the firm knew when. System lines (an assignment) are internal messages too,
written here, never changed.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.models.schemas import MessageOut, NoteIn, NotePatch
from inbox_app.server.errors import Conflict, Forbidden, Invalid, NotFound
from inbox_app.server.services import conversations, events, views

# "@bob", "@dana.m", "@j-smith" — not an address ("bob@firm.com") and not "@@".
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9_.\-]{0,149})")
# A note names a handful of colleagues, not the whole address book.
MAX_MENTIONS = 20


class NoteFixed(Conflict):
    code = "note_fixed"


def mentioned_names(body: str) -> list[str]:
    """The usernames `body` mentions, lower-cased, in order of first mention."""
    names: dict[str, None] = {}
    for match in _MENTION.finditer(body):
        names[match.group(1).rstrip(".-").casefold()] = None
    return list(names)


def _mentioned_users_in(session: Session, firm_id: int, body: str, author_id: int) -> list[int]:
    names = mentioned_names(body)[:MAX_MENTIONS]
    if not names:
        return []
    return list(
        session.scalars(
            select(t.User.id)
            .where(
                t.User.firm_id == firm_id,
                t.User.is_active.is_(True),
                func.lower(t.User.username).in_(names),
                t.User.id != author_id,
            )
            .order_by(t.User.id)
        )
    )


def _author_name(user: t.User) -> str:
    return user.display_name or user.username


def contact_name_in(session: Session, conversation: t.Conversation) -> str | None:
    if conversation.client_id is None:
        return None
    client = session.get(t.Client, conversation.client_id)
    return f"{client.first_name} {client.last_name}".strip() if client else None


def _notify_mentioned_in(
    session: Session,
    conversation: t.Conversation,
    note: t.Message,
    author: t.User,
    user_ids: list[int],
) -> None:
    """Each mentioned user: the thread joins their Mentions filter, and a notification."""
    if not user_ids:
        return
    contact = contact_name_in(session, conversation)
    where = contact or conversation.phone
    for user_id in user_ids:
        state = conversations.state_in(session, conversation.id, user_id)
        state.unseen_mention_id = note.id
        conversations.publish_updated_in(session, conversation, user_id=user_id)
        wants = session.scalar(select(t.User.notifications_enabled).where(t.User.id == user_id))
        if not wants:
            continue
        events.publish(
            session,
            conversation.firm_id,
            "notification",
            {
                "conversation_id": conversation.id,
                "message_id": note.id,
                "kind": "mention",
                "phone": conversation.phone,
                "contact_name": contact,
                "title": f"{_author_name(author)} mentioned you · {where}",
                "body": note.body[: conversations.PREVIEW_CHARS],
            },
            user_id=user_id,
        )


def _clean(body: str) -> str:
    if not body.strip():
        raise Invalid("body: write the note before adding it.", field="body")
    return body


def add(session: Session, user: t.User, conversation_id: int, data: NoteIn) -> MessageOut:
    """Write a note in the thread (for the firm's eyes only) and notify whom it mentions."""
    body = _clean(data.body)
    with session.begin():
        conversation = conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        if conversation.hidden:
            raise Conflict("This is a blocked number's kept record; it cannot be changed.")
        note = write_internal_in(session, conversation, body, origin="note", author=user)
        mentioned = _mentioned_users_in(session, user.firm_id, body, user.id)
        _notify_mentioned_in(session, conversation, note, user, mentioned)
        return views.message_out(note, _author_name(user))


def write_internal_in(
    session: Session,
    conversation: t.Conversation,
    body: str,
    *,
    origin: str,
    author: t.User | None,
) -> t.Message:
    """An internal message (a note, or a system line), published to the firm's staff."""
    now = t.utcnow()
    message = t.Message(
        firm_id=conversation.firm_id,
        conversation_id=conversation.id,
        direction="internal",
        body=body,
        status="internal",
        segments=0,
        encoding="GSM-7",
        origin=origin,
        sent_by_id=author.id if author is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    session.flush()
    views.publish_message(session, message, "message.created")
    return message


def edit(session: Session, user: t.User, note_id: int, data: NotePatch) -> MessageOut:
    """The author changes their note within 15 minutes; newly mentioned colleagues are told."""
    body = _clean(data.body)
    with session.begin():
        note = session.scalar(select(t.Message).where(t.Message.id == note_id).with_for_update())
        if note is None or note.firm_id != user.firm_id or note.direction != "internal":
            raise NotFound("This note does not exist or was deleted.")
        if note.origin != "note":
            raise NoteFixed("A system line cannot be changed.")
        if note.sent_by_id != user.id:
            raise Forbidden("Only the colleague who wrote this note can change it.")
        if t.utcnow() > note.created_at + views.NOTE_EDIT_WINDOW:
            minutes = int(views.NOTE_EDIT_WINDOW.total_seconds() // 60)
            raise NoteFixed(
                f"A note can be changed for {minutes} minutes after it is written; this one is "
                "now fixed. Add a new note instead."
            )
        before = set(_mentioned_users_in(session, user.firm_id, note.body, user.id))
        note.body = body
        note.updated_at = t.utcnow()
        session.flush()
        views.publish_message(session, note)
        conversation = session.get(t.Conversation, note.conversation_id)
        now_mentioned = _mentioned_users_in(session, user.firm_id, body, user.id)
        _notify_mentioned_in(
            session, conversation, note, user, [u for u in now_mentioned if u not in before]
        )
        return views.message_out(note, _author_name(user))
