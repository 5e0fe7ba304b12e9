"""Search: message text through an index, and names, numbers, matters and case numbers.

Message text is matched as a substring (case-insensitive), as `LIKE '%…%'` did, but through an
index: SQLite's FTS5 table `messages_fts` (trigram tokenizer) and PostgreSQL's trigram GIN index
(`pg_trgm`), both made by migration 0014. A trigram index needs three characters: shorter text
searches names, numbers and matters only (within one conversation it still scans that thread).
A text found in more than `HIT_SCAN` messages lists the conversations of its newest `HIT_SCAN`
hits, so one search costs a bounded amount whatever the history holds.

The index leaves out pending flow reminders (`origin = 'flow'`, `status = 'scheduled'`: derived
data the resync makes and remakes from templates; migration 0026): the firm-wide search finds a
reminder once it is sent, canceled or held, and a one-off message a person scheduled at once.
Within one conversation the thread is scanned, so there it finds pending reminders too.
"""

from __future__ import annotations

import contextlib
import re

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from inbox_app.domain import phone as phones
from inbox_app.models import tables as t
from inbox_app.models.schemas import MessageHitOut, SearchConversationOut, SearchOut
from inbox_app.server.errors import Invalid

MIN_TEXT_CHARS = 3
HIT_SCAN = 10_000
COUNT_SCAN = 1_000  # up to this many matching conversations are counted from the page's pass
LIMIT_DEFAULT = 50
LIMIT_MAX = 100
THREAD_LIMIT_MAX = 500
SNIPPET_BEFORE = 40
SNIPPET_CHARS = 160
# Separators people type in case numbers ("2024-CV-01234", "2024 cv 1234/B").
_CASE_SEPARATORS = " -./:_#"


def search(
    session: Session,
    user: t.User,
    q: str,
    *,
    conversation_id: int | None = None,
    limit: int = LIMIT_DEFAULT,
    before: int | None = None,
) -> SearchOut:
    """Conversations and messages matching `q`, newest first; one conversation's when given."""
    needle = _needle(q)
    from inbox_app.server.services import conversations

    with session.begin():
        if conversation_id is not None:
            conversations.firm_conversation_in(session, user.firm_id, conversation_id)
            limit = max(1, min(limit, THREAD_LIMIT_MAX))
            hits = _thread_hits_in(session, conversation_id, needle, limit + 1, before)
            outs = conversations.outs_in(session, user, [conversation_id])
            found = (
                [SearchConversationOut(**outs[0].model_dump(), matched=["message"])] if hits else []
            )
            return SearchOut(
                q=needle,
                conversations=found,
                conversations_total=len(found),
                messages=[_hit(row, needle) for row in hits[:limit]],
                has_more_messages=len(hits) > limit,
            )
        limit = max(1, min(limit, LIMIT_MAX))
        c = t.Conversation
        fields = field_matches(session, user.firm_id, needle)
        flags = [cond.label(name) for name, cond in fields.items()]
        base = (
            select(c.id, *flags)
            .outerjoin(t.Client, t.Client.id == c.client_id)
            .where(c.firm_id == user.firm_id, c.hidden.is_(False), or_(*fields.values()))
        )
        activity = func.coalesce(c.last_message_at, c.created_at)
        # One pass over the firm's conversations gives the page and, unless the matches are
        # many, their count (a second pass cost as much as the first).
        rows = session.execute(
            base.order_by(activity.desc(), c.id.desc()).limit(COUNT_SCAN + 1)
        ).all()
        if len(rows) > COUNT_SCAN:
            total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        else:
            total = len(rows)
        rows = rows[:limit]
        outs = {o.id: o for o in conversations.outs_in(session, user, [r.id for r in rows])}
        found = [
            SearchConversationOut(
                **outs[r.id].model_dump(), matched=[name for name in fields if getattr(r, name)]
            )
            for r in rows
            if r.id in outs
        ]
        hits = _firm_hits_in(session, user.firm_id, needle, limit + 1, before)
        return SearchOut(
            q=needle,
            conversations=found,
            conversations_total=total,
            messages=[_hit(row, needle) for row in hits[:limit]],
            has_more_messages=len(hits) > limit,
        )


def conversation_matches(session: Session, firm_id: int, needle: str) -> ColumnElement[bool]:
    """The condition "this conversation matches `needle`" (for the inbox's `q=`); joins Client."""
    return or_(*field_matches(session, firm_id, needle.strip()).values())


def field_matches(session: Session, firm_id: int, needle: str) -> dict[str, ColumnElement[bool]]:
    """One condition per searched field of a conversation; the query must outer-join Client."""
    c = t.Conversation
    pattern = _like(needle.lower())
    contact_name = func.lower(func.trim(t.Client.first_name + " " + t.Client.last_name))
    phone_matches = [c.phone.like(_like(needle), escape="\\")]
    digits = re.sub(r"\D", "", needle)
    if len(digits) >= 3:
        phone_matches.append(c.phone.like(_like(digits), escape="\\"))
    with contextlib.suppress(phones.InvalidPhoneNumber):
        phone_matches.append(c.phone == phones.normalize(needle))
    m = t.Matter

    def of_this(*where) -> ColumnElement[bool]:
        """The conversation's own matter, or any matter of its client, matches `where`.

        Not correlated with the conversation: the firm's matters are read once, not once per
        conversation (that was most of a search's cost at 5,000 conversations)."""
        matching = select(m.id).where(m.firm_id == firm_id, *where)
        by_client = select(m.client_id).where(
            m.firm_id == firm_id, m.client_id.is_not(None), *where
        )
        return or_(c.matter_id.in_(matching), c.client_id.in_(by_client))

    compact = "".join(ch for ch in needle.lower() if ch not in _CASE_SEPARATORS)
    case_matches = [func.lower(m.case_number).like(pattern, escape="\\")]
    if len(compact) >= 3:
        stripped = func.lower(m.case_number)
        for ch in _CASE_SEPARATORS:
            stripped = func.replace(stripped, ch, "")
        case_matches.append(stripped.like(_like(compact), escape="\\"))
    fields: dict[str, ColumnElement[bool]] = {
        "name": contact_name.like(pattern, escape="\\"),
        "phone": or_(*phone_matches),
        "matter": of_this(func.lower(m.name).like(pattern, escape="\\")),
        "case_number": of_this(m.case_number.is_not(None), or_(*case_matches)),
    }
    if len(needle) >= MIN_TEXT_CHARS:
        # Not correlated with the conversation: the database runs it once, not once a row.
        fields["message"] = c.id.in_(
            select(t.Message.conversation_id).where(
                t.Message.id.in_(_hit_ids(session, needle, HIT_SCAN)),
                _of_firm(firm_id),
            )
        )
    else:
        fields["message"] = false()
    return fields


