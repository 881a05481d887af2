"""Baton's Prometheus metrics: counters the flows bump, gauges read from the database at scrape time.

Flows call the small functions here (`escalation_opened(...)`, `effect_ran(...)`); nothing in
bot/domain does. Counters and histograms live in process memory; under gunicorn each worker writes
them to PROMETHEUS_MULTIPROC_DIR (set by the server before any worker imports this module) and a
scrape on any worker adds them up. Depths and ages (outbox, inbox, sweep heartbeat) are not kept in
memory at all: `DatabaseCollector` queries them when scraped, so every process reports the same.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy.engine import Engine

from storage import monitor
from storage.db import read_scope

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0)
PICKUP_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)

REQUESTS = Counter(
    "baton_http_requests", "HTTP requests answered, by route and status code", ["route", "code"]
)
ACK_SECONDS = Histogram(
    "baton_http_request_seconds", "Time to answer an HTTP request (Slack's limit is 3 s)", ["route"],
    buckets=LATENCY_BUCKETS,
)  # fmt: skip
DECISIONS = Counter(
    "baton_decisions", "Decisions taken on a customer message, by outcome and category", ["outcome", "category"]
)
ESCALATIONS = Counter(
    "baton_escalations_opened", "Escalations opened, by first trigger, team and urgency",
    ["trigger", "team", "urgency"],
)  # fmt: skip
EFFECTS = Counter("baton_effects", "Side effects attempted from the outbox, by kind and outcome", ["kind", "outcome"])
EFFECT_FAILURES = Counter("baton_effect_failures", "Side effects that failed (retried or not), by kind", ["kind"])
PAGES = Counter("baton_pages", "Pages sent to the pager, by outcome (sent, failed)", ["outcome"])
SLACK_429 = Counter("baton_slack_rate_limited", "Slack Web API calls answered 429, by method", ["method"])
SWEEP_SECONDS = Histogram(
    "baton_sweep_seconds", "Duration of one SLA sweep", buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
)
STEP_LAG = Histogram(
    "baton_step_lag_seconds", "How late a chain step (reminder, page) ran after its deadline",
    buckets=(0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 900),
)  # fmt: skip
PICKUP = Histogram(
    "baton_pickup_seconds", "Time from an escalation opening to its claim, by team", ["team"], buckets=PICKUP_BUCKETS
)

PAGE_KINDS = frozenset({"page_pager"})


# ---------------------------------------------------------------- what the flows call


def decision(*, escalate: bool, category: str) -> None:
    DECISIONS.labels("escalate" if escalate else "no_escalation", category).inc()


def escalation_opened(*, trigger: str, team: str, urgency: str) -> None:
    ESCALATIONS.labels(trigger or "none", team, urgency).inc()


def effect_ran(*, kind: str, ok: bool) -> None:
    EFFECTS.labels(kind, "ok" if ok else "failed").inc()
    if not ok:
        EFFECT_FAILURES.labels(kind).inc()
    if kind in PAGE_KINDS:
        PAGES.labels("sent" if ok else "failed").inc()


def step_ran(*, late_seconds: float) -> None:
    STEP_LAG.observe(max(0.0, late_seconds))


def claimed(*, team: str, opened_at: datetime, at: datetime) -> None:
    PICKUP.labels(team).observe(max(0.0, (at - opened_at).total_seconds()))


def sweep_took(seconds: float) -> None:
    SWEEP_SECONDS.observe(seconds)


class CountRateLimits(RetryHandler):
    """A slack_sdk retry handler that retries nothing: it counts 429s (the outbox does the retrying)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            SLACK_429.labels(request.url.rstrip("/").rsplit("/", 1)[-1]).inc()
        return False


# ---------------------------------------------------------------- HTTP side


def instrument(app: WSGIApp, routes: Iterable[str]) -> WSGIApp:
    """Count requests and time answers per route (unknown paths are one route: "other")."""
    known = frozenset(routes)

    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        route = path if path in known else "other"
        started = time.perf_counter()
        code = ["500"]

        def recording_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            code[0] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return app(environ, recording_start)
        finally:
            REQUESTS.labels(route, code[0]).inc()
            ACK_SECONDS.labels(route).observe(time.perf_counter() - started)

    return wrapped


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time: the same figures from every process."""

    def __init__(self, db: Engine, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now()
        depth = GaugeMetricFamily("baton_outbox_pending", "Pending side effects, by kind", labels=["kind"])
        age = GaugeMetricFamily(
            "baton_outbox_oldest_age_seconds", "Age of the oldest pending side effect, by kind", labels=["kind"]
        )
        sweep_age = GaugeMetricFamily(
            "baton_sweep_heartbeat_age_seconds", "Seconds since the newest sweep of any process finished"
        )
        inbox_depth = GaugeMetricFamily(
            "baton_inbox_pending", "Stored requests not yet processed, by lane", labels=["lane"]
        )
        inbox_age = GaugeMetricFamily(
            "baton_inbox_oldest_age_seconds", "Age of the oldest unprocessed request, by lane", labels=["lane"]
        )
        up = GaugeMetricFamily("baton_database_up", "1 when the database answered this scrape")
        try:
            with read_scope(self.db) as session:
                rows = monitor.outbox_depth(session)
                beat = monitor.newest_heartbeat(session)
                lanes = monitor.inbox_depth(session)
        except Exception as exc:  # a scrape reports, it does not raise
            log.warning("metrics: database unreachable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for row in rows:
            depth.add_metric([row.kind], row.count)
            if row.oldest is not None:
                age.add_metric([row.kind], max(0.0, (now - row.oldest).total_seconds()))
        if beat is not None:
            sweep_age.add_metric([], max(0.0, (now - beat).total_seconds()))
        for lane in lanes:
            inbox_depth.add_metric([lane.lane], lane.count)
            if lane.oldest_received is not None:
                inbox_age.add_metric([lane.lane], max(0.0, (now - lane.oldest_received).total_seconds()))
        yield from (up, depth, age, sweep_age, inbox_depth, inbox_age)


def exposition(db: Engine, now: Callable[[], datetime]) -> tuple[bytes, str]:
    """The /metrics body and its content type: this process's (or all workers') counters plus the gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
        registry.register(DatabaseCollector(db, now))
        return generate_latest(registry), CONTENT_TYPE_LATEST
    registry.register(_Process())
    registry.register(DatabaseCollector(db, now))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Process(Collector):
    """The default registry's metrics (Baton's counters, process and platform) in a per-scrape registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
