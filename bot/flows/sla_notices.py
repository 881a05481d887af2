"""What Baton says about SLA targets: the warning before a breach (to the claimer, or the team while
unclaimed), the breach in the card's thread, and the watchdog's report of it to the managers. Each runs
from the outbox: retried until accepted, never lost, posted at most once (slack_post)."""

from __future__ import annotations

from datetime import datetime

from bot import cards
from bot.deps import Deps
from bot.domain.sla_targets import Target
from bot.flows import outbox, slack_post
from bot.flows.outbox import EffectKind, Handler, Job
from bot.flows.sla_clock import target_seconds, targets, time_left
from bot.flows.slack_lookups import card_link, internal_channel
from storage.db import session_scope
from storage.models import CLAIMED, Escalation

TARGET_WORDS = {Target.PICKUP.value: "pickup", Target.NEXT_REPLY.value: "next-reply"}


def _still(esc: Escalation | None, job: Job) -> bool:
    """The target the item was queued for is still the one running (a claim or reply may have ended it)."""
    if esc is None or esc.sla_due_at is None:
        return False
    return esc.sla_target == job.payload.get("target") and esc.sla_due_at.isoformat() == job.payload.get(
        "due_at"
    )


def _what(esc: Escalation) -> str:
    if esc.sla_target == Target.PICKUP.value:
        return "pick up"
    return "reply to the customer in"


def warning(deps: Deps, job: Job) -> None:
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if not _still(esc, job):
            return
        assert esc is not None and esc.sla_due_at is not None
        left = cards.fmt_duration(time_left(deps, esc, now))
        amount = cards.fmt_duration(target_seconds(deps, esc))
        word = TARGET_WORDS.get(esc.sla_target, esc.sla_target)
        account = cards.escape(esc.account_id)
        due = cards.fmt_time(esc.sla_due_at)
        channel, ts, claimer = esc.card_channel, esc.card_ts, esc.claimed_by
        team = deps.policy.teams.get(esc.team)
        mention = team.mention if team is not None else ""
        status = esc.status
    text = (
        f":hourglass: {left} left to {_what(esc)} the {esc.urgency} escalation for {account}: "
        f"its {word} target ({amount}) is due {due}."
    )
    if status == CLAIMED and claimer:
        slack_post.post_dm_once(deps, job, user=claimer, text=text + " Reply in the customer's thread.")
    elif channel and ts:
        slack_post.post_once(
            deps,
            job,
            kind=slack_post.MESSAGE,
            channel=channel,
            thread_ts=ts,
            text=f"{mention} {text} Claim it on the card.",
        )
    else:
        where = internal_channel(deps, team.channel if team is not None else "")
        slack_post.post_once(deps, job, kind=slack_post.MESSAGE, channel=where, text=f"{mention} {text}")


def breached(deps: Deps, job: Job) -> None:
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None:
            return
        word = TARGET_WORDS.get(str(job.payload.get("target")), str(job.payload.get("target")))
        due = datetime.fromisoformat(str(job.payload["due_at"]))
        target = Target(str(job.payload["target"]))
        amount = cards.fmt_duration(
            targets(deps, esc.team).target_for(target, esc.urgency, esc.tier).total_seconds()
        )
        channel, ts = esc.card_channel, esc.card_ts
        if target is Target.PICKUP:
            state = "is still unclaimed"
        else:
            state = (
                f"is claimed by <@{esc.claimed_by}> but has no human reply"
                if esc.claimed_by
                else "has no reply"
            )
        report = (
            f":rotating_light: Baton watchdog: the {esc.urgency} escalation #{esc.id} for {cards.escape(esc.account_id)} "
            f"{state} past its {word} target ({amount}, breached at {cards.fmt_time(due)})."
            + (f" <{card_link(esc)}|Open the card>" if esc.card_channel else "")
        )
        outbox.enqueue(
            session,
            job.esc_id,
            EffectKind.SLA_WATCHDOG,
            deps.clock.now(),
            key=f"{target.value}:{due.isoformat()}",
            text=report,
        )
    if channel and ts:
        slack_post.post_once(
            deps,
            job,
            kind=slack_post.MESSAGE,
            channel=channel,
            thread_ts=ts,
            text=f":red_circle: SLA breached: the {word} target ({amount}) passed at {cards.fmt_time(due)}.",
        )


def watchdog(deps: Deps, job: Job) -> None:
    """The watchdog's report of a breach, to the managers' channel (none configured: the timeline has it)."""
    if not deps.policy.managers_channel:
        return
    slack_post.post_once(
        deps,
        job,
        kind=slack_post.MESSAGE,
        channel=deps.policy.managers_channel,
        text=str(job.payload["text"]),
    )


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.SLA_WARNING: warning,
    EffectKind.SLA_BREACHED: breached,
    EffectKind.SLA_WATCHDOG: watchdog,
}
