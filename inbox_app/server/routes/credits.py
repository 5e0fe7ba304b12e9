"""The prepaid counter: balance for everyone; ledger, top-ups, settings, card and usage for admins.

The card is typed on Stripe's page: `POST /credits/card/setup` opens one (Checkout, setup mode),
`POST /credits/card/setup/{session_id}` saves what it saved, `GET /credits/card` describes it.
`PUT /api/v1/credits/card {customer_id, payment_method_id}` saves a card set up in Stripe
beforehand. Top-ups and automatic top-ups charge it off-session.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from inbox_app.models.schemas import (
    CardIn,
    CardOut,
    CardSetupOut,
    CreditSettingsIn,
    CreditsOut,
    LedgerEntryOut,
    TopUpIn,
    TopUpOut,
    UsageOut,
)
from inbox_app.server.deps import AdminUser, CurrentUser, OptionalId, SessionDep, SettingsDep
from inbox_app.server.services import credits, payments, usage

router = APIRouter(prefix="/credits", tags=["credits"])

LEDGER_CSV = (
    "Columns: entry_id, when (the firm's time, ISO 8601 with offset), kind, amount, "
    "balance_after, user, conversation_id, phone, client, matter, reference, note."
)


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


@router.get(
    "/ledger.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": LEDGER_CSV}},
)
def get_ledger_csv(
    user: AdminUser,
    session: SessionDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
):
    """The whole ledger (or the days asked for) as CSV, oldest first, with who and what."""
    spool, name = usage.ledger_csv(session, user, from_, to)

    def chunks():
        with spool:
            while chunk := spool.read(64 * 1024):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/top-up")
def top_up(body: TopUpIn, user: AdminUser, session: SessionDep) -> TopUpOut:
    return payments.top_up(session, user, body)


@router.put("/settings")
def put_settings(body: CreditSettingsIn, user: AdminUser, session: SessionDep) -> CreditsOut:
    return credits.update_settings(session, user, body)


@router.put("/card")
def put_card(body: CardIn, user: AdminUser, session: SessionDep) -> CreditsOut:
    return payments.save_card(session, user, body)


@router.get("/card")
def get_card(user: AdminUser, session: SessionDep) -> CardOut:
    return payments.card(session, user)


@router.post("/card/setup")
def start_card_setup(user: AdminUser, session: SessionDep, settings: SettingsDep) -> CardSetupOut:
    return payments.start_card_setup(session, user, settings.public_url)


CARD_DONE_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Inbox</title>
<body style="font-family: sans-serif; margin: 3em"><h1>{title}</h1><p>{text}</p></body></html>"""


@router.get("/card/setup/done", response_class=HTMLResponse, include_in_schema=False)
def card_setup_done(canceled: bool = False) -> HTMLResponse:
    """Where Stripe's page sends the browser: says to go back to the desktop (nothing to save)."""
    if canceled:
        title, text = "No card was added", "You can close this page and return to Inbox."
    else:
        title, text = "Card added", "Return to Inbox and click Done to see it."
    return HTMLResponse(CARD_DONE_PAGE.format(title=title, text=text))


@router.post("/card/setup/{session_id}")
def finish_card_setup(
    session_id: Annotated[str, Path(max_length=200, pattern=r"^cs_[A-Za-z0-9_]+$")],
    user: AdminUser,
    session: SessionDep,
) -> CardOut:
    return payments.finish_card_setup(session, user, session_id)


@router.get(
    "/usage",
    response_model=None,
    responses={
        200: {
            "description": "The report: JSON (`UsageOut`), or CSV with `format=csv`.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/UsageOut"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
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
