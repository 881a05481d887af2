"""Internal notes, reopening a resolved escalation, snoozing a queued one (and the sweep waking it):
state first, in one transaction with the effects it causes (docs/agent-actions.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot import card_modals, cards
from bot.deps import Deps
from bot.flows import action_effects, outbox, sla, sla_clock, sources
from bot.flows.claim import REFUSAL, ClickResult, is_internal
from bot.flows.outbox import EffectKind, unique
from storage import actions_repo, repo
from storage.db import session_scope
from storage.models import OPEN, RESOLVED, SNOOZED, Escalation, TimelineKind

# ---------------------------------------------------------------- internal notes


def note_modal(deps: Deps, esc_id: int, user_team: str) -> tuple[ClickResult, dict[str, Any] | None]:
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL), None
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists."), None
        return ClickResult(True), card_modals.build_note_modal(esc_id, esc.account_id)


def add_note(deps: Deps, esc_id: int, user: str, user_team: str, text: str, *, view_id: str) -> ClickResult:
    """An internal note: on the timeline and as a reply in the card's thread. Once per submitted form
    (`view_id`), however often the submission is processed."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    text = text.strip()[: card_modals.NOTE_MAX]
    if not text:
        return ClickResult(False, "The note is empty.")
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        if session.get(Escalation, esc_id) is None:
            return ClickResult(False, "This escalation no longer exists.")
        if not repo.mark_inbound(session, f"note:{view_id}", now):
            return ClickResult(True)  # this form was taken in already
        repo.log(session, esc_id, now, TimelineKind.NOTE_ADDED, actor=user, text=text)
        esc = repo.lock_escalation(session, esc_id)
        repo.card_changed(esc)
        session.add(esc)
        reply = f":memo: Internal note from <@{user}>:\n{cards.quote(text, cards.TEXT_LIMIT)}"
        outbox.enqueue(session, esc_id, EffectKind.CARD_THREAD_REPLY, now, key=f"note:{view_id}", text=reply)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


# ---------------------------------------------------------------- reopen


def reopen(deps: Deps, esc_id: int, user: str, user_team: str) -> ClickResult:
    """A resolved escalation back to work within the policy's window, claimed by whoever reopened it; the
    customer hears who is back, and the AI agent stands back again."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    now = deps.clock.now()
    window = deps.policy.card_actions.reopen_within
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists.")
        if esc.status != RESOLVED:
            who = f" (claimed by <@{esc.claimed_by}>)" if esc.claimed_by else ""
            return ClickResult(False, f"This escalation is not resolved{who}: nothing to reopen.")
        if not deps.policy.card_actions.can_reopen(esc.resolved_at, now):
            return ClickResult(
                False,
                f"Resolved more than {sla_window(window)} ago, so it can no longer be reopened"
                " (the policy's card_actions.reopen_within). A new message from the customer opens a new one.",
            )
        won = actions_repo.reopen(session, esc_id, user, now, now - window)
        if won is None:
            return ClickResult(
                False, "This conversation has a newer open escalation: work on its card instead."
            )
        if not won:
            session.refresh(esc)
            return ClickResult(False, f"<@{esc.claimed_by}> reopened it just now." if esc.claimed_by else "It changed just now.")
        repo.log(session, esc_id, now, TimelineKind.REOPENED, actor=user)
        session.refresh(esc)
        sla_clock.on_stop(session, deps, esc, now)  # claimed again: the next-reply target runs from now
        sources.queue_change(session, esc, sources.Change.REOPENED, now, user=user)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
        outbox.enqueue(session, esc_id, EffectKind.NOTIFY_CLAIMED, now, key=unique(), user=user, team=esc.team)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def sla_window(td: timedelta) -> str:
    days = td.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else cards.fmt_duration(td.total_seconds())


# ---------------------------------------------------------------- snooze


def _snooze_problem(esc: Escalation) -> str:
    if esc.status == SNOOZED:
        return "It is snoozed already."
    if esc.status != OPEN:
        return "Only an escalation nobody has claimed can be snoozed."
    if esc.urgency != "queued":
        return "An immediate escalation cannot be snoozed."
    return ""


def snooze_modal(deps: Deps, esc_id: int, user_team: str) -> tuple[ClickResult, dict[str, Any] | None]:
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL), None
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists."), None
        problem = _snooze_problem(esc)
        if problem:
            return ClickResult(False, problem), None
        initial = (deps.clock.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        return ClickResult(True), card_modals.build_snooze_modal(esc_id, esc.account_id, initial=initial)


def snooze_problem(deps: Deps, until: datetime | None) -> str:
    """What is wrong with the time picked in the form ("" when nothing): for the form's error line."""
    if until is None:
        return "Pick a date and a time."
    return deps.policy.card_actions.snooze_problem(until, deps.clock.now())


def snooze(deps: Deps, esc_id: int, user: str, user_team: str, until: datetime) -> ClickResult:
    """Put a queued escalation aside until `until`: no reminders or pages meanwhile (a page that went out is
    resolved). The sweep wakes it then; a customer message wakes it sooner."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    problem = snooze_problem(deps, until)
    if problem:
        return ClickResult(False, problem)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists.")
        refusal = _snooze_problem(esc)
        if not refusal:
            note = f"snoozed until {sla.local_time(deps.policy, esc.team, until)}"
            if actions_repo.snooze(session, esc_id, user, until, note):
                sla.on_stop(session, deps, esc_id, now)  # resolves a page that went out
                esc.sla_note = note  # on_stop clears a "next: ..." note on the loaded row
                session.add(esc)
                repo.log(session, esc_id, now, TimelineKind.SNOOZED, actor=user, until=until.isoformat())
                outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
            else:
                session.refresh(esc)
                refusal = _snooze_problem(esc) or "It changed just now."
        channel = esc.card_channel
    if refusal:
        action_effects.tell_user(deps, user, channel, "Not snoozed: " + refusal)
        return ClickResult(False, refusal)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def wake(session: Session, deps: Deps, esc: Escalation, now: datetime, *, why: str) -> bool:
    """A snoozed escalation back to the queue, its chain restarted from now (in the caller's transaction)."""
    assert esc.id is not None
    next_at, note = sla.restart(esc, deps, now)
    if not actions_repo.wake(session, esc.id, now, next_at, note):
        return False
    repo.log(session, esc.id, now, TimelineKind.WOKEN, why=why, snoozed_by=esc.snoozed_by)
    sla_clock.on_release(session, deps, esc, now)  # the pickup target and keep-alives start again
    outbox.enqueue(session, esc.id, EffectKind.UPDATE_CARD, now, key=unique())
    by = f" (snoozed by <@{esc.snoozed_by}>)" if esc.snoozed_by else ""
    outbox.enqueue(
        session,
        esc.id,
        EffectKind.CARD_THREAD_REPLY,
        now,
        key=unique(),
        text=f":alarm_clock: Back in the queue{by}: {why}.",
    )
    return True


def wake_due(deps: Deps, now: datetime) -> list[int]:
    """The sweep's part: every snooze whose time has come ends. Returns the escalations woken."""
    woken: list[int] = []
    with session_scope(deps.db) as session:
        for esc in actions_repo.due_snoozes(session, now):
            if esc.id is not None and wake(session, deps, esc, now, why="the snooze ended"):
                woken.append(esc.id)
    return woken


__all__ = ["add_note", "note_modal", "reopen", "snooze", "snooze_modal", "wake", "wake_due"]
