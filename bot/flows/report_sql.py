"""The report's SQL path: one period's figures from the database's counts and percentiles
(storage/report_repo.py), assembled in the pure core (bot/domain/report_tally.py). bot/flows/report.py
builds the report from two periods of these; `build_report_reference` there is the Python reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from sqlmodel import Session

from bot.domain.csat import CsatSummary, SegmentCsat, combine
from bot.domain.model import URGENCIES
from bot.domain.report import Breakdown, Figures, Group, Period, Quantiles, Targets
from bot.domain.report_tally import (
    METRICS,
    Tally,
    Unclaimed,
    durations,
    figures_of,
    group_codes,
    grouped_quantiles,
    roll_up,
    settle_unclaimed,
    shown_key,
)
from bot.domain.sla_targets import DEFAULT_SLA
from bot.policy import Policy
from storage import report_repo


def sla_sql(policy: Policy) -> report_repo.SlaSql:
    """The policy's pickup targets as plain data for the report's SQL (the same as `targets_of`): each
    segment's own target first (`sla.segments`), then the team's."""
    targets = [
        (name, urgency, tier, team.sla.pickup_for(urgency, tier).total_seconds())
        for name, team in policy.teams.items()
        for tier in team.sla.segment_names()
        for urgency in URGENCIES
    ] + [
        (name, urgency, "", team.sla.pickup_for(urgency).total_seconds())
        for name, team in policy.teams.items()
        for urgency in URGENCIES
    ]
    return report_repo.SlaSql(
        targets=targets,
        default={u: DEFAULT_SLA.pickup_for(u).total_seconds() for u in URGENCIES},
        other=DEFAULT_SLA.pickup_for("").total_seconds(),
        business_teams={name: team.sla.business_hours for name, team in policy.teams.items()},
        business=DEFAULT_SLA.business_hours,
    )


def fill_durations(session: Session, *, period: Period, targets: Targets) -> int:
    """Store the durations of the period's escalations that lack them (claimed before migration 0011,
    or written by code that does not record them); business hours from the current policy."""
    stale = report_repo.stale_rows(session, period.start, period.end)
    report_repo.set_durations(
        session,
        [
            (i, durations(opened=o, first_customer=f, claimed=c, resolved=r, hours=targets.hours(team)))
            for i, team, o, f, c, r in stale
        ],
    )
    return len(stale)


@dataclass(frozen=True)
class Computed:
    figures: Figures
    groups: tuple[Group, ...]
    triggers: tuple[Group, ...]
    csat: CsatSummary


def compute_period(
    session: Session,
    *,
    period: Period,
    watched: int,
    by: Breakdown | None,
    targets: Targets,
    sla: report_repo.SlaSql,
    detail: bool,
) -> Computed:
    """One period's figures from the database's aggregates (and, with `detail`, the per-day series,
    the breakdown and the trigger table)."""
    key_by = by.value if by and detail else None
    fine_rows = report_repo.tallies(session, period.start, period.end, by=key_by, sla=sla, detail=detail)
    if any(r[-1] for r in fine_rows):
        fill_durations(session, period=period, targets=targets)
        fine_rows = report_repo.tallies(session, period.start, period.end, by=key_by, sla=sla, detail=detail)
    fine: dict[tuple[str, str, str], Tally] = {}
    segments: dict[tuple[str, bool], Tally] = {}
    for k, t, d, segment, high_value, *r in fine_rows:
        tally = Tally(**dict(zip(report_repo.TALLY_FIELDS[:-1], r, strict=False)))
        fine.setdefault((k, t, d), Tally()).add(tally)
        segments.setdefault((segment, bool(high_value)), Tally()).add(tally)
    unclaimed = [
        Unclaimed(key=k, trigger=t, day=d, team=team, urgency=u, opened=o, resolved=bool(res), tier=tier or "")
        for k, t, d, team, u, o, res, tier in report_repo.unclaimed(
            session, period.start, period.end, by=key_by, detail=detail
        )
    ]
    for key, extra in settle_unclaimed(
        unclaimed, start=period.start.timestamp(), end=period.end.timestamp(), targets=targets
    ).items():
        fine.setdefault(key, Tally()).add(extra)
    q = _quantiles(session, period=period, by=key_by, detail=detail)
    escalated: dict[str, dict[str, int]] = {}
    for level, shown, n in report_repo.escalated_conversations(
        session, period.start, period.end, by=key_by, detail=detail
    ):
        escalated.setdefault(level, {})[shown] = n
    empty: dict[str, Quantiles] = {}
    total = roll_up(fine, lambda k: "").get("", Tally())
    per_day: tuple[tuple[str, int, float | None], ...] = ()
    if detail:
        days = roll_up(fine, lambda k: k[2])
        first = period.start.astimezone(UTC).date()
        ndays = (period.end - timedelta(microseconds=1)).astimezone(UTC).date().toordinal() - first.toordinal() + 1
        per_day = tuple(
            (
                day,
                days[day].escalations if day in days else 0,
                q.get("day", {}).get(day, empty).get("pickup", Quantiles(None, None, 0)).p90,
            )
            for day in ((first + timedelta(days=i)).isoformat() for i in range(ndays))
        )
    figures = figures_of(
        total,
        watched=watched,
        escalated=escalated.get("all", {}).get("", 0),
        q=q.get("all", {}).get("", empty),
        per_day=per_day,
    )
    csat = csat_summary([(seg, hv, t.csat_asked, t.csat_n, t.csat_sum) for (seg, hv), t in segments.items()])
    if not detail:
        return Computed(figures, (), (), csat)

    def groups(level: str, pick: int) -> tuple[Group, ...]:
        tallied = roll_up(fine, lambda k: shown_key(k[pick]))
        qs, counted = q.get(level, {}), escalated.get(level, {})
        out = [
            Group(key, figures_of(t, watched=0, escalated=counted.get(key, 0), q=qs.get(key, empty)))
            for key, t in tallied.items()
        ]
        return tuple(sorted(out, key=lambda g: (-g.figures.escalations, g.key)))

    key_level = "trigger" if key_by == Breakdown.TRIGGER.value else "key"
    return Computed(figures, groups(key_level, 0) if key_by else (), groups("trigger", 1), csat)


def _quantiles(
    session: Session, *, period: Period, by: str | None, detail: bool
) -> dict[str, dict[str, dict[str, Quantiles]]]:
    """level ("all", "key", "trigger", "day") → shown key → metric → Quantiles."""
    out: dict[str, dict[str, dict[str, Quantiles]]] = {}
    if session.connection().dialect.name == "postgresql":
        for level, raw_key, *vals in report_repo.percentiles(
            session, period.start, period.end, by=by if detail else None, detail=detail
        ):
            key = raw_key if level in ("all", "day") else shown_key(raw_key)
            quantiles = {}
            for i, metric in enumerate(METRICS):
                if vals[2 * i] is not None:  # (the day level has the pickup only)
                    n, (p50, p90) = int(vals[2 * i]), vals[2 * i + 1] or (None, None)
                    quantiles[metric] = Quantiles(p50, p90, n)
            out.setdefault(level, {})[key] = quantiles
        return out
    rows = report_repo.duration_columns(session, period.start, period.end, by=by, detail=detail)
    width = 7 if detail else 4
    cols = [[r[i] for r in rows] for i in range(width)]  # (faster than zip(*rows) for many short rows)
    if not detail:
        cols = [[], [], [], *cols]
    keys, triggers, days = cols[0], cols[1], cols[2]
    levels: list[tuple[str, Any]] = [("all", None)]
    if detail:
        levels.append(("trigger", group_codes(triggers, shown_key)))
        if by:
            levels.append(("key", group_codes(keys, shown_key)))
    for i, metric in enumerate(METRICS):
        for level, groups in levels:
            for key, quant in grouped_quantiles(groups, cols[3 + i]).items():
                out.setdefault(level, {}).setdefault(key, {})[metric] = quant
    if detail:
        pickup = cols[3 + METRICS.index("pickup")]
        for key, quant in grouped_quantiles(group_codes(days), pickup).items():
            out.setdefault("day", {}).setdefault(key, {})["pickup"] = quant
    return out


def csat_summary(counts: list[tuple[str, bool, int, int, int]]) -> CsatSummary:
    """`csat.summarise` from the database's counts per (segment, high value) (the same figures,
    without the rows)."""
    return combine((tier, high_value, SegmentCsat(tier, *n)) for tier, high_value, *n in counts)


__all__ = ["Computed", "compute_period", "csat_summary", "fill_durations", "sla_sql"]
