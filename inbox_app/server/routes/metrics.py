"""Prometheus scrape endpoint: 404 while INBOX_METRICS_TOKEN is unset, 401 without the token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from inbox_app.server import metrics
from inbox_app.server.deps import SettingsDep
from inbox_app.server.errors import NotAuthenticated, NotFound

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def scrape(
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    if settings.metrics_token is None:
        raise NotFound("Metrics are off on this server: set INBOX_METRICS_TOKEN to turn them on.")
    if not metrics.token_matches(settings.metrics_token.get_secret_value(), authorization):
        raise NotAuthenticated("Metrics need Authorization: Bearer <INBOX_METRICS_TOKEN>.")
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
