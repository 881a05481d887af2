"""`/escalations report` and `baton report`: one period's figures against the period before.

The database counts and computes percentiles (storage/report_repo.py); the pure core rolls the
fine groups up and assembles the figures (bot/domain/report_tally.py); bot/domain/report.py's
`compute` over every row is the reference. Rendered by bot/report_cards.py, charted by bot/chart.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.chart import escalations_chart
from bot.deps import Deps
from bot.domain.csat import CsatSummary, summarise
from bot.domain.report import (
    Breakdown,
    EscalationRow,
    Figures,
    Group,
    Period,
    Ratio,
    Targets,
    breakdown,
    compute,
    parse_period,
    parse_report_args,
)
from bot.domain.sla_targets import DEFAULT_SLA
from bot.flows.report_sql import compute_period, fill_durations, sla_sql
from bot.policy import Policy
from bot.report_cards import headline_lines, report_blocks, report_text
from storage import feedback_repo, report_repo
from storage.db import session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    period: Period
    figures: Figures
    previous: Figures
    by: Breakdown | None
    groups: tuple[Group, ...]
    triggers: tuple[Group, ...]  # per opening trigger: the top ones by volume and by precision
    csat: CsatSummary | None = None  # surveys by segment (bot/domain/csat.py)
    missed: tuple[tuple[str, int], ...] = ()  # "Should have escalated" reports per category

    def to_dict(self) -> dict[str, Any]:
        def group(g: Group) -> dict[str, Any]:
            return {"key": g.key, "precision": g.precision.to_dict(), **g.figures.to_dict()}

        return {
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "figures": self.figures.to_dict(),
            "previous": self.previous.to_dict(),
            "by": self.by.value if self.by else None,
            "groups": [group(g) for g in self.groups],
            "triggers": [group(g) for g in self.triggers],
            "csat": self.csat.to_dict() if self.csat else None,
            "missed_escalations": {
                "total": sum(n for _, n in self.missed),
                "by_category": [{"category": c, "count": n} for c, n in self.missed],
            },
        }


def targets_of(policy: Policy) -> Targets:
    """Pickup targets from the policy's teams, per segment where the team sets one (`sla.segments`); a
    team no longer in the policy gets the defaults."""
    teams = policy.teams

    def pickup(team: str, urgency: str, tier: str = "") -> float:
        sla = teams[team].sla if team in teams else DEFAULT_SLA
        return sla.pickup_for(urgency, tier or None).total_seconds()

    return Targets(
        pickup=pickup,
        hours=lambda team: teams[team].hours if team in teams else None,
        business=lambda team: (teams[team].sla if team in teams else DEFAULT_SLA).business_hours,
    )


def rows_of(raw: list[tuple]) -> list[EscalationRow]:
    return [
        EscalationRow(
            id=r[0],
            opened=r[1],
            team=r[2],
            tier=r[3],
            category=r[4],
            language=r[5],
            urgency=r[6],
            trigger=r[7],
            first_customer=r[8],
            claimed=r[9],
            resolved=r[10],
            needed=r[11],
            tte_s=r[12],
            pickup_s=r[13],
            pickup_business_s=r[14],
            handle_s=r[15],
            csat=r[16],
            pickup_breaches=r[17] or 0,
            next_reply_breaches=r[18] or 0,
            conversation=r[19],
        )
        for r in raw
    ]


def build_report(*, db: Engine, policy: Policy, period: Period, by: Breakdown | None) -> Report:
    """The report from the database's aggregates (storage/report_repo.py)."""
    targets = targets_of(policy)
    sla = sla_sql(policy)
    prev = period.previous()
    with session_scope(db) as session:
        report_repo.prepare(session)
        watched = report_repo.conversations_watched(session, period.start, period.end)
        prev_watched = report_repo.conversations_watched(session, prev.start, prev.end)
        now = compute_period(session, period=period, watched=watched, by=by, targets=targets, sla=sla, detail=True)
        before = compute_period(
            session, period=prev, watched=prev_watched, by=None, targets=targets, sla=sla, detail=False
        )
        surveys, prev_surveys = now.csat, before.csat
        missed = feedback_repo.missed_by_category(session, period.start, period.end)
    return Report(
        period,
        with_csat(now.figures, surveys),
        with_csat(before.figures, prev_surveys),
        by,
        now.groups,
        now.triggers,
        surveys,
        tuple(missed),
    )


def build_report_reference(*, db: Engine, policy: Policy, period: Period, by: Breakdown | None) -> Report:
    """The same report computed in Python from every row (bot.domain.report.compute): the reference
    the SQL path is tested against, and the benchmark's point of comparison."""
    targets = targets_of(policy)
    prev = period.previous()
    with session_scope(db) as session:
        fill_durations(session, period=period, targets=targets)
        fill_durations(session, period=prev, targets=targets)
    with session_scope(db) as session:
        rows = rows_of(report_repo.escalation_rows(session, period.start, period.end))
        watched = report_repo.conversations_watched(session, period.start, period.end)
        prev_rows = rows_of(report_repo.escalation_rows(session, prev.start, prev.end))
        prev_watched = report_repo.conversations_watched(session, prev.start, prev.end)
        surveys = summarise(feedback_repo.csat_rows(session, period.start, period.end))
        prev_surveys = summarise(feedback_repo.csat_rows(session, prev.start, prev.end))
        missed = feedback_repo.missed_by_category(session, period.start, period.end)
    figures = with_csat(compute(rows, watched=watched, period=period, targets=targets, daily=True), surveys)
    previous = with_csat(compute(prev_rows, watched=prev_watched, period=prev, targets=targets), prev_surveys)
    groups = breakdown(rows, by, period=period, targets=targets) if by else []
    triggers = breakdown(rows, Breakdown.TRIGGER, period=period, targets=targets)
    return Report(period, figures, previous, by, tuple(groups), tuple(triggers), surveys, tuple(missed))


