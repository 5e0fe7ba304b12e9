"""Conversations: one per (firm, number), each user's view of it, and the inbox list.

A conversation belongs to the firm; read state, bell, participation and "left" belong to each
user (`ConversationState`). Other firms' ids are answered as not found, never as forbidden, so
nothing about their existence leaks.
"""

from __future__ import annotations

import re
from typing import Literal

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from inbox_app.domain import phone as phones
from inbox_app.models import tables as t
from inbox_app.models.schemas import ConversationFileIn, ConversationIn, ConversationOut
from inbox_app.server.errors import Invalid, ThreadNotFound
from inbox_app.server.services import events

Action = Literal["read", "unread", "mute", "unmute", "leave", "archive", "unarchive"]

PREVIEW_CHARS = 200
LIST_LIMIT = 500


# --- inside a caller's transaction ----------------------------------------------------------


def firm_conversation_in(session: Session, firm_id: int, conversation_id: int) -> t.Conversation:
    """The firm's conversation, or ThreadNotFound (also for another firm's id)."""
    conversation = session.get(t.Conversation, conversation_id)
    if conversation is None or conversation.firm_id != firm_id:
        raise ThreadNotFound("This conversation does not exist or was deleted.")
    return conversation


def get_or_create_in(
    session: Session,
    firm_id: int,
    phone: str,
    *,
    client_id: int | None = None,
    matter_id: int | None = None,
) -> tuple[t.Conversation, bool]:
    """The number's conversation, created (and linked to its contact) when there is none yet."""
    conversation = _by_phone(session, firm_id, phone)
    if conversation is not None:
        return conversation, False
    try:
        # Two inbound texts or two composers can race for the same number; the unique
        # (firm_id, phone) picks one winner and the other reads it.
        with session.begin_nested():
            conversation = t.Conversation(
                firm_id=firm_id, phone=phone, client_id=client_id, matter_id=matter_id
            )
            session.add(conversation)
            session.flush()
    except IntegrityError:
        conversation = _by_phone(session, firm_id, phone)
        if conversation is None:
            raise
        return conversation, False
    if client_id is None:
        link_contact_in(session, conversation)
    from inbox_app.server.services import consent

    conversation.opted_out = consent.is_opted_out(session, firm_id, phone)
    return conversation, True


def link_contact_in(session: Session, conversation: t.Conversation) -> None:
    """File an unfiled conversation under the client (and latest matter) having its number."""
    if conversation.client_id is not None:
        return
    client_id = session.scalar(
        select(t.Contact.client_id)
        .where(
            t.Contact.firm_id == conversation.firm_id,
            t.Contact.phone == conversation.phone,
            t.Contact.client_id.is_not(None),
            t.Contact.trashed_at.is_(None),
        )
        .order_by(t.Contact.archived, t.Contact.id)
        .limit(1)
    )
    if client_id is None:
        return
    conversation.client_id = client_id
    if conversation.matter_id is None:
        conversation.matter_id = session.scalar(
            select(t.Matter.id)
            .where(t.Matter.client_id == client_id)
            .order_by(t.Matter.created_at.desc(), t.Matter.id.desc())
            .limit(1)
        )


def state_in(session: Session, conversation_id: int, user_id: int) -> t.ConversationState:
    """The user's view of the conversation, created on first use."""
    state = session.get(t.ConversationState, (conversation_id, user_id))
    if state is not None:
        return state
    try:
        with session.begin_nested():
            state = t.ConversationState(conversation_id=conversation_id, user_id=user_id)
            session.add(state)
            session.flush()
    except IntegrityError:
        state = session.get(t.ConversationState, (conversation_id, user_id))
        if state is None:
            raise
    return state


def join_in(session: Session, conversation: t.Conversation, user_id: int) -> None:
    """The user takes part: bell on, back in their inbox (composing or replying does this)."""
    state = state_in(session, conversation.id, user_id)
    state.is_participant = True
    state.muted = False
    state.left = False


def touch_in(session: Session, conversation: t.Conversation, message: t.Message) -> None:
    """Record a new message as the conversation's latest activity."""
    conversation.last_message_at = message.created_at or t.utcnow()
    preview = message.body.strip()
    if not preview and message.media:
        preview = "[image]"
    conversation.last_message_preview = preview[:PREVIEW_CHARS]


def publish_updated_in(
    session: Session, conversation: t.Conversation, user_id: int | None = None
) -> None:
    """Announce a change of the conversation (to one user when only their view changed)."""
    session.flush()
    payload = updated_payload(conversation)
    events.publish(session, conversation.firm_id, "conversation.updated", payload, user_id=user_id)