# --- helpers ----------------------------------------------------------------------------------


def _needle(q: str) -> str:
    needle = " ".join((q or "").split())
    if not needle:
        raise Invalid("Type a word, a name, a number or a case number to search for.")
    if len(needle) > 200:
        raise Invalid("A search can be at most 200 characters long.")
    return needle


def _of_firm(firm_id: int) -> ColumnElement[bool]:
    """`messages.firm_id = firm_id`, checked on the index's hits, never through an index.

    Written `firm_id + 0`: without statistics SQLite takes an index on `firm_id` for selective
    and walks every message of the firm (a million, 0.4 s) testing each against the hit list,
    instead of looking up the few hits by id.
    """
    return t.Message.firm_id + literal(0) == firm_id


def indexed() -> ColumnElement[bool]:
    """The messages the text index holds: all but pending flow reminders (migration 0026).

    PostgreSQL's partial trigram index has this predicate; the search repeats it, with the
    values written in the SQL (not bound) so that every plan can prove it and use the index.
    """
    m = t.Message
    return not_(
        and_(m.origin == literal_column("'flow'"), m.status == literal_column("'scheduled'"))
    )


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _hit_ids(session: Session, needle: str, limit: int, before: int | None = None):
    """A subquery of the newest `limit` message ids whose body contains `needle` (any firm)."""
    if session.get_bind().dialect.name == "sqlite":
        fts = text(
            "SELECT rowid AS id FROM messages_fts WHERE messages_fts MATCH :fts"
            + (" AND rowid < :before" if before is not None else "")
            + " ORDER BY rowid DESC LIMIT :scan"
        ).bindparams(fts='"' + needle.replace('"', '""') + '"', scan=limit)
        if before is not None:
            fts = fts.bindparams(before=before)
        hits = fts.columns(id=Integer).subquery()
        return select(hits.c.id)
    m = t.Message
    stmt = select(m.id).where(m.body.ilike(_like(needle), escape="\\"), indexed())
    if before is not None:
        stmt = stmt.where(m.id < before)
    # `id + 0`: sorting the trigram index's matches; an id index scan would read every row when
    # the text is rare or absent.
    return stmt.order_by((m.id + literal(0)).desc()).limit(limit)


_HIT_COLUMNS = (
    t.Message.id,
    t.Message.conversation_id,
    t.Message.direction,
    t.Message.created_at,
    t.Message.body,
)


def _firm_hits_in(session: Session, firm_id: int, needle: str, limit: int, before: int | None):
    if len(needle) < MIN_TEXT_CHARS:
        return []
    m, c = t.Message, t.Conversation
    stmt = (
        select(*_HIT_COLUMNS)
        .join(c, c.id == m.conversation_id)
        .where(m.id.in_(_hit_ids(session, needle, HIT_SCAN, before)))
        .where(_of_firm(firm_id), c.hidden.is_(False))
        .order_by(m.id.desc())
        .limit(limit)
    )
    return session.execute(stmt).all()


def _thread_hits_in(
    session: Session, conversation_id: int, needle: str, limit: int, before: int | None
):
    """One thread's matches: a scan of that thread (any length of text), newest first."""
    m = t.Message
    pattern = _like(needle.lower())
    if session.get_bind().dialect.name == "sqlite":
        matches = func.lower(m.body).like(pattern, escape="\\")
    else:
        matches = m.body.ilike(pattern, escape="\\")
    stmt = select(*_HIT_COLUMNS).where(m.conversation_id == conversation_id, matches)
    if before is not None:
        stmt = stmt.where(m.id < before)
    return session.execute(stmt.order_by(m.id.desc()).limit(limit)).all()


def _hit(row, needle: str) -> MessageHitOut:
    snippet, marks = snippet_of(row.body or "", needle)
    return MessageHitOut(
        id=row.id,
        conversation_id=row.conversation_id,
        direction=row.direction,
        created_at=row.created_at,
        snippet=snippet,
        marks=marks,
    )


def snippet_of(body: str, needle: str) -> tuple[str, list[tuple[int, int]]]:
    """A window of `body` around the first match, and where each match lies in it."""
    flat = " ".join(body.split())
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    first = pattern.search(flat)
    start = 0
    if first is not None and first.start() > SNIPPET_BEFORE:
        start = flat.rfind(" ", 0, first.start() - SNIPPET_BEFORE) + 1 or (
            first.start() - SNIPPET_BEFORE
        )
    end = min(len(flat), start + SNIPPET_CHARS)
    if first is not None and first.end() > end:
        end = first.end()
    window = flat[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    marks = [
        (len(prefix) + hit.start(), len(prefix) + hit.end()) for hit in pattern.finditer(window)
    ]
    return prefix + window + suffix, marks
