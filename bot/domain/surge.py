"""Surges: many escalations opening at once (an outage) get one page with the count, not one each.

Pure: the flow passes the open times of the recent escalations (for a team, or all).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def surge_count(open_times: Iterable[datetime], now: datetime, window: timedelta) -> int:
    """How many escalations opened within `window` before `now` (in (now - window, now])."""
    if window <= timedelta(0):
        raise ValueError("window must be longer than zero")
    start = now - window
    return sum(1 for t in open_times if start < t <= now)


def is_surge(open_times: Iterable[datetime], now: datetime, window: timedelta, threshold: int) -> bool:
    """True when at least `threshold` escalations opened within `window` before `now`."""
    if threshold < 2:
        raise ValueError("a surge needs a threshold of at least 2")
    return surge_count(open_times, now, window) >= threshold
