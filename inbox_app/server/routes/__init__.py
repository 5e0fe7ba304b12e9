"""One router per resource; each route parses, calls one service and returns a schema."""

from fastapi import APIRouter, Depends, FastAPI


def register(app: FastAPI) -> None:
    """Mount every router: the JSON API under /api/v1, carrier webhooks under /webhooks."""
    from inbox_app.server.deps import refuse_nul_input
    from inbox_app.server.routes import auth, health, stream
    from inbox_app.server.routes import credits as credits_routes
    from inbox_app.server.routes import media as media_routes

    api = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_nul_input)])
    api.include_router(auth.router)
    from inbox_app.server.routes import clients, contacts, events, flows, matters

    for records in (clients, contacts, matters, flows, events):
        api.include_router(records.router)
    api.include_router(stream.router)
    from inbox_app.server.routes import conversations, messages, notes, presence, webhooks

    # Messages first: /conversations/{id}/messages must win over /conversations/{id}/{action}.
    api.include_router(messages.router)
    api.include_router(notes.router)
    api.include_router(presence.router)
    api.include_router(conversations.router)
    app.include_router(webhooks.router)
    api.include_router(credits_routes.router)
    from inbox_app.server.routes import blocks, firm, users

    api.include_router(firm.router)
    api.include_router(blocks.router)
    api.include_router(users.router)
    api.include_router(media_routes.router)
    from inbox_app.server.routes import search

    api.include_router(search.router)
    from inbox_app.server.routes import quick_replies

    api.include_router(quick_replies.router)
    from inbox_app.server.routes import imports

    api.include_router(imports.router)
    app.include_router(api)
    app.include_router(health.router)
    from inbox_app.server.routes import metrics as metrics_routes

    app.include_router(metrics_routes.router)
    app.include_router(media_routes.public_router)
