"""Queries behind what agents do on a card besides claiming: take over, hand to another team, reopen,
snooze and wake, notes. Each state change is one conditional UPDATE on the state the agent saw, so
of two racing clicks exactly one wins and the other can be told why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    ACTIVE_STATUSES,
    CLAIMED,
    OPEN,
    RESOLVED,
    SNOOZED,
    Conversation,
    Escalation,
    TimelineEvent,
    TimelineKind,
)


def _changed() -> dict[str, Any]:
    return {"card_dirty": True, "card_version": Escalation.card_version + 1}


def _won(result: Any) -> bool:
    return bool(result.rowcount)


def take_over(session: Session, esc_id: int, user: str, previous: str) -> bool:
    """`user` takes the claim from `previous`; refused when the claim changed hands meanwhile."""
    return _won(
        session.execute(
            update(Escalation)
            .where(
                col(Escalation.id) == esc_id,
                col(Escalation.status) == CLAIMED,
                col(Escalation.claimed_by) == previous,
            )
            .values(claimed_by=user, **_changed())
        )
    )


def hand_off(
    session: Session,
    esc_id: int,
    *,
    seen_status: str,
    seen_claimer: str,
    from_team: str,
    to_team: str,
    chain: list[dict[str, Any]],
    chain_started_at: datetime,
    next_step_at: datetime | None,
    sla_note: str,
    route: dict[str, Any] | None = None,
) -> bool:
    """Move the escalation to `to_team`, unclaimed, with its chain restarted there and no card yet (the new
    team's card is posted next). Only while it is still as the agent saw it (status, claimer, team).
    The routing of the old team is over (its step moves on, so a late decision or offer changes nothing);
    `route`: the new team's routing columns (bot/flows/offer.py opening), or None: straight to its channel."""
    return _won(
        session.execute(
            update(Escalation)
            .where(
                col(Escalation.id) == esc_id,
                col(Escalation.status) == seen_status,
                col(Escalation.claimed_by) == seen_claimer,
                col(Escalation.team) == from_team,
            )
            .values(
                team=to_team,
                status=OPEN,
                claimed_by="",
                claimed_at=None,
                chain=chain,
                chain_started_at=chain_started_at,
                steps_done=0,
                next_step_at=next_step_at,
                sla_note=sla_note,
                card_channel="",
                card_ts="",
                card_updated_at=None,
                page_key="",
                chain_page_requested=False,
                after_hours_page_requested=False,
                snoozed_until=None,
                snoozed_by="",
                route_step=Escalation.route_step + 1,
                offered_to=[],
                assigned_to="",
                **(route or {"route_stage": "channel", "offer_until": None}),
                **_changed(),
            )
        )
    )


def reopen(session: Session, esc_id: int, user: str, now: datetime, resolved_since: datetime) -> bool | None:
    """A resolved escalation back to work, claimed by `user`. False when it is not resolved (any more) or
    was resolved before `resolved_since`; None when its conversation has another active escalation."""
    try:
        with session.begin_nested():
            result = session.execute(
                update(Escalation)
                .where(
                    col(Escalation.id) == esc_id,
                    col(Escalation.status) == RESOLVED,
                    col(Escalation.resolved_at) >= resolved_since,
                )
                .values(
                    status=CLAIMED,
                    claimed_by=user,
                    claimed_at=func.coalesce(Escalation.claimed_at, now),
                    resolved_at=None,
                    resolved_by="",
                    resolution_note="",
                    needed="",
                    needed_reason="",
                    next_step_at=None,
                    **_changed(),
                )
            )
    except IntegrityError:  # the partial unique index: one active escalation per conversation
        return None
    return _won(result)


def snooze(session: Session, esc_id: int, user: str, until: datetime, note: str) -> bool:
    """An unclaimed, queued escalation put aside until `until`: no chain steps meanwhile."""
    return _won(
        session.execute(
            update(Escalation)
            .where(
                col(Escalation.id) == esc_id,
                col(Escalation.status) == OPEN,
                col(Escalation.urgency) == "queued",
            )
            .values(
                status=SNOOZED,
                snoozed_until=until,
                snoozed_by=user,
                next_step_at=None,
                sla_note=note,
                **_changed(),
            )
        )
    )


def wake(
    session: Session, esc_id: int, now: datetime, next_step_at: datetime | None, note: str
) -> bool:
    """Back to the queue from a snooze; its chain starts again from `now`."""
    return _won(
        session.execute(
            update(Escalation)
            .where(col(Escalation.id) == esc_id, col(Escalation.status) == SNOOZED)
            .values(
                status=OPEN,
                snoozed_until=None,
                chain_started_at=now,
                steps_done=0,
                next_step_at=next_step_at,
                sla_note=note,
                **_changed(),
            )
        )
    )


def due_snoozes(session: Session, now: datetime, limit: int = 200) -> list[Escalation]:
    """Snoozed escalations whose time has come (the snoozed_until index)."""
    return list(
        session.exec(
            select(Escalation)
            .where(
                Escalation.status == SNOOZED,
                col(Escalation.snoozed_until).is_not(None),
                col(Escalation.snoozed_until) <= now,
            )
            .order_by(col(Escalation.snoozed_until))
            .limit(limit)
        )
    )


def handed_off_by(session: Session, esc_id: int) -> set[str]:
    """Everyone who handed this escalation to another team."""
    return {
        actor
        for actor in session.exec(
            select(TimelineEvent.actor).where(
                TimelineEvent.escalation_id == esc_id, TimelineEvent.kind == str(TimelineKind.HANDED_OFF)
            )
        )
    }


CARD_EVENT_KINDS = (TimelineKind.HANDED_OFF, TimelineKind.NOTE_ADDED, TimelineKind.LINKED_THREAD)


def card_events(session: Session, esc_id: int) -> list[TimelineEvent]:
    """The timeline events the card shows (hand-offs, notes), oldest first."""
    return list(
        session.exec(
            select(TimelineEvent)
            .where(
                TimelineEvent.escalation_id == esc_id,
                col(TimelineEvent.kind).in_([str(k) for k in CARD_EVENT_KINDS]),
            )
            .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
        )
    )


def open_escalation_of_customer(
    session: Session, account_id: str, customer_id: str, exclude_conversation: int
) -> Escalation | None:
    """The customer's active escalation in another conversation of the account (their newest), if any."""
    if not customer_id:
        return None
    return session.exec(
        select(Escalation)
        .join(Conversation, col(Conversation.id) == col(Escalation.conversation_id))
        .where(
            Escalation.account_id == account_id,
            col(Escalation.status).in_(ACTIVE_STATUSES),
            Escalation.conversation_id != exclude_conversation,
            Conversation.customer_id == customer_id,
        )
        .order_by(col(Escalation.opened_at).desc())
    ).first()
