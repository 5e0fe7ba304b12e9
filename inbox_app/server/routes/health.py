"""Liveness for load balancers and the desktop client's reconnect probe: is the database there?"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from inbox_app import __version__

router = APIRouter(tags=["health"])
log = logging.getLogger("inbox.server")

DATABASE_TIMEOUT_SECONDS = 5.0


def _ping(engine) -> None:
    # A raw pooled connection: no SQLAlchemy transaction, so on SQLite no BEGIN IMMEDIATE that
    # would queue behind writers.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
    finally:
        connection.close()


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    try:
        await asyncio.wait_for(
            asyncio.to_thread(_ping, request.app.state.engine), DATABASE_TIMEOUT_SECONDS
        )
    except Exception as exc:
        log.warning("health check: the database does not answer: %s", type(exc).__name__)
        return JSONResponse(
            {"status": "unavailable", "version": __version__, "database": "unreachable"},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "version": __version__, "database": "ok"})
