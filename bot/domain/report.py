"""Report math (pure): periods, ratios, percentiles, business-hours durations, and the figures of
`/escalations report` and `baton report`, computed from plain rows.

Definitions (docs/reports.md says the same to managers):
- escalation rate: escalated conversations (distinct conversations with an escalation opened in the
  period: one that escalates twice counts once) / conversations Baton watched in the period (a
  conversation with at least one message in the period);
- accuracy: needed / (needed + not needed), from the resolver's "Was a human needed?" answers
  ("partly" counts as needed: a human had something to add);
- time to escalation: from the conversation's first customer message (or the first after the
  previous resolution) to the escalation opening;
- pickup: opening to claim, in wall-clock seconds and in the team's business hours;
- SLA attainment: claimed within the team's pickup target for the urgency and segment / escalations
  whose target has had time to pass (claimed, or open longer than the target);
- SLA breaches (as recorded when they happened): escalations with a pickup breach / escalations, and
  with a next-reply breach / claimed escalations;
- handle time: claim to resolve;
- abandoned: never claimed, and either resolved without a claim or still unclaimed 24 h after opening.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.hours import TeamHours

ABANDON_AFTER = timedelta(hours=24)


class Breakdown(StrEnum):
    TEAM = "team"
    SEGMENT = "segment"
    TRIGGER = "trigger"
    CATEGORY = "category"
    LANGUAGE = "language"


class Needed(StrEnum):
    """The resolver's answer to "Was a human needed?"."""

    YES = "yes"
    NO = "no"  # the AI could have handled it
    PARTLY = "partly"


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime  # inclusive, aware UTC
    end: datetime  # exclusive
    label: str
    month_tz: ZoneInfo | None = None  # set for calendar months: the zone their midnights are in

    def previous(self) -> Period:
        """The period of the same length just before (for a calendar month: the whole month before)."""
        if self.month_tz is not None:
            start = _month_start(self.start - timedelta(days=1), self.month_tz)
            return Period(start, self.start, "the month before", self.month_tz)
        length = self.end - self.start
        return Period(self.start - length, self.start, "the period before")



def _month_start(at: datetime, tz: ZoneInfo) -> datetime:
    local = at.astimezone(tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


_TICK = timedelta(microseconds=1)
_DAYS = re.compile(r"^(\d{1,4})\s*d(?:ays?)?$")


def parse_period(text: str, now: datetime, tz: ZoneInfo | None = None) -> Period:
    """`7d`, `30d`, `90d` (any N days), `this month`, `last month`; months in the given time zone."""
    tz = tz or ZoneInfo("UTC")
    now = now + _TICK  # periods end at `now` inclusive: what happened this very moment counts
    word = " ".join(text.lower().split()) or "30d"
    m = _DAYS.match(word)
    if m:
        n = int(m.group(1))
        if not 1 <= n <= 3660:
            raise ValueError(f"`{text}`: give between 1 and 3660 days")
        return Period(now - timedelta(days=n), now, f"last {n} days")
    if word == "this month":
        return Period(_month_start(now, tz), now, "this month", tz)
    if word == "last month":
        this = _month_start(now, tz)
        return Period(_month_start(this - timedelta(days=1), tz), this, "last month", tz)
    raise ValueError(f"`{text}` is not a period: use 7d, 30d, 90d, this month or last month")


@dataclass(frozen=True, slots=True)
class Ratio:
    num: int
    den: int

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "numerator": self.num, "denominator": self.den}


