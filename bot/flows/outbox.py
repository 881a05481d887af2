"""The outbox: side effects that must happen at least once, queued with the state change that causes them.

`enqueue` writes an item in the caller's transaction (once per dedup key). `run_for` / `run_due`
lease due items (a conditional UPDATE: two workers never run one item at once; a crashed worker's
lease runs out), call the item's handler from the registry in `deps.effects` (one small unit per
EffectKind, see bot/flows/registry.py), and record the outcome: done, retried at the time the
retry policy (integrations/retry.py) or the server's Retry-After says, or failed for good. A handler
may queue follow-up items; the runner drains them in the same call.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import metrics
from bot.deps import Deps
from integrations import retry
from storage import repo
from storage.db import read_scope, session_scope
from storage.models import OutboxItem, TimelineKind

log = logging.getLogger(__name__)


class EffectKind(StrEnum):
    POST_CARD = "post_card"
    UPDATE_CARD = "update_card"
    NOTIFY_CUSTOMER = "notify_customer"
    NOTIFY_CLAIMED = "notify_claimed"
    NOTIFY_THREAD = "notify_thread"
    DM_PREVIOUS_HANDLER = "dm_previous_handler"
    REMIND = "remind"
    PAGE = "page"
    DM_ONCALL = "dm_oncall"
    PAGE_PAGER = "page_pager"
    PAGE_RESOLVE = "page_resolve"
    NOTIFY_MANAGER = "notify_manager"
    WATCHDOG_ALERT = "watchdog_alert"
    SURGE_NOTICE = "surge_notice"
    OPENING_SUMMARY = "opening_summary"
    NOTIFY_RESOLVED = "notify_resolved"  # tell the customer; hand the thread back to the AI agent
    AI_WEBHOOK = "ai_webhook"  # the AI agent's handoff webhook (docs/ai-handoff.md)


class Retry(Exception):
    """Try the effect again later (a pager answered 429/5xx, or could not be reached)."""

    def __init__(self, detail: str, after: float | None = None) -> None:
        super().__init__(detail)
        self.after = after


class Permanent(Exception):
    """An effect that can never succeed as asked (recorded on the timeline, not retried)."""


@dataclass(frozen=True)
class Job:
    """One run of an outbox item, as its handler sees it."""

    id: int
    kind: str
    esc_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1  # 1 on the first run; more means an earlier run may have done (part of) the work
    created_at: datetime | None = None


Handler = Callable[[Deps, Job], None]

LEASE = timedelta(seconds=60)
LOUD_AFTER = 12  # attempts: from then on a still-failing effect is logged as an error at every attempt
DRAIN_ROUNDS = 5  # follow-ups queued by a handler (page -> DM + pager) run in the same call
# Slack errors worth retrying; anything else is permanent (a wrong request will stay wrong).
RETRYABLE_SLACK = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""
    retry_after: float | None = None  # seconds the server asked for (Retry-After), if it did
    retryable: bool = False


def unique() -> str:
    """A dedup key for effects that may legitimately happen many times (card re-renders, notes)."""
    return uuid.uuid4().hex


def enqueue(
    session: Session,
    esc_id: int,
    kind: EffectKind,
    now: datetime,
    key: str = "",
    at: datetime | None = None,
    shared: bool = False,
    **payload: object,
) -> None:
    """Queue an effect once per (kind, escalation, key); `shared` makes it once per (kind, key) across escalations."""
    repo.enqueue(
        session,
        OutboxItem(
            kind=str(kind),
            escalation_id=esc_id,
            dedup=f"{kind}:{key}" if shared else f"{kind}:{esc_id}:{key}",
            payload=dict(payload),
            next_attempt_at=at or now,
            created_at=now,
        ),
    )


def _slack_failure(exc: Exception) -> Outcome:
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        status = exc.response.status_code if exc.response is not None else 0
        if status == 429 or error in RETRYABLE_SLACK:
            headers = exc.response.headers if exc.response is not None else {}
            wait = retry.parse_retry_after(retry.header(headers))
            return Outcome(False, error or f"HTTP {status}", wait, retryable=True)
        return Outcome(False, error or f"HTTP {status}")
    return Outcome(False, f"{type(exc).__name__}: {exc}", retryable=True)


def _attempt(deps: Deps, item: OutboxItem, attempt: int) -> Outcome:
    handler: Handler | None = deps.effects.get(item.kind)
    assert item.id is not None
    job = Job(item.id, item.kind, item.escalation_id or 0, dict(item.payload), attempt, item.created_at)
    try:
        if handler is None:
            raise Permanent(f"no handler for effect {item.kind}")
        handler(deps, job)
        return Outcome(True)
    except Permanent as exc:
        return Outcome(False, str(exc))
    except Retry as exc:
        return Outcome(False, str(exc), exc.after, retryable=True)
    except Exception as exc:
        return _slack_failure(exc)


def run_item(deps: Deps, item: OutboxItem) -> Outcome:
    now = deps.clock.now()
    assert item.id is not None
    with session_scope(deps.db) as session:
        if not repo.lease_outbox(session, item.id, now, LEASE):
            return Outcome(False, "leased elsewhere")
    attempt = item.attempts + 1
    outcome = _attempt(deps, item, attempt)
    metrics.effect_ran(kind=item.kind, ok=outcome.ok)
    done_at = deps.clock.now()
    with session_scope(deps.db) as session:
        if outcome.ok:
            repo.finish_outbox(session, item.id, done_at, ok=True)
            return outcome
        retry_at = None
        if outcome.retryable:  # kept until accepted: the policy caps the wait, it never gives up
            failing_for = done_at - item.created_at if item.created_at else timedelta(0)
            retry_at = done_at + retry.backoff(attempt, outcome.retry_after, failing_for=failing_for)
        repo.finish_outbox(session, item.id, done_at, ok=False, error=outcome.error, retry_at=retry_at)
        if item.escalation_id:
            repo.log(
                session,
                item.escalation_id,
                done_at,
                TimelineKind.EFFECT_FAILED,
                effect=item.kind,
                error=outcome.error,
                attempt=attempt,
                retry_at=retry_at.isoformat() if retry_at else None,
            )
    loud = retry_at is None or attempt >= LOUD_AFTER
    (log.error if loud else log.warning)(
        "effect %s for escalation %s failed: %s", item.kind, item.escalation_id, outcome.error
    )
    if retry_at is not None:
        deps.wake(retry_at)
    return outcome


def _drain(deps: Deps, due: Callable[[Session, datetime], list[OutboxItem]]) -> int:
    ran = 0
    for _ in range(DRAIN_ROUNDS):
        with read_scope(deps.db) as session:
            items = due(session, deps.clock.now())
        if not items:
            break
        for item in items:
            run_item(deps, item)
        ran += len(items)
    return ran


def run_for(deps: Deps, esc_id: int) -> int:
    """Run the pending effects of one escalation now (the fast path after a commit)."""
    return _drain(deps, lambda session, now: repo.due_outbox(session, now, escalation_id=esc_id))


def run_due(deps: Deps, now: datetime | None = None) -> int:
    """Run every due effect (the sweep's safety net, and the wake-up for a retry). Returns how many ran."""
    return _drain(deps, lambda session, at: repo.due_outbox(session, max(at, now or at)))


def check_registry(handlers: Mapping[EffectKind, Handler]) -> None:
    missing = sorted(set(EffectKind) - set(handlers))
    if missing:
        raise RuntimeError(f"no handler for effect kinds {missing}")
