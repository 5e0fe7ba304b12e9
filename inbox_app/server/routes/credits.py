"""The prepaid counter: balance for everyone; ledger, top-ups, settings, card and usage for admins.

`PUT /api/v1/credits/card {customer_id, payment_method_id}` saves the firm's Stripe customer and
card (set up in Stripe beforehand); top-ups and automatic top-ups charge it off-session.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from inbox_app.models.schemas import (
    CardIn,
    CreditSettingsIn,
    CreditsOut,
    LedgerEntryOut,
    TopUpIn,
    TopUpOut,
    UsageOut,
)
from inbox_app.server.deps import AdminUser, CurrentUser, OptionalId, SessionDep
from inbox_app.server.services import credits, payments, usage

router = APIRouter(prefix="/credits", tags=["credits"])


@router.get("")
def get_credits(user: CurrentUser, session: SessionDep) -> CreditsOut:
    return credits.summary(session, user)


@router.get("/ledger")
def get_ledger(
    user: AdminUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=credits.LEDGER_PAGE_MAX)] = 100,
    before: OptionalId = None,
) -> list[LedgerEntryOut]:
    return credits.ledger(session, user, limit=limit, before=before)


@router.post("/top-up")
def top_up(body: TopUpIn, user: AdminUser, session: SessionDep) -> TopUpOut:
    return payments.top_up(session, user, body)


@router.put("/settings")
def put_settings(body: CreditSettingsIn, user: AdminUser, session: SessionDep) -> CreditsOut:
    return credits.update_settings(session, user, body)


@router.put("/card")
def put_card(body: CardIn, user: AdminUser, session: SessionDep) -> CreditsOut:
    return payments.save_card(session, user, body)


@router.get("/usage", response_model=None)
def get_usage(
    user: AdminUser,
    session: SessionDep,
    group: Literal["user", "matter", "month"] = "user",
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    format: Literal["json", "csv"] = "json",
) -> UsageOut | Response:
    report = usage.report(session, user, group, from_, to)
    if format == "json":
        return report
    return Response(
        usage.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{usage.filename(report)}"'},
    )
