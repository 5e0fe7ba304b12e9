"""What a printout shows, fetched page by page and kept on disk, with the export's digest.

The messages go to a temporary file (one JSON line each) as the pages arrive; only their
offsets, in print order, stay in memory. The digest is computed here from the bytes of
GET …/export.json as they stream in, and the same stream is read message by message to check
that the export describes exactly the messages fetched (a text arriving between the two would
make the printed digest describe another thread).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from inbox_app.domain.phone import format_display
from inbox_app.models.schemas import MessageOut
from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S

log = logging.getLogger(__name__)

PAGE_LIMIT = 200  # the messages API's largest page
ATTEMPTS = 3
RECENT = 128  # more than a page holds: painting a page reads its messages more than once
_MASK = (1 << 128) - 1


class PrintCanceled(Exception):
    """The person canceled the printout; nothing is left behind."""


def _when(message: MessageOut) -> datetime:
    return message.sent_at or message.created_at


def _fingerprint_of(message_id: int, status: str, body: str) -> int:
    data = f"{message_id}\x00{status}\x00{body}".encode()
    return int.from_bytes(hashlib.sha256(data).digest()[:16], "big")


@dataclass
class Fingerprint:
    """An order-free summary of (id, status, body) of a set of messages, built one by one."""

    count: int = 0
    total: int = 0

    def add(self, message_id: int, status: str, body: str) -> None:
        self.count += 1
        self.total = (self.total + _fingerprint_of(message_id, status, body)) & _MASK


class ExportReader:
    """Reads the canonical export as it streams: its digest, its head, and each message."""

    _MARK = '"messages":['

    def __init__(self, on_message: Callable[[dict], None]) -> None:
        self._on_message = on_message
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._json = json.JSONDecoder()
        self._digest = hashlib.sha256()
        self._buffer = ""
        self._in_messages = False
        self.done = False
        self.head: dict = {}

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def feed(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self._buffer += self._decoder.decode(chunk)
        self._parse()

    def close(self) -> None:
        self._buffer += self._decoder.decode(b"", final=True)
        self._parse()
        if not self.done:
            raise ValueError("the export ended early")

    def _parse(self) -> None:
        if not self._in_messages:
            # Quotes inside strings are escaped, so the first unescaped key is the real one.
            at = self._buffer.find(self._MARK)
            if at < 0:
                return
            head = self._buffer[: at + len(self._MARK)] + "]}"
            self.head = json.loads(head)
            self._buffer = self._buffer[at + len(self._MARK) :]
            self._in_messages = True
        buffer, position = self._buffer, 0
        while not self.done:
            while position < len(buffer) and buffer[position] in ", ":
                position += 1
            if position >= len(buffer):
                break
            if buffer.startswith("]}", position):
                self.done = True
                position += 2
                break
            try:
                message, end = self._json.raw_decode(buffer, position)
            except json.JSONDecodeError:
                break  # an object cut by the chunk boundary: wait for more bytes
            self._on_message(message)
            position = end
        self._buffer = buffer[position:]


@dataclass
class ThreadSource:
    """The conversation to print: header facts, the export digest, the messages on disk."""

    conversation_id: int
    firm: str
    contact: str
    phone: str
    matter: str | None
    sha256: str
    export_url: str
    printed_by: str
    printed_at: datetime
    directory: str
    first_when: datetime | None = None
    last_when: datetime | None = None
    # Internal notes and system lines are printed (marked) unless a copy for the client
    # leaves them out; `_all_offsets` and `_internal` hold every message in print order.
    include_notes: bool = True
    _all_offsets: array = field(default_factory=lambda: array("q"))
    _internal: bytearray = field(default_factory=bytearray)
    _offsets: array = field(default_factory=lambda: array("q"))
    _file: object = None
    _recent: dict = field(default_factory=dict)  # the last RECENT messages read, parsed

    @property
    def count(self) -> int:
        return len(self._offsets)

    @property
    def note_count(self) -> int:
        """Internal notes and system lines in the thread (printed or not)."""
        return sum(self._internal)

    def set_include_notes(self, include: bool) -> None:
        """Print the firm's internal lines (marked), or leave them out of this copy."""
        self.include_notes = include
        self._offsets = array(
            "q",
            (
                o
                for o, internal in zip(self._all_offsets, self._internal, strict=True)
                if include or not internal
            ),
        )
        self._recent.clear()
        self.first_when = _when(self.message(0)) if self.count else None
        self.last_when = _when(self.message(self.count - 1)) if self.count else None

    def message(self, index: int) -> MessageOut:
        """The `index`-th message in print order (time, then id)."""
        cached = self._recent.get(index)
        if cached is not None:
            return cached
        self._file.seek(self._offsets[index])
        message = MessageOut.model_validate_json(self._file.readline())
        if len(self._recent) >= RECENT:
            self._recent.pop(next(iter(self._recent)))
        self._recent[index] = message
        return message

    def messages(self, start: int = 0) -> Iterator[MessageOut]:
        for index in range(start, self.count):
            yield self.message(index)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        shutil.rmtree(self.directory, ignore_errors=True)