@dataclass(frozen=True, slots=True)
class Quantiles:
    p50: float | None
    p90: float | None
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"p50": self.p50, "p90": self.p90, "n": self.n}


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont)."""
    n = len(sorted_values)
    if n == 0:
        return None
    pos = (n - 1) * q
    lo = math.floor(pos)
    hi = min(n - 1, lo + 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


def quantiles(values: Iterable[float]) -> Quantiles:
    data = sorted(values)
    return Quantiles(percentile(data, 0.5), percentile(data, 0.9), len(data))


def business_seconds(h: TeamHours | None, start: datetime, end: datetime) -> float:
    """Seconds of [start, end) that fall inside the team's opening hours (holidays closed).
    With no hours configured the team is always open: wall-clock seconds."""
    if end <= start:
        return 0.0
    if h is None:
        return (end - start).total_seconds()
    tz = h.tz
    total = 0.0
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if h.holiday_name(day) is None:
            for lo, hi in h.windows[day.weekday()]:
                a = _at(tz, day, lo)
                b = _at(tz, day, hi)
                s, e = max(a, start), min(b, end)
                if e > s:
                    total += (e - s).total_seconds()
        day += timedelta(days=1)
    return total


class BusinessClock:
    """Business seconds between any two instants (epoch seconds) in a span, in O(log n) each: the
    team's opening intervals over the span are laid out once with their cumulative open time, so a
    report over tens of thousands of escalations does not walk the calendar for each one."""

    def __init__(self, h: TeamHours | None, start: float, end: float) -> None:
        self.h = h
        self.lo, self.hi = start, end
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.before: list[float] = []  # open seconds before each interval starts
        if h is None:
            return
        day = datetime.fromtimestamp(start, h.tz).date()
        last = datetime.fromtimestamp(end, h.tz).date()
        total = 0.0
        while day <= last:
            if h.holiday_name(day) is None:
                for a_min, b_min in h.windows[day.weekday()]:
                    a, b = _at(h.tz, day, a_min).timestamp(), _at(h.tz, day, b_min).timestamp()
                    if b > a:
                        self.starts.append(a)
                        self.ends.append(b)
                        self.before.append(total)
                        total += b - a
            day += timedelta(days=1)

    def _open_until(self, t: float) -> float:
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0.0
        return self.before[i] + min(t, self.ends[i]) - self.starts[i]

    def seconds(self, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        if self.h is None:
            return end - start
        if start < self.lo or end > self.hi:  # outside the laid-out span: walk the calendar
            return business_seconds(self.h, _dt(start), _dt(end))
        return self._open_until(end) - self._open_until(start)


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _at(tz: ZoneInfo, day: Any, minutes: int) -> datetime:
    base = datetime(day.year, day.month, day.day, tzinfo=tz)
    if minutes >= 24 * 60:
        return (base + timedelta(days=1)).astimezone(UTC)
    return base.replace(hour=minutes // 60, minute=minutes % 60).astimezone(UTC)


# ---------------------------------------------------------------- rows in, figures out


@dataclass(frozen=True, slots=True)
class EscalationRow:
    """What a report needs of one escalation (storage reads these with one query). Times are epoch
    seconds (UTC): a report does arithmetic on tens of thousands of them."""

    id: int
    opened: float
    team: str
    tier: str
    category: str
    language: str
    urgency: str
    trigger: str  # the trigger that opened it
    first_customer: float | None  # when the customer started asking
    claimed: float | None
    resolved: float | None
    needed: str  # "" (no answer), yes, no, partly
    csat: int | None = None
    # Stored when they happen (report_tally.Durations); None: computed here from the times above.
    tte_s: float | None = None
    pickup_s: float | None = None
    pickup_business_s: float | None = None
    handle_s: float | None = None
    pickup_breaches: int = 0  # how often each SLA target was breached (counted when it happened)
    next_reply_breaches: int = 0
    conversation: int | None = None  # its conversation: the escalation rate counts conversations once


def escalated_conversations(rows: Iterable[EscalationRow]) -> int:
    """Distinct conversations among `rows` (a row without a conversation counts on its own)."""
    return len({r.conversation if r.conversation is not None else ("escalation", r.id) for r in rows})


@dataclass(frozen=True, slots=True)
class Targets:
    """Pickup targets per (team, urgency, segment), in seconds (a segment's own target where the policy
    sets one: `sla.segments`), and whether they count business hours."""

    pickup: Callable[[str, str, str], float]
    hours: Callable[[str], TeamHours | None]
    business: Callable[[str], bool]


@dataclass(frozen=True)
class Figures:
    escalations: int
    watched: int
    rate: Ratio
    accuracy: Ratio
    feedback: Ratio  # escalations with feedback / resolved escalations
    time_to_escalation: Quantiles
    pickup: Quantiles
    pickup_business: Quantiles
    sla: Ratio
    handle: Quantiles
    csat_avg: float | None
    csat_responses: Ratio  # surveys answered / resolved escalations
    abandoned: Ratio
    per_day: tuple[tuple[str, int, float | None], ...] = ()  # (YYYY-MM-DD, escalations, pickup p90 s)
    # SLA breaches as recorded when they happened: escalations that breached the pickup target / all
    # escalations, and that breached a next-reply target / claimed escalations.
    breached_pickup: Ratio = Ratio(0, 0)
    breached_next_reply: Ratio = Ratio(0, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "escalations": self.escalations,
            "conversations_watched": self.watched,
            "escalation_rate": self.rate.to_dict(),
            "accuracy": self.accuracy.to_dict(),
            "feedback_coverage": self.feedback.to_dict(),
            "time_to_escalation_s": self.time_to_escalation.to_dict(),
            "pickup_s": self.pickup.to_dict(),
            "pickup_business_s": self.pickup_business.to_dict(),
            "sla_attainment": self.sla.to_dict(),
            "sla_breaches": {
                "pickup": self.breached_pickup.to_dict(),
                "next_reply": self.breached_next_reply.to_dict(),
            },
            "handle_time_s": self.handle.to_dict(),
            "csat": {"average": self.csat_avg, "responses": self.csat_responses.to_dict()},
            "abandonment": self.abandoned.to_dict(),
            "per_day": [{"day": d, "escalations": n, "pickup_p90_s": p} for d, n, p in self.per_day],
        }


@dataclass(frozen=True)
class Group:
    key: str
    figures: Figures

    @property
    def precision(self) -> Ratio:
        """How often the group's escalations were needed: its accuracy."""
        return self.figures.accuracy


