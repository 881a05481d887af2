"""When to try an outside call again: exponential backoff, capped, no jitter, Retry-After honoured.

The pager clients make ONE attempt per call and classify the outcome (see integrations.pager); the
durable outbox stores the request and calls again at `next_attempt_at`. Deterministic on purpose:
the same attempt number always gives the same delay, so tests and `baton simulate` are repeatable.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime, timedelta

BASE = timedelta(seconds=10)
FACTOR = 2.0
CAP = timedelta(minutes=10)
# A server asking for more than this is honoured only up to it: a page must not wait for hours.
MAX_RETRY_AFTER = timedelta(hours=1)


def backoff(
    attempt: int,
    retry_after: float | None = None,
    *,
    base: timedelta = BASE,
    factor: float = FACTOR,
    cap: timedelta = CAP,
) -> timedelta:
    """The wait before attempt `attempt + 1`, after `attempt` (>= 1) failed attempts.

    base * factor ** (attempt - 1), capped at `cap`: 10s, 20s, 40s ... 10 min. When the server sent
    Retry-After (seconds), wait that long instead (at least the server's ask, at most MAX_RETRY_AFTER).
    """
    if attempt < 1:
        raise ValueError("attempt counts failed attempts and starts at 1")
    if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
        return min(timedelta(seconds=retry_after), MAX_RETRY_AFTER)
    exp = min(attempt - 1, 64)  # keep the float finite; the cap bites long before
    seconds = min(base.total_seconds() * factor**exp, cap.total_seconds())
    return timedelta(seconds=seconds)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: an integer (PagerDuty, Slack) or an HTTP date (needs `now`). None if absent or bad."""
    if value is None:
        return None
    text = value.strip()
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


def next_attempt_at(now: datetime, attempt: int, retry_after: float | None = None) -> datetime:
    """`now` plus the backoff after `attempt` failed attempts."""
    return now + backoff(attempt, retry_after)
