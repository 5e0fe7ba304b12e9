"""Conversations: one per (firm, number), each user's view of it, and the inbox list.

A conversation belongs to the firm; read state, bell, participation and "left" belong to each
user (`ConversationState`). Other firms' ids are answered as not found, never as forbidden, so
nothing about their existence leaks.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Literal, NamedTuple

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from inbox_app.domain import phone as phones
from inbox_app.models import tables as t
from inbox_app.models.schemas import (
    MAX_ID,
    ConversationFileIn,
    ConversationIn,
    ConversationOut,
    SeenByOut,
)
from inbox_app.server.errors import Invalid, RecipientBlocked, ThreadNotFound
from inbox_app.server.services import events

Action = Literal["read", "unread", "follow", "mute", "unmute", "leave", "archive", "unarchive"]

# Outbound statuses that mean "this text did not reach the client".
FAILED = ("failed", "undelivered")

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
        "assignee_id": getattr(conversation, "assignee_id", None),
    }


def seen_by_in(session: Session, conversation: t.Conversation) -> list[SeenByOut]:
    """The firm's active users who read the conversation since its latest inbound text, by name.

    Reading stores the conversation's inbound count at that moment (`read_inbound_count`, the
    unread badge's own record), so "has seen the latest inbound text" is that count reaching
    the conversation's.
    """
    inbound_count = session.scalar(
        select(t.Conversation.inbound_count).where(t.Conversation.id == conversation.id)
    )
    if not inbound_count:
        return []
    s, u = t.ConversationState, t.User
    name = func.coalesce(func.nullif(u.display_name, ""), u.username)
    rows = session.execute(
        select(u.id, name.label("name"))
        .join(s, s.user_id == u.id)
        .where(
            s.conversation_id == conversation.id,
            s.read_inbound_count >= inbound_count,
            u.firm_id == conversation.firm_id,
            u.is_active.is_(True),
        )
        .order_by(name, u.id)
    ).all()
    return [SeenByOut(id=row.id, name=row.name) for row in rows]


def out_in(session: Session, user: t.User, conversation_id: int) -> ConversationOut:
    """One conversation as `user` sees it (left, archived and hidden ones included)."""
    rows = outs_in(session, user, [conversation_id])
    if not rows:
        raise ThreadNotFound("This conversation does not exist or was deleted.")
    return rows[0]


def outs_in(session: Session, user: t.User, ids: list[int]) -> list[ConversationOut]:
    """The firm's conversations of `ids` as `user` sees them, in no particular order."""
    if not ids:
        return []
    return _query(session, user, only_ids=ids).conversations


# --- whole operations (own their transaction) -----------------------------------------------


def list_for(
    session: Session,
    user: t.User,
    *,
    unread: bool = False,
    archived: bool = False,
    mentions: bool = False,
    assigned_to_me: bool = False,
    q: str | None = None,
    limit: int = LIST_LIMIT,
    cursor: str | None = None,
) -> Page:
    """A page of my inbox, newest activity first; `archived` shows the archived ones instead,
    `mentions` only those where a note mentions me that I have not opened yet,
    `assigned_to_me` only those assigned to me."""
    with session.begin():
        return _query(
            session,
            user,
            unread=unread,
            archived=archived,
            mentions=mentions,
            assigned_to_me=assigned_to_me,
            q=q,
            limit=limit,
            cursor=cursor,
            count=True,
        )


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
        from inbox_app.server.services import blocks

        if blocks.is_blocked(session, user.firm_id, phone):
            raise RecipientBlocked(
                blocks.BLOCKED_COMPOSE.format(phone=phones.format_display(phone))
            )
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
                # Read from the row, not the session's copy: an inbound text may just have
                # counted itself.
                inbound_count = session.scalar(
                    select(t.Conversation.inbound_count).where(t.Conversation.id == conversation.id)
                )
                newly_seen = inbound_count > 0 and (state.read_inbound_count or 0) < inbound_count
                state.read_inbound_count = inbound_count
                state.marked_unread = False
                # Opening the thread is seeing the note that mentioned me.
                state.unseen_mention_id = None
                if newly_seen:
                    session.flush()
                    # Everyone with the thread open updates its "Seen by" line.
                    seen = [row.model_dump() for row in seen_by_in(session, conversation)]
                    events.publish(
                        session,
                        conversation.firm_id,
                        "conversation.seen",
                        {"conversation_id": conversation.id, "seen_by": seen},
                    )
            elif action == "unread":
                state.marked_unread = True
            elif action == "mute":
                state.muted = True
            elif action in ("follow", "unmute"):
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