def compute(
    rows: Sequence[EscalationRow], *, watched: int, period: Period, targets: Targets, daily: bool = False
) -> Figures:
    """All figures for the escalations opened in `period` (rows are those escalations)."""
    end = period.end.timestamp()
    start = period.start.timestamp()
    clocks: dict[str, BusinessClock] = {}

    def biz(team: str, a: float, b: float) -> float:
        clock = clocks.get(team)
        if clock is None:
            clock = clocks[team] = BusinessClock(targets.hours(team), start, end)
        return clock.seconds(a, b)

    tte: list[float] = []
    pickup: list[float] = []
    pickup_b: list[float] = []
    handle: list[float] = []
    sla_due = sla_met = abandoned = resolved = answered = needed = claimed = 0
    breached_pickup = breached_reply = 0
    scores: list[int] = []
    for r in rows:
        if r.tte_s is not None:
            if r.tte_s >= 0:
                tte.append(r.tte_s)
        elif r.first_customer is not None and r.first_customer <= r.opened:
            tte.append(r.opened - r.first_customer)
        target = targets.pickup(r.team, r.urgency, r.tier)
        business = targets.business(r.team)
        breached_pickup += r.pickup_breaches > 0
        if r.claimed is not None:
            claimed += 1
            breached_reply += r.next_reply_breaches > 0
            wall = r.pickup_s if r.pickup_s is not None else r.claimed - r.opened
            in_hours = (
                r.pickup_business_s if r.pickup_business_s is not None else biz(r.team, r.opened, r.claimed)
            )
            pickup.append(wall)
            pickup_b.append(in_hours)
            sla_due += 1
            sla_met += (in_hours if business else wall) <= target
            if r.resolved is not None:
                handle.append(r.handle_s if r.handle_s is not None else r.resolved - r.claimed)
        else:
            waited = biz(r.team, r.opened, end) if business else end - r.opened
            sla_due += waited > target
            abandoned += r.resolved is not None or end - r.opened >= ABANDON_AFTER.total_seconds()
        resolved += r.resolved is not None
        if r.needed:
            answered += 1
            needed += r.needed in (Needed.YES, Needed.PARTLY)
        if r.csat is not None:
            scores.append(r.csat)
    return Figures(
        escalations=len(rows),
        watched=watched,
        rate=Ratio(escalated_conversations(rows), watched),
        accuracy=Ratio(needed, answered),
        feedback=Ratio(answered, resolved),
        time_to_escalation=quantiles(tte),
        pickup=quantiles(pickup),
        pickup_business=quantiles(pickup_b),
        sla=Ratio(sla_met, sla_due),
        handle=quantiles(handle),
        csat_avg=(sum(scores) / len(scores)) if scores else None,
        csat_responses=Ratio(len(scores), resolved),
        abandoned=Ratio(abandoned, len(rows)),
        per_day=_per_day(rows, period) if daily else (),
        breached_pickup=Ratio(breached_pickup, len(rows)),
        breached_next_reply=Ratio(breached_reply, claimed),
    )


