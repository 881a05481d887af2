"""Queries for surges: one open surge per team and cause (a partial unique index settles races)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import OPEN, Escalation, Surge


def open_surge(session: Session, team: str, cause: str) -> Surge | None:
    return session.exec(select(Surge).where(Surge.team == team, Surge.cause == cause, Surge.status == "open")).first()


def open_with_cause(session: Session, team: str, cause: str, since: datetime) -> list[Escalation]:
    """A team's unclaimed escalations for this cause opened since `since`, not yet in a surge."""
    return list(
        session.exec(
            select(Escalation)
            .where(
                Escalation.team == team,
                Escalation.cause == cause,
                Escalation.status == OPEN,
                col(Escalation.surge_id).is_(None),
                col(Escalation.opened_at) >= since,
            )
            .order_by(col(Escalation.opened_at))
        )
    )


def create(session: Session, surge: Surge) -> Surge | None:
    """Insert the surge; None when another one for the team and cause opened first."""
    try:
        with session.begin_nested():
            session.add(surge)
            session.flush()
    except IntegrityError:
        return None
    return surge


def members(session: Session, surge_id: int) -> list[Escalation]:
    return list(session.exec(select(Escalation).where(Escalation.surge_id == surge_id).order_by(col(Escalation.opened_at))))


def close(session: Session, surge_id: int) -> None:
    """The incident is over: a new surge for the same cause may form."""
    session.execute(update(Surge).where(col(Surge.id) == surge_id).values(status="over", remind_at=None))


def resolve(session: Session, surge_id: int, user: str, note: str, now: datetime) -> bool:
    """Resolve the surge, once: False when it was resolved already (a second form, another person)."""
    result = session.execute(
        update(Surge)
        .where(col(Surge.id) == surge_id, col(Surge.resolved_at).is_(None))
        .values(status="over", remind_at=None, resolved_at=now, resolved_by=user, resolution_note=note)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_card(session: Session, surge_id: int, channel: str, ts: str) -> None:
    session.execute(update(Surge).where(col(Surge.id) == surge_id).values(card_channel=channel, card_ts=ts))


def due_reminders(session: Session, now: datetime) -> list[Surge]:
    return list(
        session.exec(select(Surge).where(col(Surge.remind_at).is_not(None), col(Surge.remind_at) <= now, Surge.status == "open"))
    )


def take_reminder(session: Session, surge_id: int, seen: datetime) -> bool:
    result = session.execute(
        update(Surge).where(col(Surge.id) == surge_id, col(Surge.remind_at) == seen).values(remind_at=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
