"""SLA targets on the clock, and the customer never left in silence.

- Targets (bot/domain/sla_targets.py): while unclaimed, the pickup target runs from the opening (or
  the release); once claimed, the next-reply target runs from the claim, and again from each customer
  message that follows a human reply. A human reply in the customer's thread stops it. The deadline,
  the warning before it and the next instant to look (`sla_check_at`) are indexed columns; the sweep
  takes each warning and breach exactly once (a conditional UPDATE on the value it read).
- Keep-alive: while unclaimed the customer hears from us every `keep_alive` (team time: not while the
  team is closed), with an expected wait that counts down from the live pickup times.
- After the chain's last step, while still unclaimed: the last step runs again and the manager is told,
  every `repeat_every`, until someone claims.

The hooks (`arm_open`, `on_stop`, `on_release`, `on_message`, `chain_finished`) are called inside the
transaction of the state change that causes them; `run_due` is called by the sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot import customer_messages
from bot.deps import Deps
from bot.domain import hours, wait
from bot.domain.report import business_seconds
from bot.domain.sla_targets import DEFAULT_SLA, SlaTargets, Target, due_at, warn_at
from bot.flows import outbox
from bot.flows.outbox import EffectKind
from storage import repo, sla_repo
from storage.db import session_scope
from storage.models import CLAIMED, OPEN, RESOLVED, SNOOZED, Escalation, TimelineKind

log = logging.getLogger(__name__)

HISTORY = timedelta(days=7)  # the pickups the keep-alive's countdown reads


def targets(deps: Deps, team: str) -> SlaTargets:
    t = deps.policy.teams.get(team)
    return t.sla if t is not None else DEFAULT_SLA


def team_hours(deps: Deps, team: str) -> hours.TeamHours | None:
    t = deps.policy.teams.get(team)
    return t.hours if t is not None else None


def target_seconds(deps: Deps, esc: Escalation) -> float | None:
    """The running target's length (for the card), or None when no target runs."""
    if not esc.sla_target:
        return None
    return targets(deps, esc.team).target_for(Target(esc.sla_target), esc.urgency, esc.tier).total_seconds()


def time_left(deps: Deps, esc: Escalation, now: datetime) -> float | None:
    """Seconds left before the running target's deadline, counted as the target is (business hours)."""
    if esc.sla_due_at is None:
        return None
    if esc.sla_due_at <= now:
        return 0.0
    t = targets(deps, esc.team)
    if t.business_hours:
        return business_seconds(team_hours(deps, esc.team), now, esc.sla_due_at)
    return (esc.sla_due_at - now).total_seconds()


def _arm(deps: Deps, esc: Escalation, target: Target, start: datetime, now: datetime) -> None:
    t = targets(deps, esc.team)
    h = team_hours(deps, esc.team)
    amount = t.target_for(target, esc.urgency, esc.tier)
    due = due_at(start, amount, h, business_hours=t.business_hours)
    warn: datetime | None = warn_at(start, amount, t.lead(amount), h, business_hours=t.business_hours)
    if warn is not None and (warn >= due or warn < now):
        warn = None
    esc.sla_target = target.value
    esc.sla_due_at = due
    esc.sla_warn_at = warn
    esc.sla_check_at = warn or due


def _disarm(esc: Escalation) -> None:
    esc.sla_target = ""
    esc.sla_due_at = esc.sla_warn_at = esc.sla_check_at = None


def _next_keepalive(deps: Deps, esc: Escalation, after: datetime) -> datetime:
    """`keep_alive` after `after`; while the team is closed, that long after it opens again."""
    every = targets(deps, esc.team).keep_alive
    h = team_hours(deps, esc.team)
    at = after + every
    if h is not None and not hours.is_open(h, at):
        at = hours.next_opening(h, at) + every
    return at


def arm_open(deps: Deps, esc: Escalation, now: datetime) -> None:
    """A new escalation (not yet inserted): the pickup target and the first keep-alive."""
    _arm(deps, esc, Target.PICKUP, now, now)
    esc.keepalive_at = _next_keepalive(deps, esc, now)


def on_urgency_raised(deps: Deps, esc: Escalation, now: datetime) -> None:
    """The urgency went up while unclaimed: the new urgency's target from the opening, if it is tighter."""
    if esc.status != OPEN or esc.sla_target != Target.PICKUP.value or esc.sla_due_at is None:
        return
    before = (esc.sla_due_at, esc.sla_warn_at, esc.sla_check_at)
    _arm(deps, esc, Target.PICKUP, esc.opened_at, now)
    if esc.sla_due_at is None or esc.sla_due_at > before[0]:
        esc.sla_due_at, esc.sla_warn_at, esc.sla_check_at = before


