"""End to end: SLA targets through the real app (signed events and clicks), the sweep and the Slack
stand-in. Pickup across a business-hours boundary and a DST change, the warning before a breach, the
breach on the card, the timeline and the watchdog; the next-reply target once claimed; keep-alives that
count down; the chain's last step repeating until someone claims.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.cards import Action
from storage import sla_repo
from storage.db import session_scope
from tests.e2e.helpers import ACME, escalations
from tests.e2e.test_sla_chain import (
    AGENT,
    MANAGER,
    card_json,
    click,
    current,
    dms,
    escalate,
    events,
    kinds,
    world_maker,
)


@pytest.fixture
def make_world(world_factory):
    return world_maker(world_factory)


def managers(w) -> list[str]:
    return [str(m.get("text", "")) for m in w.slack.bot_messages("C0MANAGERS")]


def card_thread(w, esc) -> list[str]:
    return [str(m.get("text", "")) for m in w.slack.thread(esc.card_channel, esc.card_ts)[1:]]


def customer_thread(w, account: str = ACME) -> list[str]:
    cust = w.customers[account]
    return [str(m.get("text", "")) for m in w.slack.bot_messages(cust.channel)]


# Friday 16:50 in New York, the weekend before the clocks go forward (Sunday 8 March 2026)
FRIDAY_BEFORE_DST = datetime(2026, 3, 6, 21, 50, tzinfo=UTC)
# Friday 16:50 in New York in November (no DST change that weekend)
FRIDAY_NOVEMBER = datetime(2026, 11, 20, 21, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "breach"),
    [
        (FRIDAY_NOVEMBER, datetime(2026, 11, 23, 14, 5, tzinfo=UTC)),  # Monday 09:05 EST
        (FRIDAY_BEFORE_DST, datetime(2026, 3, 9, 13, 5, tzinfo=UTC)),  # Monday 09:05 EDT
    ],
)
def test_pickup_breach_counts_only_business_hours_across_the_weekend(make_world, start, breach):
    w = make_world("new_york", start)
    esc = escalate(w)
    assert esc.urgency == "immediate" and esc.sla_target == "pickup"
    assert esc.sla_due_at == breach
    card = card_json(w, esc)
    assert "Pickup target 15m" in card and "15m left" in card

    # The warning: 5 minutes of open time before the deadline = Friday 17:00, the closing.
    w.advance_to(start + timedelta(minutes=10))
    [warning] = events(w, esc.id, "sla_warning")
    assert warning.detail["target"] == "pickup"
    assert any("5m left to pick up" in t and "<!here>" in t for t in card_thread(w, esc))
    assert "5m left" in card_json(w, current(w))

    # All weekend: no breach (the closed time does not count).
    w.advance_to(breach - timedelta(seconds=20))
    assert events(w, esc.id, "sla_breached") == [] and current(w).breached_at is None

    w.advance_to(breach + timedelta(seconds=20))
    esc = current(w)
    [breached] = events(w, esc.id, "sla_breached")
    assert breached.detail["target"] == "pickup" and breached.detail["due_at"] == breach.isoformat()
    assert esc.breached_at == breach and esc.breached_by == "pickup"
    assert "SLA breached" in card_json(w, esc) and str(int(breach.timestamp())) in card_json(w, esc)
    assert any("SLA breached: the pickup target (15m)" in t for t in card_thread(w, esc))
    [report] = [t for t in managers(w) if "watchdog" in t]
    assert f"#{esc.id}" in report and "still unclaimed past its pickup target" in report
    # queryable for reports
    with session_scope(w.deps.db) as session:
        assert [
            e.id for e in sla_repo.breached(session, breach - timedelta(days=1), breach + timedelta(days=1))
        ] == [esc.id]

    # Later sweeps do not breach it again.
    w.advance_to(breach + timedelta(hours=2))
    assert (
        len(events(w, esc.id, "sla_breached")) == 1 and len([t for t in managers(w) if "watchdog" in t]) == 1
    )


T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York


def test_claim_in_time_meets_pickup_then_the_next_reply_target_runs_until_a_human_answers(make_world):
    w = make_world("always_open", T0)
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=3))
    click(w, esc, Action.CLAIM)
    esc = current(w)
    assert esc.status == "claimed" and esc.sla_target == "next_reply"
    assert esc.sla_due_at == T0 + timedelta(minutes=33)
    assert [e.detail["target"] for e in events(w, esc.id, "sla_met")] == ["pickup"]
    assert "Next reply target 30m" in card_json(w, current(w))

    # The claimer answers in the customer's thread: met, nothing runs.
    cust = w.customers[ACME]
    conv_ts = w.slack.bot_messages(cust.channel)[0]["thread_ts"]
    w.advance_to(T0 + timedelta(minutes=10))
    assert w.driver.user_says(cust.channel, AGENT, "Hi, looking at it now", thread_ts=conv_ts).status == 200
    w.settle()
    esc = current(w)
    assert esc.sla_target == "" and esc.sla_due_at is None and esc.last_human_reply_at is not None
    assert "human_replied" in kinds(w, esc.id)
    assert [e.detail["target"] for e in events(w, esc.id, "sla_met")] == ["pickup", "next_reply"]

    # The customer writes again: the next reply is due in 30 minutes; nobody answers.
    w.advance_to(T0 + timedelta(minutes=20))
    assert w.driver.user_says(cust.channel, cust.user, "any news?", thread_ts=conv_ts).status == 200
    w.settle()
    assert current(w).sla_due_at == T0 + timedelta(minutes=50)
    w.advance_to(T0 + timedelta(minutes=46))
    [dm] = [m for m in dms(w, AGENT) if "left to reply" in str(m.get("text"))]
    assert "5m left to reply to the customer" in dm["text"] or "4m" in dm["text"]
    w.advance_to(T0 + timedelta(minutes=51))
    esc = current(w)
    assert esc.breached_by == "next_reply" and esc.breached_at == T0 + timedelta(minutes=50)
    [report] = [t for t in managers(w) if "watchdog" in t]
    assert f"claimed by <@{AGENT}> but has no human reply past its next-reply target" in report


def test_a_claim_after_the_breach_keeps_the_breach_for_reports(make_world):
    w = make_world("always_open", T0)
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=16))
    click(w, esc, Action.CLAIM)
    esc = current(w)
    assert esc.breached_at == T0 + timedelta(minutes=15) and esc.breached_by == "pickup"
    assert events(w, esc.id, "sla_met") == []
    assert "SLA breached" in card_json(w, esc) and "Next reply target" in card_json(w, esc)


def test_keep_alives_count_down_while_unclaimed_and_stop_at_the_claim(make_world):
    w = make_world("always_open", T0)
    # History: one escalation of the same team, in the same hour, picked up after 25 minutes.
    first = escalate(w, account="initech")
    w.advance_to(T0 + timedelta(minutes=25))
    click(w, first, Action.CLAIM)
    before = len(customer_thread(w))

    cust = w.customers[ACME]
    assert w.driver.user_says(
        cust.channel, cust.user, "This isn't working. I want to talk to a real person please"
    ).ok
    w.settle()
    esc = max(escalations(w), key=lambda e: e.id or 0)
    opened = esc.opened_at
    w.advance_to(opened + timedelta(minutes=15, seconds=20))
    alive = customer_thread(w)[before:]
    # the reminder's "still on it" at 5 minutes, then the 15-minute keep-alive: 25 - 15 = 10 minutes left
    assert any("about 10 minutes" in t for t in alive), alive
    w.advance_to(opened + timedelta(minutes=30, seconds=20))
    latest = customer_thread(w)[-1]
    assert "longer than usual" in latest  # past the only pickup seen: no made-up number
    [*_, last] = events(w, esc.id, "keep_alive")
    assert last.detail["wait_seconds"] is None

    click(w, current(w, esc.id), Action.CLAIM)
    n = len(customer_thread(w))
    w.advance_to(opened + timedelta(hours=2))
    assert not any("patience" in t or "longer than usual" in t for t in customer_thread(w)[n:])
    assert current(w, esc.id).keepalive_at is None


def test_after_the_chain_the_last_step_repeats_with_the_manager_told_until_claimed(make_world):
    w = make_world("always_open", T0)
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=21))
    assert len(dms(w, MANAGER)) == 1  # the chain's own last step
    w.advance_to(T0 + timedelta(minutes=51))
    assert len(dms(w, MANAGER)) == 2 and kinds(w, esc.id).count("overtime") == 1
    click(w, esc, Action.CLAIM)
    w.advance_to(T0 + timedelta(hours=3))
    assert len(dms(w, MANAGER)) == 2 and current(w).overtime_at is None
    assert json.dumps(events(w, esc.id, "overtime")[0].detail) == json.dumps(
        {"action": "notify_manager", "round": 1}
    )
