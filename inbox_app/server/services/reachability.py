"""What the carrier says about a number: it cannot receive texts, or its owner unsubscribed.

Called wherever a carrier error lands (the dispatcher's hand-off, status callbacks), so the rule
lives in one place: 21211 (not a valid number), 21614 (not a mobile number) and 30006 (landline
or unreachable carrier) mark the firm's contacts with that number "can't receive texts" (no more
reminders); 21610 (the recipient replied STOP to the carrier) records an opt-out in the consent
history with source `carrier`.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server.services import consent, reminders

log = logging.getLogger("inbox.server.reachability")

CANNOT_RECEIVE = frozenset({"21211", "21614", "30006"})
UNSUBSCRIBED = "21610"


def carrier_refused_in(session: Session, message: t.Message, code: str | None) -> None:
    """Act on the carrier's error `code` for outbound `message`, in the caller's transaction."""
    if not code or message.direction != "outbound" or not message.to_number:
        return
    if code in CANNOT_RECEIVE:
        client_ids = set(
            session.scalars(
                update(t.Contact)
                .where(
                    t.Contact.firm_id == message.firm_id,
                    t.Contact.phone == message.to_number,
                    t.Contact.cannot_receive_texts.is_(False),
                )
                .values(cannot_receive_texts=True)
                .returning(t.Contact.client_id)
            )
        )
        client_ids.discard(None)
        if client_ids:
            log.info("message %s: carrier error %s, number marked unable to text", message.id, code)
            reminders.sync_clients_in(session, message.firm_id, sorted(client_ids))
    elif code == UNSUBSCRIBED and not consent.is_opted_out(
        session, message.firm_id, message.to_number
    ):
        consent.opt_out_in(
            session,
            message.firm_id,
            message.to_number,
            source="carrier",
            message_id=message.id,
            note="The carrier reports the recipient unsubscribed (error 21610).",
        )