def updated_payload(conversation) -> dict:
    """The `conversation.updated` payload of a conversation row (or anything with its fields)."""
    return {
        "id": conversation.id,
        "phone": conversation.phone,
        "last_message": conversation.last_message_preview,
        "last_message_at": conversation.last_message_at.isoformat()
        if conversation.last_message_at
        else None,
        "archived": conversation.archived,
        "opted_out": conversation.opted_out,
        "hidden": conversation.hidden,
        "client_id": conversation.client_id,
        "matter_id": conversation.matter_id,
    }


def out_in(session: Session, user: t.User, conversation_id: int) -> ConversationOut:
    """One conversation as `user` sees it (left, archived and hidden ones included)."""
    rows = _query(session, user, only_id=conversation_id)
    if not rows:
        raise ThreadNotFound("This conversation does not exist or was deleted.")
    return rows[0]


# --- whole operations (own their transaction) -----------------------------------------------


def list_for(
    session: Session,
    user: t.User,
    *,
    unread: bool = False,
    archived: bool = False,
    q: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[ConversationOut]:
    """My inbox, newest activity first; `archived` shows the archived ones instead."""
    with session.begin():
        return _query(session, user, unread=unread, archived=archived, q=q, limit=limit)


def get(session: Session, user: t.User, conversation_id: int) -> ConversationOut:
    with session.begin():
        return out_in(session, user, conversation_id)


def compose(session: Session, user: t.User, data: ConversationIn) -> tuple[ConversationOut, bool]:
    """Open the number's conversation (created when new; True) and take part in it."""
    try:
        phone = phones.normalize(data.phone)
    except phones.InvalidPhoneNumber as exc:
        raise Invalid(f"{data.phone!r} is not a valid mobile number: {exc.reason}.") from None
    if not phones.is_mobile_capable(phone):
        raise Invalid(
            f"{phones.format_display(phone)} cannot receive texts (it looks like a landline,"
            " toll-free or premium number)."
        )
    with session.begin():
        client_id, matter_id = _check_filing_in(
            session, user.firm_id, data.client_id, data.matter_id
        )
        conversation, created = get_or_create_in(
            session, user.firm_id, phone, client_id=client_id, matter_id=matter_id
        )
        if not created and client_id is not None and conversation.client_id is None:
            conversation.client_id, conversation.matter_id = client_id, matter_id
        join_in(session, conversation, user.id)
        publish_updated_in(session, conversation)
        out = out_in(session, user, conversation.id)
    return out, created


def apply_action(
    session: Session, user: t.User, conversation_id: int, action: Action
) -> ConversationOut:
    """Read, unread, bell, leave, archive and unarchive, with DESIGN.md's meaning."""
    with session.begin():
        conversation = firm_conversation_in(session, user.firm_id, conversation_id)
        if action in ("archive", "unarchive"):
            conversation.archived = action == "archive"
            publish_updated_in(session, conversation)
        else:
            state = state_in(session, conversation.id, user.id)
            if action == "read":
                state.last_read_message_id = _last_message_id(session, conversation.id)
                state.marked_unread = False
            elif action == "unread":
                state.marked_unread = True
            elif action == "mute":
                state.muted = True
            elif action == "unmute":
                # Turning the bell on asks for notifications, as taking part does.
                state.muted = False
                state.is_participant = True
            elif action == "leave":
                state.left = True
            publish_updated_in(session, conversation, user_id=user.id)
        return out_in(session, user, conversation.id)


def file(
    session: Session, user: t.User, conversation_id: int, data: ConversationFileIn
) -> ConversationOut:
    """File the conversation under a client and matter of the firm (nulls clear)."""
    with session.begin():
        conversation = firm_conversation_in(session, user.firm_id, conversation_id)
        client_id, matter_id = _check_filing_in(
            session, user.firm_id, data.client_id, data.matter_id
        )
        conversation.client_id, conversation.matter_id = client_id, matter_id
        publish_updated_in(session, conversation)
        return out_in(session, user, conversation.id)


# --- helpers ----------------------------------------------------------------------------------


def _by_phone(session: Session, firm_id: int, phone: str) -> t.Conversation | None:
    return session.scalar(
        select(t.Conversation).where(
            t.Conversation.firm_id == firm_id, t.Conversation.phone == phone
        )
    )


def _last_message_id(session: Session, conversation_id: int) -> int:
    return (
        session.scalar(
            select(func.max(t.Message.id)).where(t.Message.conversation_id == conversation_id)
        )
        or 0
    )


def _check_filing_in(
    session: Session, firm_id: int, client_id: int | None, matter_id: int | None
) -> tuple[int | None, int | None]:
    """Validate a client/matter pair of the firm; a matter alone implies its client."""
    matter = None
    if matter_id is not None:
        matter = session.get(t.Matter, matter_id)
        if matter is None or matter.firm_id != firm_id:
            raise Invalid(f"There is no matter with id {matter_id}.")
        if client_id is None:
            client_id = matter.client_id
        elif matter.client_id != client_id:
            raise Invalid("That matter belongs to another client; pick one of this client's.")
    if client_id is not None:
        client = session.get(t.Client, client_id)
        if client is None or client.firm_id != firm_id:
            raise Invalid(f"There is no client with id {client_id}.")
    return client_id, matter_id


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _query(
    session: Session,
    user: t.User,
    *,
    only_id: int | None = None,
    unread: bool = False,
    archived: bool = False,
    q: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[ConversationOut]:
    c = t.Conversation
    state = aliased(t.ConversationState)
    last_read = func.coalesce(state.last_read_message_id, 0)
    unread_count = (
        select(func.count(t.Message.id))
        .where(
            t.Message.conversation_id == c.id,
            t.Message.direction == "inbound",
            t.Message.id > last_read,
        )
        .correlate(c, state)
        .scalar_subquery()
    )
    is_blocked = exists().where(
        t.BlockedNumber.firm_id == c.firm_id, t.BlockedNumber.phone == c.phone
    )
    contact_name = func.trim(t.Client.first_name + " " + t.Client.last_name)
    stmt = (
        select(
            c,
            contact_name.label("contact_name"),
            t.Matter.name.label("matter_name"),
            unread_count.label("unread_count"),
            func.coalesce(state.marked_unread, False).label("marked_unread"),
            func.coalesce(state.muted, False).label("muted"),
            is_blocked.label("is_blocked"),
        )
        .outerjoin(state, and_(state.conversation_id == c.id, state.user_id == user.id))
        .outerjoin(t.Client, t.Client.id == c.client_id)
        .outerjoin(t.Matter, t.Matter.id == c.matter_id)
        .where(c.firm_id == user.firm_id)
    )
    if only_id is not None:
        stmt = stmt.where(c.id == only_id)
    else:
        stmt = stmt.where(
            c.hidden.is_(False),
            c.archived.is_(archived),
            func.coalesce(state.left, False).is_(False),
        )
        if unread:
            stmt = stmt.where(or_(unread_count > 0, state.marked_unread.is_(True)))
        if q and q.strip():
            needle = q.strip()
            pattern = _like(needle.lower())
            matches = [
                func.lower(contact_name).like(pattern, escape="\\"),
                func.lower(c.phone).like(pattern, escape="\\"),
                exists().where(
                    t.Message.conversation_id == c.id,
                    func.lower(t.Message.body).like(pattern, escape="\\"),
                ),
            ]
            digits = re.sub(r"\D", "", needle)
            if len(digits) >= 3:
                matches.append(c.phone.like(_like(digits), escape="\\"))
            stmt = stmt.where(or_(*matches))
        activity = func.coalesce(c.last_message_at, c.created_at)
        stmt = stmt.order_by(activity.desc(), c.id.desc()).limit(max(1, min(limit, LIST_LIMIT)))
    out = []
    for row in session.execute(stmt):
        conversation: t.Conversation = row[0]
        count = int(row.unread_count or 0)
        if row.marked_unread and count == 0:
            count = 1
        out.append(
            ConversationOut(
                id=conversation.id,
                phone=conversation.phone,
                contact_name=row.contact_name or None,
                client_id=conversation.client_id,
                matter_id=conversation.matter_id,
                matter=row.matter_name,
                last_message=conversation.last_message_preview,
                last_message_at=conversation.last_message_at,
                unread_count=count,
                muted=bool(row.muted),
                archived=conversation.archived,
                opted_out=conversation.opted_out,
                blocked=bool(row.is_blocked) or conversation.hidden,
                has_outbound=conversation.has_outbound,
            )
        )
    return out


def bring_back_in(session: Session, conversation: t.Conversation) -> None:
    """A new inbound text: out of the archive and back in the inbox of everyone who left."""
    conversation.archived = False
    session.execute(
        update(t.ConversationState)
        .where(t.ConversationState.conversation_id == conversation.id, t.ConversationState.left)
        .values(left=False)
    )
