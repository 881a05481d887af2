"""Report figures from what the database aggregated (pure): per-group tallies, order statistics, and
the per-escalation durations stored when they happen.

The report's SQL (storage/report_repo.py) counts per fine group (breakdown key, trigger, UTC day)
and computes percentiles itself where it can; this module rolls the counts up to the groups the
report shows and assembles `Figures` exactly as `report.compute` would from the same rows (that
function stays the reference, and tests compare the two on random data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import numpy as np
import numpy.typing as npt

from bot.domain.hours import TeamHours
from bot.domain.report import (
    ABANDON_AFTER,
    BusinessClock,
    Figures,
    Quantiles,
    Ratio,
    Targets,
    business_seconds,
    percentile,
)

METRICS = ("tte", "pickup", "pickup_business", "handle")
NONE_KEY = "(none)"


@dataclass(frozen=True, slots=True)
class Durations:
    """What an escalation's report figures need, in seconds, stored on the escalation when it happens:
    time to escalation at opening (negative when the first customer message is after the opening: not
    counted), pickup (wall clock and the team's business hours) at claim, handle time at resolve."""

    tte_s: float | None
    pickup_s: float | None
    pickup_business_s: float | None
    handle_s: float | None


def durations(
    *,
    opened: datetime,
    first_customer: datetime | None,
    claimed: datetime | None,
    resolved: datetime | None,
    hours: TeamHours | None,
) -> Durations:
    tte = (opened - first_customer).total_seconds() if first_customer is not None else None
    if claimed is None:
        return Durations(tte, None, None, None)
    handle = (resolved - claimed).total_seconds() if resolved is not None else None
    return Durations(tte, (claimed - opened).total_seconds(), business_seconds(hours, opened, claimed), handle)


@dataclass(slots=True)
class Tally:
    """Counts of one group of escalations; tallies of fine groups add up to any coarser group."""

    escalations: int = 0
    resolved: int = 0
    answered: int = 0
    needed: int = 0
    claimed: int = 0
    sla_met: int = 0
    sla_due_unclaimed: int = 0
    abandoned: int = 0
    csat_sum: int = 0
    csat_n: int = 0
    csat_asked: int = 0  # surveys sent (or answered)
    pickup_breached: int = 0  # escalations that breached the pickup target at least once
    next_reply_breached: int = 0  # ... a next-reply target

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def quantiles_of(sorted_values: Sequence[float]) -> Quantiles:
    return Quantiles(percentile(sorted_values, 0.5), percentile(sorted_values, 0.9), len(sorted_values))


def figures_of(
    tally: Tally,
    *,
    watched: int,
    escalated: int,
    q: Mapping[str, Quantiles],
    per_day: tuple[tuple[str, int, float | None], ...] = (),
) -> Figures:
    """`Figures` from a group's tally, its escalated conversations (distinct: counted by the database,
    they do not add up over fine groups) and its four quantiles (keys: METRICS)."""
    empty = Quantiles(None, None, 0)
    t = tally
    return Figures(
        escalations=t.escalations,
        watched=watched,
        rate=Ratio(escalated, watched),
        accuracy=Ratio(t.needed, t.answered),
        feedback=Ratio(t.answered, t.resolved),
        time_to_escalation=q.get("tte", empty),
        pickup=q.get("pickup", empty),
        pickup_business=q.get("pickup_business", empty),
        sla=Ratio(t.sla_met, t.claimed + t.sla_due_unclaimed),
        handle=q.get("handle", empty),
        csat_avg=(t.csat_sum / t.csat_n) if t.csat_n else None,
        csat_responses=Ratio(t.csat_n, t.resolved),
        abandoned=Ratio(t.abandoned, t.escalations),
        per_day=per_day,
        breached_pickup=Ratio(t.pickup_breached, t.escalations),
        breached_next_reply=Ratio(t.next_reply_breached, t.claimed),
    )


@dataclass(frozen=True, slots=True)
class Unclaimed:
    """An escalation of the period nobody has claimed: its SLA and abandonment depend on the period's
    end (and the team's hours), so they are settled here rather than in SQL."""

    key: str  # breakdown key ("" without a breakdown)
    trigger: str
    day: str
    team: str
    urgency: str
    opened: float  # epoch seconds
    resolved: bool
    tier: str = ""  # the segment: its own pickup target where the policy sets one


def settle_unclaimed(rows: Iterable[Unclaimed], *, start: float, end: float, targets: Targets) -> dict[tuple[str, str, str], Tally]:
    """SLA due (open longer than the target) and abandoned counts of unclaimed escalations, per fine group."""
    clocks: dict[str, BusinessClock] = {}
    out: dict[tuple[str, str, str], Tally] = {}
    for r in rows:
        if targets.business(r.team):
            clock = clocks.get(r.team)
            if clock is None:
                clock = clocks[r.team] = BusinessClock(targets.hours(r.team), start, end)
            waited = clock.seconds(r.opened, end)
        else:
            waited = end - r.opened
        t = out.setdefault((r.key, r.trigger, r.day), Tally())
        t.sla_due_unclaimed += waited > targets.pickup(r.team, r.urgency, r.tier)
        t.abandoned += r.resolved or end - r.opened >= ABANDON_AFTER.total_seconds()
    return out


def roll_up(
    fine: Mapping[tuple[str, str, str], Tally], level: Callable[[tuple[str, str, str]], str]
) -> dict[str, Tally]:
    """Tallies of the fine groups (key, trigger, day) summed per `level(fine key)`."""
    out: dict[str, Tally] = {}
    for k, t in fine.items():
        out.setdefault(level(k), Tally()).add(t)
    return out


def shown_key(raw: str) -> str:
    return raw or NONE_KEY


__all__ = [
    "METRICS",
    "NONE_KEY",
    "Durations",
    "Tally",
    "Unclaimed",
    "durations",
    "figures_of",
    "group_codes",
    "grouped_quantiles",
    "quantiles_of",
    "roll_up",
    "settle_unclaimed",
    "shown_key",
]


def group_codes(
    keys: Sequence[str], show: Callable[[str], str] = str
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Distinct keys as shown (`show`, in order of first appearance) and each row's index into them."""
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64, count=len(keys))
    names = [show(k) for k in index]
    if len(set(names)) < len(names):  # two raw keys shown alike ("" and "(none)"): one group
        return group_codes([show(k) for k in keys])
    return names, codes


def grouped_quantiles(
    groups: tuple[list[str], npt.NDArray[np.int64]] | None, values: Sequence[float | None]
) -> dict[str, Quantiles]:
    """Quantiles of `values` (None: not counted) per group (`group_codes`; all under "" without):
    one sort by (group, value), then the same interpolation as `report.percentile` on each slice."""
    v = np.array(values, dtype=np.float64)
    counted = ~np.isnan(v)
    if groups is None:
        return {"": quantiles_of(np.sort(v[counted]).tolist())}
    names, codes = groups
    v, c = v[counted], codes[counted]
    order = np.lexsort((v, c))
    v, c = v[order], c[order]
    bounds = np.searchsorted(c, np.arange(len(names) + 1))
    return {name: quantiles_of(v[bounds[i] : bounds[i + 1]].tolist()) for i, name in enumerate(names)}
