"""Chain-step and team notices: remind the team, notify the manager, the watchdog's alert, the surge
notice and the morning summary. Each runs from the outbox: retried until accepted, never lost.
"""

from __future__ import annotations

from datetime import datetime

from bot import cards
from bot.deps import Deps
from bot.flows import outbox, slack_post, wait
from bot.flows.outbox import EffectKind, Handler, Job
from bot.flows.sla import find_team, local_time, note
from bot.flows.slack_lookups import card_link, internal_channel
from storage import repo
from storage.db import session_scope
from storage.models import OPEN, TimelineKind


def remind(deps: Deps, job: Job) -> None:
    esc_id, payload = job.esc_id, job.payload
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            return
        waited = cards.fmt_duration((deps.clock.now() - esc.opened_at).total_seconds())
        team = find_team(deps.policy, esc.team)
        channel, ts = esc.card_channel, esc.card_ts
        text = f"{team.mention} still unclaimed after {waited}: {esc.urgency} {esc.category} escalation for {cards.escape(esc.account_id)}. Claim it on the card."
    if channel and ts:
        slack_post.post_once(
            deps, job, kind=slack_post.MESSAGE, channel=channel, thread_ts=ts, reply_broadcast=True, text=text
        )
    else:
        where = internal_channel(deps, team.channel)
        slack_post.post_once(deps, job, kind=slack_post.MESSAGE, channel=where, text=text)
    note(deps, esc_id, TimelineKind.REMINDED, round=payload.get("round", 0))
    # The customer hears "still on it" once (the dedup key), in its own outbox item: if that note fails
    # it is retried alone, never re-posting the reminder.
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        message = wait.still_on_it_text(session, deps, esc)
        outbox.enqueue(
            session,
            esc_id,
            EffectKind.NOTIFY_THREAD,
            deps.clock.now(),
            key="still_on_it",
            text=message,
            log_kind=TimelineKind.CUSTOMER_TOLD_WAITING,
            state="human",
        )


def notify_manager(deps: Deps, job: Job) -> None:
    esc_id = job.esc_id
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            return
        team = find_team(deps.policy, esc.team)
        waited = cards.fmt_duration((deps.clock.now() - esc.opened_at).total_seconds())
    text = (
        f":warning: An {esc.urgency} {esc.category} escalation for {cards.escape(esc.account_id)} has waited {waited} "
        f"and nobody on team {team.name} has claimed it."
        + (
            f" <{card_link(esc)}|Open the card>"
            if esc.card_channel
            else " (Its card could not be posted yet.)"
        )
    )
    if team.manager:
        slack_post.post_dm_once(deps, job, user=team.manager, text=text)
        target = team.manager
    elif deps.policy.managers_channel:
        deps.slack.chat_postMessage(channel=deps.policy.managers_channel, text=text)
        target = deps.policy.managers_channel
    else:
        target = ""
    note(
        deps,
        esc_id,
        TimelineKind.MANAGER_NOTIFIED,
        f"manager notified at {local_time(deps.policy, esc.team, deps.clock.now())}",
        target=target,
    )


def watchdog_alert(deps: Deps, job: Job) -> None:
    if not deps.policy.managers_channel:
        return
    payload = job.payload
    late = cards.fmt_duration(float(payload.get("late_seconds", 0)))
    deps.slack.chat_postMessage(
        channel=deps.policy.managers_channel,
        text=f":rotating_light: Baton watchdog: the '{payload.get('action')}' step of escalation #{job.esc_id} ran {late} late. "
        "Check that `baton serve` is running and its sweep keeps up.",
    )


def surge_notice(deps: Deps, job: Job) -> None:
    payload = job.payload
    team = find_team(deps.policy, str(payload.get("team", "")))
    now = deps.clock.now()
    since = datetime.fromisoformat(str(payload["since"])) if payload.get("since") else now - deps.policy.surge.window
    with session_scope(deps.db) as session:
        rows = repo.open_escalations_of_team(session, team.name, since, now)
    lines = [f"• <{card_link(e)}|#{e.id}> {cards.escape(e.account_id)} · {e.category}" for e in rows[:20]]
    deps.slack.chat_postMessage(
        channel=internal_channel(deps, team.channel),
        text=f":ocean: Surge: {len(rows)} escalations in the last {int(deps.policy.surge.window.total_seconds() // 60)} minutes "
        f"(likely one cause). On-call was paged once for all of them.\n" + "\n".join(lines),
    )


def opening_summary(deps: Deps, job: Job) -> None:
    """At the team's opening: what waited overnight."""
    payload = job.payload
    team = find_team(deps.policy, str(payload.get("team", "")))
    since = datetime.fromisoformat(str(payload["closed_since"]))
    with session_scope(deps.db) as session:
        rows = repo.open_escalations_of_team(session, team.name, since)
    if not rows:
        return
    lines = [
        f"• <{card_link(e)}|#{e.id}> {cards.escape(e.account_id)} · {e.urgency} · {e.category}"
        for e in rows[:30]
    ]
    deps.slack.chat_postMessage(
        channel=internal_channel(deps, team.channel),
        text=f":sunrise: Good morning {team.mention}: {len(rows)} escalation{'s' if len(rows) != 1 else ''} waited while "
        "the team was offline.\n" + "\n".join(lines),
    )
    for e in rows:
        if e.id is not None:
            note(deps, e.id, TimelineKind.OPENING_SUMMARY_POSTED, team=team.name)


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.REMIND: remind,
    EffectKind.NOTIFY_MANAGER: notify_manager,
    EffectKind.WATCHDOG_ALERT: watchdog_alert,
    EffectKind.SURGE_NOTICE: surge_notice,
    EffectKind.OPENING_SUMMARY: opening_summary,
}
