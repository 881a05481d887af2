"""The only timer: an APScheduler interval job that calls sweep(now). All deadlines live in the database."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.deps import Deps
from bot.flows.sweep import sweep

log = logging.getLogger(__name__)


def start_scheduler(deps: Deps, interval_seconds: float) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")

    def tick() -> None:
        try:
            sweep(deps, deps.clock.now())
        except Exception:  # the next tick tries again; nothing is lost because state is in the database
            log.exception("sweep failed")

    # max_instances=1 + coalesce: a slow sweep never overlaps itself, missed ticks collapse into one.
    scheduler.add_job(
        tick, "interval", seconds=interval_seconds, id="baton-sweep", max_instances=1, coalesce=True
    )
    scheduler.start()
    return scheduler
