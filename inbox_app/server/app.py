"""The FastAPI application: wiring, lifespan of the background loops, errors mapped to HTTP."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from inbox_app import __version__
from inbox_app.server.config import Settings, get_settings
from inbox_app.server.db import make_engine, make_sessionmaker
from inbox_app.server.errors import InboxError
from inbox_app.server.services.auth import LoginThrottle

log = logging.getLogger("inbox.server")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "The request is not valid."


def create_app(
    settings: Settings | None = None, *, background: bool = True, docs: bool = True
) -> FastAPI:
    """Build the app; `background=False` skips the dispatcher and stream loops (unit tests);
    `docs=False` leaves out /docs and /redoc (the desktop's embedded demo server, whose bundle
    does not ship their scripts)."""
    settings = settings or get_settings()
    engine = make_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from inbox_app.server import runtime

        await runtime.start(app, background=background)
        try:
            yield
        finally:
            await runtime.stop(app)
            engine.dispose()

    # docs_url/redoc_url None: apidocs serves both pages with their assets, not from a CDN.
    app = FastAPI(
        title="Inbox backend",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.login_throttle = LoginThrottle()
    from inbox_app.server.services.presence import Desk

    app.state.presence = Desk(app.state.sessionmaker)

    @app.exception_handler(InboxError)
    async def _inbox_error(_request: Request, exc: InboxError) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "code": exc.code, **exc.detail}, status_code=exc.status
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": _validation_message(exc), "code": "invalid"}, status_code=422
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # The last line of defence: input the schemas let through but the database cannot hold
        # (a number out of range, a NUL in text). The transaction has rolled back; no values
        # are logged, they may be a message body.
        log.warning(
            "request refused by the database: %s %s: %s",
            request.method,
            request.url.path,
            type(getattr(exc, "orig", None) or exc).__name__,
        )
        return JSONResponse(
            {"detail": "A value in the request is out of range or not allowed.", "code": "invalid"},
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: the client still gets JSON it can show, and the traceback is
        # logged by the server error middleware that calls this handler.
        log.error("unexpected error: %s %s", request.method, request.url.path)
        return JSONResponse(
            {
                "detail": "The server could not finish this request (it was logged); try again.",
                "code": "internal",
            },
            status_code=500,
        )

    from inbox_app.server import apidocs
    from inbox_app.server.limits import BodyLimitMiddleware, check_token

    # Bodies capped as they stream; /api/v1 callers without a valid token refused unread.
    app.add_middleware(BodyLimitMiddleware, authenticate=check_token)

    from inbox_app.server.routes import register

    if docs:
        apidocs.install(app)
    register(app)
    from inbox_app.server import openapi_doc

    openapi_doc.install(app)
    from inbox_app.server import metrics

    metrics.install(app)
    return app
