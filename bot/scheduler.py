"""The timers: an APScheduler interval job that calls sweep(now), and one-off wake-ups for retries.

All deadlines live in the database. The sweep is the safety net every `interval_seconds`; a retry
that is due sooner (a Slack 429's Retry-After, a pager's backoff) asks `deps.wake(at)` and the
outbox runs at that moment instead of waiting for the next sweep.

Every process that serves Baton runs one (each gunicorn worker, each instance): chain steps are taken
by conditional updates (and read FOR UPDATE SKIP LOCKED on PostgreSQL), outbox items are leased, so
sweeps running side by side split the work instead of doubling it. After each sweep the process
writes its heartbeat row; /readyz and /metrics read how fresh the newest one is.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot import metrics
from bot.deps import Deps
from bot.flows import outbox
from bot.flows.sweep import sweep
from storage import monitor, repo
from storage.db import session_scope

log = logging.getLogger(__name__)

WAKE_JOB = "baton-wake"


class Waker:
    """Keeps one wake-up job at the earliest time anything asked for; after it runs, the next one."""

    def __init__(self, scheduler: BackgroundScheduler, deps: Deps, interval: timedelta) -> None:
        self._scheduler = scheduler
        self._deps = deps
        self._interval = interval
        self._next: datetime | None = None
        self._lock = threading.Lock()

    def __call__(self, at: datetime) -> None:
        now = self._deps.clock.now()
        if at - now >= self._interval:
            return  # the sweep comes first anyway
        with self._lock:
            if self._next is not None and now <= self._next <= at:
                return  # an earlier wake-up is already set; it schedules the next one when it runs
            self._next = at
        self._scheduler.add_job(
            self._run, "date", run_date=max(at, now), id=WAKE_JOB, replace_existing=True, misfire_grace_time=None
        )

    def _run(self) -> None:
        with self._lock:
            self._next = None
        try:
            outbox.run_due(self._deps)
        except Exception:  # the sweep tries again: nothing is lost, the items stay in the outbox
            log.exception("outbox wake-up failed")
        self.after_sweep()

    def after_sweep(self) -> None:
        """Set a wake-up for the earliest pending outbox item, if it is due before the next sweep."""
        try:
            with session_scope(self._deps.db) as session:
                at = repo.next_outbox_due(session)
        except Exception:
            log.exception("could not read the next outbox retry")
            return
        if at is not None:
            self(at)


def worker_name() -> str:
    """This process, as the heartbeat table names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def tick(deps: Deps) -> None:
    """One sweep, timed, then the heartbeat. Never raises: the next tick tries again."""
    started = time.perf_counter()
    try:
        sweep(deps, deps.clock.now())
    except Exception:  # nothing is lost: the state is in the database
        log.exception("sweep failed")
        return
    took = time.perf_counter() - started
    metrics.sweep_took(took)
    try:
        with session_scope(deps.db) as session:
            monitor.beat(session, worker=worker_name(), at=deps.clock.now(), duration_ms=took * 1000)
    except Exception as exc:
        log.warning("could not record the sweep heartbeat: %s", exc)


def start_scheduler(deps: Deps, interval_seconds: float) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    waker = Waker(scheduler, deps, timedelta(seconds=interval_seconds))
    deps.wake = waker

    def job() -> None:
        tick(deps)
        waker.after_sweep()

    # max_instances=1 + coalesce: a slow sweep never overlaps itself, missed ticks collapse into one.
    scheduler.add_job(job, "interval", seconds=interval_seconds, id="baton-sweep", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
