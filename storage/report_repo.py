"""The report's queries: one period of escalations as plain rows, and the conversations watched.

Rows are read with one indexed range scan on `escalations.opened_at` and no JSON decoding (the
opening trigger is a column), so a month of a million-escalation database stays well under a second.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from storage.models import Conversation, Escalation

_E = Escalation.__table__.c  # type: ignore[attr-defined]
_C = Conversation.__table__.c  # type: ignore[attr-defined]

ROW_COLUMNS = (
    _E.id,
    _E.opened_at,
    _E.team,
    _E.tier,
    _E.category,
    _E.language,
    _E.urgency,
    _E.primary_trigger,
    _E.first_customer_at,
    _E.claimed_at,
    _E.resolved_at,
    _E.needed,
)


def escalation_rows(session: Session, start: datetime, end: datetime) -> list[tuple]:
    """(id, opened_at, team, tier, category, language, urgency, trigger, first_customer_at, claimed_at,
    resolved_at, needed) for escalations opened in [start, end), oldest first."""
    stmt = select(*ROW_COLUMNS).where(_E.opened_at >= start, _E.opened_at < end).order_by(_E.opened_at)
    return [tuple(r) for r in session.connection().execute(stmt)]


def conversations_watched(session: Session, start: datetime, end: datetime) -> int:
    """Conversations with a message in [start, end): created before the end, last active after the start."""
    stmt = select(func.count()).where(_C.last_message_at >= start, _C.created_at < end)
    return int(session.connection().execute(stmt).scalar_one())


__all__ = ["conversations_watched", "escalation_rows"]