def _per_day(rows: Sequence[EscalationRow], period: Period) -> tuple[tuple[str, int, float | None], ...]:
    """(UTC day, escalations opened, pickup p90) for every day of the period, empty days included."""
    first = period.start.astimezone(UTC).date()
    day0 = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
    ndays = int((period.end.timestamp() - 1e-6 - day0) // 86400) + 1
    counts = [0] * ndays
    waits: list[list[float]] = [[] for _ in range(ndays)]
    for r in rows:
        i = int((r.opened - day0) // 86400)
        if 0 <= i < ndays:
            counts[i] += 1
            if r.claimed is not None:
                waits[i].append(r.pickup_s if r.pickup_s is not None else r.claimed - r.opened)
    return tuple(
        ((first + timedelta(days=i)).isoformat(), counts[i], quantiles(waits[i]).p90) for i in range(ndays)
    )


def key_of(row: EscalationRow, by: Breakdown) -> str:
    return {
        Breakdown.TEAM: row.team,
        Breakdown.SEGMENT: row.tier,
        Breakdown.TRIGGER: row.trigger,
        Breakdown.CATEGORY: row.category,
        Breakdown.LANGUAGE: row.language,
    }[by] or "(none)"


def breakdown(
    rows: Sequence[EscalationRow],
    by: Breakdown,
    *,
    period: Period,
    targets: Targets,
) -> list[Group]:
    """Figures per group, largest first. A group's escalation rate has its numerator (the group's
    escalated conversations) and no denominator: a conversation has no team, segment, trigger,
    category or language until it escalates, so the group's watched conversations are not known."""
    groups: dict[str, list[EscalationRow]] = {}
    for r in rows:
        groups.setdefault(key_of(r, by), []).append(r)
    out = []
    for key, members in groups.items():
        out.append(Group(key, compute(members, watched=0, period=period, targets=targets)))
    out.sort(key=lambda g: (-g.figures.escalations, g.key))
    return out


def parse_report_args(text: str) -> tuple[str, Breakdown | None, bool]:
    """`[period] [by team|segment|trigger|category|language] [public]` → (period text, by, public)."""
    words = text.lower().split()
    public = "public" in words
    words = [w for w in words if w != "public"]
    by: Breakdown | None = None
    if "by" in words:
        i = words.index("by")
        if i + 1 >= len(words):
            raise ValueError("`by` needs one of: " + ", ".join(b.value for b in Breakdown))
        try:
            by = Breakdown(words[i + 1])
        except ValueError:
            raise ValueError(
                f"`by {words[i + 1]}`: break down by one of " + ", ".join(b.value for b in Breakdown)
            ) from None
        words = words[:i] + words[i + 2 :]
    return " ".join(words), by, public


__all__ = [
    "ABANDON_AFTER",
    "Breakdown",
    "EscalationRow",
    "Figures",
    "Group",
    "Needed",
    "Period",
    "Quantiles",
    "Ratio",
    "Targets",
    "breakdown",
    "business_seconds",
    "compute",
    "escalated_conversations",
    "parse_period",
    "parse_report_args",
    "percentile",
    "quantiles",
]
