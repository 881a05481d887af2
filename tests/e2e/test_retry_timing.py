"""Retries happen when they are due, not at the next sweep: a Slack 429's Retry-After to the second,
and a pager outage is retried at least once a minute for its first ten minutes, then every few
minutes. Virtual time: the World runs the outbox at each wake-up the runner asks for, as
bot/scheduler.py's Waker does in `baton serve`. Runs on SQLite, and on PostgreSQL when DATABASE_URL
points at one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.flows.oncall import who_is_on_call
from integrations.retry import EARLY_CAP, LATE_CAP, OUTAGE_WINDOW
from storage import repo
from storage.db import session_scope
from storage.models import OutboxItem
from tests.e2e.helpers import ACME, card_messages, escalations
from tests.e2e.test_sla_chain import T0, escalate, events, key_of, world_maker

HUMAN = "This isn't working. I want to talk to a real person please"


@pytest.fixture
def make_world(world_factory):
    return world_maker(world_factory)


def _item(world, kind: str) -> OutboxItem:
    with session_scope(world.deps.db) as session:
        [item] = [i for i in session.exec(repo.select(OutboxItem)) if i.kind == kind]
        return item


def _ts(message: dict) -> datetime:
    return datetime.fromtimestamp(float(message["ts"]), tz=T0.tzinfo)


@pytest.mark.parametrize("retry_after", [1, 7, 40])
def test_a_rate_limited_card_is_posted_exactly_retry_after_seconds_later(make_world, retry_after):
    w = make_world()
    w.slack.fail_next("chat.postMessage", "ratelimited", retry_after=retry_after)
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    opened = w.clock.now()
    assert card_messages(w) == []
    item = _item(w, "post_card")
    assert item.status == "pending" and item.next_attempt_at == opened + timedelta(seconds=retry_after)

    w.advance_to(opened + timedelta(seconds=60))
    [card] = card_messages(w)
    assert _ts(card) == opened + timedelta(seconds=retry_after)  # not at the next 15 s sweep
    [esc] = escalations(w)
    assert esc.card_ts == card["ts"]
    assert _item(w, "post_card").done_at == opened + timedelta(seconds=retry_after)


def test_a_pager_outage_is_retried_at_least_once_a_minute_for_ten_minutes_then_every_few(make_world):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=9))
    who_is_on_call(w.deps, w.deps.policy.teams["support"], w.clock.now())  # cached: the outage hits the page
    w.pagerduty.set_down(True, mode="503")
    w.advance_to(T0 + timedelta(minutes=10))  # the page step: first attempt fails
    first = w.clock.now()
    w.advance_to(first + timedelta(minutes=30))
    w.pagerduty.set_down(False)
    w.advance_to(first + timedelta(minutes=40))

    key = key_of(esc)
    # each attempt is on the timeline at the moment it ran: page_failed while down, paged at the end
    attempts = [e.at for e in events(w, esc.id, "page_failed")] + [e.at for e in events(w, esc.id, "paged")]
    assert len(attempts) >= 10
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    early = [g for a, g in zip(attempts, gaps, strict=False) if a - attempts[0] < OUTAGE_WINDOW]
    late = [g for a, g in zip(attempts, gaps, strict=False) if a - attempts[0] >= OUTAGE_WINDOW]
    assert len(early) >= 10 and max(early) <= EARLY_CAP
    assert late and max(late) <= LATE_CAP and max(late) > EARLY_CAP  # it backs off, but not for long
    # recovered: accepted exactly once, within one late backoff of the pager coming back
    assert attempts[-1] - (first + timedelta(minutes=30)) <= LATE_CAP
    assert len(events(w, esc.id, "paged")) == 1
    assert sum(1 for i in w.pagerduty.incidents() if i.get("dedup_key") == key) == 1
