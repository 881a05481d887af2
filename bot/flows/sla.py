"""The SLA chain of an escalation: frozen when it opens, stepped by the sweep, stopped by a claim.

Each step is taken exactly once: a conditional UPDATE on (status = open, steps_done = n) decides
who runs it, and on PostgreSQL the due rows are read FOR UPDATE SKIP LOCKED so a second instance
moves on to other work instead of waiting. The step's effects (remind, page, notify the manager)
are queued in the outbox in the same transaction: a crash after the commit loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot import metrics
from bot.deps import Deps
from bot.domain import chain, hours
from bot.flows import outbox, sla_clock
from bot.flows.outbox import EffectKind
from bot.policy import Policy, Team
from storage import repo
from storage.db import session_scope
from storage.models import Escalation, TimelineKind

log = logging.getLogger(__name__)

ACTION_TEXT = {"remind": "remind the team", "page": "page on-call", "notify_manager": "notify the manager"}


def team_hours(policy: Policy, team: str) -> Any:
    t = policy.teams.get(team)
    return t.hours if t is not None else None


def local_time(policy: Policy, team: str, at: datetime) -> str:
    h = team_hours(policy, team)
    if h is None:
        return at.strftime("%H:%M UTC")
    local = at.astimezone(h.tz)
    return local.strftime("%H:%M ") + hours.tz_label(h, at)


def describe_next(
    policy: Policy, esc_team: str, snapshot: list[dict[str, Any]], started: datetime, done: int
) -> str:
    step = chain.next_step(snapshot, started, done, team_hours(policy, esc_team))
    if step is None:
        return ""
    return f"next: {ACTION_TEXT.get(step.action, step.action)} at {local_time(policy, esc_team, step.due_at)}"


def start(
    policy: Policy, team: str, urgency: str, tier: str, now: datetime
) -> tuple[list[dict[str, Any]], datetime | None, str]:
    """The frozen chain snapshot, the first deadline and the card's SLA note."""
    if policy.chains is None:
        return [], None, ""
    snapshot = chain.freeze(policy.chains, urgency, tier)
    h = team_hours(policy, team)
    first = chain.next_deadline(snapshot, now, 0, h)
    return snapshot, first, describe_next(policy, team, snapshot, now, 0)


def restart(esc: Escalation, deps: Deps, now: datetime) -> tuple[datetime | None, str]:
    """Released back to the queue: the chain starts again from now."""
    h = team_hours(deps.policy, esc.team)
    return chain.next_deadline(esc.chain, now, 0, h), describe_next(deps.policy, esc.team, esc.chain, now, 0)


def on_stop(session: Session, deps: Deps, esc_id: int, now: datetime) -> None:
    """Claimed or resolved: the chain stops, and a page that went out is resolved."""
    esc = session.get(Escalation, esc_id)
    paged = esc is not None and esc.paged_at is not None
    pending = repo.pending_outbox_for(session, esc_id, EffectKind.PAGE)
    # a timed-out trigger may have landed
    tried = repo.outbox_items(session, esc_id, EffectKind.PAGE_PAGER, attempted=True)
    if paged or pending or tried:
        outbox.enqueue(session, esc_id, EffectKind.PAGE_RESOLVE, now, key=outbox.unique())
    if esc is not None and esc.sla_note.startswith("next:"):
        esc.sla_note = ""
        session.add(esc)
    if esc is not None:
        sla_clock.on_stop(session, deps, esc, now)


def sweep_interval(deps: Deps) -> timedelta:
    return timedelta(seconds=deps.sweep_seconds)


def run_due_steps(deps: Deps, now: datetime, overdue: list[int]) -> list[int]:
    """Take every due chain step once and queue its effect. Returns the escalations that stepped (their
    effects are due now); ids of late ones go into `overdue`."""
    taken: list[int] = []
    with session_scope(deps.db) as session:
        for esc in repo.due_escalations(session, now):
            assert esc.id is not None and esc.chain_started_at is not None
            h = team_hours(deps.policy, esc.team)
            planned = chain.plan(esc.chain, esc.chain_started_at, h)
            if esc.steps_done >= len(planned):
                esc.next_step_at = None
                session.add(esc)
                continue
            step = planned[esc.steps_done]
            if step.due_at > now:  # the plan moved (e.g. hours changed): keep the column honest
                esc.next_step_at = step.due_at
                session.add(esc)
                continue
            following = planned[esc.steps_done + 1] if esc.steps_done + 1 < len(planned) else None
            note = describe_next(deps.policy, esc.team, esc.chain, esc.chain_started_at, esc.steps_done + 1)
            if not repo.advance_step(
                session, esc.id, esc.steps_done, following.due_at if following else None, note
            ):
                continue  # another instance took it
            if following is None:  # the chain ran out unclaimed: its last step repeats (docs/policy-paging.md)
                sla_clock.chain_finished(session, deps, esc, step.due_at, now)
            late = now - step.due_at
            metrics.step_ran(late_seconds=late.total_seconds())
            if late > 2 * sweep_interval(deps):
                overdue.append(esc.id)
                log.warning("escalation %s: step %s ran %s late", esc.id, step.action, late)
                repo.log(
                    session,
                    esc.id,
                    now,
                    TimelineKind.STEP_OVERDUE,
                    action=step.action,
                    late_seconds=late.total_seconds(),
                )
                outbox.enqueue(
                    session,
                    esc.id,
                    EffectKind.WATCHDOG_ALERT,
                    now,
                    key=f"{step.index}",
                    action=step.action,
                    late_seconds=late.total_seconds(),
                )
            repo.log(
                session,
                esc.id,
                now,
                TimelineKind.STEP,
                action=step.action,
                index=step.index,
                round=step.round,
            )
            outbox.enqueue(
                session,
                esc.id,
                EffectKind(step.action),
                now,
                key=f"{esc.chain_started_at.isoformat()}:{step.index}",
                index=step.index,
                round=step.round,
            )
            taken.append(esc.id)
    return taken


def find_team(policy: Policy, name: str) -> Team:
    return policy.teams.get(name) or policy.teams[policy.default_team]


def note(
    deps: Deps, esc_id: int, kind: TimelineKind, sla_note: str | None = None, actor: str = "", **detail: Any
) -> None:
    """Record what a chain step did on the timeline; `sla_note` is what the card says about the chain now."""
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        repo.log(session, esc_id, now, kind, actor=actor, **detail)
        if sla_note is not None:
            esc = session.get(Escalation, esc_id)
            if esc is not None:
                esc.sla_note = sla_note[:300]
                repo.card_changed(esc)
                session.add(esc)
