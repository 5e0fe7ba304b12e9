"""/metrics in Prometheus text format, behind INBOX_METRICS_TOKEN (off when it is unset).

Two kinds of figures:

* counted by this process since it started (webhooks received, request latency): each server
  process has its own, so scrape every process (Prometheus adds them up with `sum`);
* read from the database at each scrape (texts by status, the queue and its oldest due text,
  carrier errors, credits per firm): the same on every process, whichever one is scraped.

Stream clients are this process's open streams.
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from starlette.types import ASGIApp, Receive, Scope, Send

from inbox_app.models import tables as t

WEBHOOK_PATHS = {"/webhooks/twilio/messages": "messages", "/webhooks/twilio/status": "status"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """One app's registry: its counters and the collector that asks the database."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhooks = Counter(
            "inbox_webhooks_received",
            "Carrier webhooks this process answered, by kind and HTTP status.",
            ["kind", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "inbox_http_request_duration_seconds",
            "Time to answer a request (to the start of its body), by route and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_DatabaseCollector(app))


class _DatabaseCollector:
    """Gauges computed at scrape time, from the database and this process's broker."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def describe(self):
        return []

    def collect(self):
        from inbox_app.server.dispatcher import _waiting_to_go
        from inbox_app.server.services import reminders

        now = t.utcnow()
        m = t.Message
        texts = GaugeMetricFamily(
            "inbox_messages",
            "Messages in the database, by direction and status.",
            labels=["direction", "status"],
        )
        errors = GaugeMetricFamily(
            "inbox_carrier_errors",
            "Outbound messages that ended failed or undelivered, by the carrier's error code.",
            labels=["code"],
        )
        queue = GaugeMetricFamily(
            "inbox_queue_depth",
            "Outbound texts due at the carrier now (queued, or scheduled "
            "and due), not yet handed over.",
        )
        oldest = GaugeMetricFamily(
            "inbox_queue_oldest_due_seconds",
            "How long the oldest due text has waited since it became due (0 when none).",
        )
        credits = GaugeMetricFamily(
            "inbox_credits_balance", "Prepaid messages left, per firm.", labels=["firm_id", "firm"]
        )
        pending = GaugeMetricFamily(
            "inbox_court_dates_awaiting_reminders",
            "Court dates a large import left for the dispatcher to make reminders for (0 soon "
            "after every import; growing: no process runs the dispatcher).",
        )
        with self.app.state.sessionmaker() as session:
            for direction, status, count in session.execute(
                select(m.direction, m.status, func.count()).group_by(m.direction, m.status)
            ):
                texts.add_metric([direction, status], count)
            by_code: dict[str, int] = {}
            for code, count in session.execute(
                select(m.error_code, func.count())
                .where(m.direction == "outbound", m.status.in_(("failed", "undelivered")))
                .group_by(m.error_code)
            ):
                by_code[code or "none"] = by_code.get(code or "none", 0) + count
            for code, count in sorted(by_code.items()):
                errors.add_metric([code], count)
            due = (m.direction == "outbound") & _waiting_to_go(now)
            depth, since = session.execute(
                select(func.count(), func.min(func.coalesce(m.send_at, m.created_at))).where(due)
            ).one()
            queue.add_metric([], depth)
            pending.add_metric([], reminders.pending_count(session))
            oldest.add_metric([], max(0.0, (now - _aware(since)).total_seconds()) if since else 0)
            for firm_id, name, balance in session.execute(
                select(t.Firm.id, t.Firm.name, t.CreditBalance.balance).join(
                    t.CreditBalance, t.CreditBalance.firm_id == t.Firm.id
                )
            ):
                credits.add_metric([str(firm_id), name], balance)
            session.rollback()
        broker = getattr(self.app.state, "broker", None)
        streams = GaugeMetricFamily(
            "inbox_stream_clients", "Realtime streams open on this process."
        )
        streams.add_metric([], broker.subscriber_count() if broker is not None else 0)
        yield from (texts, errors, queue, oldest, pending, credits, streams)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class MetricsMiddleware:
    """Times every request and counts webhooks; pure ASGI, so streams are not buffered."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}
        observed = False

        def observe() -> None:
            nonlocal observed
            if observed:
                return
            observed = True
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            code = str(status["code"])
            self.metrics.latency.labels(scope["method"], template, code).observe(
                time.perf_counter() - started
            )
            kind = WEBHOOK_PATHS.get(scope["path"])
            if kind is not None:
                self.metrics.webhooks.labels(kind, code).inc()

        async def send_timed(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                # Latency to the first byte: a stream stays open for hours.
                await send(message)
                observe()
                return
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            observe()


def install(app: FastAPI) -> None:
    app.state.metrics = metrics = Metrics(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)


def token_matches(expected: str, authorization: str | None) -> bool:
    given = (authorization or "").removeprefix("Bearer ").strip()
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())
