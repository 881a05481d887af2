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
import threading
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
from bot.logs import log_context
from integrations import retry
from storage import feedback_repo, repo
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
    LLM_SUMMARY = "llm_summary"  # an LLM writes the card's summary, when one is configured (docs/card.md)
    CSAT_SURVEY = "csat_survey"  # the satisfaction survey in the customer's thread (bot/flows/csat.py)
    CSAT_THANKS = "csat_thanks"  # the answered survey becomes a thank-you
    CSAT_LOW = "csat_low"  # a low score: the team's manager is told
    REVIEW = "review"  # the false-positive review posted to the managers' channel (bot/flows/review.py)
    REVIEW_UPDATE = "review_update"  # a verdict: the review post re-rendered from stored state
    DRIFT_CHECK = "drift_check"  # the daily escalation-rate check (bot/flows/drift.py)
    HOME_REFRESH = "home_refresh"  # App Home re-published, debounced (bot/flows/home.py)
    # What agents do on the card (bot/flows/action_effects.py):
    DM_PREVIOUS_CLAIMER = "dm_previous_claimer"  # "<@bob> took over ... from you"
    RETIRE_CARD = "retire_card"  # the card left in the old team's channel says where it went
    NOTIFY_HANDED_OFF = "notify_handed_off"  # the customer hears which team takes over
    CARD_THREAD_REPLY = "card_thread_reply"  # an internal note (or a wake-up) in the card's thread
    FORWARD_TO_HANDLER = "forward_to_handler"  # the customer wrote again after the resolve: to its resolver
    LINKED_NOTICE = "linked_notice"  # a new thread of the customer: in the card's thread, and to the claimer
    NOTIFY_LINKED = "notify_linked"  # ...and the customer is told in that new thread
    SLA_WARNING = "sla_warning"  # a target's deadline is near: the claimer, or the team (bot/flows/sla_notices.py)
    SLA_BREACHED = "sla_breached"  # a target passed: said in the card's thread
    SLA_WATCHDOG = "sla_watchdog"  # the watchdog's report of a breach to the managers' channel
    ROUTE = "route"  # decide who is offered the escalation first (bot/flows/offer.py)
    BUG_ISSUE = "bug_issue"  # link the account's open Linear bug, or create one (bot/flows/bugs.py)
    HELPDESK_TICKET = "helpdesk_ticket"  # the async handoff ticket in Zendesk/Freshdesk (bot/flows/tickets.py)
    OFFER_DM = "offer_dm"  # the DM of an offer: the card with Claim, reserved until a time
    OFFER_DM_UPDATE = "offer_dm_update"  # the offer is over: its DMs say who claimed it, or that it ran out
    SOURCE_UPDATE = "source_update"  # a handoff, claim, release or resolve told to the source (bot/flows/sources.py)
    SURGE_CARD = "surge_card"  # the surge card posted, or re-rendered as members join (bot/flows/surge.py)
    SURGE_PAGE = "surge_page"  # on-call paged once for the whole surge
    SURGE_REMIND = "surge_remind"  # the surge's one reminder


class Retry(Exception):
    """Try the effect again later (a pager answered 429/5xx, or could not be reached)."""

    def __init__(self, detail: str, after: float | None = None) -> None:
        super().__init__(detail)
        self.after = after


class Permanent(Exception):
    """An effect that can never succeed as asked (recorded on the timeline, not retried)."""


@dataclass
class Job:
    """One run of an outbox item, as its handler sees it."""

    id: int
    kind: str
    esc_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1  # 1 on the first run; more means an earlier run may have done (part of) the work
    created_at: datetime | None = None
    finished: bool = False

    def finish_in(self, session: Session, at: datetime) -> None:
        """Mark the item done in the handler's own last transaction: the effect's record and its
        completion commit together (one transaction fewer, and no window between them)."""
        repo.finish_outbox(session, self.id, at, ok=True)
        self.finished = True


Handler = Callable[[Deps, Job], None]

LEASE = timedelta(seconds=60)
# App Home: every card change queues a refresh for the end of the current 30-second slot, once per slot
# (the dedup key), so a burst of claims publishes the Home tab once.
HOME_DEBOUNCE = timedelta(seconds=30)
HOME_FOLLOWS = frozenset({EffectKind.POST_CARD, EffectKind.UPDATE_CARD})
HOME_VIEWERS_FOR = timedelta(days=7)  # refreshes go to those who opened the tab this recently (none: no refresh)
LOUD_AFTER = 12  # attempts: from then on a still-failing effect is logged as an error at every attempt
DRAIN_ROUNDS = 10  # rounds per call: follow-ups queued by a handler (page -> DM + pager), full batches
BATCH = 20  # items leased together: each must run within its lease, even behind a slow Slack
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


