"""/escalations: what is open now, who is on call, and help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import cards
from bot.deps import Deps
from bot.domain.report import parse_period
from bot.flows import drift as drift_flow
from bot.flows import gaps as gaps_flow
from bot.flows import offer
from bot.flows import report as report_flow
from bot.flows import review as review_flow
from bot.flows.oncall import who_is_on_call
from storage import repo
from storage.db import read_scope
from storage.models import ACTIVE_STATUSES

HELP = (
    "*/escalations* — what Baton is handling\n"
    "• `/escalations` or `/escalations list`: open and claimed escalations\n"
    "• `/escalations oncall`: who is on call now, per team\n"
    "• `/escalations report [7d|30d|90d|this month|last month] [by team|segment|trigger|category|language] [public]`:"
    " escalation rate, accuracy, pickup, SLA, handle time and CSAT with a chart, sent to you as a DM"
    " (`public`: to this channel); `/escalations report help`: how each figure is counted\n"
    "• `/escalations review [last month|this month|30d]`: the false-positive review, a sample of escalations"
    " with Needed / Not needed buttons, posted to the managers' channel\n"
    "• `/escalations gaps [7d|30d|90d|this month|last month]`: the topics that escalated most because the AI"
    " failed (low confidence, repeated questions, \u201cthat didn't help\u201d), with the trend and examples\n"
    "• `/escalations drift [yesterday|YYYY-MM-DD]`: the daily drift check run now: did the escalation rate,"
    " overall or per trigger, rise or drop against the same weekday of the weeks before?\n"
    "• `/escalations help`: this message"
)


@dataclass(frozen=True)
class Invocation:
    """One /escalations call: the words after the subcommand, who ran it, and where."""

    args: str = ""
    user: str = ""
    channel: str = ""


# A subcommand's answer may carry work to do once the user has their answer (key FOLLOW_UP: a callable).
FOLLOW_UP = "follow_up"
Subcommand = Callable[[Deps, Invocation], dict[str, Any]]
SUBCOMMANDS: dict[str, Subcommand] = {}


def _list(deps: Deps, _: Invocation) -> dict[str, Any]:
    return cards.ephemeral(_list_text(deps))


def _list_text(deps: Deps) -> str:
    now = deps.clock.now()
    with read_scope(deps.db) as session:
        rows = repo.escalations(session, statuses=ACTIVE_STATUSES, limit=30)
    if not rows:
        return ":white_check_mark: No open escalations."
    lines = []
    for esc in rows:
        age = cards.fmt_duration((now - esc.opened_at).total_seconds())
        who = offer.with_whom(esc)  # claimed by / offered to / assigned to / unclaimed
        link = (
            f"<https://slack.com/app_redirect?channel={esc.card_channel}|card>"
            if esc.card_channel
            else "no card yet"
        )
        lines.append(
            f"• #{esc.id} {esc.urgency} · {esc.category} · {cards.escape(esc.account_id)} · {who} · open {age} · {link}"
        )
    return f"*{len(rows)} active escalation{'s' if len(rows) != 1 else ''}*\n" + "\n".join(lines)


def _oncall(deps: Deps, _: Invocation) -> dict[str, Any]:
    return cards.ephemeral(_oncall_text(deps))


def _oncall_text(deps: Deps) -> str:
    now = deps.clock.now()
    lines = []
    for team in deps.policy.teams.values():
        answer = who_is_on_call(deps, team, now)
        who = ", ".join(f"<@{u}>" for u in answer.users) or f"_nobody_ ({cards.escape(answer.problem)})"
        lines.append(f"• *{cards.escape(team.name)}* ({answer.provider}): {who}")
    return "*On call now*\n" + "\n".join(lines)


def _report(deps: Deps, inv: Invocation) -> dict[str, Any]:
    """Answers at once; the report itself (queries, chart, upload) follows after the answer.
    `report help`: the definitions the report's footer points at."""
    if report_flow.asks_for_definitions(inv.args):
        return cards.ephemeral(report_flow.DEFINITIONS)
    try:
        job = report_flow.report_job(deps, args=inv.args, user=inv.user, channel=inv.channel)
    except ValueError as exc:
        return cards.ephemeral(f"{exc}\n\n{report_flow.USAGE}")
    where = "this channel" if job.public else "a DM"
    return {**cards.ephemeral(f":bar_chart: Building the report for {job.period.label}: it arrives in {where} in a moment."), FOLLOW_UP: job.run}


def _review(deps: Deps, inv: Invocation) -> dict[str, Any]:
    try:
        period, target = review_flow.request(deps, args=inv.args, channel=inv.channel)
    except ValueError as exc:
        return cards.ephemeral(f"{exc}\n\nUsage: `/escalations review [last month|this month|30d]`")
    return cards.ephemeral(f":mag: The false-positive review of {period.label} is posted to <#{target}>.")


SUBCOMMANDS["review"] = _review
def _gaps(deps: Deps, inv: Invocation) -> dict[str, Any]:
    """Knowledge gaps of a period (answered through response_url, so the grouping can take a moment)."""
    try:
        period = parse_period(inv.args or "30d", deps.clock.now(), report_flow.report_timezone(deps.policy))
    except ValueError as exc:
        return cards.ephemeral(f"{exc}\n\n{gaps_flow.USAGE}")
    return gaps_flow.gaps_answer(gaps_flow.knowledge_gaps(db=deps.db, policy=deps.policy, period=period))


def _drift(deps: Deps, inv: Invocation) -> dict[str, Any]:
    """The drift check now, for yesterday or a given past day (answered through response_url)."""
    try:
        day = drift_flow.parse_day(deps, inv.args)
    except ValueError as exc:
        return cards.ephemeral(f"{exc}\n\n{drift_flow.USAGE}")
    return cards.ephemeral(drift_flow.check_now(deps, day=day))


SUBCOMMANDS["oncall"] = _oncall
SUBCOMMANDS["list"] = _list
SUBCOMMANDS[""] = _list
SUBCOMMANDS["report"] = _report
SUBCOMMANDS["gaps"] = _gaps
SUBCOMMANDS["drift"] = _drift
SUBCOMMANDS["help"] = lambda deps, _: cards.ephemeral(HELP)


def escalations_command(
    deps: Deps, *, text: str, user_team: str, user: str = "", channel: str = ""
) -> dict[str, Any]:
    if user_team and user_team != deps.identity.team_id:
        return cards.ephemeral("Sorry, this command is for the support team.")
    word, _, rest = text.strip().partition(" ")
    handler = SUBCOMMANDS.get(word.lower())
    if handler is None:
        return cards.ephemeral(f"I don't know `{cards.escape(word)}`.\n{HELP}")
    return handler(deps, Invocation(args=rest.strip(), user=user, channel=channel))
