"""Queries of the feedback loop: CSAT, review verdicts, missed escalations, review posts, App Home
viewers, uploaded charts and the drift check's counts. "At most once" is a conditional UPDATE or a
unique key, as everywhere else (storage/repo.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    ChartFile,
    Escalation,
    HomeViewer,
    Message,
    MissedEscalation,
    ReviewPost,
)
from storage.repo import card_changed

# ---------------------------------------------------------------- CSAT


def mark_csat_asked(session: Session, esc_id: int, now: datetime) -> None:
    esc = session.get(Escalation, esc_id)
    if esc is not None and esc.csat_asked_at is None:
        esc.csat_asked_at = now
        card_changed(esc)
        session.add(esc)


def record_csat(session: Session, esc_id: int, score: int, user: str, now: datetime) -> bool:
    """The customer's score, once: False when the escalation already has one (a second click)."""
    result = session.execute(
        update(Escalation)
        .where(col(Escalation.id) == esc_id, col(Escalation.csat).is_(None))
        .values(
            csat=score,
            csat_at=now,
            csat_by=user,
            card_dirty=True,
            card_version=Escalation.card_version + 1,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- "Was a human needed?" from a review


def record_verdict(session: Session, esc_id: int, needed: str, user: str, now: datetime, via: str) -> bool:
    result = session.execute(
        update(Escalation)
        .where(col(Escalation.id) == esc_id)
        .values(needed=needed, needed_by=user, needed_at=now, needed_via=via)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- missed escalations


def upsert_missed(session: Session, row: MissedEscalation) -> bool:
    """One record per customer message: a second report of the same message updates it. True when new."""
    existing = session.exec(
        select(MissedEscalation).where(
            MissedEscalation.channel == row.channel, MissedEscalation.message_ts == row.message_ts
        )
    ).first()
    if existing is None:
        try:
            with session.begin_nested():
                session.add(row)
            return True
        except IntegrityError:  # a concurrent report of the same message won the insert
            existing = session.exec(
                select(MissedEscalation).where(
                    MissedEscalation.channel == row.channel, MissedEscalation.message_ts == row.message_ts
                )
            ).one()
    existing.category = row.category or existing.category
    existing.reason = row.reason or existing.reason
    existing.reported_by = row.reported_by
    existing.reported_at = row.reported_at
    session.add(existing)
    return False


def missed_between(session: Session, start: datetime, end: datetime) -> list[MissedEscalation]:
    return list(
        session.exec(
            select(MissedEscalation)
            .where(col(MissedEscalation.reported_at) >= start, col(MissedEscalation.reported_at) < end)
            .order_by(col(MissedEscalation.reported_at), col(MissedEscalation.id))
        )
    )


def missed_by_category(session: Session, start: datetime, end: datetime) -> list[tuple[str, int]]:
    rows = session.exec(
        select(MissedEscalation.category, func.count())
        .where(col(MissedEscalation.reported_at) >= start, col(MissedEscalation.reported_at) < end)
        .group_by(MissedEscalation.category)
    ).all()
    return sorted(((c or "(none)", int(n)) for c, n in rows), key=lambda r: (-r[1], r[0]))


# ---------------------------------------------------------------- the review


def review_population(session: Session, start: datetime, end: datetime) -> list[tuple[int, str]]:
    """(id, opening trigger) of the escalations opened in [start, end)."""
    rows = session.exec(
        select(Escalation.id, Escalation.primary_trigger).where(
            col(Escalation.opened_at) >= start, col(Escalation.opened_at) < end
        )
    ).all()
    return [(int(i), str(t)) for i, t in rows if i is not None]


def verdict_rows(session: Session, start: datetime, end: datetime) -> list[tuple[str, str]]:
    """(opening trigger, needed) of the escalations opened in [start, end)."""
    rows = session.exec(
        select(Escalation.primary_trigger, Escalation.needed).where(
            col(Escalation.opened_at) >= start, col(Escalation.opened_at) < end
        )
    ).all()
    return [(str(t), str(n)) for t, n in rows]


def escalations_by_id(session: Session, ids: Sequence[int]) -> list[Escalation]:
    if not ids:
        return []
    return list(
        session.exec(select(Escalation).where(col(Escalation.id).in_(list(ids))).order_by(col(Escalation.id)))
    )


def first_customer_text(session: Session, conversation_id: int, at: datetime) -> str:
    """The customer's last message at or before `at` (what the escalation opened on)."""
    msg = session.exec(
        select(Message.text)
        .where(
            Message.conversation_id == conversation_id,
            Message.role == "customer",
            col(Message.sent_at) <= at,
        )
        .order_by(col(Message.sent_at).desc(), col(Message.id).desc())
        .limit(1)
    ).first()
    return str(msg or "")


def review_by_key(session: Session, key: str) -> ReviewPost | None:
    return session.exec(select(ReviewPost).where(ReviewPost.period == key)).first()


def add_review_post(
    session: Session,
    *,
    key: str,
    label: str,
    start: datetime,
    end: datetime,
    ids: Sequence[int],
    now: datetime,
) -> int:
    post = ReviewPost(period=key, label=label, start=start, end=end, escalation_ids=list(ids), created_at=now)
    session.add(post)
    session.flush()
    assert post.id is not None
    return post.id


def set_review_message(session: Session, review_id: int, channel: str, ts: str) -> None:
    session.execute(update(ReviewPost).where(col(ReviewPost.id) == review_id).values(channel=channel, ts=ts))


def review_post(session: Session, review_id: int) -> ReviewPost | None:
    return session.get(ReviewPost, review_id)


# ---------------------------------------------------------------- App Home


def saw_home(session: Session, user: str, now: datetime) -> None:
    viewer = session.get(HomeViewer, user)
    if viewer is None:
        try:
            with session.begin_nested():
                session.add(HomeViewer(user=user, opened_at=now))
        except IntegrityError:
            pass
        return
    viewer.opened_at = now
    session.add(viewer)


def home_viewed_since(session: Session, since: datetime) -> bool:
    return session.exec(select(HomeViewer.user).where(col(HomeViewer.opened_at) >= since).limit(1)).first() is not None


def home_viewers(session: Session, since: datetime, limit: int) -> list[str]:
    rows = session.exec(
        select(HomeViewer.user)
        .where(col(HomeViewer.opened_at) >= since)
        .order_by(col(HomeViewer.opened_at).desc())
        .limit(limit)
    ).all()
    return [str(u) for u in rows]


def chart_file(session: Session, digest: str) -> str:
    row = session.get(ChartFile, digest)
    return row.file_id if row is not None else ""


def remember_chart(session: Session, digest: str, file_id: str, now: datetime) -> None:
    if session.get(ChartFile, digest) is None:
        try:
            with session.begin_nested():
                session.add(ChartFile(digest=digest, file_id=file_id, created_at=now))
        except IntegrityError:
            pass


# ---------------------------------------------------------------- the drift check


def opened_between(session: Session, start: datetime, end: datetime) -> list[tuple[float, str]]:
    """(opened epoch, opening trigger) of escalations opened in [start, end)."""
    rows = session.exec(
        select(Escalation.opened_at, Escalation.primary_trigger).where(
            col(Escalation.opened_at) >= start, col(Escalation.opened_at) < end
        )
    ).all()
    return [(at.timestamp(), str(t)) for at, t in rows]


def customer_messages_between(session: Session, start: datetime, end: datetime) -> list[tuple[int, float]]:
    """(conversation id, sent epoch) of customer messages in [start, end) (index on sent_at)."""
    rows = session.exec(
        select(Message.conversation_id, Message.sent_at).where(
            col(Message.sent_at) >= start, col(Message.sent_at) < end, Message.role == "customer"
        )
    ).all()
    return [(int(c), at.timestamp()) for c, at in rows]


def csat_rows(session: Session, start: datetime, end: datetime) -> list[tuple[str, bool, bool, int | None]]:
    """(tier, high value?, surveyed?, score) of the escalations opened in [start, end)."""
    rows = session.exec(
        select(
            Escalation.tier, Escalation.high_value, col(Escalation.csat_asked_at).is_not(None), Escalation.csat
        ).where(col(Escalation.opened_at) >= start, col(Escalation.opened_at) < end)
    ).all()
    return [(str(t), bool(h), bool(a), int(c) if c is not None else None) for t, h, a, c in rows]
