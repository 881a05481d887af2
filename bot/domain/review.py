"""The monthly false-positive review (pure): which escalations to show, and what the verdicts suggest.

Sample: `size` escalations (default 20) of the period, stratified by the trigger that opened them:
every trigger gets at least one place while places last (the rarest triggers are the likeliest to be
wrong and the least measured), the rest are shared in proportion to volume (largest remainder). Within
a trigger the pick is deterministic: escalations ordered by a hash of (period, id), so a repeated run
shows the same sample and no one can steer it.

Suggestions, per trigger with at least `min_answers` (default 5) answers in the period:
- precision < 0.5: tighten it (most of its escalations did not need a human);
- precision >= 0.9 and missed escalations reported in the period: it could be loosened;
- otherwise: keep it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import PolicyError

KEYS = ("schedule", "day", "hour", "sample_size", "min_answers")
MAX_SAMPLE = 20  # two blocks per escalation plus the header and summary stay within 50 blocks
HINTS = {
    "day": "days 29-31 do not exist in every month",
    "sample_size": f"e.g. 20, the default; at most {MAX_SAMPLE} so the post stays within Slack's 50 blocks",
    "min_answers": "e.g. 5, the default",
}


class Schedule(StrEnum):
    MONTHLY = "monthly"
    OFF = "off"


@dataclass(frozen=True)
class ReviewConfig:
    schedule: Schedule = Schedule.MONTHLY
    day: int = 1  # day of the month the review of the month before is posted
    hour: int = 9  # local hour (report time zone)
    sample_size: int = 20
    min_answers: int = 5


DEFAULT_REVIEW = ReviewConfig()


def _rank(period: str, esc_id: int) -> bytes:
    return hashlib.sha256(f"review:{period}:{esc_id}".encode()).digest()


def stratified_sample(rows: Sequence[tuple[int, str]], size: int, period: str) -> list[int]:
    """Escalation ids from (id, trigger) rows: at least one per trigger while places last, the rest
    in proportion to each trigger's volume. Deterministic for a given period."""
    if size <= 0 or not rows:
        return []
    strata: dict[str, list[int]] = {}
    for esc_id, trigger in rows:
        strata.setdefault(trigger or "(none)", []).append(esc_id)
    for ids in strata.values():
        ids.sort(key=lambda i: _rank(period, i))
    order = sorted(strata, key=lambda t: (len(strata[t]), t))  # rarest first for the guaranteed places
    places = dict.fromkeys(order, 0)
    left = min(size, len(rows))
    for t in order:
        if left == 0:
            break
        places[t] = 1
        left -= 1
    if left:
        total = len(rows)
        quotas = {t: len(strata[t]) * left / total for t in order}
        extra = {t: min(int(quotas[t]), len(strata[t]) - places[t]) for t in order}
        for t in order:
            places[t] += extra[t]
        left -= sum(extra.values())
        # largest remainder, never past a stratum's size
        for t in sorted(order, key=lambda t: (-(quotas[t] - int(quotas[t])), t)):
            if left == 0:
                break
            if places[t] < len(strata[t]):
                places[t] += 1
                left -= 1
        while left:  # some strata were too small: fill from the largest
            grown = False
            for t in sorted(order, key=lambda t: -len(strata[t])):
                if left and places[t] < len(strata[t]):
                    places[t] += 1
                    left -= 1
                    grown = True
            if not grown:
                break
    picked = [i for t in order for i in strata[t][: places[t]]]
    return sorted(picked)


class Advice(StrEnum):
    TIGHTEN = "tighten"
    LOOSEN = "loosen"
    KEEP = "keep"
    UNMEASURED = "unmeasured"


@dataclass(frozen=True)
class TriggerAdvice:
    trigger: str
    escalations: int
    needed: int
    answered: int
    advice: Advice

    @property
    def precision(self) -> float | None:
        return self.needed / self.answered if self.answered else None


def advise(rows: Sequence[tuple[str, str]], *, missed: int, min_answers: int = 5) -> list[TriggerAdvice]:
    """From (trigger, needed) rows of the period (needed: yes | partly | no | ""), per trigger."""
    counts: dict[str, list[int]] = {}
    for trigger, needed in rows:
        c = counts.setdefault(trigger or "(none)", [0, 0, 0])
        c[0] += 1
        if needed:
            c[2] += 1
            c[1] += needed in ("yes", "partly")
    out = []
    for trigger, (n, yes, answered) in counts.items():
        if answered < min_answers:
            advice = Advice.UNMEASURED
        elif yes / answered < 0.5:
            advice = Advice.TIGHTEN
        elif yes / answered >= 0.9 and missed > 0:
            advice = Advice.LOOSEN
        else:
            advice = Advice.KEEP
        out.append(TriggerAdvice(trigger, n, yes, answered, advice))
    order = {Advice.TIGHTEN: 0, Advice.LOOSEN: 1, Advice.KEEP: 2, Advice.UNMEASURED: 3}
    out.sort(key=lambda a: (order[a.advice], -a.escalations, a.trigger))
    return out


# ---------------------------------------------------------------- when it runs


def month_key(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def previous_month_key(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def due_at(now: datetime, config: ReviewConfig, tz: ZoneInfo) -> datetime | None:
    """When this month's scheduled review (of last month) is due; None when the schedule is off."""
    if config.schedule is Schedule.OFF:
        return None
    local = now.astimezone(tz)
    return datetime(local.year, local.month, config.day, config.hour, tzinfo=tz).astimezone(UTC)


def parse_review(doc: Mapping[str, Any]) -> ReviewConfig:
    raw = doc.get("review")
    if raw is None:
        return DEFAULT_REVIEW
    if not isinstance(raw, Mapping):
        raise PolicyError(
            ("review",), "must be a mapping", "e.g. review: {schedule: monthly, day: 1, hour: 9}"
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = ("review", key)
        if key not in KEYS:
            raise PolicyError(where, f"unknown key '{key}'", "allowed: " + ", ".join(KEYS))
        if key == "schedule":
            try:
                values[key] = Schedule(str(value if value is not False else "off"))
            except ValueError:
                raise PolicyError(where, f"'{value}' is not a schedule", "use monthly or off") from None
            continue
        limits = {"day": (1, 28), "hour": (0, 23), "sample_size": (1, MAX_SAMPLE), "min_answers": (1, 1000)}
        lo, hi = limits[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            hint = HINTS.get(key, "")
            raise PolicyError(where, f"must be a whole number from {lo} to {hi}", hint)
        values[key] = value
    return ReviewConfig(**values)