def _met(session: Session, esc: Escalation, now: datetime) -> None:
    assert esc.id is not None
    if esc.sla_target and esc.sla_due_at is not None and esc.sla_due_at >= now:
        repo.log(
            session,
            esc.id,
            now,
            TimelineKind.SLA_MET,
            target=esc.sla_target,
            due_at=esc.sla_due_at.isoformat(),
        )


def on_stop(session: Session, deps: Deps, esc: Escalation, now: datetime) -> None:
    """Claimed (the next-reply target starts) or resolved (every clock stops)."""
    if esc.status == CLAIMED:
        if esc.sla_target == Target.PICKUP.value:
            _met(session, esc, now)
        _arm(deps, esc, Target.NEXT_REPLY, now, now)
    elif esc.status == SNOOZED:  # deferred on purpose: no target runs until it wakes (on_release)
        _disarm(esc)
    elif esc.status == RESOLVED:
        if esc.sla_target == Target.NEXT_REPLY.value:
            _met(session, esc, now)  # resolving is an answer of its own
        _disarm(esc)
    esc.keepalive_at = esc.overtime_at = None
    esc.overtime_rounds = 0
    session.add(esc)


def on_release(session: Session, deps: Deps, esc: Escalation, now: datetime) -> None:
    """Back in the queue: the pickup target and the keep-alives start again from now."""
    _arm(deps, esc, Target.PICKUP, now, now)
    esc.keepalive_at = _next_keepalive(deps, esc, now)
    esc.overtime_at = None
    esc.overtime_rounds = 0
    repo.card_changed(esc)
    session.add(esc)


def on_message(session: Session, deps: Deps, esc: Escalation, role: str, author: str, now: datetime) -> None:
    """A message in the customer's thread of an active escalation: a human reply stops the next-reply
    target; a customer message after one starts it again."""
    assert esc.id is not None
    if role == "agent":
        repo.log(session, esc.id, now, TimelineKind.HUMAN_REPLIED, actor=author)
        esc.last_human_reply_at = now
        if esc.sla_target == Target.NEXT_REPLY.value:
            _met(session, esc, now)
            _disarm(esc)
        repo.card_changed(esc)
        session.add(esc)
    elif role == "customer" and esc.status == CLAIMED and not esc.sla_target:
        _arm(deps, esc, Target.NEXT_REPLY, now, now)
        repo.card_changed(esc)
        session.add(esc)


def chain_finished(session: Session, deps: Deps, esc: Escalation, last_due: datetime, now: datetime) -> None:
    """The chain's last step ran and nobody has claimed: schedule its repeat (with the manager told)."""
    esc.overtime_at = max(last_due, now) + targets(deps, esc.team).repeat_every
    session.add(esc)


# ---------------------------------------------------------------- the sweep's part


def run_due(deps: Deps, now: datetime) -> list[int]:
    """Warnings, breaches, keep-alives and repeats that are due; returns the escalations touched (their
    effects are queued in the outbox, due now)."""
    touched: list[int] = []
    with session_scope(deps.db) as session:
        for esc in sla_repo.due_sla_checks(session, now):
            if _sla_check(session, esc, now):
                touched.append(esc.id or 0)
        for esc in sla_repo.due_keepalives(session, now):
            if _keepalive(session, deps, esc, now):
                touched.append(esc.id or 0)
        for esc in sla_repo.due_overtime(session, now):
            if _overtime(session, deps, esc, now):
                touched.append(esc.id or 0)
    return touched


