"""One router per resource; each route parses, calls one service and returns a schema."""

from fastapi import APIRouter, FastAPI


def register(app: FastAPI) -> None:
    """Mount every router: the JSON API under /api/v1, carrier webhooks under /webhooks."""
    from inbox_app.server.routes import auth, health

    api = APIRouter(prefix="/api/v1")
    api.include_router(auth.router)
    app.include_router(api)
    app.include_router(health.router)
