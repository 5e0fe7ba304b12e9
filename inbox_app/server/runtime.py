"""Background loops of one server process: realtime broker, dispatcher, carrier simulator."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

log = logging.getLogger("inbox.server")

PURGE_INTERVAL_SECONDS = 3600.0


def _give_default_number(app: FastAPI) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from inbox_app.server.errors import InboxError
    from inbox_app.server.services import firms

    try:
        with app.state.sessionmaker() as session:
            firms.give_default_number(session, app.state.settings.default_number)
    except InboxError:
        pass  # another process starting at the same moment gave it first
    except SQLAlchemyError as exc:
        # Never a reason not to start (e.g. a database not migrated yet); texts to an unowned
        # number are dropped until a firm has it.
        log.warning("could not check who owns the server number: %s", type(exc).__name__)


async def start(app: FastAPI, *, background: bool = True) -> None:
    app.state.background_tasks = []
    await asyncio.to_thread(_give_default_number, app)
    from inbox_app.server.services import payments

    # Services find the gateway through the session's engine (the dispatcher has no settings).
    app.state.payment_gateway = payments.install(app.state.engine, app.state.settings)
    if background:
        from inbox_app.server.stream import Broker

        app.state.broker = Broker(app.state.engine, app.state.sessionmaker)
        await app.state.broker.start()
        app.state.presence.broker = app.state.broker
    if background and app.state.settings.dispatcher_enabled:
        from inbox_app.server import dispatcher

        app.state.background_tasks.append(dispatcher.start(app))
    if background:
        app.state.background_tasks.append(asyncio.create_task(_purge_trashed_contacts(app)))
        from inbox_app.server.services import media

        # Inbound media a stopped process left pending are fetched again.
        fetcher = media.fetcher_for(app.state.sessionmaker, app.state.settings)
        await asyncio.to_thread(fetcher.resume)


async def stop(app: FastAPI) -> None:
    broker = getattr(app.state, "broker", None)
    if broker is not None:
        app.state.presence.broker = None
        await broker.stop()
    for task in getattr(app.state, "background_tasks", []):
        task.cancel()
    from inbox_app.server import dispatcher
    from inbox_app.server.services import media

    dispatcher.stop(app)
    media.close_fetcher(app.state.sessionmaker)


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