def _sla_check(session: Session, esc: Escalation, now: datetime) -> bool:
    assert esc.id is not None and esc.sla_check_at is not None
    seen, due, target = esc.sla_check_at, esc.sla_due_at, esc.sla_target
    if due is None or not target:
        sla_repo.take_sla_check(session, esc.id, seen, {"sla_check_at": None}, card=False)
        return False
    detail: dict[str, Any] = {"target": target, "due_at": due.isoformat()}
    if due > now:  # the warning (a late sweep past the deadline goes straight to the breach)
        if not sla_repo.take_sla_check(session, esc.id, seen, {"sla_warn_at": None, "sla_check_at": due}):
            return False
        repo.log(session, esc.id, now, TimelineKind.SLA_WARNING, **detail)
        outbox.enqueue(
            session, esc.id, EffectKind.SLA_WARNING, now, key=f"{target}:{due.isoformat()}", **detail
        )
        return True
    values: dict[str, Any] = {"sla_warn_at": None, "sla_check_at": None}
    counter = "pickup_breaches" if target == Target.PICKUP.value else "next_reply_breaches"
    values[counter] = getattr(Escalation, counter) + 1
    if esc.breached_at is None:
        values.update(breached_at=due, breached_by=target)
    if not sla_repo.take_sla_check(session, esc.id, seen, values):
        return False
    repo.log(session, esc.id, now, TimelineKind.SLA_BREACHED, **detail)
    outbox.enqueue(session, esc.id, EffectKind.SLA_BREACHED, now, key=f"{target}:{due.isoformat()}", **detail)
    return True


def _keepalive(session: Session, deps: Deps, esc: Escalation, now: datetime) -> bool:
    assert esc.id is not None and esc.keepalive_at is not None
    seen = esc.keepalive_at
    following = _next_keepalive(deps, esc, now)
    if not sla_repo.take_keepalive(session, esc.id, seen, following):
        return False
    if esc.customer_notified_at is None:
        return False  # the customer was never told a person is coming: nothing to keep alive
    text, left = keepalive_text(session, deps, esc, now)
    outbox.enqueue(
        session,
        esc.id,
        EffectKind.NOTIFY_THREAD,
        now,
        key=f"keepalive:{seen.isoformat()}",
        text=text,
        log_kind=TimelineKind.CUSTOMER_TOLD_WAITING,
        state="human",
    )
    repo.log(session, esc.id, now, TimelineKind.KEEP_ALIVE, wait_seconds=left)
    return True


def keepalive_text(session: Session, deps: Deps, esc: Escalation, now: datetime) -> tuple[str, float | None]:
    """The keep-alive in the customer's language, and the wait it announces (None: longer than usual)."""
    messages = deps.policy.messages
    if customer_safety(esc):
        return messages.safety(esc.language, still_on_it=True), None
    h = team_hours(deps, esc.team)
    tz = h.tz if h is not None else None
    hour = esc.opened_at.astimezone(tz).hour if tz else esc.opened_at.hour
    rows = repo.pickups_of_team(session, esc.team, esc.opened_at - HISTORY, exclude=esc.id)
    pickups = [
        (claimed - opened).total_seconds()
        for opened, claimed in rows
        if (opened.astimezone(tz).hour if tz else opened.hour) == hour
    ]
    start = esc.chain_started_at if esc.chain_started_at is not None and esc.chain_started_at <= now else now
    waited = (now - max(start, esc.opened_at)).total_seconds()
    left = wait.remaining_wait(pickups, waited, wait.default_wait(deps.policy.doc, esc.team))
    return messages.keep_alive(esc.language, wait=left), (left.total_seconds() if left is not None else None)


def customer_safety(esc: Escalation) -> bool:
    return customer_messages.is_safety(esc.category, [t.get("category") for t in esc.triggers])


def _overtime(session: Session, deps: Deps, esc: Escalation, now: datetime) -> bool:
    assert esc.id is not None and esc.overtime_at is not None
    steps = esc.chain or []
    if not steps:
        sla_repo.take_overtime(session, esc.id, esc.overtime_at, esc.overtime_rounds, None)
        return False
    rounds = esc.overtime_rounds + 1
    following = now + targets(deps, esc.team).repeat_every
    if not sla_repo.take_overtime(session, esc.id, esc.overtime_at, esc.overtime_rounds, following):
        return False
    last = str(steps[-1].get("action", ""))
    repo.log(session, esc.id, now, TimelineKind.OVERTIME, action=last, round=rounds)
    started = esc.chain_started_at.isoformat() if esc.chain_started_at else ""
    outbox.enqueue(
        session,
        esc.id,
        EffectKind(last),
        now,
        key=f"overtime:{started}:{rounds}",
        index=f"overtime{rounds}",
        round=rounds,
        overtime=rounds,
    )
    if last != EffectKind.NOTIFY_MANAGER.value:
        outbox.enqueue(
            session,
            esc.id,
            EffectKind.NOTIFY_MANAGER,
            now,
            key=f"overtime:{started}:{rounds}:manager",
            overtime=rounds,
        )
    return True
