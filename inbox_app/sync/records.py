"""Records through the sync layer: clients, their contacts, matters and court dates, the agenda,
and an event's reminders. Reads fall back to the copy last read when the server is away; edits
are refused offline (only texts wait in the outbox)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter
from PySide6.QtCore import QObject, Signal

from inbox_app.models.schemas import (
    AgendaEventOut,
    ClientOut,
    ConsentEventOut,
    ContactOut,
    EventOut,
    FlowOut,
    MatterOut,
    ReminderOut,
)
from inbox_app.sync.errors import Unreachable
from inbox_app.sync.session import SyncClient

log = logging.getLogger("inbox.sync.records")
T = TypeVar("T")

# The window of a client's page: 90 days back and the rest of the agenda's 800 ahead.
CLIENT_DAYS = 800

# Stream kinds that say a record changed; the payload is {id, client_id}.
RECORD_KINDS = (
    "client.updated",
    "client.deleted",
    "client.imported",  # a whole file imported: id 0, client_id None (reload everything)
    "contact.updated",
    "matter.updated",
    "matter.deleted",
    "event.updated",
    "event.deleted",
)


@dataclass
class ClientFile:
    """Everything a client's page shows, read together (and cached together)."""

    client: ClientOut
    contacts: list[ContactOut] = field(default_factory=list)
    matters: list[MatterOut] = field(default_factory=list)
    events: list[AgendaEventOut] = field(default_factory=list)
    flows: list[FlowOut] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "client": self.client.model_dump(mode="json"),
                "contacts": [c.model_dump(mode="json") for c in self.contacts],
                "matters": [m.model_dump(mode="json") for m in self.matters],
                "events": [e.model_dump(mode="json") for e in self.events],
                "flows": [f.model_dump(mode="json") for f in self.flows],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ClientFile:
        raw = json.loads(text)
        return cls(
            client=ClientOut.model_validate(raw["client"]),
            contacts=[ContactOut.model_validate(c) for c in raw["contacts"]],
            matters=[MatterOut.model_validate(m) for m in raw["matters"]],
            events=[AgendaEventOut.model_validate(e) for e in raw["events"]],
            flows=[FlowOut.model_validate(f) for f in raw["flows"]],
        )


