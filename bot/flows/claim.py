"""Claim, release and resolve: the state changes first (atomically), then the card is re-rendered from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import card_modals, metrics
from bot.deps import Deps
from bot.domain.handoff import HandoffState
from bot.domain.report import Needed
from bot.flows import action_effects, csat, durations, handoff, offer_dms, outbox, sla, sla_clock, sources
from bot.flows.outbox import EffectKind, unique
from storage import feedback_repo, repo
from storage.db import session_scope
from storage.models import CLAIMED, OPEN, RESOLVED, Escalation, TimelineKind


@dataclass(frozen=True)
class ClickResult:
    ok: bool
    message: str = ""  # said to the clicking user (ephemeral) when not ok


def is_internal(deps: Deps, user_team: str) -> bool:
    """Only members of our own workspace act on escalations (Slack Connect customers can click buttons too)."""
    return not user_team or user_team == deps.identity.team_id


REFUSAL = (
    "Sorry, only the support team can act on this escalation. Someone from our team will be with you shortly."
)


def not_yours(esc: Escalation, user: str, doing: str) -> str:
    """The refusal for a claimer-only action, naming who holds the claim and the way to take it."""
    return (
        f"Only <@{esc.claimed_by}>, who claimed this escalation, can {doing}."
        " To take it over, click *Take over* on the card."
    )


def claim(deps: Deps, esc_id: int, user: str, user_team: str, *, seen_team: str | None = None) -> ClickResult:
    """`seen_team`: the team of the card that was clicked (a card left behind by a hand-off cannot claim)."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        won = repo.claim(session, esc_id, user, now, team=seen_team)
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists.")
        if not won:
            if esc.status == CLAIMED:
                who = "you" if esc.claimed_by == user else f"<@{esc.claimed_by}>"
                return ClickResult(False, f"Already claimed by {who}.")
            if esc.status != RESOLVED and seen_team is not None and esc.team != seen_team:
                return ClickResult(
                    False, f"This escalation was handed to team {esc.team}: claim it on their card."
                )
            return ClickResult(False, "This escalation is already resolved.")
        repo.log(session, esc_id, now, TimelineKind.CLAIMED, actor=user, via="button")
        durations.record(deps, esc)
        metrics.claimed(team=esc.team, opened_at=esc.opened_at, at=now)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
        outbox.enqueue(
            session, esc_id, EffectKind.NOTIFY_CLAIMED, now, key=unique(), user=user, team=esc.team
        )
        sources.queue_change(session, esc, sources.Change.CLAIMED, now, user=user)
        sla.on_stop(session, deps, esc_id, now)
        offer_dms.queue_update(session, esc_id, now)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def release(deps: Deps, esc_id: int, user: str, user_team: str) -> ClickResult:
    """Back to the queue: the claimer only (anyone else is told who holds it and how to take it over)."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None or esc.status != CLAIMED:
            return ClickResult(False, "Only a claimed escalation can be released.")
        if esc.claimed_by != user:
            return ClickResult(False, not_yours(esc, user, "release it"))
        next_at, note = sla.restart(esc, deps, now)
        if not repo.release(session, esc_id, user, now, next_at):
            return ClickResult(False, "Only the claimer can release a claimed escalation; it changed hands just now.")
        if note:
            esc.sla_note = note
            session.add(esc)
        sla_clock.on_release(session, deps, esc, now)
        repo.log(session, esc_id, now, TimelineKind.RELEASED, actor=user)
        sources.queue_change(session, esc, sources.Change.RELEASED, now, user=user)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def resolve_modal(deps: Deps, esc_id: int, user: str, user_team: str) -> tuple[ClickResult, dict | None]:
    """The Resolve button opens a modal for the resolution note (for the claimer only)."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL), None
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None or esc.status == RESOLVED:
            return ClickResult(False, "This escalation is already resolved."), None
        if esc.status != CLAIMED:
            return ClickResult(False, "Claim this escalation first: only its claimer can resolve it."), None
        if esc.claimed_by != user:
            return ClickResult(False, not_yours(esc, user, "resolve it")), None
        return ClickResult(True), card_modals.build_resolve_modal(esc_id, esc.account_id)


NEEDED_VALUES = frozenset(n.value for n in Needed)


def resolve(
    deps: Deps, esc_id: int, user: str, user_team: str, note: str, *, needed: str = "", needed_reason: str = ""
) -> ClickResult:
    """Resolve with the note and the resolver's answer to "Was a human needed?" (yes | no | partly)."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    if needed and needed not in NEEDED_VALUES:
        return ClickResult(False, "Was a human needed? Answer yes, no or partly.")
    now = deps.clock.now()
    reason = needed_reason.strip()[:500]
    with session_scope(deps.db) as session:
        done = repo.resolve(
            session, esc_id, user, note.strip(), now, needed=needed, needed_reason=reason, claimer_only=True
        )
        esc = session.get(Escalation, esc_id)
        if not done or esc is None:
            refusal = _resolve_refusal(esc, user)
            channel = esc.card_channel if esc is not None else ""
        else:
            refusal, channel = "", ""
            resolved(session, deps, esc, user=user, note=note.strip(), now=now, needed=needed, reason=reason)
    if refusal:
        # The form is closed by now (no response_url): say it where the card is.
        action_effects.tell_user(deps, user, channel, refusal)
        return ClickResult(False, refusal)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def resolved(
    session: Session,
    deps: Deps,
    esc: Escalation,
    *,
    user: str,
    note: str,
    now: datetime,
    needed: str = "",
    reason: str = "",
    via: str = "",
) -> None:
    """What follows a resolve (repo.resolve won), in its transaction: the timeline, the card, the customer
    told in their thread, the AI agent's thread back, the survey, the source, the SLA clocks stopped."""
    assert esc.id is not None
    esc_id = esc.id
    repo.log(session, esc_id, now, TimelineKind.RESOLVED, actor=user, note=note, **({"via": via} if via else {}))
    if needed:
        feedback_repo.record_verdict(session, esc_id, needed, user, now, via="resolve")
        repo.log(session, esc_id, now, TimelineKind.FEEDBACK, actor=user, needed=needed, reason=reason)
    outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
    outbox.enqueue(session, esc_id, EffectKind.NOTIFY_RESOLVED, now, key=unique())
    durations.record(deps, esc)
    handoff.queue_webhook(session, deps, esc, HandoffState.AI, now)
    csat.queue_survey(session, deps, esc, now)
    sources.queue_change(session, esc, sources.Change.RESOLVED, now, user=user)
    sla.on_stop(session, deps, esc_id, now)


def _resolve_refusal(esc: Escalation | None, user: str) -> str:
    if esc is None:
        return "This escalation no longer exists."
    if esc.status == RESOLVED:
        return "This escalation is already resolved."
    if esc.status == CLAIMED:
        return "Not resolved: " + not_yours(esc, user, "resolve it")
    return "Not resolved: nobody holds the claim any more. Claim it first, then resolve it."


__all__ = ["NEEDED_VALUES", "OPEN", "ClickResult", "claim", "release", "resolve", "resolve_modal"]