class Page(NamedTuple):
    """One page of the inbox: its rows, the cursor of the next page (None at the end), and how
    many conversations the whole list holds."""

    conversations: list[ConversationOut]
    next_cursor: str | None
    total: int


def _encode_cursor(as_of: datetime, as_of_id: int, activity: datetime, conversation_id: int) -> str:
    raw = json.dumps(
        [as_of.isoformat(), as_of_id, activity.isoformat(), conversation_id], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int, datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        as_of, as_of_id, activity, conversation_id = json.loads(raw)
        parsed = (
            datetime.fromisoformat(as_of),
            int(as_of_id),
            datetime.fromisoformat(activity),
            int(conversation_id),
        )
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Invalid(
            "The cursor is not one this server gave; start again from the first page."
        ) from None
    if parsed[0].tzinfo is None or parsed[2].tzinfo is None or not 0 <= parsed[1] <= MAX_ID:
        raise Invalid("The cursor is not one this server gave; start again from the first page.")
    if not 0 <= parsed[3] <= MAX_ID:
        raise Invalid("The cursor is not one this server gave; start again from the first page.")
    return parsed


def _paging_key(as_of: datetime, as_of_id: int):
    """A conversation's activity as it was when paging began.

    A text arriving while someone pages moves its conversation to the top; ordering every page
    by the activity as of the first page (the newest manual or inbound message up to the first
    page's last message id) keeps each conversation on exactly one page. The client hears of the
    new text from the stream.
    """
    c = t.Conversation
    activity = func.coalesce(c.last_message_at, c.created_at)
    before = (
        select(t.Message.created_at)
        .where(
            t.Message.conversation_id == c.id,
            t.Message.id <= as_of_id,
            t.Message.origin == "manual",
        )
        .order_by(t.Message.id.desc())
        .limit(1)
        .correlate(c)
        .scalar_subquery()
    )
    return case((activity <= as_of, activity), else_=func.coalesce(before, c.created_at))


def _query(
    session: Session,
    user: t.User,
    *,
    only_ids: list[int] | None = None,
    unread: bool = False,
    archived: bool = False,
    mentions: bool = False,
    assigned_to_me: bool = False,
    q: str | None = None,
    limit: int = LIST_LIMIT,
    cursor: str | None = None,
    count: bool = False,
) -> Page:
    c = t.Conversation
    state = aliased(t.ConversationState)
    read_count = func.coalesce(state.read_inbound_count, 0)
    is_blocked = exists().where(
        t.BlockedNumber.firm_id == c.firm_id, t.BlockedNumber.phone == c.phone
    )
    # The status of the latest outbound text (ids only grow; (conversation_id, id) is indexed).
    last_outbound_status = (
        select(t.Message.status)
        .where(t.Message.conversation_id == c.id, t.Message.direction == "outbound")
        .order_by(t.Message.id.desc())
        .limit(1)
        .correlate(c)
        .scalar_subquery()
    )
    contact_name = func.trim(t.Client.first_name + " " + t.Client.last_name)
    base = (
        select(c)
        .outerjoin(state, and_(state.conversation_id == c.id, state.user_id == user.id))
        .outerjoin(t.Client, t.Client.id == c.client_id)
        .where(c.firm_id == user.firm_id)
    )
    joined = base
    paging = None
    if only_ids is not None:
        joined = joined.where(c.id.in_(only_ids))
    else:
        joined = joined.where(
            c.hidden.is_(False),
            c.archived.is_(archived),
            func.coalesce(state.left, False).is_(False),
        )
        if unread:
            joined = joined.where(
                or_(c.inbound_count > read_count, func.coalesce(state.marked_unread, False))
            )
        if mentions:
            joined = joined.where(state.unseen_mention_id.is_not(None))
        if assigned_to_me:
            joined = joined.where(c.assignee_id == user.id)
        if q and q.strip():
            from inbox_app.server.services import search

            joined = joined.where(search.conversation_matches(session, user.firm_id, q))
        if cursor:
            as_of, as_of_id, after_activity, after_id = _decode_cursor(cursor)
        else:
            as_of = t.utcnow()
            as_of_id = session.scalar(select(func.max(t.Message.id))) or 0
            after_activity = after_id = None
        paging = (as_of, as_of_id)
        key = _paging_key(as_of, as_of_id)
        # A conversation started after paging began is not in these pages (the stream has it).
        joined = joined.where(c.created_at <= as_of)
        if after_id is not None:
            joined = joined.where(
                or_(key < after_activity, and_(key == after_activity, c.id < after_id))
            )
    total = 0
    if count and paging is None:
        total = (
            session.scalar(
                select(func.count()).select_from(joined.with_only_columns(c.id).subquery())
            )
            or 0
        )
    # A page's rows are read by their ids alone (below): the filters, a search's above all,
    # are evaluated once, in the paging query.
    stmt = (base if paging is not None else joined).add_columns(
        contact_name.label("contact_name"),
        select(t.Matter.name).where(t.Matter.id == c.matter_id).scalar_subquery().label("matter"),
        read_count.label("read_count"),
        func.coalesce(state.marked_unread, False).label("marked_unread"),
        func.coalesce(state.muted, False).label("muted"),
        func.coalesce(state.is_participant, False).label("is_participant"),
        func.coalesce(state.left, False).label("is_left"),
        is_blocked.label("is_blocked"),
        last_outbound_status.label("last_outbound_status"),
        state.unseen_mention_id.label("unseen_mention_id"),
        select(func.coalesce(func.nullif(t.User.display_name, ""), t.User.username))
        .where(t.User.id == c.assignee_id)
        .scalar_subquery()
        .label("assignee_name"),
    )
    size = max(1, min(limit, LIST_LIMIT))
    next_cursor = None
    if paging is not None:
        # The page's ids first, by the paging key alone; the columns above are then read for
        # those rows only, not for every conversation of the firm before sorting.
        columns = [c.id, key.label("paging_key")]
        if count:
            # The count of every match (the cursor's condition included), in the same pass.
            columns.append(func.count().over().label("total"))
        page = session.execute(
            joined.with_only_columns(*columns).order_by(key.desc(), c.id.desc()).limit(size + 1)
        ).all()
        if count:
            total = page[0].total if page else 0
        if len(page) > size:
            page = page[:size]
            next_cursor = _encode_cursor(paging[0], paging[1], page[-1].paging_key, page[-1].id)
        order = {row.id: n for n, row in enumerate(page)}
        stmt = stmt.where(c.id.in_(list(order)))
    out = []
    firm_zone = session.scalar(select(t.Firm.time_zone).where(t.Firm.id == user.firm_id))
    firm_zone = firm_zone or "America/New_York"
    rows = session.execute(stmt).all()
    if paging is not None:
        rows.sort(key=lambda row: order[row[0].id])
    for row in rows:
        conversation: t.Conversation = row[0]
        unread_count = max(0, conversation.inbound_count - int(row.read_count or 0))
        if row.marked_unread and unread_count == 0:
            unread_count = 1
        out.append(
            ConversationOut(
                id=conversation.id,
                phone=conversation.phone,
                contact_name=row.contact_name or None,
                client_id=conversation.client_id,
                matter_id=conversation.matter_id,
                matter=row.matter,
                last_message=conversation.last_message_preview,
                last_message_at=conversation.last_message_at,
                unread_count=unread_count,
                muted=bool(row.muted),
                archived=conversation.archived,
                opted_out=conversation.opted_out,
                blocked=bool(row.is_blocked) or conversation.hidden,
                has_outbound=conversation.has_outbound,
                left=bool(row.is_left),
                bell=bell_of(user, conversation, bool(row.muted), bool(row.is_participant)),
                has_failed=row.last_outbound_status in FAILED,
                time_zone=phones.time_zone(conversation.phone, firm_zone),
                mentioned=row.unseen_mention_id is not None,
                assignee_id=conversation.assignee_id,
                assignee=row.assignee_name,
            )
        )
    return Page(out, next_cursor, total)


def bell_of(
    user: t.User, conversation: t.Conversation, muted: bool, is_participant: bool
) -> Literal["following", "muted", "not_following"]:
    """Whether an inbound text in the conversation notifies `user` (DESIGN.md: participants
    with the bell on; for a number the firm never texted, every user allowed to text)."""
    if muted:
        return "muted"
    if is_participant or (not conversation.has_outbound and user.can_text):
        return "following"
    return "not_following"


def bring_back_in(session: Session, conversation: t.Conversation) -> None:
    """A new inbound text: out of the archive and back in the inbox of everyone who left."""
    conversation.archived = False
    session.execute(
        update(t.ConversationState)
        .where(t.ConversationState.conversation_id == conversation.id, t.ConversationState.left)
        .values(left=False)
    )