class Records(QObject):
    """The records half of the desktop, on a signed-in `SyncClient`.

    Signals:
      changed(str kind, int id, object client_id): the stream says a record changed (`kind` as
        in RECORD_KINDS; `id` 0 and client_id None: many changed, reload everything).
    """

    changed = Signal(str, int, object)

    def __init__(self, sync: SyncClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sync = sync
        sync.record_changed.connect(self._stream_event)

    def _stream_event(self, kind: str, data: dict) -> None:
        try:
            client_id = data.get("client_id")
            self.changed.emit(kind, int(data.get("id") or 0), int(client_id) if client_id else None)
        except (TypeError, ValueError):
            log.warning("ignored a malformed %s event: %r", kind, data)

    @property
    def is_online(self) -> bool:
        return self.sync.is_online

    # --- reads (the cache when the server is away) -------------------------------------------

    async def _read(self, key: str, fetch: Callable[[], Awaitable[T]], adapter: Any) -> T:
        store = self.sync.store
        try:
            result = await self.sync._call(fetch())
        except Unreachable:
            cached = store.record(key) if store is not None else None
            if cached is None:
                raise
            return adapter.validate_json(cached)
        if store is not None:
            store.save_record(key, adapter.dump_json(result).decode())
        return result

    async def clients(self, q: str = "") -> list[ClientOut]:
        api = self.sync._need_api()
        q = q.strip()
        if not q:
            return await self._read("clients", lambda: api.clients(None, 200), _CLIENTS)
        try:
            return await self.sync._call(api.clients(q, 200))
        except Unreachable:
            # Offline, the list last read is searched here by name and number.
            cached = self.sync.store.record("clients") if self.sync.store else None
            rows = _CLIENTS.validate_json(cached) if cached else []
            return [c for c in rows if _client_matches(c, q)]

    async def client_file(self, client_id: int) -> ClientFile:
        """The client, all their contacts (archived and trashed too), matters, events, flows."""
        api = self.sync._need_api()
        key = f"client:{client_id}"
        store = self.sync.store
        try:
            client = await self.sync._call(api.client(client_id))
            contacts = list(await api.contacts(client_id))
            for archived, trashed in ((True, False), (False, True)):
                contacts += await api.contacts(client_id, archived, trashed)
            result = ClientFile(
                client=client,
                contacts=contacts,
                matters=await api.matters(client_id),
                # Their court dates from three months back to two years ahead (the agenda's
                # window at its widest), with the court's clock and the names filled in.
                events=await api.upcoming(
                    CLIENT_DAYS, client_id, None, datetime.now(UTC) - timedelta(days=90)
                ),
                flows=await self.flows(),
            )
        except Unreachable:
            self.sync._set_online(False)
            cached = store.record(key) if store is not None else None
            if cached is None:
                raise
            return ClientFile.from_json(cached)
        if store is not None:
            store.save_record(key, result.to_json())
        return result

    async def flows(self) -> list[FlowOut]:
        api = self.sync._need_api()
        return await self._read("flows", api.flows, _FLOWS)

    async def upcoming(
        self,
        days: int = 14,
        client_id: int | None = None,
        matter_id: int | None = None,
        start: datetime | None = None,
        attorney_id: int | None = None,
    ) -> list[AgendaEventOut]:
        api = self.sync._need_api()
        key = f"upcoming:{days}:{client_id or ''}:{matter_id or ''}"
        if attorney_id is not None:
            key += f":a{attorney_id}"
        return await self._read(
            key, lambda: api.upcoming(days, client_id, matter_id, start, attorney_id), _AGENDA
        )

    async def reminders(self, event_id: int) -> list[ReminderOut]:
        api = self.sync._need_api()
        return await self._read(
            f"reminders:{event_id}", lambda: api.event_reminders(event_id), _REMINDERS
        )

    async def consent(self, contact_id: int) -> list[ConsentEventOut]:
        api = self.sync._need_api()
        return await self._read(
            f"consent:{contact_id}", lambda: api.contact_consent(contact_id), _CONSENT
        )

    # --- edits (refused offline) ------------------------------------------------------------

    async def _edit(self, call: Callable[[Any], Awaitable[T]]) -> T:
        return await self.sync._call(call(self.sync._online_api()))

    async def create_client(self, **fields: Any) -> ClientOut:
        return await self._edit(lambda api: api.create_client(fields))

    async def update_client(self, client_id: int, **changes: Any) -> ClientOut:
        return await self._edit(lambda api: api.update_client(client_id, changes))

    async def create_contact(self, client_id: int, **fields: Any) -> ContactOut:
        return await self._edit(lambda api: api.create_contact(client_id, fields))

    async def update_contact(self, contact_id: int, **changes: Any) -> ContactOut:
        return await self._edit(lambda api: api.update_contact(contact_id, changes))

    async def contact_action(self, contact_id: int, name: str, note: str = "") -> ContactOut:
        return await self._edit(lambda api: api.contact_action(contact_id, name, note))

    async def create_matter(self, **fields: Any) -> MatterOut:
        return await self._edit(lambda api: api.create_matter(fields))

    async def update_matter(self, matter_id: int, **changes: Any) -> MatterOut:
        return await self._edit(lambda api: api.update_matter(matter_id, changes))

    async def create_event(self, **fields: Any) -> EventOut:
        return await self._edit(lambda api: api.create_event(_json(fields)))

    async def update_event(self, event_id: int, **changes: Any) -> EventOut:
        return await self._edit(lambda api: api.update_event(event_id, _json(changes)))

    async def delete_event(self, event_id: int) -> None:
        await self._edit(lambda api: api.delete_event(event_id))


def _json(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}


def client_name(client: ClientOut | BaseModel) -> str:
    return f"{client.first_name} {client.last_name}".strip()


def _client_matches(client: ClientOut, q: str) -> bool:
    needle = q.casefold()
    digits = "".join(ch for ch in q if ch.isdigit())
    if all(word in client_name(client).casefold() for word in needle.split()):
        return True
    return len(digits) >= 3 and any(digits in c.phone for c in client.contacts)


_CLIENTS = TypeAdapter(list[ClientOut])
_FLOWS = TypeAdapter(list[FlowOut])
_AGENDA = TypeAdapter(list[AgendaEventOut])
_REMINDERS = TypeAdapter(list[ReminderOut])
_CONSENT = TypeAdapter(list[ConsentEventOut])
