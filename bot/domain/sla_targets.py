"""SLA targets per team (pure): how soon an escalation should be picked up, and answered once claimed.

    teams:
      support:
        sla:
          pickup: {immediate: 15m, queued: 4h}       # one duration for both, or one per urgency
          next_reply: {immediate: 30m, queued: 8h}   # once claimed: the next human reply in the thread
          business_hours: true                       # count only the team's opening hours
          warn_before: 5m                            # the warning before a breach (at most half the target)
          segments:                                  # a segment's own targets (the rest from above)
            enterprise: {pickup: {immediate: 5m}, next_reply: 15m}
          keep_alive: 15m                            # the customer hears from us this often while unclaimed
          repeat_every: 30m                          # after the chain's last step: repeat it, tell the manager

Defaults (docs/policy.md): pickup immediate 15m / queued 4h, next_reply immediate 30m / queued 8h,
business hours counted, warn_before 5m, keep_alive 15m, repeat_every 30m. `team_defaults: {sla: ...}`
sets them for every team. Reports measure SLA attainment against the pickup targets (per segment), and count breaches.

`due_at` is the deadline math: a target counted from a start instant in wall-clock time, or in the
team's opening hours only (across closed nights, weekends, holidays and DST changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError
from bot.domain.hours import TeamHours
from bot.domain.model import TIERS, URGENCIES


class Target(StrEnum):
    """Which SLA target a deadline measures (escalations.sla_target, escalations.breached_by)."""

    PICKUP = "pickup"  # opened (or released) -> claimed
    NEXT_REPLY = "next_reply"  # claimed, or the customer wrote again -> a human reply in the thread


DEFAULT_PICKUP: dict[str, timedelta] = {"immediate": timedelta(minutes=15), "queued": timedelta(hours=4)}
DEFAULT_NEXT_REPLY: dict[str, timedelta] = {"immediate": timedelta(minutes=30), "queued": timedelta(hours=8)}
DEFAULT_WARN_BEFORE = timedelta(minutes=5)
DEFAULT_KEEP_ALIVE = timedelta(minutes=15)
DEFAULT_REPEAT_EVERY = timedelta(minutes=30)
MIN_KEEP_ALIVE = timedelta(minutes=5)  # more often than this is noise in the customer's thread
SLA_KEYS = ("pickup", "next_reply", "business_hours", "warn_before", "segments", "keep_alive", "repeat_every")
SEGMENT_KEYS = ("pickup", "next_reply")
_SEARCH_DAYS = 400  # a business-hours deadline further than this is a policy with no opening hours

Durations = tuple[tuple[str, timedelta], ...]  # (urgency, target)


def _lookup(table: Durations, urgency: str, fallback: Mapping[str, timedelta]) -> timedelta:
    for name, value in table:
        if name == urgency:
            return value
    return fallback.get(urgency, fallback["queued"])


@dataclass(frozen=True, slots=True)
class SlaTargets:
    pickup: Durations
    business_hours: bool = True
    next_reply: Durations = tuple(DEFAULT_NEXT_REPLY.items())
    # (segment, pickup overrides, next_reply overrides)
    segments: tuple[tuple[str, Durations, Durations], ...] = ()
    warn_before: timedelta = DEFAULT_WARN_BEFORE
    keep_alive: timedelta = DEFAULT_KEEP_ALIVE
    repeat_every: timedelta = DEFAULT_REPEAT_EVERY

    def _segment(self, tier: str | None) -> tuple[Durations, Durations]:
        for name, pickup, reply in self.segments:
            if name == tier:
                return pickup, reply
        return (), ()

    def segment_names(self) -> tuple[str, ...]:
        """The segments with targets of their own (for the reports' SQL)."""
        return tuple(name for name, _, _ in self.segments)

    def pickup_for(self, urgency: str, tier: str | None = None) -> timedelta:
        own, _ = self._segment(tier)
        if any(u == urgency for u, _ in own):
            return _lookup(own, urgency, DEFAULT_PICKUP)
        return _lookup(self.pickup, urgency, DEFAULT_PICKUP)

    def next_reply_for(self, urgency: str, tier: str | None = None) -> timedelta:
        _, own = self._segment(tier)
        if any(u == urgency for u, _ in own):
            return _lookup(own, urgency, DEFAULT_NEXT_REPLY)
        return _lookup(self.next_reply, urgency, DEFAULT_NEXT_REPLY)

    def target_for(self, target: Target, urgency: str, tier: str | None = None) -> timedelta:
        if target is Target.PICKUP:
            return self.pickup_for(urgency, tier)
        return self.next_reply_for(urgency, tier)

    def lead(self, target: timedelta) -> timedelta:
        """How long before the deadline the warning goes out: warn_before, at most half the target."""
        return min(self.warn_before, target / 2)


DEFAULT_SLA = SlaTargets(tuple(DEFAULT_PICKUP.items()), True)


# ---------------------------------------------------------------- deadline math


def _at(tz: ZoneInfo, day: date, minutes: int) -> datetime:
    """A local wall time as UTC, the way reports count business seconds (bot.domain.report)."""
    base = datetime(day.year, day.month, day.day, tzinfo=tz)
    if minutes >= 24 * 60:
        return (base + timedelta(days=1)).astimezone(UTC)
    return base.replace(hour=minutes // 60, minute=minutes % 60).astimezone(UTC)


def due_at(start: datetime, target: timedelta, hours: TeamHours | None, *, business_hours: bool) -> datetime:
    """When `target` has elapsed since `start`: wall-clock time, or only the team's open time.

    Counting in business hours, time outside the opening windows (nights, closed days, holidays) does
    not count; a deadline that lands exactly at a window's end stays there (the breach is at closing).
    Without hours (or `business_hours: false`) it is `start + target` (aware UTC, so DST is no matter).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    if not business_hours or hours is None:
        return start + target
    left = target
    day = start.astimezone(hours.tz).date() - timedelta(days=1)  # a window may start the day before
    for _ in range(_SEARCH_DAYS):
        if hours.holiday_name(day) is None:
            for lo, hi in hours.windows[day.weekday()]:
                a, b = max(_at(hours.tz, day, lo), start), _at(hours.tz, day, hi)
                if b <= a:
                    continue
                if b - a >= left:
                    return a + left
                left -= b - a
        day += timedelta(days=1)
    raise ValueError(f"team {hours.team!r} has no opening hours within {_SEARCH_DAYS} days")


def warn_at(
    start: datetime, target: timedelta, lead: timedelta, hours: TeamHours | None, *, business_hours: bool
) -> datetime:
    """When the warning before the breach is due: `lead` before the deadline, counted the same way."""
    return due_at(start, max(target - lead, timedelta(0)), hours, business_hours=business_hours)


# ---------------------------------------------------------------- the policy section


def _duration(value: Any, path: tuple[str | int, ...], what: str = "a target") -> timedelta:
    try:
        d = parse_duration(value)
    except ValueError as exc:
        raise PolicyError(path, str(exc), "e.g. 15m or 4h") from None
    if d <= timedelta(0):
        raise PolicyError(path, f"{what} must be longer than zero", "e.g. 15m")
    return d


def _per_urgency(
    raw: Any, path: tuple[str | int, ...], base: Mapping[str, timedelta], *, fill: bool = True
) -> dict[str, timedelta]:
    out = dict(base) if fill else {}
    if isinstance(raw, Mapping):
        for urgency, d in raw.items():
            if urgency not in URGENCIES:
                raise PolicyError(
                    (*path, urgency), f"{urgency!r} is not an urgency", "use immediate or queued"
                )
            out[str(urgency)] = _duration(d, (*path, urgency))
    elif raw is not None:
        one = _duration(raw, path)
        out = {u: one for u in URGENCIES}
    return out


def _segments(raw: Any, path: tuple[str | int, ...]) -> tuple[tuple[str, Durations, Durations], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise PolicyError(path, "segments must be a mapping", "e.g. segments: {enterprise: {pickup: 5m}}")
    out = []
    for name, body in raw.items():
        if name not in TIERS:
            raise PolicyError((*path, name), f"unknown segment {name!r}", "use " + ", ".join(TIERS))
        if not isinstance(body, Mapping):
            raise PolicyError((*path, name), "a segment's targets must be a mapping", "e.g. {pickup: 5m}")
        for key in body:
            if key not in SEGMENT_KEYS:
                raise PolicyError(
                    (*path, name, key), f"unknown key {key!r}", "use " + ", ".join(SEGMENT_KEYS)
                )
        pickup = _per_urgency(body.get("pickup"), (*path, name, "pickup"), {}, fill=False)
        reply = _per_urgency(body.get("next_reply"), (*path, name, "next_reply"), {}, fill=False)
        out.append((str(name), tuple(pickup.items()), tuple(reply.items())))
    return tuple(out)


def parse_sla(value: Any, path: tuple[str | int, ...]) -> SlaTargets:
    if value is None:
        return DEFAULT_SLA
    if not isinstance(value, Mapping):
        raise PolicyError(path, "sla must be a mapping", "e.g. sla: {pickup: {immediate: 15m, queued: 4h}}")
    for key in value:
        if key not in SLA_KEYS:
            raise PolicyError((*path, key), f"unknown key {key!r}", "use " + ", ".join(SLA_KEYS))
    pickup = _per_urgency(value.get("pickup"), (*path, "pickup"), DEFAULT_PICKUP)
    reply = _per_urgency(value.get("next_reply"), (*path, "next_reply"), DEFAULT_NEXT_REPLY)
    business = value.get("business_hours", True)
    if not isinstance(business, bool):
        raise PolicyError((*path, "business_hours"), "must be true or false", "business_hours: true")
    warn = DEFAULT_WARN_BEFORE
    if "warn_before" in value:
        warn = _duration(value["warn_before"], (*path, "warn_before"), "warn_before")
    keep = DEFAULT_KEEP_ALIVE
    if "keep_alive" in value:
        keep = _duration(value["keep_alive"], (*path, "keep_alive"), "keep_alive")
        if keep < MIN_KEEP_ALIVE:
            raise PolicyError(
                (*path, "keep_alive"),
                f"keep_alive {value['keep_alive']!r} would post in the customer's thread too often",
                "use 5m or more, e.g. keep_alive: 15m",
            )
    every = DEFAULT_REPEAT_EVERY
    if "repeat_every" in value:
        every = _duration(value["repeat_every"], (*path, "repeat_every"), "repeat_every")
        if every < MIN_KEEP_ALIVE:
            raise PolicyError(
                (*path, "repeat_every"),
                "repeat_every under 5m would page in a loop",
                "e.g. repeat_every: 30m",
            )
    return SlaTargets(
        pickup=tuple(pickup.items()),
        business_hours=business,
        next_reply=tuple(reply.items()),
        segments=_segments(value.get("segments"), (*path, "segments")),
        warn_before=warn,
        keep_alive=keep,
        repeat_every=every,
    )
