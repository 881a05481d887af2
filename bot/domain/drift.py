"""Drift in the escalation rate (pure): yesterday against the same weekday of the weeks before.

The rate is escalations opened / conversations with a customer message, overall and per opening
trigger. A day is cut into hour bands (default 00-06, 06-12, 12-18, 18-24 in the report's time zone);
each band's baseline is the same band on the same weekday of the trailing `weeks` weeks (default 4).

The statistic: for each band, the expected count is the day's conversations in that band times the
baseline rate of that band (so a quiet night and a busy afternoon are each compared with their own
kind). Summed over the day, the observed count x is compared with the expected count e by the
variance-stabilised (Anscombe) score for counts

    z = 2 * (sqrt(x + 3/8) - sqrt(e + 3/8)) / sqrt(1 + n / N)

which is close to a standard normal for Poisson counts even when e is small (a plain (x - e)/sqrt(e)
alerts far too often on small counts), with n the day's conversations and N the baseline's: the
(1 + n / N) term counts the baseline's own noise, so four weeks of history are not treated as exact.
A baseline rate of zero counts as half an escalation (so a trigger that never fired can still alert).

An alert needs all three of (defaults, policy `drift:`):
- rise: z >= 3.5, at least 5 escalations observed, and observed/expected >= 1.5;
- drop: z <= -3.5, at least 5 expected, and observed/expected <= 0.5;
- and a baseline of at least 20 conversations (else the series is skipped: not enough history).
With about ten series checked a day in both directions, z = 3.5 (one-sided p = 0.00023) keeps noise
alerts to about one a year; the count and ratio floors stop tiny numbers from alerting on a
technically significant blip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import PolicyError

OVERALL = "(all escalations)"
KEYS = ("enabled", "hour", "weeks", "bands", "z", "min_count", "rise_ratio", "drop_ratio", "min_baseline")


@dataclass(frozen=True)
class DriftConfig:
    enabled: bool = True
    hour: int = 6  # local hour (report time zone) at which yesterday is checked
    weeks: int = 4
    bands: int = 4  # hour bands per day: 24 / bands hours each
    z: float = 3.5
    min_count: int = 5
    rise_ratio: float = 1.5
    drop_ratio: float = 0.5
    min_baseline: int = 20  # conversations in the baseline of a series


DEFAULT_DRIFT = DriftConfig()


class Direction(StrEnum):
    RISE = "rise"
    DROP = "drop"


@dataclass(frozen=True)
class BandCounts:
    """One hour band of one day: conversations with a customer message, escalations opened."""

    conversations: int = 0
    escalations: int = 0
    by_trigger: Mapping[str, int] = field(default_factory=dict)

    def count(self, series: str) -> int:
        return self.escalations if series == OVERALL else self.by_trigger.get(series, 0)


@dataclass(frozen=True)
class Finding:
    series: str  # OVERALL or a trigger id
    observed: int
    expected: float
    conversations: int
    baseline_conversations: int
    z: float
    direction: Direction | None  # None: no alert
    worst_band: int  # the band whose own z is furthest from zero

    @property
    def rate(self) -> float | None:
        return self.observed / self.conversations if self.conversations else None

    @property
    def baseline_rate(self) -> float | None:
        return self.expected / self.conversations if self.conversations else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "observed": self.observed,
            "expected": round(self.expected, 3),
            "z": round(self.z, 3),
            "direction": self.direction.value if self.direction else None,
            "conversations": self.conversations,
            "baseline_conversations": self.baseline_conversations,
        }


def _z(x: float, e: float, n: int, big_n: int) -> float:
    if n == 0 or e <= 0:
        return 0.0
    return 2 * (math.sqrt(x + 0.375) - math.sqrt(e + 0.375)) / math.sqrt(1 + n / max(big_n, 1))


def assess(
    series: str, day: Sequence[BandCounts], history: Sequence[Sequence[BandCounts]], config: DriftConfig
) -> Finding:
    """One series (OVERALL or a trigger) of one day against its history (each a day of the same
    weekday, band by band)."""
    observed = expected = 0.0
    n = big_n = 0
    worst, worst_z = 0, 0.0
    for b, today in enumerate(day):
        base_x = sum(h[b].count(series) for h in history if b < len(h))
        base_n = sum(h[b].conversations for h in history if b < len(h))
        big_n += base_n
        n += today.conversations
        x = today.count(series)
        observed += x
        if base_n == 0:
            continue
        rate = max(base_x, 0.5) / base_n
        e = today.conversations * rate
        expected += e
        bz = _z(x, e, today.conversations, base_n)
        if abs(bz) > abs(worst_z):
            worst, worst_z = b, bz
    z = _z(observed, expected, n, big_n)
    direction = None
    if big_n >= config.min_baseline and expected > 0:
        ratio = observed / expected
        if z >= config.z and observed >= config.min_count and ratio >= config.rise_ratio:
            direction = Direction.RISE
        elif z <= -config.z and expected >= config.min_count and ratio <= config.drop_ratio:
            direction = Direction.DROP
    return Finding(series, int(observed), expected, n, big_n, z, direction, worst)


def check(
    day: Sequence[BandCounts], history: Sequence[Sequence[BandCounts]], config: DriftConfig = DEFAULT_DRIFT
) -> list[Finding]:
    """Every series seen today or in the history: overall first, then triggers by name."""
    triggers = sorted({t for d in (day, *history) for band in d for t in band.by_trigger})
    return [assess(s, day, history, config) for s in (OVERALL, *triggers)]


def alerts(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.direction is not None]


# ---------------------------------------------------------------- days and bands


def day_start(day: datetime, tz: ZoneInfo) -> datetime:
    """Local midnight of `day`'s local date, as aware UTC."""
    local = day.astimezone(tz)
    return datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


