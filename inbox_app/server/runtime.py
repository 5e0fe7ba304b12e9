"""Background loops of one server process: realtime broker, dispatcher, carrier simulator."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

log = logging.getLogger("inbox.server")

PURGE_INTERVAL_SECONDS = 3600.0


async def start(app: FastAPI, *, background: bool = True) -> None:
    app.state.background_tasks = []
    from inbox_app.server.services import payments

    # Services find the gateway through the session's engine (the dispatcher has no settings).
    app.state.payment_gateway = payments.install(app.state.engine, app.state.settings)
    if background:
        from inbox_app.server.stream import Broker

        app.state.broker = Broker(app.state.engine, app.state.sessionmaker)
        await app.state.broker.start()
    if background and app.state.settings.dispatcher_enabled:
        from inbox_app.server import dispatcher

        app.state.background_tasks.append(dispatcher.start(app))
    if background:
        app.state.background_tasks.append(asyncio.create_task(_purge_trashed_contacts(app)))


async def stop(app: FastAPI) -> None:
    broker = getattr(app.state, "broker", None)
    if broker is not None:
        await broker.stop()
    for task in getattr(app.state, "background_tasks", []):
        task.cancel()
    from inbox_app.server import dispatcher

    dispatcher.stop(app)


def _purge_once(sessionmaker) -> int:
    from inbox_app.server.services import contacts

    with sessionmaker() as session:
        return contacts.purge_trashed(session)


async def _purge_trashed_contacts(app: FastAPI) -> None:
    """Hourly: contacts trashed longer than their firm's retention are deleted for good."""
    while True:
        try:
            purged = await asyncio.to_thread(_purge_once, app.state.sessionmaker)
            if purged:
                log.info("purged %d trashed contacts", purged)
        except Exception:
            log.exception("purging trashed contacts failed; will retry")
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
