"""When to try an outside call again: Baton's one retry policy.

Every durable retry (the outbox: Slack posts, pages, DMs) and every in-call retry (the CRM clients)
asks this module. The rules:

- A server's `Retry-After` is honoured to the second (seconds or an HTTP date), up to an hour.
- Otherwise exponential backoff with "equal jitter" (half the delay fixed, half random), so a burst
  of failures does not come back as a burst: 5 s, 10 s, 20 s, 40 s, then 60 s.
- During the first OUTAGE_WINDOW of a failure the delay never exceeds EARLY_CAP: a page is tried at
  least once a minute in the first ten minutes of a pager outage. After that it grows to LATE_CAP.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

BASE = timedelta(seconds=5)
FACTOR = 2.0
EARLY_CAP = timedelta(seconds=60)
OUTAGE_WINDOW = timedelta(minutes=10)
LATE_CAP = timedelta(minutes=5)
# A server asking for more than this is honoured only up to it: a page must not wait for hours.
MAX_RETRY_AFTER = timedelta(hours=1)
MIN_RETRY_AFTER = timedelta(seconds=1)  # "Retry-After: 0" must not become a busy loop


def backoff(
    attempt: int,
    retry_after: float | None = None,
    *,
    failing_for: timedelta = timedelta(0),
    base: timedelta = BASE,
    rand: Callable[[], float] = random.random,
) -> timedelta:
    """The wait before the next attempt, after `attempt` (>= 1) failed attempts.

    `failing_for` is how long the call has been failing (for the outbox: since the effect was
    queued); it picks the cap. `rand` returns a float in [0, 1) (injected for repeatable tests).
    """
    if attempt < 1:
        raise ValueError("attempt counts failed attempts and starts at 1")
    if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
        return min(max(timedelta(seconds=retry_after), MIN_RETRY_AFTER), MAX_RETRY_AFTER)
    cap = EARLY_CAP if failing_for < OUTAGE_WINDOW else LATE_CAP
    exp = min(attempt - 1, 64)  # keep the float finite; the cap bites long before
    full = min(base.total_seconds() * FACTOR**exp, cap.total_seconds())
    return timedelta(seconds=full / 2 + rand() * full / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: an integer (PagerDuty, Slack) or an HTTP date (needs `now`). None if absent or bad."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        return max(0.0, seconds)
    if now is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def header(headers: object, name: str = "retry-after") -> str | None:
    """A header's value from any mapping of headers, whatever the case of its name."""
    items = getattr(headers, "items", None)
    if items is None:
        return None
    for key, value in items():
        if str(key).lower() == name:
            return None if value is None else str(value)
    return None
