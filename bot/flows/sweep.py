"""The periodic sweep: run what is due — chain steps, retried side effects, coalesced card updates —
and forget inbox requests processed more than a day ago.

State lives in the database, so the sweep is the only timer: a restart loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.flows import card_extras, drift, effects, offer, outbox, review, sla, sla_clock, surge
from storage import inbox, repo
from storage.db import read_scope, session_scope

log = logging.getLogger(__name__)

MAX_STEP_ROUNDS = 20  # x 200 due rows per round


@dataclass
class SweepReport:
    steps: int = 0
    effects: int = 0
    cards: int = 0
    pruned: int = 0  # processed inbox requests forgotten
    sla: int = 0
    overdue: list[int] = field(default_factory=list)


def sweep(deps: Deps, now: datetime | None = None) -> SweepReport:
    now = now or deps.clock.now()
    report = SweepReport()
    for esc_id in card_extras.wake_due(deps, now):  # snoozes that ended: back in the queue first
        outbox.run_for(deps, esc_id)
    for esc_id in offer.run_due(deps, now):  # reservations that ran out: the next person, or the team
        outbox.run_for(deps, esc_id)
    for _ in range(MAX_STEP_ROUNDS):  # a burst of due steps drains in one sweep, in bounded batches
        taken = sla.run_due_steps(deps, now, report.overdue)
        for esc_id in taken:
            outbox.run_for(deps, esc_id)
        report.steps += len(taken)
        if not taken:
            break
    _schedules(deps, now)
    for esc_id in sla_clock.run_due(deps, now):  # SLA warnings and breaches, keep-alives, repeats
        outbox.run_for(deps, esc_id)
        report.sla += 1
    report.sla += surge.run_due(deps, now)  # the surges' one reminder
    report.effects = outbox.run_due(deps, now)
    report.cards = _refresh_dirty_cards(deps, now)
    report.pruned = _prune_inbox(deps, now)
    return report


def _prune_inbox(deps: Deps, now: datetime) -> int:
    """One bounded batch per sweep (1,000 rows every 15 s outpaces any realistic intake)."""
    try:
        with session_scope(deps.db) as session:
            return inbox.prune(session, now - inbox.KEEP_DONE)
    except Exception as exc:  # housekeeping: the next sweep tries again
        log.warning("inbox prune failed: %s", exc)
        return 0


def _schedules(deps: Deps, now: datetime) -> None:
    """Scheduled work is an outbox row under a key of its own (review:YYYY-MM, drift:YYYY-MM-DD): the
    first sweep past the due time queues it, every later one (on any instance) finds it queued."""
    for due in (review.enqueue_due, drift.enqueue_due):
        try:
            due(deps, now)
        except Exception as exc:  # the next sweep asks again
            log.warning("scheduled %s failed: %s", due.__module__, exc)


def _refresh_dirty_cards(deps: Deps, now: datetime) -> int:
    """Coalesced card updates: at most one chat.update per card per `card_min_interval`."""
    # chat.update is Tier 3 (~50/min per workspace, PLATFORM-FACTS): spend at most that budget per sweep.
    budget = max(1, int(50 * deps.sweep_seconds / 60))
    with read_scope(deps.db) as session:
        dirty = repo.dirty_cards(session, now - timedelta(seconds=deps.card_min_interval), limit=budget)
        ids = [e.id for e in dirty if e.id is not None]
    done = 0
    for esc_id in ids:
        try:
            if effects.refresh_card(deps, esc_id):
                done += 1
        except Exception as exc:  # the next sweep tries again: the card stays dirty
            log.warning("card refresh for escalation %s failed: %s", esc_id, exc)
    return done
