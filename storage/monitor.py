"""Queries for operating Baton: sweep heartbeats, and the depths /metrics and /readyz read at scrape time.

Gauges are read from the database when scraped, not kept in memory, so every worker process and
every instance reports the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, text, update
from sqlmodel import Session, col, select

from storage.models import InboxItem, OutboxItem, SweepHeartbeat

HEARTBEAT_KEEP = timedelta(days=1)  # rows of processes gone for longer are pruned


def ping(session: Session) -> None:
    """Raise when the database cannot answer."""
    session.execute(text("SELECT 1"))


def beat(session: Session, *, worker: str, at: datetime, duration_ms: float) -> None:
    """Record that `worker` (host:pid) finished a sweep at `at`; forget long-gone workers."""
    result = session.execute(
        update(SweepHeartbeat)
        .where(col(SweepHeartbeat.worker) == worker)
        .values(at=at, duration_ms=duration_ms)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(SweepHeartbeat(worker=worker, at=at, duration_ms=duration_ms))
    session.execute(delete(SweepHeartbeat).where(col(SweepHeartbeat.at) < at - HEARTBEAT_KEEP))


def newest_heartbeat(session: Session) -> datetime | None:
    """When the most recent sweep of any process finished; None when no sweep ever ran."""
    return _aware(session.exec(select(func.max(SweepHeartbeat.at))).first())


@dataclass(frozen=True)
class Depth:
    kind: str
    count: int
    oldest: datetime | None


def outbox_depth(session: Session) -> list[Depth]:
    """Pending side effects per kind, with the creation time of the oldest."""
    rows = session.exec(
        select(OutboxItem.kind, func.count(), func.min(OutboxItem.created_at))
        .where(OutboxItem.status == "pending")
        .group_by(OutboxItem.kind)
    ).all()
    return [Depth(kind=str(kind), count=int(n), oldest=_aware(oldest)) for kind, n, oldest in rows]


@dataclass(frozen=True)
class InboxDepth:
    lane: str
    count: int
    oldest_received: datetime | None  # the oldest pending request: how long it has waited in all
    oldest_due: datetime | None  # the earliest `available_at` among pending requests: due, not taken since


def inbox_depth(session: Session) -> list[InboxDepth]:
    """Pending inbox items per lane (events, interactive), for /metrics and /readyz."""
    rows = session.exec(
        select(
            InboxItem.lane, func.count(), func.min(InboxItem.received_at), func.min(InboxItem.available_at)
        )
        .where(text("inbox.status = 'pending'"))  # a literal: the planner uses the partial index
        .group_by(InboxItem.lane)
    ).all()
    return [
        InboxDepth(lane=str(lane), count=int(n), oldest_received=_aware(received), oldest_due=_aware(due))
        for lane, n, received, due in rows
    ]


def _aware(value: datetime | str | None) -> datetime | None:
    """Aware UTC whatever the driver hands back for an aggregate (min/max keep the column type, but be sure)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
