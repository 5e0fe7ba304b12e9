"""Background loops of one server process: realtime broker, dispatcher, carrier simulator."""

from __future__ import annotations

import logging

from fastapi import FastAPI

log = logging.getLogger("inbox.server")


async def start(app: FastAPI, *, background: bool = True) -> None:
    app.state.background_tasks = []


async def stop(app: FastAPI) -> None:
    for task in getattr(app.state, "background_tasks", []):
        task.cancel()
