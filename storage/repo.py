"""The repository: every query Baton runs, as small functions over a Session.

Races are settled by the database: unique constraints for "only once" (inbound ids, messages,
one active escalation per conversation, outbox dedup) and conditional UPDATEs for state changes
(claim, release, resolve, a chain step, an outbox lease).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage import sla_repo
from storage.models import (
    ACTIVE_STATUSES,
    CLAIMED,
    OPEN,
    RESOLVED,
    SNOOZED,
    Conversation,
    Escalation,
    Message,
    OutboxItem,
    ProcessedInbound,
    TimelineEvent,
    TimelineKind,
)

# ---------------------------------------------------------------- inbound dedup


def mark_inbound(session: Session, key: str, now: datetime) -> bool:
    """Record an inbound delivery id; False when it was already taken in (a duplicate)."""
    if session.get(ProcessedInbound, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedInbound(key=key, received_at=now))
    except IntegrityError:
        return False
    return True


# ---------------------------------------------------------------- conversations and messages


def find_conversation(session: Session, source: str, channel: str, thread_ts: str) -> Conversation | None:
    return session.exec(
        select(Conversation).where(
            Conversation.source == source,
            Conversation.channel == channel,
            Conversation.thread_ts == thread_ts,
        )
    ).first()


def get_or_create_conversation(session: Session, conv: Conversation) -> Conversation:
    existing = find_conversation(session, conv.source, conv.channel, conv.thread_ts)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            session.add(conv)
        return conv
    except IntegrityError:
        found = find_conversation(session, conv.source, conv.channel, conv.thread_ts)
        assert found is not None
        return found


def add_message(session: Session, msg: Message) -> bool:
    """Insert a message; False when (source, channel, ts) is already recorded."""
    exists = session.exec(
        select(Message.id).where(
            Message.source == msg.source, Message.channel == msg.channel, Message.ts == msg.ts
        )
    ).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(msg)
    except IntegrityError:
        return False
    return True


def set_permalink(session: Session, conversation_id: int, link: str) -> None:
    """Remember the conversation's permalink (fetched once from Slack)."""
    session.execute(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id, col(Conversation.permalink) == "")
        .values(permalink=link)
    )


def messages_of(session: Session, conversation_id: int) -> list[Message]:
    return list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.sent_at), col(Message.id))
        )
    )


# ---------------------------------------------------------------- escalations


def first_customer_message_at(
    session: Session, conversation_id: int, since: datetime | None = None
) -> datetime | None:
    """When the customer started asking: their first message in the conversation (after `since`)."""
    stmt = select(func.min(Message.sent_at)).where(
        Message.conversation_id == conversation_id, Message.role == "customer"
    )
    if since is not None:
        stmt = stmt.where(Message.sent_at >= since)
    value = session.exec(stmt).one()
    return value if isinstance(value, datetime) else None


def active_escalation(session: Session, conversation_id: int, *, lock: bool = False) -> Escalation | None:
    """The conversation's open or claimed escalation; `lock` holds its row (PostgreSQL) until commit, so two
    messages of one thread cannot both read-modify-write it (SQLite serialises writers already)."""
    query = select(Escalation).where(
        Escalation.conversation_id == conversation_id, col(Escalation.status).in_(ACTIVE_STATUSES)
    )
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def escalation_with_conversation(session: Session, esc_id: int) -> tuple[Escalation, Conversation]:
    esc = session.get(Escalation, esc_id)
    assert esc is not None, f"no escalation {esc_id}"
    conv = session.get(Conversation, esc.conversation_id)
    assert conv is not None
    return esc, conv


def open_escalations_of_team(
    session: Session, team: str, since: datetime, until: datetime | None = None
) -> list[Escalation]:
    """Unclaimed escalations of one team opened in [since, until] (surge notices, opening summaries)."""
    query = select(Escalation).where(
        Escalation.team == team, Escalation.status == OPEN, col(Escalation.opened_at) >= since
    )
    if until is not None:
        query = query.where(col(Escalation.opened_at) <= until)
    return list(session.exec(query.order_by(col(Escalation.opened_at))))