def with_csat(figures: Figures, surveys: CsatSummary) -> Figures:
    """The headline CSAT: the average score and the share of surveys answered."""
    o = surveys.overall
    return replace(figures, csat_avg=o.average, csat_responses=Ratio(o.answered, o.asked))


USAGE = (
    "Usage: `/escalations report [7d|30d|90d|this month|last month] "
    "[by team|segment|trigger|category|language] [public]` · definitions: `/escalations report help`"
)
HELP_WORDS = frozenset({"help", "definitions"})
# What the report's footer points at (`/escalations report help`): docs/reports.md's definitions, short.
DEFINITIONS = (
    "*How the report counts* (full text: docs/reports.md, Definitions)\n"
    "• *Escalation rate*: escalated conversations (with an escalation opened in the period; twice counts"
    " once) / conversations Baton watched in it (with at least one message in the period)\n"
    "• *Accuracy*: needed / (needed + not needed), from the resolver's \u201cWas a human needed?\u201d;"
    " \u201cpartly\u201d counts as needed\n"
    "• *Time to escalation*: the customer's first message (or first after the previous resolution) to the"
    " opening; p50/p90\n"
    "• *Pickup*: opening to claim, p50/p90, wall clock and in the team's business hours\n"
    "• *SLA attainment*: claimed within the team's pickup target (the segment's own where set) / escalations"
    " whose target has come (claimed, or unclaimed and older than the target)\n"
    "• *SLA breaches*: escalations that breached the pickup target at least once / escalations; a next-reply"
    " target / claimed escalations (as recorded when they happened)\n"
    "• *Handle time*: claim to resolve, p50/p90\n"
    "• *CSAT*: average score (1\u20135) of the surveys answered, and surveys answered / sent\n"
    "• *Abandoned*: never claimed, and resolved without a claim or unclaimed 24 h after opening\n"
    "• *Precision per trigger*: the accuracy of the escalations that trigger opened\n"
    "Changes compare with the period of the same length just before (for a calendar month: the month before)."
)


def asks_for_definitions(args: str) -> bool:
    """`/escalations report help`: the definitions instead of a report."""
    return " ".join(args.lower().split()) in HELP_WORDS


@dataclass(frozen=True)
class ReportJob:
    """A report someone asked for in Slack: parsed and checked at once, built and posted by `run`."""

    deps: Deps
    period: Period
    by: Breakdown | None
    user: str
    channel: str
    public: bool

    def run(self) -> None:
        post_report(self)


def report_job(deps: Deps, *, args: str, user: str, channel: str) -> ReportJob:
    """Parse `/escalations report ...`; a ValueError says what is wrong with the words."""
    period_text, by, public = parse_report_args(args)
    tz = report_timezone(deps.policy)
    period = parse_period(period_text or "30d", deps.clock.now(), tz)
    return ReportJob(deps, period, by, user, channel, public and bool(channel))


def report_timezone(policy: Policy) -> ZoneInfo | None:
    """Calendar months in the default team's time zone."""
    team = policy.teams.get(policy.default_team)
    return team.hours.tz if team is not None and team.hours is not None else None


def post_report(job: ReportJob) -> None:
    """Post the report (blocks, then the chart through the files upload v2 flow) as a DM, or to the
    channel for `public`. Ephemeral messages cannot carry files, hence the DM."""
    deps = job.deps
    report = build_report(db=deps.db, policy=deps.policy, period=job.period, by=job.by)
    title = f"Escalations, {job.period.label}"
    blocks = report_blocks(
        title=title,
        figures=report.figures,
        previous=report.previous,
        by=job.by.value if job.by else None,
        groups=report.groups,
        triggers=report.triggers,
        csat=report.csat,
        missed=report.missed,
    )
    channel = job.channel if job.public else _dm(deps, job.user)
    try:
        deps.slack.chat_postMessage(channel=channel, text=report_text(title, report.figures), blocks=blocks)
    except SlackApiError as exc:
        if not job.public or exc.response.get("error") not in ("not_in_channel", "channel_not_found"):
            raise
        channel = _dm(deps, job.user)  # Baton is not in that channel: the asker still gets it
        deps.slack.chat_postMessage(channel=channel, text=report_text(title, report.figures), blocks=blocks)
    png = escalations_chart(report.figures.per_day, title=title)
    deps.slack.files_upload_v2(
        channel=channel,
        file=png,
        filename="escalations.png",
        title=f"{title}: escalations per day and pickup p90",
        alt_txt="Bar chart of escalations per day with a line for the pickup p90",
    )
    log.info("report %s posted to %s", job.period.label, channel)


def _dm(deps: Deps, user: str) -> str:
    opened = deps.slack.conversations_open(users=user)
    return str((opened.get("channel") or {}).get("id", ""))


def headline(deps: Deps, *, days: int) -> str:
    """The last `days` days in a few lines (App Home)."""
    period = parse_period(f"{days}d", deps.clock.now())
    report = build_report(db=deps.db, policy=deps.policy, period=period, by=None)
    lines = headline_lines(report.figures, report.previous)
    return f"*Last {days} days* (change against the {days} days before)\n" + "\n".join(lines[:4] + lines[5:6])
