"""Opening an escalation, adding reasons to one, and the state changes a click or a reply makes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import metrics
from bot.deps import Deps
from bot.domain import hours
from bot.domain.handoff import HandoffState
from bot.domain.model import Account, Decision
from bot.flows import (
    bugs,
    durations,
    handoff,
    offer,
    offer_dms,
    outbox,
    sla,
    sla_clock,
    sources,
    surge,
    tickets,
)
from bot.flows.outbox import EffectKind
from storage import repo
from storage.models import OPEN, RESOLVED, Conversation, Escalation, TimelineKind

URGENCY_RANK = {"immediate": 2, "queued": 1}


def _last_resolution(session: Session, conversation_id: int) -> datetime | None:
    past = repo.escalations_of_conversation(session, conversation_id)
    return max((e.resolved_at for e in past if e.resolved_at is not None), default=None)


def open_or_grow(
    session: Session,
    deps: Deps,
    conv: Conversation,
    active: Escalation | None,
    decision: Decision,
    account: Account,
    now: datetime,
) -> tuple[int, bool]:
    """Open an escalation for the conversation, or add the new reasons to the active one.

    Returns (escalation id, opened?). The partial unique index settles a race between two messages.
    """
    assert conv.id is not None
    if active is None:
        team = deps.policy.team_for(decision.category)
        urgency = decision.urgency or "queued"
        closed = team.hours is not None and not hours.is_open(team.hours, now)
        # After hours a queued escalation waits for the opening; an immediate one pages at once.
        chain_start = hours.next_opening(team.hours, now) if closed and urgency == "queued" else now
        chain, next_at, note = sla.start(deps.policy, team.name, urgency, account.tier, chain_start)
        routed = offer.opening(deps.policy, team, account, decision.prefer_agent, now)  # chain held meanwhile
        esc = Escalation(
            conversation_id=conv.id,
            account_id=account.id,
            tier=account.tier,
            high_value=deps.policy.engine.is_high_value(account.tier, account.mrr),
            urgency=urgency,
            category=decision.category,
            team=team.name,
            triggers=[t.to_dict() for t in decision.triggers],
            prefer_agent=decision.prefer_agent,
            primary_trigger=decision.triggers[0].id if decision.triggers else "",
            first_customer_at=repo.first_customer_message_at(session, conv.id, _last_resolution(session, conv.id)),
            opened_at=now,
            chain=chain,
            chain_started_at=chain_start,
            next_step_at=None if routed else next_at,
            sla_note="" if routed else note,
            language=decision.language,
            model_version=decision.model_version,
            policy_version=deps.policy.engine.policy_fingerprint,
            **routed,
        )
        durations.record(deps, esc)
        sla_clock.arm_open(deps, esc, now)
        inserted = repo.insert_escalation(session, esc)
        if inserted is not None:
            assert inserted.id is not None
            first = decision.triggers[0].id if decision.triggers else ""
            metrics.escalation_opened(trigger=first, team=team.name, urgency=str(urgency))
            repo.log(
                session,
                inserted.id,
                now,
                TimelineKind.OPENED,
                urgency=urgency,
                category=decision.category,
                team=team.name,
                triggers=[t.to_dict() for t in decision.triggers],
                notes=list(decision.notes),
            )
            if not surge.on_open(session, deps, inserted, now):  # a surge member is listed on the surge card
                outbox.enqueue(session, inserted.id, EffectKind.POST_CARD, now)
            outbox.enqueue(session, inserted.id, EffectKind.NOTIFY_CUSTOMER, now)
            if deps.llm is not None:  # after the card: it is posted with Baton's summary, then improved
                outbox.enqueue(session, inserted.id, EffectKind.LLM_SUMMARY, now)
            handoff.queue_webhook(session, deps, inserted, HandoffState.HUMAN, now)
            sources.queue_change(session, inserted, sources.Change.HANDOFF, now)
            bugs.queue(session, deps, inserted, now)  # a bug report: link or create a Linear issue
            tickets.queue(session, deps, inserted, now, after_hours=closed)  # the async handoff ticket
            offer.after_open(session, deps, inserted, now)  # owner / previous handler / assignment first
            if closed:
                repo.log(session, inserted.id, now, TimelineKind.AFTER_HOURS, opening=chain_start.isoformat())
                if urgency == "immediate":
                    outbox.enqueue(
                        session, inserted.id, EffectKind.PAGE, now, key="after_hours", after_hours=True
                    )
                else:
                    outbox.enqueue(
                        session,
                        inserted.id,
                        EffectKind.OPENING_SUMMARY,
                        now,
                        key=f"{team.name}:{chain_start.isoformat()}",
                        at=chain_start,
                        shared=True,
                        team=team.name,
                        closed_since=now.isoformat(),
                    )
            return inserted.id, True
        active = repo.active_escalation(session, conv.id, lock=True)
        assert active is not None
    assert active.id is not None
    _grow(session, deps, active, decision, now)
    return active.id, False


def _grow(session: Session, deps: Deps, esc: Escalation, decision: Decision, now: datetime) -> None:
    """Add the decision's new reasons to the open escalation, and raise its urgency to the decision's.

    The decision's urgency is the engine's word for the whole conversation: a queued escalation turns
    immediate when a later message fires an immediate trigger, and also when a queued signal fires on
    an account whose context raises the urgency (an at-risk account's problem report opened it queued,
    then "you are not helping" comes in). A business context's own `urgency` on its FiredTrigger says
    what it would do, not what was decided, so it is not read."""
    known = {t["id"] for t in esc.triggers}
    new = [t for t in decision.triggers if t.id not in known]
    if not new:
        return
    assert esc.id is not None
    esc.triggers = [*esc.triggers, *(t.to_dict() for t in new)]
    top = decision.urgency or "queued"
    if URGENCY_RANK.get(top, 0) > URGENCY_RANK.get(esc.urgency, 0):
        esc.urgency = top
        repo.log(session, esc.id, now, TimelineKind.URGENCY_RAISED, urgency=top)
        if esc.status == OPEN:
            _replan(session, deps, esc, now)
    repo.card_changed(esc)
    session.add(esc)
    repo.log(session, esc.id, now, TimelineKind.REASONS_ADDED, triggers=[t.to_dict() for t in new])
    outbox.enqueue(session, esc.id, EffectKind.UPDATE_CARD, now, key=outbox.unique())


def _replan(session: Session, deps: Deps, esc: Escalation, now: datetime) -> None:
    """Urgency went up: the chain of the new urgency runs from now (after hours: on-call is paged at once)."""
    assert esc.id is not None
    team = deps.policy.teams.get(esc.team) or deps.policy.team_for(esc.category)
    chain, next_at, note = sla.start(deps.policy, team.name, esc.urgency, esc.tier, now)
    esc.chain, esc.chain_started_at, esc.steps_done, esc.next_step_at, esc.sla_note = (
        chain,
        now,
        0,
        next_at,
        note,
    )
    sla_clock.on_urgency_raised(deps, esc, now)
    if team.hours is not None and not hours.is_open(team.hours, now) and esc.urgency == "immediate":
        repo.log(
            session,
            esc.id,
            now,
            TimelineKind.AFTER_HOURS,
            opening=hours.next_opening(team.hours, now).isoformat(),
        )
        outbox.enqueue(session, esc.id, EffectKind.PAGE, now, key="after_hours", after_hours=True)


def ai_after_handoff(session: Session, esc: Escalation, ts: str, now: datetime) -> bool:
    """The AI agent answered in the thread after Baton told it to stand back (the handoff message):
    flagged on the timeline, and the card (which counts such messages) is re-rendered."""
    if esc.customer_notified_at is None or now <= esc.customer_notified_at or esc.status == RESOLVED:
        return False
    assert esc.id is not None
    repo.log(
        session, esc.id, now, TimelineKind.AI_AFTER_HANDOFF, ts=ts, note="the AI kept answering after the handoff"
    )
    repo.card_changed(esc)
    session.add(esc)
    outbox.enqueue(session, esc.id, EffectKind.UPDATE_CARD, now, key=outbox.unique())
    return True


def claim_by_reply(session: Session, deps: Deps, esc: Escalation, user: str, now: datetime) -> bool:
    """An agent of ours answered in the thread before anyone clicked Claim: they are the claimer."""
    assert esc.id is not None
    if not repo.claim(session, esc.id, user, now):
        return False
    repo.log(session, esc.id, now, TimelineKind.CLAIMED, actor=user, via="thread reply")
    esc.claimed_at = now  # as the UPDATE set it
    durations.record(deps, esc)
    outbox.enqueue(session, esc.id, EffectKind.UPDATE_CARD, now, key=outbox.unique())
    sla.on_stop(session, deps, esc.id, now)
    offer_dms.queue_update(session, esc.id, now)
    return True
