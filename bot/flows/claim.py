"""Claim, release and resolve: the state changes first (atomically), then the card is re-rendered from it."""

from __future__ import annotations

from dataclasses import dataclass

from bot import cards, metrics
from bot.deps import Deps
from bot.domain.handoff import HandoffState
from bot.domain.report import Needed
from bot.flows import csat, durations, handoff, outbox, sla
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


def claim(deps: Deps, esc_id: int, user: str, user_team: str) -> ClickResult:
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        won = repo.claim(session, esc_id, user, now)
        esc = session.get(Escalation, esc_id)
        if esc is None:
            return ClickResult(False, "This escalation no longer exists.")
        if not won:
            if esc.status == CLAIMED:
                who = "you" if esc.claimed_by == user else f"<@{esc.claimed_by}>"
                return ClickResult(False, f"Already claimed by {who}.")
            return ClickResult(False, "This escalation is already resolved.")
        repo.log(session, esc_id, now, TimelineKind.CLAIMED, actor=user, via="button")
        durations.record(deps, esc)
        metrics.claimed(team=esc.team, opened_at=esc.opened_at, at=now)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
        outbox.enqueue(
            session, esc_id, EffectKind.NOTIFY_CLAIMED, now, key=unique(), user=user, team=esc.team
        )
        sla.on_stop(session, deps, esc_id, now)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def release(deps: Deps, esc_id: int, user: str, user_team: str) -> ClickResult:
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None or esc.status != CLAIMED:
            return ClickResult(False, "Only a claimed escalation can be released.")
        next_at, note = sla.restart(esc, deps, now)
        if not repo.release(session, esc_id, user, now, next_at):
            return ClickResult(False, "Only a claimed escalation can be released.")
        if note:
            esc.sla_note = note
            session.add(esc)
        repo.log(session, esc_id, now, TimelineKind.RELEASED, actor=user)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


def resolve_modal(deps: Deps, esc_id: int, user_team: str) -> tuple[ClickResult, dict | None]:
    """The Resolve button opens a modal for the resolution note."""
    if not is_internal(deps, user_team):
        return ClickResult(False, REFUSAL), None
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None or esc.status == RESOLVED:
            return ClickResult(False, "This escalation is already resolved."), None
        return ClickResult(True), cards.build_resolve_modal(esc_id, esc.account_id)


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
        if not repo.resolve(session, esc_id, user, note.strip(), now, needed=needed, needed_reason=reason):
            return ClickResult(False, "This escalation is already resolved.")
        repo.log(session, esc_id, now, TimelineKind.RESOLVED, actor=user, note=note.strip())
        if needed:
            feedback_repo.record_verdict(session, esc_id, needed, user, now, via="resolve")
            repo.log(session, esc_id, now, TimelineKind.FEEDBACK, actor=user, needed=needed, reason=reason)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key="resolved")
        outbox.enqueue(session, esc_id, EffectKind.NOTIFY_RESOLVED, now)
        esc = session.get(Escalation, esc_id)
        assert esc is not None
        durations.record(deps, esc)
        handoff.queue_webhook(session, deps, esc, HandoffState.AI, now)
        csat.queue_survey(session, deps, esc, now)
        sla.on_stop(session, deps, esc_id, now)
    outbox.run_for(deps, esc_id)
    return ClickResult(True)


__all__ = ["NEEDED_VALUES", "OPEN", "ClickResult", "claim", "release", "resolve", "resolve_modal"]
