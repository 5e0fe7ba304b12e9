"""Liveness for load balancers and the desktop client's reconnect probe."""

from __future__ import annotations

from fastapi import APIRouter

from inbox_app import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
