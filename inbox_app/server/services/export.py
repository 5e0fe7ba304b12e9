"""A conversation as one canonical JSON document and its SHA-256, so a printout can be verified.

Canonical: sorted keys, no spaces, UTF-8 without escapes, times in UTC to the second. Nothing
volatile (no export time), so the same thread always gives the same digest and any change to
it gives another.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

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


_EMPTY_TAIL = '"messages":[]}'
PAGE = 500  # messages read per query: the export's memory does not grow with the thread


def export(session: Session, user: t.User, conversation_id: int) -> ExportOut:
    """The whole thread as canonical JSON and its digest, in memory (small threads, tests)."""
    out = io.BytesIO()
    digest = write_document(session, user, conversation_id, out)
    return ExportOut(document=out.getvalue().decode("utf-8"), sha256=digest)


SPOOL_IN_MEMORY = 1 << 20  # a larger export goes to a temporary file, not to memory
CHUNK = 1 << 16


@dataclass
class Spooled:
    """A written export: its bytes in a (temporary) file, their SHA-256 and length."""

    file: IO[bytes]
    sha256: str
    size: int

    def document_bytes(self) -> Iterator[bytes]:
        """The canonical document's bytes (what the digest is of), then the file is closed."""
        try:
            self.file.seek(0)
            while chunk := self.file.read(CHUNK):
                yield chunk
        finally:
            self.file.close()

    def export_json(self) -> Iterator[bytes]:
        """`{"document": ..., "sha256": ...}` (ExportOut as JSON), without the whole in memory."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        yield b'{"document":"'
        for chunk in self.document_bytes():
            yield _json_string_body(decoder.decode(chunk))
        yield _json_string_body(decoder.decode(b"", final=True))
        yield f'","sha256":"{self.sha256}"}}'.encode()


def _json_string_body(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")


def spool(session: Session, user: t.User, conversation_id: int) -> Spooled:
    """Write the export once, in one transaction, so a slow download holds no transaction open."""
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (closed by the stream)
    try:
        digest = write_document(session, user, conversation_id, file)
    except BaseException:
        file.close()
        raise
    return Spooled(file=file, sha256=digest, size=file.tell())


def write_document(session: Session, user: t.User, conversation_id: int, out: BinaryIO) -> str:
    """Write the canonical document's UTF-8 bytes to `out`, PAGE messages at a time; its SHA-256.

    The bytes are exactly `canonical(document)` of the whole thread: "messages" sorts last among
    the top-level keys, so the head is written first and the messages follow one by one. One
    transaction (a snapshot on SQLite, REPEATABLE READ on PostgreSQL) so the pages agree.
    """
    digest = hashlib.sha256()

    def write(text: str) -> None:
        data = text.encode("utf-8")
        digest.update(data)
        out.write(data)

    with session.begin():
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        conversation = conversations.firm_conversation_in(session, user.firm_id, conversation_id)
        firm = session.get(t.Firm, conversation.firm_id)
        client = session.get(t.Client, conversation.client_id) if conversation.client_id else None
        matter = session.get(t.Matter, conversation.matter_id) if conversation.matter_id else None
        head = {
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
            "messages": [],
        }
        text = canonical(head)
        if not text.endswith(_EMPTY_TAIL):  # "messages" sorts last: the stream relies on it
            raise RuntimeError("the export's top-level keys no longer end with messages")
        write(text[: -len("]}")])
        conversation_id = conversation.id
        names: dict[int, str] = {}
        after = 0
        first = True
        m, media_table = t.Message, t.Media
        # Plain rows, not ORM objects: a 20,000-message export is mostly this loop.
        columns = (
            m.id, m.direction, m.from_number, m.to_number, m.sent_by_id, m.origin, m.sent_at,
            m.created_at, m.status, m.body, m.error_text,
        )  # fmt: skip
        media_columns = (
            media_table.message_id, media_table.position, media_table.content_type,
            media_table.size, media_table.sha256, media_table.status,
        )  # fmt: skip
        while True:
            rows = session.execute(
                select(*columns)
                .where(m.conversation_id == conversation_id, m.id > after)
                .order_by(m.id)
                .limit(PAGE)
            ).all()
            if not rows:
                break
            media: dict[int, list] = {}
            for item in session.execute(
                select(*media_columns)
                .where(media_table.message_id.in_([r.id for r in rows]))
                .order_by(media_table.message_id, media_table.position, media_table.id)
            ):
                media.setdefault(item.message_id, []).append(item)
            wanted = {r.sent_by_id for r in rows if r.sent_by_id} - names.keys()
            if wanted:
                for u in session.scalars(select(t.User).where(t.User.id.in_(wanted))):
                    names[u.id] = u.display_name or u.username
            for row in rows:
                record = _message(row, names, media.get(row.id, ()))
                write(("" if first else ",") + canonical(record))
                first = False
            after = rows[-1].id
            if len(rows) < PAGE:
                break
        write("]}")
    return digest.hexdigest()


# Who sent a text no user wrote.
_AUTOMATIC = {"flow": "Automated reminder", "auto": "Automatic reply (after hours)"}


def _message(message, names: dict[int, str], media=None) -> dict:
    """One message of the document, from an ORM message or a row (with its media rows)."""
    if media is None:
        media = message.media
    if message.direction == "inbound":
        sender = message.from_number
    elif message.direction == "internal" and message.origin == "system":
        sender = "System"
    elif message.sent_by_id:
        sender = names.get(message.sent_by_id, f"user {message.sent_by_id}")
    else:
        sender = _AUTOMATIC.get(message.origin, "The firm")
    record = {
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
            for m in media
        ],
    }
    if message.direction == "internal":
        # For the firm's eyes: never sent to the client. Only these records carry the key, so
        # the digest of a thread without notes is what it always was.
        record["internal"] = "system" if message.origin == "system" else "note"
    return record
