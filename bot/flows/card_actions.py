"""Take over and hand to another team: the state changes first (one conditional UPDATE on what the agent
saw), then the cards are re-rendered and the people concerned are told (docs/agent-actions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import card_modals
from bot.deps import Deps
from bot.domain import hours
from bot.domain.model import Account
from bot.flows import action_effects, offer, offer_dms, outbox, render, sla, sla_clock, sources
from bot.flows.claim import REFUSAL, ClickResult, is_internal, not_yours
from bot.flows.outbox import EffectKind, unique
from storage import actions_repo, repo
from storage.db import session_scope
from storage.models import CLAIMED, RESOLVED, SNOOZED, Escalation, TimelineKind


def take_over(deps: Deps, esc_id: int, user: str, user_team: str) -> ClickResult:
    """Another member takes a claimed escalation over (the button asks to confirm first). Recorded on the
    timeline; the previous claimer gets a DM, the customer hears who joined."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists.")
        if esc.status != CLAIMED:
            return ClickResult(False, _not_claimed(esc))
        previous = esc.claimed_by
        if previous == user:
            return ClickResult(False, "It is already yours.")
        if not actions_repo.take_over(session, esc_id, user, previous):
            session.refresh(esc)
            if esc.status == CLAIMED:
                return ClickResult(False, f"<@{esc.claimed_by}> took it over just now.")
            return ClickResult(False, _not_claimed(esc))
        repo.log(session, esc_id, now, TimelineKind.TAKEN_OVER, actor=user, previous=previous)
        sources.queue_change(session, esc, sources.Change.CLAIMED, now, user=user)  # the new claimer, there too
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
        outbox.enqueue(session, esc_id, EffectKind.DM_PREVIOUS_CLAIMER, now, key=unique(), previous=previous, by=user)
        outbox.enqueue(session, esc_id, EffectKind.NOTIFY_CLAIMED, now, key=unique(), user=user, team=esc.team)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def _not_claimed(esc: Escalation) -> str:
    if esc.status == RESOLVED:
        return "This escalation is already resolved."
    if esc.status == SNOOZED:
        return "Nobody has claimed it (it is snoozed): click Claim to take it."
    return "Nobody has claimed it: click Claim to take it."


# ---------------------------------------------------------------- hand to another team


def _may_hand_off(esc: Escalation, user: str) -> str:
    """Why `user` cannot hand this escalation off now ("" when they can)."""
    if esc.status == RESOLVED:
        return "This escalation is already resolved."
    if esc.status == CLAIMED and esc.claimed_by != user:
        return not_yours(esc, user, "hand it to another team")
    return ""


def handoff_modal(deps: Deps, esc_id: int, user: str, user_team: str) -> tuple[ClickResult, dict[str, Any] | None]:
    """The form of "Hand to another team": the policy's other teams and a note."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL), None
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists."), None
        problem = _may_hand_off(esc, user)
        if problem:
            return ClickResult(False, problem), None
        teams = [name for name in deps.policy.teams if name != esc.team]
        if not teams:
            return ClickResult(False, "The policy has no other team to hand this to."), None
        assert esc.id is not None
        view = card_modals.build_handoff_modal(
            esc.id, esc.account_id, teams=teams, status=esc.status, claimed_by=esc.claimed_by, team=esc.team
        )
        return ClickResult(True), view


def handoff_problem(deps: Deps, to_team: str, seen: Mapping[str, Any]) -> str:
    """What is wrong with a submitted hand-off form ("" when nothing): for the form's own error line."""
    if to_team not in deps.policy.teams:
        return "Choose one of the teams in the list."
    if to_team == seen.get("t"):
        return "It is with that team already: choose another one."
    return ""


def hand_off(
    deps: Deps, user: str, user_team: str, to_team: str, note: str, seen: Mapping[str, Any]
) -> ClickResult:
    """Hand the escalation to `to_team`, if it is still as the agent saw it when they opened the form
    (`seen`: card_modals.handoff_metadata). The new team gets a card and the chain restarts for it; the old
    card says where it went; the customer is told who is taking over."""
    esc_id = int(seen["e"])
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    problem = handoff_problem(deps, to_team, seen)
    if problem:
        return ClickResult(False, problem)
    now = deps.clock.now()
    note = note.strip()[: card_modals.NOTE_MAX]
    account = render.account_of(deps, esc_id)  # for the new team's routing (the owner), outside the transaction
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists.")
        if esc.team == to_team and esc.team != seen.get("t") and _last_handoff_by(session, esc_id) == user:
            return ClickResult(True)  # this form was taken in already (a second submission of it)
        refusal = _changed_since(esc, seen) or _may_hand_off(esc, user)
        if not refusal:
            refusal = _move(session, deps, esc, user, to_team, note, seen, now, account)
        channel = esc.card_channel
    if refusal:
        action_effects.tell_user(deps, user, channel, "Not handed over: " + refusal)
        return ClickResult(False, refusal)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def _last_handoff_by(session: Session, esc_id: int) -> str:
    handoffs = [e for e in actions_repo.card_events(session, esc_id) if e.kind == TimelineKind.HANDED_OFF]
    return handoffs[-1].actor if handoffs else ""