def band_bounds(start: datetime, tz: ZoneInfo, bands: int) -> list[tuple[datetime, datetime]]:
    """The day's bands in UTC (local wall-clock hours; DST days have a short or long band)."""
    local = start.astimezone(tz)
    hours = 24 // bands
    out = []
    for b in range(bands):
        lo = datetime(local.year, local.month, local.day, tzinfo=tz) + timedelta(hours=b * hours)
        hi = datetime(local.year, local.month, local.day, tzinfo=tz) + timedelta(hours=(b + 1) * hours)
        out.append((lo.astimezone(UTC), hi.astimezone(UTC)))
    return out


def bucket(
    bounds: Sequence[tuple[datetime, datetime]],
    escalations: Iterable[tuple[float, str]],
    messages: Iterable[tuple[int, float]],
) -> list[BandCounts]:
    """Counts per band from escalations (opened epoch, trigger) and customer messages
    (conversation id, sent epoch): a conversation counts once per band it spoke in."""
    edges = [(lo.timestamp(), hi.timestamp()) for lo, hi in bounds]

    def band(t: float) -> int | None:
        for i, (lo, hi) in enumerate(edges):
            if lo <= t < hi:
                return i
        return None

    convs: list[set[int]] = [set() for _ in edges]
    esc = [0] * len(edges)
    trig: list[dict[str, int]] = [{} for _ in edges]
    for conv, at in messages:
        i = band(at)
        if i is not None:
            convs[i].add(conv)
    for at, trigger in escalations:
        i = band(at)
        if i is not None:
            esc[i] += 1
            key = trigger or "(none)"
            trig[i][key] = trig[i].get(key, 0) + 1
    return [BandCounts(len(convs[i]), esc[i], trig[i]) for i in range(len(edges))]


def band_label(b: int, bands: int) -> str:
    hours = 24 // bands
    return f"{b * hours:02d}:00-{(b + 1) * hours:02d}:00"


# ---------------------------------------------------------------- the policy section


def parse_drift(doc: Mapping[str, Any]) -> DriftConfig:
    raw = doc.get("drift")
    if raw is None:
        return DEFAULT_DRIFT
    if not isinstance(raw, Mapping):
        raise PolicyError(("drift",), "must be a mapping", "e.g. drift: {enabled: true, hour: 6}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = ("drift", key)
        if key not in KEYS:
            raise PolicyError(where, f"unknown key '{key}'", "allowed: " + ", ".join(KEYS))
        if key == "enabled":
            if not isinstance(value, bool):
                raise PolicyError(where, "must be true or false")
        elif key in ("z", "rise_ratio", "drop_ratio"):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise PolicyError(
                    where, "must be a positive number", "e.g. z: 3.0, rise_ratio: 1.5, drop_ratio: 0.5"
                )
            if key == "drop_ratio" and value >= 1:
                raise PolicyError(where, "must be below 1", "0.5 alerts when the rate halves")
            if key == "rise_ratio" and value <= 1:
                raise PolicyError(where, "must be above 1", "1.5 alerts when the rate is half as high again")
            value = float(value)
        else:
            limits = {
                "hour": (0, 23),
                "weeks": (1, 12),
                "bands": (1, 24),
                "min_count": (1, 10000),
                "min_baseline": (1, 10**6),
            }
            lo, hi = limits[key]
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise PolicyError(where, f"must be a whole number from {lo} to {hi}")
            if key == "bands" and 24 % value:
                raise PolicyError(where, "must divide the day evenly", "use 1, 2, 3, 4, 6, 8, 12 or 24")
        values[key] = value
    return DriftConfig(**values)