_queued = threading.local()  # items enqueued by this thread since the runner last looked


def unique() -> str:
    """A dedup key for effects that may legitimately happen many times (card re-renders, notes)."""
    return uuid.uuid4().hex


def enqueue(
    session: Session,
    esc_id: int | None,
    kind: EffectKind,
    now: datetime,
    key: str = "",
    at: datetime | None = None,
    shared: bool = False,
    **payload: object,
) -> None:
    """Queue an effect once per (kind, escalation, key); `shared` makes it once per (kind, key) across
    escalations (and `esc_id` may then be None: an effect of no one escalation, e.g. a scheduled review).
    Any change a card shows (POST_CARD, UPDATE_CARD) also queues one debounced App Home refresh, when
    someone has opened the App Home in the last week."""
    _queued.count = getattr(_queued, "count", 0) + 1
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
    if kind in HOME_FOLLOWS and feedback_repo.home_viewed_since(session, now - HOME_VIEWERS_FOR):
        slot = int(now.timestamp() // HOME_DEBOUNCE.total_seconds()) + 1
        due = datetime.fromtimestamp(slot * HOME_DEBOUNCE.total_seconds(), now.tzinfo)
        enqueue(session, None, EffectKind.HOME_REFRESH, now, key=f"home:{slot}", at=due, shared=True)


def enqueue_once(deps: Deps, kind: EffectKind, key: str, now: datetime, **payload: object) -> bool:
    """A shared effect of no one escalation, queued once per key across instances and restarts (the
    dedup key is unique): the state of a schedule. Looks first without the write lock, since the
    sweep asks every tick. True when this call queued it."""
    dedup = f"{kind}:{key}"
    with read_scope(deps.db) as session:
        if repo.outbox_dedup_exists(session, dedup):
            return False
    with session_scope(deps.db) as session:
        _queued.count = getattr(_queued, "count", 0) + 1
        return repo.enqueue(
            session,
            OutboxItem(kind=str(kind), dedup=dedup, payload=dict(payload), next_attempt_at=now, created_at=now),
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


def _attempt(deps: Deps, job: Job) -> Outcome:
    handler: Handler | None = deps.effects.get(job.kind)
    try:
        if handler is None:
            raise Permanent(f"no handler for effect {job.kind}")
        handler(deps, job)
        return Outcome(True)
    except Permanent as exc:
        return Outcome(False, str(exc))
    except Retry as exc:
        return Outcome(False, str(exc), exc.after, retryable=True)
    except Exception as exc:
        return _slack_failure(exc)


def run_item(deps: Deps, item: OutboxItem) -> Outcome:
    """Run an item this caller has leased (repo.lease_due) and record the outcome."""
    with log_context(escalation_id=item.escalation_id):  # every log line of the effect names it
        return _run_item(deps, item)


def _run_item(deps: Deps, item: OutboxItem) -> Outcome:
    assert item.id is not None
    attempt = item.attempts + 1
    job = Job(item.id, item.kind, item.escalation_id or 0, dict(item.payload), attempt, item.created_at)
    outcome = _attempt(deps, job)
    metrics.effect_ran(kind=item.kind, ok=outcome.ok)
    if outcome.ok and job.finished:
        return outcome
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


def _drain(deps: Deps, now: datetime | None, escalation_id: int | None) -> int:
    """Lease what is due and run it; again while the handlers queued follow-ups (page -> DM + pager)."""
    ran = 0
    for _ in range(DRAIN_ROUNDS):
        _queued.count = 0
        at = deps.clock.now()
        with session_scope(deps.db) as session:
            items = repo.lease_due(
                session, max(at, now or at), LEASE, escalation_id=escalation_id, limit=BATCH
            )
        for item in items:
            run_item(deps, item)
        ran += len(items)
        # Another round only for follow-ups or a full batch (leases start together: keep batches short).
        if len(items) < BATCH and not getattr(_queued, "count", 0):
            break
    return ran


def run_for(deps: Deps, esc_id: int) -> int:
    """Run the pending effects of one escalation now (the fast path after a commit)."""
    return _drain(deps, None, esc_id)


def run_due(deps: Deps, now: datetime | None = None) -> int:
    """Run every due effect (the sweep's safety net, and the wake-up for a retry). Returns how many ran."""
    return _drain(deps, now, None)


def check_registry(handlers: Mapping[EffectKind, Handler]) -> None:
    missing = sorted(set(EffectKind) - set(handlers))
    if missing:
        raise RuntimeError(f"no handler for effect kinds {missing}")
