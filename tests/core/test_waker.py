"""The retry wake-up of `baton serve`: one APScheduler date job at the earliest time asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import VirtualClock
from bot.scheduler import WAKE_JOB, Waker

NOW = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


class Jobs:
    """Records add_job calls as APScheduler would take them (one job per id, replaced)."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}

    def add_job(self, fn: Any, trigger: str, **kw: Any) -> None:
        assert trigger == "date" and kw["replace_existing"]
        self.jobs[kw["id"]] = {"fn": fn, **kw}


class FakeDeps:
    def __init__(self) -> None:
        self.clock = VirtualClock(NOW)


def make() -> tuple[Waker, Jobs]:
    jobs = Jobs()
    return Waker(jobs, FakeDeps(), timedelta(seconds=15)), jobs  # type: ignore[arg-type]


def test_a_retry_sooner_than_the_next_sweep_gets_a_wake_up_at_that_second():
    waker, jobs = make()
    waker(NOW + timedelta(seconds=7))
    assert jobs.jobs[WAKE_JOB]["run_date"] == NOW + timedelta(seconds=7)


def test_the_earliest_wins_and_a_later_ask_does_not_push_it_back():
    waker, jobs = make()
    waker(NOW + timedelta(seconds=9))
    waker(NOW + timedelta(seconds=3))
    waker(NOW + timedelta(seconds=12))
    assert jobs.jobs[WAKE_JOB]["run_date"] == NOW + timedelta(seconds=3)


def test_a_retry_after_the_next_sweep_is_left_to_the_sweep():
    waker, jobs = make()
    waker(NOW + timedelta(seconds=40))
    assert jobs.jobs == {}


def test_a_time_already_past_runs_at_once():
    waker, jobs = make()
    waker(NOW - timedelta(seconds=2))
    assert jobs.jobs[WAKE_JOB]["run_date"] == NOW
