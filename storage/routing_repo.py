"""Queries of routing to a person (bot/flows/offer.py): load per person, routing steps, due offers.

A routing step is taken once: `advance_route` is a conditional UPDATE on (status = open, route_step = n),
so a late decision, a duplicate effect or a second instance's sweep changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from storage.models import CLAIMED, OPEN, Escalation


def open_load(session: Session, users: Sequence[str]) -> dict[str, int]:
    """Per person: escalations they have claimed and not resolved, plus open ones assigned to them."""
    load = dict.fromkeys(users, 0)
    if not users:
        return load
    claimed = session.exec(
        select(Escalation.claimed_by, func.count())
        .where(Escalation.status == CLAIMED, col(Escalation.claimed_by).in_(users))
        .group_by(col(Escalation.claimed_by))
    )
    for user, n in claimed:
        load[user] += int(n)
    assigned = session.exec(
        select(Escalation.assigned_to, func.count())
        .where(
            Escalation.status == OPEN,
            Escalation.route_stage == "assigned",
            col(Escalation.assigned_to).in_(users),
        )
        .group_by(col(Escalation.assigned_to))
    )
    for user, n in assigned:
        load[user] += int(n)
    return load


ASSIGN_LOCK_SPACE = 0x0BA7  # the first key of PostgreSQL advisory locks on a member's load


def locked_load(session: Session, users: Sequence[str]) -> dict[str, int]:
    """`open_load`, counted under a lock held until the caller's transaction ends, so that two
    assignments at the same moment cannot both count a member under her cap. PostgreSQL: a transaction
    advisory lock per member (taken in sorted order: no deadlock between two decisions); SQLite: a
    writing session began IMMEDIATE (storage/db.py), so it holds the database's write lock already."""
    if session.get_bind().dialect.name == "postgresql":
        for user in sorted(set(users)):
            session.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:user))"),
                {"space": ASSIGN_LOCK_SPACE, "user": user},
            )
    return open_load(session, users)


def advance_route(session: Session, esc_id: int, expected_step: int, **values: Any) -> bool:
    """Move an open escalation's routing on from step `expected_step`, exactly once."""
    result = session.execute(
        update(Escalation)
        .where(
            col(Escalation.id) == esc_id,
            col(Escalation.status) == OPEN,
            col(Escalation.route_step) == expected_step,
        )
        .values(
            route_step=expected_step + 1,
            card_dirty=True,
            card_version=Escalation.card_version + 1,
            **values,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def due_offers(session: Session, now: datetime, limit: int = 200) -> list[Escalation]:
    """Open escalations whose reservation (or routing decision) ran out; uses the offer_until index."""
    query = (
        select(Escalation)
        .where(
            col(Escalation.offer_until).is_not(None),
            col(Escalation.offer_until) <= now,
            Escalation.status == OPEN,
        )
        .order_by(col(Escalation.offer_until))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))