ProgressFn = Callable[[int, int], None]


async def _read_export(sync_client, conversation_id: int, check: Callable[[], None]):
    seen = Fingerprint()
    reader = ExportReader(lambda m: seen.add(m["id"], m["status"], m["body"]))
    async for chunk in sync_client.export_document(conversation_id):
        check()
        reader.feed(chunk)
    reader.close()
    return reader, seen


async def _spool_messages(
    sync_client, conversation_id: int, spool, total: int, progress: ProgressFn, check
) -> tuple[Fingerprint, list[tuple[float, int, int, bool]]]:
    """Every message, newest page first, appended to `spool`; (time, id, offset, internal)."""
    seen = Fingerprint()
    index: list[tuple[float, int, int, bool]] = []
    before = None
    while True:
        check()
        page = await sync_client.messages(conversation_id, before=before, limit=PAGE_LIMIT)
        for message in page.messages:
            offset = spool.tell()
            spool.write(message.model_dump_json().encode("utf-8") + b"\n")
            internal = message.direction == "internal"
            index.append((_when(message).timestamp(), message.id, offset, internal))
            seen.add(message.id, message.status, message.body)
        progress(len(index), total)
        if not page.has_more or not page.messages:
            break
        before = page.messages[0].id
    return seen, index


async def gather(
    sync_client,
    conversation_id: int,
    printed_by: str,
    progress: ProgressFn,
    check: Callable[[], None],
) -> ThreadSource:
    """Fetch the thread and its export until both describe the same messages."""
    conversation = await sync_client.conversation(conversation_id)
    directory = tempfile.mkdtemp(prefix="inbox-print-")
    try:
        for _attempt in range(ATTEMPTS):
            # The export and the pages at once: the server writes one while we read the other.
            export_task = asyncio.ensure_future(_read_export(sync_client, conversation_id, check))
            path = os.path.join(directory, "messages.jsonl")
            spool = open(path, "w+b")  # noqa: SIM115 (kept open by the source, closed by it)
            try:
                fetched, index = await _spool_messages(
                    sync_client, conversation_id, spool, 0, progress, check
                )
                reader, exported = await export_task
            except BaseException:
                export_task.cancel()
                with contextlib.suppress(BaseException):
                    await export_task
                spool.close()
                raise
            if fetched == exported:
                break
            spool.close()
        else:
            raise ApiError(409, S.PRINT_CHANGING, "conversation_changing")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    index.sort()
    offsets = array("q", (offset for _when_ts, _id, offset, _internal in index))
    internal = bytearray(1 if flag else 0 for _when_ts, _id, _offset, flag in index)
    del index
    spool.flush()
    head = reader.head
    firm = (head.get("firm") or {}).get("name") or ""
    if not firm:
        firm = getattr(getattr(sync_client, "user", None), "firm_name", "") or ""
    phone = conversation.phone if conversation else (head.get("contact") or {}).get("phone")
    contact = (
        (conversation.contact_name if conversation else None)
        or (head.get("contact") or {}).get("name")
        or format_display(phone or "")
    )
    matter_doc = head.get("matter") or {}
    matter = matter_doc.get("name") or (conversation.matter if conversation else None)
    if matter and matter_doc.get("case_number"):
        matter = f"{matter} ({matter_doc['case_number']})"
    api = getattr(sync_client, "api", None)
    base = getattr(api, "base_url", "") or ""
    source = ThreadSource(
        conversation_id=conversation_id,
        firm=firm,
        contact=contact,
        phone=phone or "",
        matter=matter,
        sha256=reader.sha256,
        export_url=f"{base}/api/v1/conversations/{conversation_id}/export.json",
        printed_by=printed_by,
        printed_at=datetime.now().astimezone(),
        directory=directory,
        _all_offsets=offsets,
        _internal=internal,
        _offsets=array("q", offsets),
        _file=spool,
    )
    if source.count:
        source.first_when = _when(source.message(0))
        source.last_when = _when(source.message(source.count - 1))
    return source
