"""Queries of the learning loop: escalations and their conversations' messages for knowledge gaps
(`/escalations gaps`, `baton gaps`) and the exports (`baton export resolved|conversations`).

Each reads one indexed range (escalations by `opened_at` or `resolved_at`, conversations by their
activity), then the messages of those conversations in batches by `conversation_id` (indexed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import RESOLVED, Conversation, Escalation, Message, MissedEscalation

BATCH = 500  # conversation ids per IN (...) query


def escalations_opened(session: Session, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """(id, conversation_id, opened_at, first_customer_at, triggers) of the escalations opened in
    [start, end), oldest first."""
    e = Escalation
    stmt = (
        sa_select(col(e.id), col(e.conversation_id), col(e.opened_at), col(e.first_customer_at), col(e.triggers))
        .where(col(e.opened_at) >= start, col(e.opened_at) < end)
        .order_by(col(e.opened_at), col(e.id))
    )
    return [tuple(r) for r in session.connection().execute(stmt)]


def resolved_escalations(session: Session, start: datetime, end: datetime) -> list[Escalation]:
    """Escalations a person resolved in [start, end), in the order they were resolved."""
    stmt = (
        select(Escalation)
        .where(
            col(Escalation.status) == RESOLVED,
            col(Escalation.resolved_at) >= start,
            col(Escalation.resolved_at) < end,
            col(Escalation.resolved_by) != "",
        )
        .order_by(col(Escalation.resolved_at), col(Escalation.id))
    )
    return list(session.exec(stmt))


def conversation_ids_active(session: Session, start: datetime, end: datetime) -> list[int]:
    """Ids of the conversations with a message in [start, end), oldest first."""
    stmt = (
        sa_select(col(Conversation.id))
        .where(col(Conversation.last_message_at) >= start, col(Conversation.created_at) < end)
        .order_by(col(Conversation.created_at), col(Conversation.id))
    )
    return [int(r[0]) for r in session.connection().execute(stmt) if r[0] is not None]


def conversations_by_id(session: Session, ids: Sequence[int]) -> list[Conversation]:
    """The conversations of `ids` (at most BATCH of them), in that order."""
    found = {c.id: c for c in session.exec(select(Conversation).where(col(Conversation.id).in_(list(ids))))}
    return [found[i] for i in ids if i in found]


def messages_of(
    session: Session, conversation_ids: Iterable[int], *, roles: Sequence[str] | None = None
) -> dict[int, list[Message]]:
    """The messages of each conversation, in the order they were sent."""
    ids = sorted(set(conversation_ids))
    out: dict[int, list[Message]] = {i: [] for i in ids}
    for at in range(0, len(ids), BATCH):
        stmt = select(Message).where(col(Message.conversation_id).in_(ids[at : at + BATCH]))
        if roles is not None:
            stmt = stmt.where(col(Message.role).in_(list(roles)))
        for m in session.exec(stmt.order_by(col(Message.conversation_id), col(Message.sent_at), col(Message.id))):
            out[m.conversation_id].append(m)
    return out


def escalations_of(session: Session, conversation_ids: Iterable[int]) -> dict[int, list[Escalation]]:
    """Each conversation's escalations, oldest first."""
    ids = sorted(set(conversation_ids))
    out: dict[int, list[Escalation]] = {i: [] for i in ids}
    for at in range(0, len(ids), BATCH):
        stmt = (
            select(Escalation)
            .where(col(Escalation.conversation_id).in_(ids[at : at + BATCH]))
            .order_by(col(Escalation.opened_at), col(Escalation.id))
        )
        for e in session.exec(stmt):
            out[e.conversation_id].append(e)
    return out


def missed_of(session: Session, conversation_ids: Iterable[int]) -> dict[int, list[MissedEscalation]]:
    """The "Should have escalated" marks on each conversation, oldest first."""
    ids = sorted(set(conversation_ids))
    out: dict[int, list[MissedEscalation]] = {i: [] for i in ids}
    for at in range(0, len(ids), BATCH):
        stmt = (
            select(MissedEscalation)
            .where(col(MissedEscalation.conversation_id).in_(ids[at : at + BATCH]))
            .order_by(col(MissedEscalation.reported_at), col(MissedEscalation.id))
        )
        for m in session.exec(stmt):
            if m.conversation_id is not None:
                out[m.conversation_id].append(m)
    return out
