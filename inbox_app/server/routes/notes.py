"""Internal notes in a thread (the firm's staff only, never sent), and the firm's colleagues a
note can @mention."""

from __future__ import annotations

from fastapi import APIRouter

from inbox_app.models.schemas import ColleagueOut, MessageOut, NoteIn, NotePatch
from inbox_app.server.deps import CurrentUser, Id, SessionDep
from inbox_app.server.services import notes, users

router = APIRouter(tags=["notes"])


@router.post("/conversations/{conversation_id}/notes", status_code=201)
def add_note(
    conversation_id: Id, body: NoteIn, user: CurrentUser, session: SessionDep
) -> MessageOut:
    return notes.add(session, user, conversation_id, body)


@router.patch("/notes/{note_id}")
def edit_note(note_id: Id, body: NotePatch, user: CurrentUser, session: SessionDep) -> MessageOut:
    return notes.edit(session, user, note_id, body)


@router.get("/colleagues")
def list_colleagues(user: CurrentUser, session: SessionDep) -> list[ColleagueOut]:
    return users.colleagues(session, user)