def _changed_since(esc: Escalation, seen: Mapping[str, Any]) -> str:
    """The escalation changed between opening the form and submitting it: say how."""
    if esc.team != seen.get("t"):
        return f"it was handed to team {esc.team} meanwhile."
    if esc.status == CLAIMED and esc.claimed_by != seen.get("c"):
        return f"<@{esc.claimed_by}> claimed it while you were writing the hand-off: ask them, or take it over first."
    return ""


def _chain_for(deps: Deps, esc: Escalation, team_name: str, now: datetime) -> tuple[Any, datetime, Any, str, bool]:
    """The chain of the new team, started as if the escalation opened with it now (after hours: a queued
    one waits for the opening, an immediate one pages at once)."""
    team = deps.policy.teams[team_name]
    closed = team.hours is not None and not hours.is_open(team.hours, now)
    start = hours.next_opening(team.hours, now) if closed and esc.urgency == "queued" else now
    snapshot, next_at, note = sla.start(deps.policy, team_name, esc.urgency, esc.tier, start)
    return snapshot, start, next_at, note, closed


def _move(
    session: Session,
    deps: Deps,
    esc: Escalation,
    user: str,
    to_team: str,
    note: str,
    seen: Mapping[str, Any],
    now: datetime,
    account: Account,
) -> str:
    """The hand-off itself, in the caller's transaction; returns a refusal when the escalation moved first.
    The new team's routing runs as for a new escalation (the owner, the previous handler unless it is the
    person handing off, balanced assignment, then its channel), its chain held while someone is offered it."""
    assert esc.id is not None
    from_team, old_channel, old_ts, old_key = esc.team, esc.card_channel, esc.card_ts, esc.page_key
    paged = esc.paged_at is not None or bool(repo.outbox_items(session, esc.id, EffectKind.PAGE_PAGER, attempted=True))
    snapshot, start, next_at, sla_note, closed = _chain_for(deps, esc, to_team, now)
    prefer = esc.prefer_agent if esc.prefer_agent != user else ""
    routed = offer.opening(deps.policy, deps.policy.teams[to_team], account, prefer, now)
    moved = actions_repo.hand_off(
        session,
        esc.id,
        seen_status=str(seen.get("s", esc.status)),
        seen_claimer=str(seen.get("c", "")),
        from_team=from_team,
        to_team=to_team,
        chain=snapshot,
        chain_started_at=start,
        next_step_at=None if routed else next_at,
        sla_note="" if routed else sla_note,
        route=routed or None,
    )
    if not moved:
        session.refresh(esc)
        return _changed_since(esc, seen) or _may_hand_off(esc, user) or "it changed just now; look at the card again."
    session.refresh(esc)
    sla_clock.on_release(session, deps, esc, now)  # the new team's pickup target, from now
    repo.log(
        session,
        esc.id,
        now,
        TimelineKind.HANDED_OFF,
        actor=user,
        from_team=from_team,
        to_team=to_team,
        note=note,
        old_channel=old_channel,
        old_ts=old_ts,
    )
    key = unique()
    offer_dms.queue_update(session, esc.id, now)  # the old team's offers are over
    if routed:
        outbox.enqueue(session, esc.id, EffectKind.ROUTE, now, key=str(esc.route_step), step=esc.route_step)
    outbox.enqueue(session, esc.id, EffectKind.POST_CARD, now, key=f"handoff:{key}")
    outbox.enqueue(
        session,
        esc.id,
        EffectKind.RETIRE_CARD,
        now,
        key=key,
        channel=old_channel,
        ts=old_ts,
        from_team=from_team,
        to_team=to_team,
        by=user,
        note=note,
    )
    outbox.enqueue(session, esc.id, EffectKind.NOTIFY_HANDED_OFF, now, key=key, team=to_team)
    if paged:  # the old team's page is over; the new team's chain pages its own on-call when due
        outbox.enqueue(session, esc.id, EffectKind.PAGE_RESOLVE, now, key=key, team=from_team, page_key=old_key)
    if closed:
        repo.log(session, esc.id, now, TimelineKind.AFTER_HOURS, opening=start.isoformat(), team=to_team)
        if esc.urgency == "immediate":
            outbox.enqueue(session, esc.id, EffectKind.PAGE, now, key=f"after_hours:{key}", after_hours=True)
    return ""


__all__ = ["hand_off", "handoff_modal", "handoff_problem", "take_over"]