def open_escalation_ids_of_team(
    session: Session, team: str, since: datetime | None = None, until: datetime | None = None
) -> list[int]:
    """Ids of a team's unclaimed escalations, optionally only those opened in [since, until] (surges)."""
    query = select(Escalation.id).where(Escalation.team == team, Escalation.status == OPEN)
    if since is not None:
        query = query.where(col(Escalation.opened_at) >= since)
    if until is not None:
        query = query.where(col(Escalation.opened_at) <= until)
    return [i for i in session.exec(query) if i is not None]


def lock_escalation(session: Session, esc_id: int) -> Escalation:
    """The escalation's row, re-read and held (FOR UPDATE on PostgreSQL) until the transaction ends."""
    found = session.exec(
        select(Escalation)
        .where(Escalation.id == esc_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return found


def pickups_of_team(
    session: Session, team: str, since: datetime, exclude: int | None = None
) -> list[tuple[datetime, datetime]]:
    """(opened_at, claimed_at) of a team's claimed escalations opened since `since` (the expected wait)."""
    query = select(Escalation.opened_at, Escalation.claimed_at).where(
        Escalation.team == team,
        col(Escalation.claimed_at).is_not(None),
        col(Escalation.opened_at) >= since,
    )
    if exclude is not None:
        query = query.where(Escalation.id != exclude)
    return [(opened, claimed) for opened, claimed in session.exec(query) if claimed is not None]


def mark_paged(esc: Escalation, at: datetime, key: str = "") -> None:
    """On-call was paged (the pager accepted `key`, or joined that surge incident; no key: the DM was the page)."""
    esc.paged_at = esc.paged_at or at
    if key:
        esc.page_key = key


def surge_key_among(session: Session, team: str, since: datetime, until: datetime, prefix: str) -> str:
    """The surge incident (dedup key starting with `prefix`) that a team's open escalations opened in
    [since, until] were last paged under; "" when none."""
    found = session.exec(
        select(Escalation.page_key)
        .where(
            Escalation.team == team,
            Escalation.status == OPEN,
            col(Escalation.opened_at) >= since,
            col(Escalation.opened_at) <= until,
            col(Escalation.page_key).startswith(prefix),
        )
        .order_by(col(Escalation.paged_at).desc(), col(Escalation.id).desc())
        .limit(1)
    ).first()
    return found or ""


def others_on_page(session: Session, team: str, key: str, exclude: int) -> bool:
    """Is another open escalation of the team still riding on the page `key`?"""
    return (
        session.exec(
            select(Escalation.id)
            .where(
                Escalation.team == team,
                Escalation.status == OPEN,
                Escalation.page_key == key,
                Escalation.id != exclude,
            )
            .limit(1)
        ).first()
        is not None
    )


def insert_escalation(session: Session, esc: Escalation) -> Escalation | None:
    """Open an escalation; None when the conversation already has an active one (the database decides)."""
    try:
        with session.begin_nested():
            session.add(esc)
            session.flush()
        return esc
    except IntegrityError:
        return None


def last_escalation_of_account(
    session: Session, account_id: str, exclude_conversation: int | None = None
) -> Escalation | None:
    query = select(Escalation).where(Escalation.account_id == account_id)
    if exclude_conversation is not None:
        query = query.where(Escalation.conversation_id != exclude_conversation)
    return session.exec(query.order_by(col(Escalation.opened_at).desc())).first()


def _card_changed() -> dict[str, Any]:
    """Values for an UPDATE that changes what the card shows: dirty, and a new version (see mark_card_rendered)."""
    return {"card_dirty": True, "card_version": Escalation.card_version + 1}


def set_llm_summary(session: Session, esc_id: int, summary: dict[str, Any]) -> None:
    """Store the summary an LLM wrote; the card shows it at its next render."""
    session.execute(
        update(Escalation).where(col(Escalation.id) == esc_id).values(llm_summary=summary, **_card_changed())
    )


def card_changed(esc: Escalation) -> None:
    """The same for a loaded row (the version is incremented in SQL, so concurrent changes all count)."""
    esc.card_dirty = True
    esc.card_version = Escalation.card_version + 1


def claim(session: Session, esc_id: int, user: str, now: datetime, *, team: str | None = None) -> bool:
    """Atomic: exactly one of any number of concurrent claims wins. A snoozed escalation wakes up claimed.
    `team`: only while the escalation is still with that team (a click on a card it was handed away from)."""
    query = update(Escalation).where(col(Escalation.id) == esc_id, col(Escalation.status).in_((OPEN, SNOOZED)))
    if team is not None:
        query = query.where(col(Escalation.team) == team)
    result = session.execute(
        query.values(
            status=CLAIMED,
            claimed_by=user,
            claimed_at=now,
            next_step_at=None,
            offer_until=None,
            snoozed_until=None,
            snoozed_by="",
            **_card_changed(),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, esc_id: int, user: str, now: datetime, next_step_at: datetime | None) -> bool:
    """Back to the queue; only the claimer (`user`) can."""
    result = session.execute(
        update(Escalation)
        .where(
            col(Escalation.id) == esc_id, col(Escalation.status) == CLAIMED, col(Escalation.claimed_by) == user
        )
        .values(
            status=OPEN,
            claimed_by="",
            claimed_at=None,
            pickup_s=None,  # report durations: a new claim records its own
            pickup_business_s=None,
            handle_s=None,
            chain_started_at=now,
            steps_done=0,
            next_step_at=next_step_at,
            **_card_changed(),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def resolve(
    session: Session,
    esc_id: int,
    user: str,
    note: str,
    now: datetime,
    *,
    needed: str = "",
    needed_reason: str = "",
    claimer_only: bool = False,
) -> bool:
    """Resolve an active escalation; with `claimer_only`, only when `user` holds the claim."""
    query = update(Escalation).where(col(Escalation.id) == esc_id)
    if claimer_only:
        query = query.where(col(Escalation.status) == CLAIMED, col(Escalation.claimed_by) == user)
    else:
        query = query.where(col(Escalation.status).in_(ACTIVE_STATUSES))
    result = session.execute(
        query.values(
            status=RESOLVED,
            resolved_by=user,
            resolved_at=now,
            resolution_note=note,
            needed=needed,
            needed_reason=needed_reason,
            next_step_at=None,
            snoozed_until=None,
            offer_until=None,
            **_card_changed(),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def advance_step(
    session: Session, esc_id: int, expected_done: int, next_step_at: datetime | None, note: str
) -> bool:
    """Take one chain step exactly once: only the caller that sees `expected_done` moves it on."""
    result = session.execute(
        update(Escalation)
        .where(
            col(Escalation.id) == esc_id,
            col(Escalation.status) == OPEN,
            col(Escalation.steps_done) == expected_done,
        )
        .values(steps_done=expected_done + 1, next_step_at=next_step_at, sla_note=note, **_card_changed())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def due_escalations(session: Session, now: datetime, limit: int = 200) -> list[Escalation]:
    """Open escalations whose next chain step is due; uses the next_step_at index (cost ~ what is due)."""
    query = (
        select(Escalation)
        .where(
            col(Escalation.next_step_at).is_not(None),
            col(Escalation.next_step_at) <= now,
            Escalation.status == OPEN,
        )
        .order_by(col(Escalation.next_step_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def dirty_cards(session: Session, updated_before: datetime, limit: int = 50) -> list[Escalation]:
    return list(
        session.exec(
            select(Escalation)
            .where(
                col(Escalation.card_dirty),
                Escalation.card_ts != "",
                or_(
                    col(Escalation.card_updated_at).is_(None),
                    col(Escalation.card_updated_at) <= updated_before,
                ),
            )
            .order_by(
                col(Escalation.card_updated_at)
            )  # least recently rendered first: a bad card blocks none
            .limit(limit)
        )
    )


def mark_card_rendered(
    session: Session, esc_id: int, now: datetime, version: int, channel: str = "", ts: str = ""
) -> bool:
    """The card now shows state `version`. If the state changed meanwhile (or a slower render of an older
    state may land after a newer one), the card stays dirty so the next sweep renders it again."""
    values: dict[str, Any] = {"card_dirty": False, "card_updated_at": now}
    if channel and ts:
        values.update(card_channel=channel, card_ts=ts)
    current = session.execute(
        update(Escalation)
        .where(col(Escalation.id) == esc_id, col(Escalation.card_version) == version)
        .values(**values)
    )
    if current.rowcount:  # type: ignore[attr-defined]
        return True
    values.update(card_dirty=True)
    session.execute(update(Escalation).where(col(Escalation.id) == esc_id).values(**values))
    return False


def card_render_failed(session: Session, esc_id: int, now: datetime, *, permanent: bool) -> None:
    """A card refresh failed: try the others first next time; a card that is gone stops being refreshed."""
    values: dict[str, Any] = {"card_updated_at": now}
    if permanent:
        values["card_dirty"] = False
    session.execute(update(Escalation).where(col(Escalation.id) == esc_id).values(**values))


def escalations(
    session: Session, *, statuses: Sequence[str] | None = None, limit: int = 1000
) -> list[Escalation]:
    query = select(Escalation)
    if statuses:
        query = query.where(col(Escalation.status).in_(statuses))
    return list(session.exec(query.order_by(col(Escalation.opened_at)).limit(limit)))


# ---------------------------------------------------------------- timeline


def log(
    session: Session, esc_id: int, at: datetime, kind: TimelineKind, actor: str = "", **detail: Any
) -> None:
    session.add(TimelineEvent(escalation_id=esc_id, at=at, kind=kind, actor=actor, detail=detail))


def timeline(session: Session, esc_id: int) -> list[TimelineEvent]:
    return list(
        session.exec(
            select(TimelineEvent)
            .where(TimelineEvent.escalation_id == esc_id)
            .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
        )
    )


# ---------------------------------------------------------------- outbox


def enqueue(session: Session, item: OutboxItem) -> bool:
    """Queue a side effect once per `dedup`; False when it is already queued."""
    if session.exec(select(OutboxItem.id).where(OutboxItem.dedup == item.dedup)).first() is not None:
        return False
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        return False
    return True


def outbox_dedup_exists(session: Session, dedup: str) -> bool:
    return session.exec(select(OutboxItem.id).where(OutboxItem.dedup == dedup)).first() is not None


def lease_outbox(session: Session, item_id: int, now: datetime, lease: timedelta) -> bool:
    """Take an item for `lease`; only one worker wins, and a crashed worker's lease runs out."""
    result = session.execute(
        update(OutboxItem)
        .where(
            col(OutboxItem.id) == item_id,
            col(OutboxItem.status) == "pending",
            col(OutboxItem.next_attempt_at) <= now,
        )
        .values(next_attempt_at=now + lease, attempts=OutboxItem.attempts + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


PENDING = text("outbox.status = 'pending'")


def due_outbox(
    session: Session, now: datetime, limit: int = 100, escalation_id: int | None = None
) -> list[OutboxItem]:
    """Pending items whose time has come (partial index on pending items), oldest first."""
    # The status is a literal, not a bound parameter, so the planner can use the partial index on pending items.
    query = select(OutboxItem).where(PENDING, col(OutboxItem.next_attempt_at) <= now)
    if escalation_id is not None:
        query = query.where(OutboxItem.escalation_id == escalation_id)
    # Oldest due first, in the index's order (ordering by id made SQLite scan the table instead).
    return list(
        session.exec(query.order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id)).limit(limit))
    )


def lease_due(
    session: Session, now: datetime, lease: timedelta, *, escalation_id: int | None = None, limit: int = 100
) -> list[OutboxItem]:
    """Take every due item (up to `limit`) for `lease` in one transaction; returns those this caller won,
    as they were before the lease (`attempts` = earlier attempts). Rows another instance holds are
    skipped (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers)."""
    query = select(OutboxItem).where(PENDING, col(OutboxItem.next_attempt_at) <= now)
    if escalation_id is not None:
        query = query.where(OutboxItem.escalation_id == escalation_id)
    query = query.order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    items = list(session.exec(query))
    won = []
    for item in items:
        session.expunge(item)  # hand back the row as read; the lease is a conditional UPDATE below
        if item.id is not None and lease_outbox(session, item.id, now, lease):
            won.append(item)
    return won


def finish_outbox(
    session: Session,
    item_id: int,
    now: datetime,
    *,
    ok: bool,
    error: str = "",
    retry_at: datetime | None = None,
) -> None:
    values: dict[str, Any] = {"last_error": error[:500]}
    if ok:
        values.update(status="done", done_at=now)
    elif retry_at is None:
        values.update(status="failed", done_at=now)
    else:
        values.update(next_attempt_at=retry_at)
    session.execute(update(OutboxItem).where(col(OutboxItem.id) == item_id).values(**values))


def pending_outbox_for(session: Session, esc_id: int, kind: str) -> list[OutboxItem]:
    return list(
        session.exec(
            select(OutboxItem).where(
                col(OutboxItem.escalation_id) == esc_id,
                col(OutboxItem.kind) == kind,
                col(OutboxItem.status) == "pending",
            )
        )
    )


def escalations_of_conversation(session: Session, conversation_id: int) -> list[Escalation]:
    return list(
        session.exec(
            select(Escalation)
            .where(Escalation.conversation_id == conversation_id)
            .order_by(col(Escalation.opened_at), col(Escalation.id))
        )
    )


def next_due(session: Session, now: datetime) -> datetime | None:
    """The earliest moment the sweep has work: a chain step, an outbox retry, a snoozed escalation to
    wake, or a card to refresh."""
    step = session.exec(
        select(func.min(Escalation.next_step_at)).where(
            Escalation.status == OPEN, col(Escalation.next_step_at).is_not(None)
        )
    ).one()
    retry = session.exec(
        select(func.min(OutboxItem.next_attempt_at)).where(OutboxItem.status == "pending")
    ).one()
    wake = session.exec(select(func.min(Escalation.snoozed_until)).where(Escalation.status == SNOOZED)).one()
    offer = session.exec(  # a reservation that runs out (bot/flows/offer.py)
        select(func.min(Escalation.offer_until)).where(
            Escalation.status == OPEN, col(Escalation.offer_until).is_not(None)
        )
    ).one()
    dirty = session.exec(
        select(Escalation.id).where(col(Escalation.card_dirty), Escalation.card_ts != "").limit(1)
    ).first()
    candidates = [t for t in (step, retry, wake, sla_repo.next_sla_due(session), offer) if t is not None]
    if dirty is not None:
        candidates.append(now)
    return min(candidates) if candidates else None


def next_outbox_due(session: Session) -> datetime | None:
    """When the earliest pending outbox item is due (the retry wake-up)."""
    return session.exec(select(func.min(OutboxItem.next_attempt_at)).where(PENDING)).one()


def outbox_items(session: Session, esc_id: int, kind: str, *, attempted: bool = False) -> list[OutboxItem]:
    """An escalation's outbox items of one kind, whatever their status (attempted: tried at least once)."""
    query = select(OutboxItem).where(OutboxItem.escalation_id == esc_id, OutboxItem.kind == kind)
    if attempted:
        query = query.where(OutboxItem.attempts > 0)
    return list(session.exec(query))
