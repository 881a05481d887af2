"""The App Home tab: the live queue, my claims, who is on call now, and this week's numbers with the chart.

Published when someone opens the tab (app_home_opened), and again whenever something it shows
changes: every card change queues one HOME_REFRESH for the end of its 30-second slot (bot/flows/outbox.py,
HOME_FOLLOWS), which re-publishes the tab for the people who opened it in the last week (most recent
first, at most HOME_MAX_VIEWERS: views.publish is Tier 4, 100+/min).

The tab is a list of sections, each a small function (HomeContext in, blocks out) in SECTIONS:
replace or extend one (e.g. "my claims" with what is assigned to me) without touching the rest.

The chart: an image block needs a URL Slack can fetch, or a file Slack holds. Baton has no public
URL of its own, so the PNG is uploaded with files_upload_v2 and shown with an image block whose
`slack_file` names the file id (Block Kit's slack_file object). The same chart (by content digest)
is uploaded once and its file id kept in `chart_files`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import cards
from bot.chart import escalations_chart
from bot.deps import Deps
from bot.domain.report import Figures, parse_period
from bot.flows import offer
from bot.flows import report as report_flow
from bot.flows.oncall import who_is_on_call
from bot.flows.outbox import HOME_VIEWERS_FOR, RETRYABLE_SLACK, EffectKind, Handler, Job
from bot.report_cards import headline_lines
from storage import feedback_repo, repo
from storage.db import read_scope, session_scope
from storage.models import ACTIVE_STATUSES, CLAIMED, OPEN, Escalation

log = logging.getLogger(__name__)

HOME_MAX_VIEWERS = 50
QUEUE_LINES = 15


@dataclass
class HomeContext:
    """What the sections share for one publish: read once, rendered per viewer."""

    now: datetime
    active: Sequence[Escalation]
    oncall: Sequence[str]  # one mrkdwn line per team
    week: Figures | None
    previous: Figures | None
    chart_file: str = ""  # a Slack file id, or "" (no chart: the upload failed or no data)
    extra: dict[str, Any] = field(default_factory=dict)


Section = Callable[[HomeContext, str], list[dict[str, Any]]]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cards.cut(text, cards.TEXT_LIMIT) or " "}}


def _line(esc: Escalation, now: datetime) -> str:
    age = cards.fmt_duration((now - esc.opened_at).total_seconds())
    link = f" · <https://slack.com/app_redirect?channel={esc.card_channel}|card>" if esc.card_channel else ""
    who = f"claimed by <@{esc.claimed_by}>" if esc.claimed_by else "*unclaimed*"
    return f"• #{esc.id} {esc.urgency} · {esc.category} · {cards.escape(esc.account_id)} · {who} · open {age}{link}"


def queue_section(ctx: HomeContext, user: str) -> list[dict[str, Any]]:
    rows = list(ctx.active)
    if not rows:
        return [_section(":white_check_mark: *Queue*: no open escalations.")]
    unclaimed = sum(1 for e in rows if not e.claimed_by)
    head = f"*Queue*: {len(rows)} active escalation{'s' if len(rows) != 1 else ''}, {unclaimed} unclaimed"
    lines = [_line(e, ctx.now) for e in rows[:QUEUE_LINES]]
    if len(rows) > QUEUE_LINES:
        lines.append(f"_…and {len(rows) - QUEUE_LINES} more (`/escalations list`)_")
    return [_section(head + "\n" + "\n".join(lines))]


def my_claims_section(ctx: HomeContext, user: str) -> list[dict[str, Any]]:
    """What I have claimed, then what is offered or assigned to me now (routing, bot/flows/offer.py)."""
    mine = [e for e in ctx.active if e.status == CLAIMED and e.claimed_by == user]
    waiting = [e for e in ctx.active if e.status == OPEN and offer.reserved_for(e, user)]
    if not mine and not waiting:
        return [_section("*My claims*: none right now.")]
    lines = [_line(e, ctx.now) for e in mine[:QUEUE_LINES]]
    lines += [_waiting_line(e, user, ctx.now) for e in waiting[:QUEUE_LINES]]
    return [_section("*My claims*\n" + "\n".join(lines))]


def _waiting_line(esc: Escalation, user: str, now: datetime) -> str:
    age = cards.fmt_duration((now - esc.opened_at).total_seconds())
    link = f" · <https://slack.com/app_redirect?channel={esc.card_channel}|card>" if esc.card_channel else ""
    who = offer.with_whom(esc).replace(f"<@{user}>", "you")
    return f"• #{esc.id} {esc.urgency} · {esc.category} · {cards.escape(esc.account_id)} · {who} · open {age}{link}"


def oncall_section(ctx: HomeContext, user: str) -> list[dict[str, Any]]:
    return [_section("*On call now*\n" + ("\n".join(ctx.oncall) or "_no teams_"))]


def week_section(ctx: HomeContext, user: str) -> list[dict[str, Any]]:
    if ctx.week is None:
        return [
            _section("*Last 7 days*: the figures could not be read; `/escalations report 7d` tries again.")
        ]
    lines = headline_lines(ctx.week, ctx.previous)
    blocks = [
        _section(
            "*Last 7 days* (change against the 7 days before)\n"
            + "\n".join(lines[:4] + lines[5:6] + lines[7:8])
        )
    ]
    if ctx.chart_file:
        blocks.append(
            {
                "type": "image",
                "slack_file": {"id": ctx.chart_file},
                "alt_text": "Escalations per day over the last 7 days, with the pickup p90",
            }
        )
    return blocks


SECTIONS: list[Section] = [queue_section, my_claims_section, oncall_section, week_section]


def _footer() -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "`/escalations report` for the full report · `/escalations review` for the false-positive"
                " review · `/escalations help` for commands",
            }
        ],
    }


def home_view(ctx: HomeContext, user: str) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Baton"}}]
    for section in SECTIONS:
        blocks += section(ctx, user)
        blocks.append({"type": "divider"})
    blocks.append(_footer())
    return {"type": "home", "blocks": blocks[:100]}


def _chart(deps: Deps, figures: Figures) -> str:
    """The week's chart as a Slack file id, uploaded once per distinct chart."""
    png = escalations_chart(figures.per_day, title="Escalations, last 7 days")
    digest = hashlib.sha256(png).hexdigest()
    with read_scope(deps.db) as session:
        known = feedback_repo.chart_file(session, digest)
    if known:
        return known
    uploaded = deps.slack.files_upload_v2(
        file=png,
        filename="escalations-7d.png",
        title="Escalations, last 7 days",
        alt_txt="Bar chart of escalations per day with a line for the pickup p90",
    )
    file_id = str((uploaded.get("file") or {}).get("id") or "")
    if file_id:
        with session_scope(deps.db) as session:
            feedback_repo.remember_chart(session, digest, file_id, deps.clock.now())
    return file_id


