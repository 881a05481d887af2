"""What the customer hears about waiting: an expected wait from recent pickup times.

Pure. The flow queries the pickup times (open -> claim, in seconds) of the team's escalations opened in
the same hour of day over the last 7 days, and passes them here. Without history the team's documented
default applies (`expected_wait`, default 15m; see docs/policy-paging.md).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError
from bot.domain.hours import team_setting

DEFAULT_EXPECTED_WAIT = timedelta(minutes=15)


def expected_wait(
    pickup_seconds: Sequence[float], default: timedelta = DEFAULT_EXPECTED_WAIT, min_samples: int = 1
) -> timedelta:
    """The median of the usable pickup times (finite, >= 0), or `default` with fewer than `min_samples`."""
    usable = [float(s) for s in pickup_seconds if isinstance(s, int | float) and math.isfinite(s) and s >= 0]
    if len(usable) < max(1, min_samples):
        return default
    return timedelta(seconds=statistics.median(usable))


def remaining_wait(
    pickup_seconds: Sequence[float], waited_seconds: float, default: timedelta = DEFAULT_EXPECTED_WAIT
) -> timedelta | None:
    """How much longer a customer who has already waited `waited_seconds` should expect to wait.

    From the pickups that took longer than that wait (the others are no guide any more): the median of
    what they took beyond it, so the estimate counts down as the wait goes on instead of repeating the
    first one. Without history, what is left of `default`. None when the wait is already longer than
    every pickup seen (or than the default): then the honest answer is "longer than usual".
    """
    usable = [float(s) for s in pickup_seconds if isinstance(s, int | float) and math.isfinite(s) and s >= 0]
    if not usable:
        left = default.total_seconds() - waited_seconds
        return timedelta(seconds=left) if left > 0 else None
    longer = [s - waited_seconds for s in usable if s > waited_seconds]
    if not longer:
        return None
    return timedelta(seconds=statistics.median(longer))


def default_wait(doc: Mapping[str, Any], team_name: str) -> timedelta:
    """The team's `expected_wait` (or team_defaults'), used when there is no pickup history."""
    value, path = team_setting(doc, team_name, "expected_wait")
    try:
        td = parse_duration(value)
    except ValueError as e:
        raise PolicyError(path, str(e), "a duration such as 15m or 1h") from None
    if td <= timedelta(0):
        raise PolicyError(path, "expected_wait must be longer than zero", "a duration such as 15m or 1h")
    return td


def estimate(td: timedelta) -> tuple[str, int]:
    """The rounded estimate, as (unit, n): ("under_a_minute", 0), ("minute", n), ("hour", n) or
    ("day", n). Above ten minutes it rounds to 5 minutes; above 90 to hours; above 36 hours to days."""
    secs = td.total_seconds()
    if secs < 45:
        return "under_a_minute", 0
    minutes = secs / 60
    if minutes < 10:
        return "minute", max(1, round(minutes))
    if minutes < 90:
        return "minute", int(5 * round(minutes / 5))
    hours = minutes / 60
    if hours < 36:
        return "hour", round(hours)
    return "day", round(hours / 24)


def describe(td: timedelta) -> str:
    """A plain, honest estimate in English: 'less than a minute', 'about 1 minute', 'about 10 minutes',
    'about 2 hours', 'about 3 days' (bot.customer_messages says it in the customer's language)."""
    unit, n = estimate(td)
    if unit == "under_a_minute":
        return "less than a minute"
    return f"about {n} {unit}{'s' if n != 1 else ''}"
