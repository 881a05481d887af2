"""The one clock. Everything asks it for the time, so a simulation can run a day in a second."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock:
    """A clock that moves only when told to (simulation and tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            when = when.astimezone(UTC)
            if when < self._now:
                raise ValueError("a virtual clock never goes backwards")
            self._now = when

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


def to_utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime (as SQLite hands back) is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