def context(deps: Deps) -> HomeContext:
    now = deps.clock.now()
    with read_scope(deps.db) as session:
        active = repo.escalations(session, statuses=ACTIVE_STATUSES, limit=200)
    oncall = []
    for team in deps.policy.teams.values():
        answer = who_is_on_call(deps, team, now)
        who = ", ".join(f"<@{u}>" for u in answer.users) or f"_nobody_ ({cards.escape(answer.problem)})"
        oncall.append(f"• *{cards.escape(team.name)}* ({answer.provider}): {who}")
    ctx = HomeContext(now=now, active=active, oncall=oncall, week=None, previous=None)
    try:
        period = parse_period("7d", now)
        report = report_flow.build_report(db=deps.db, policy=deps.policy, period=period, by=None)
        ctx.week, ctx.previous = report.figures, report.previous
    except Exception:  # the queue still shows: degrade, never drop
        log.exception("App Home: the week's figures could not be computed")
        return ctx
    try:
        ctx.chart_file = _chart(deps, report.figures)
    except Exception as exc:  # no chart is better than no Home tab
        log.warning("App Home: the chart could not be uploaded: %s", exc)
    return ctx


def publish_home(deps: Deps, user: str) -> None:
    """Someone opened the tab: remember them (for later refreshes) and publish it now."""
    with session_scope(deps.db) as session:
        feedback_repo.saw_home(session, user, deps.clock.now())
    deps.slack.views_publish(user_id=user, view=home_view(context(deps), user))


def _refresh(deps: Deps, job: Job) -> None:
    """The debounced refresh: re-publish for the recent viewers (nothing to do when nobody looks)."""
    since = deps.clock.now() - HOME_VIEWERS_FOR
    with read_scope(deps.db) as session:
        users = feedback_repo.home_viewers(session, since, HOME_MAX_VIEWERS)
    if not users:
        return
    ctx = context(deps)
    for user in users:
        try:
            deps.slack.views_publish(user_id=user, view=home_view(ctx, user))
        except SlackApiError as exc:  # a deactivated viewer must not hold back the others
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error in RETRYABLE_SLACK or (exc.response is not None and exc.response.status_code == 429):
                raise
            log.warning("App Home for %s not published: %s", user, error)


HANDLERS: dict[EffectKind, Handler] = {EffectKind.HOME_REFRESH: _refresh}
