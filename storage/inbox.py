"""The inbox's queries: record a request once, lease due items to one worker, finish them.

Leasing: on PostgreSQL the due rows are read `FOR UPDATE SKIP LOCKED`, so concurrent workers (any
process, any instance) take disjoint items without waiting on each other; on SQLite, where a write
transaction holds the database's one write lock, a conditional UPDATE (`... WHERE status = 'pending'
AND available_at <= now`) takes each one. Either way an item is leased until `available_at`; a worker
that dies leaves it to come back when the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import InboxItem

# Processed requests are kept this long (far past Slack's retries, which end within ~5 minutes), then
# pruned by the sweep in bounded batches.
KEEP_DONE = timedelta(days=1)
PRUNE_BATCH = 1000


class Status(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after too many attempts: kept for an operator, never processed again


# A literal, not a bound parameter, so the planner uses the partial index on pending items.
_PENDING = text("inbox.status = 'pending'")


def record(session: Session, item: InboxItem) -> int | None:
    """Insert an item once per key; its id, or None when the key is already recorded (a retry, a replay)."""
    if session.exec(select(InboxItem.id).where(InboxItem.key == item.key)).first() is not None:
        return None
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        return None
    return item.id


def record_many(session: Session, items: list[InboxItem]) -> list[int | None]:
    """Insert items once per key in one statement (INSERT ... ON CONFLICT (key) DO NOTHING RETURNING:
    one round trip, no savepoint; the request path's insert): each item's id, or None when
    its key was already recorded (or appears earlier in `items`: a retry arriving beside the first)."""
    first: dict[str, InboxItem] = {}
    for item in items:
        first.setdefault(item.key, item)
    if not first:
        return []
    table = InboxItem.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "key": item.key,
            "lane": item.lane,
            "kind": item.kind,
            "content_type": item.content_type,
            "body": item.body,
            "status": item.status,
            "attempts": item.attempts,
            "available_at": item.available_at,
            "received_at": item.received_at,
        }
        for item in first.values()
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stmt = insert.values(rows).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id, table.c.key)
    ids = {str(key): int(item_id) for item_id, key in session.execute(stmt)}
    out: list[int | None] = []
    for item in items:
        out.append(ids.get(item.key) if first.get(item.key) is item else None)
    return out


def finish_many(session: Session, item_ids: list[int], now: datetime) -> None:
    """`finish` for several processed items in one statement."""
    if item_ids:
        session.execute(
            update(InboxItem)
            .where(col(InboxItem.id).in_(item_ids))
            .values(status=Status.DONE, done_at=now, available_at=now)
        )


def lease(session: Session, lane: str, now: datetime, until: datetime, limit: int) -> list[InboxItem]:
    """Take up to `limit` due items of one lane, oldest first, until `until`."""
    query = (
        select(InboxItem.id)
        .where(_PENDING, InboxItem.lane == lane, col(InboxItem.available_at) <= now)
        .order_by(col(InboxItem.available_at), col(InboxItem.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    taken: list[int] = []
    for item_id in session.exec(query).all():
        won = session.execute(
            update(InboxItem)
            .where(
                col(InboxItem.id) == item_id,
                col(InboxItem.status) == Status.PENDING,
                col(InboxItem.available_at) <= now,
            )
            .values(available_at=until, attempts=InboxItem.attempts + 1)
        )
        if won.rowcount and item_id is not None:  # type: ignore[attr-defined]
            taken.append(item_id)
    if not taken:
        return []
    return list(
        session.exec(select(InboxItem).where(col(InboxItem.id).in_(taken)).order_by(col(InboxItem.id)))
    )


def finish(session: Session, item_id: int, now: datetime) -> None:
    session.execute(
        update(InboxItem)
        .where(col(InboxItem.id) == item_id)
        .values(status=Status.DONE, done_at=now, available_at=now)
    )


def retry_later(session: Session, item_id: int, at: datetime, error: str, *, give_up: bool) -> None:
    values: dict[str, object] = {"available_at": at, "last_error": error[:500]}
    if give_up:
        values.update(status=Status.FAILED, done_at=at)
    session.execute(update(InboxItem).where(col(InboxItem.id) == item_id).values(**values))


def next_available(session: Session) -> datetime | None:
    """When the earliest pending item may be taken (None: nothing pending)."""
    return session.exec(select(func.min(InboxItem.available_at)).where(_PENDING)).one()


def has_due(session: Session, lane: str, now: datetime) -> bool:
    """Whether any item of `lane` may be taken now (a read: the partial index answers it)."""
    query = select(InboxItem.id).where(_PENDING, InboxItem.lane == lane, col(InboxItem.available_at) <= now)
    return session.exec(query.limit(1)).first() is not None


def due_count(session: Session, now: datetime) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(InboxItem).where(_PENDING, col(InboxItem.available_at) <= now)
        ).one()
    )


def by_key(session: Session, key: str) -> InboxItem | None:
    return session.exec(select(InboxItem).where(InboxItem.key == key)).first()


def keys(session: Session, status: Status | None = None) -> list[str]:
    query = select(InboxItem.key)
    if status is not None:
        query = query.where(InboxItem.status == status)
    return list(session.exec(query))


def prune(session: Session, done_before: datetime, limit: int = PRUNE_BATCH) -> int:
    """Forget up to `limit` processed items finished before `done_before`; how many went.

    Only DONE items: FAILED ones stay for an operator to look at, PENDING ones are work."""
    ids = list(
        session.exec(
            select(InboxItem.id)
            .where(InboxItem.status == Status.DONE, col(InboxItem.done_at) < done_before)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(InboxItem).where(col(InboxItem.id).in_(ids)))
    return len(ids)
