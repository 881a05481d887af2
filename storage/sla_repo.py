"""Queries for SLA deadlines, keep-alives and the repeat after the chain: each read uses its own indexed
column (cost ~ what is due), and each step is a conditional UPDATE, so it is taken exactly once even with
two instances sweeping (on PostgreSQL the due rows are also read FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import ACTIVE_STATUSES, OPEN, Escalation


def _due(
    session: Session, column: Any, now: datetime, statuses: Sequence[str], limit: int
) -> list[Escalation]:
    query = (
        select(Escalation)
        .where(column.is_not(None), column <= now, col(Escalation.status).in_(statuses))
        .order_by(column)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def due_sla_checks(session: Session, now: datetime, limit: int = 200) -> list[Escalation]:
    """Active escalations whose SLA warning or deadline has come (the sla_check_at index)."""
    return _due(session, col(Escalation.sla_check_at), now, ACTIVE_STATUSES, limit)


def due_keepalives(session: Session, now: datetime, limit: int = 200) -> list[Escalation]:
    return _due(session, col(Escalation.keepalive_at), now, (OPEN,), limit)


def due_overtime(session: Session, now: datetime, limit: int = 200) -> list[Escalation]:
    return _due(session, col(Escalation.overtime_at), now, (OPEN,), limit)


def _changed(result: Any) -> bool:
    return bool(result.rowcount)


def take_sla_check(
    session: Session, esc_id: int, seen: datetime, values: dict[str, Any], *, card: bool = True
) -> bool:
    """Move the SLA check on from `seen`: only the caller that saw that value wins."""
    extra: dict[str, Any] = {"card_dirty": True, "card_version": Escalation.card_version + 1} if card else {}
    result = session.execute(
        update(Escalation)
        .where(col(Escalation.id) == esc_id, col(Escalation.sla_check_at) == seen)
        .values(**values, **extra)
    )
    return _changed(result)


def take_keepalive(session: Session, esc_id: int, seen: datetime, following: datetime | None) -> bool:
    result = session.execute(
        update(Escalation)
        .where(
            col(Escalation.id) == esc_id, col(Escalation.status) == OPEN, col(Escalation.keepalive_at) == seen
        )
        .values(keepalive_at=following)
    )
    return _changed(result)


def take_overtime(
    session: Session, esc_id: int, seen: datetime, rounds: int, following: datetime | None
) -> bool:
    result = session.execute(
        update(Escalation)
        .where(
            col(Escalation.id) == esc_id, col(Escalation.status) == OPEN, col(Escalation.overtime_at) == seen
        )
        .values(overtime_at=following, overtime_rounds=rounds + 1)
    )
    return _changed(result)


def next_sla_due(session: Session) -> datetime | None:
    """The earliest SLA check, keep-alive or repeat (the scheduler's wake-up)."""
    times = [
        session.exec(
            select(func.min(column)).where(col(Escalation.status).in_(ACTIVE_STATUSES), column.is_not(None))
        ).one()
        for column in (
            col(Escalation.sla_check_at),
            col(Escalation.keepalive_at),
            col(Escalation.overtime_at),
        )
    ]
    found = [t for t in times if t is not None]
    return min(found) if found else None


def breached(session: Session, since: datetime, until: datetime) -> list[Escalation]:
    """Escalations whose first breach fell in [since, until) (the breached_at index), for reports."""
    return list(
        session.exec(
            select(Escalation)
            .where(col(Escalation.breached_at) >= since, col(Escalation.breached_at) < until)
            .order_by(col(Escalation.breached_at))
        )
    )
