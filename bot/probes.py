"""What /healthz, /readyz and /metrics answer. The routes are in bot/web.py; the checks are here.

- /healthz: the process answers (alive). Restart it when this fails.
- /readyz: it can do its job: the database answers, a sweep ran recently (a heartbeat row written by
  every sweep, any process), and nothing waits in the inbox for too long. Take it out of the load
  balancer when this fails; 503 with the failing check named.
- /metrics: Prometheus text format (bot/metrics.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot import metrics
from bot.clock import Clock
from storage import monitor
from storage.db import read_scope

StartResponse = Callable[..., Any]
Handler = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


# A request that has been due this long without a worker taking it means the inbox is stuck (workers
# dead or wedged). Retries waiting out a backoff are not due, so they never count.
INBOX_STUCK = timedelta(minutes=2)


def sweep_max_age(sweep_seconds: float) -> timedelta:
    """A heartbeat older than this means no sweep is running: four missed ticks, and never under a minute."""
    return timedelta(seconds=max(60.0, 4 * sweep_seconds))


@dataclass
class Probes:
    db: Engine
    clock: Clock
    sweep_seconds: float = 15.0
    started_at: datetime | None = None  # when this process began serving (default: the clock, at creation)

    def __post_init__(self) -> None:
        if self.started_at is None:
            self.started_at = self.clock.now()

    def ready(self) -> tuple[bool, dict[str, Any]]:
        now = self.clock.now()
        checks: dict[str, Any] = {}
        try:
            with read_scope(self.db) as session:
                monitor.ping(session)
                beat = monitor.newest_heartbeat(session)
                lanes = monitor.inbox_depth(session)
        except Exception as exc:  # a probe reports, it does not raise
            checks["database"] = f"unreachable: {str(exc).splitlines()[0][:200]}"
            return False, {"ok": False, "checks": checks}
        checks["database"] = "ok"
        limit = sweep_max_age(self.sweep_seconds)
        if beat is None:
            # No sweep anywhere yet: fine while this process is young (the first tick is one interval away).
            young = self.started_at is not None and now - self.started_at <= limit
            checks["sweep"] = "starting" if young else f"no sweep has run in {int(limit.total_seconds())} s"
        else:
            age = (now - beat).total_seconds()
            checks["sweep"] = (
                "ok" if age <= limit.total_seconds() else f"stale: last sweep {age:.0f} s ago"
            )
        stuck = [
            f"{lane.lane}: {lane.count} pending, due {int((now - lane.oldest_due).total_seconds())} s ago"
            for lane in lanes
            if lane.oldest_due is not None and now - lane.oldest_due > INBOX_STUCK
        ]
        checks["inbox"] = "stuck: " + "; ".join(stuck) if stuck else "ok"
        ok = all(v in ("ok", "starting") for v in checks.values())
        return ok, {"ok": ok, "checks": checks}

    def metrics(self) -> tuple[bytes, str]:
        return metrics.exposition(self.db, self.clock.now)

    # WSGI handlers for the routes (bot/web.py mounts them)
    def readyz(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        ok, body = self.ready()
        data = json.dumps(body).encode()
        status = "200 OK" if ok else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def scrape(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        data, content_type = self.metrics()
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]

    def routes(self) -> dict[tuple[str, str], Handler]:
        """(method, path) -> handler, for the WSGI app's route table."""
        return {("GET", "/readyz"): self.readyz, ("GET", "/metrics"): self.scrape}
