"""End to end: a queued escalation turns immediate when a later customer message makes the decision
immediate. Signed Slack events into the Bolt app, the local Slack and PagerDuty stand-ins, the sweep.

1. A self-serve customer asks the same question three times while the AI agent answers without
   confidence (message metadata `event_payload.confidence`): a queued repeated-question escalation.
   Then "I'll call my lawyer": raised to immediate, on the timeline and the card, and the immediate
   chain runs from then on (its page step pages on-call).
2. The bug this file was written for: an at-risk account (its context raises the urgency of any
   signal) opens a queued escalation with a problem report (`context_problem` is context-only, so
   queued), then "you are not helping" fires a queued signal; the decision is now immediate, but the
   escalation stayed queued because only the new triggers' own urgencies were read.
Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.helpers import ACCOUNTS
from tests.e2e.test_sla_chain import card_json, current, events, key_of, triggers, world_maker

INITECH = "initech"  # self-serve: a repeated question needs three askings
RISKY = {"id": "globex", "name": "Globex", "tier": "mid-market", "mrr": 2600, "channel": "C0GLOBEX", "at_risk": True}


@pytest.fixture
def make_world(world_factory):
    return world_maker(world_factory)


def _ai_says(w: Any, channel: str, thread_ts: str, text: str, confidence: float) -> None:
    posted = w.driver.user_says(channel, w.ai_user, text, thread_ts=thread_ts, deliver=False)
    envelope = posted.envelope
    envelope["event"]["metadata"] = {"event_type": "ai_reply", "event_payload": {"confidence": confidence}}
    assert w.driver.deliver_event(envelope).status == 200
    w.settle()


def _customer_says(w: Any, text: str, thread_ts: str | None = None, account: str = INITECH) -> str:
    cust = w.customers[account]
    result = w.driver.user_says(cust.channel, cust.user, text, thread_ts=thread_ts)
    assert result.status == 200
    w.settle()
    return str(result.message["ts"])


def test_a_queued_repeated_question_is_raised_to_immediate_by_a_legal_threat(make_world):
    w = make_world()
    cust = w.customers[INITECH]
    first = _customer_says(w, "How do I move my projects to another workspace?")
    _ai_says(w, cust.channel, first, "You can create a new workspace from the workspace menu.", 0.6)
    w.clock.advance(timedelta(minutes=1))
    _customer_says(w, "How do I transfer existing projects into a different workspace?", first)
    _ai_says(w, cust.channel, first, "Projects can be archived from the project menu.", 0.55)
    w.clock.advance(timedelta(minutes=1))
    _customer_says(w, "again: is there any way to get my projects over to the other workspace?", first)
    esc = current(w)
    assert esc.urgency == "queued" and esc.primary_trigger == "repeated_question"
    assert triggers(w) == []  # queued: nobody paged yet
    assert "queued" in card_json(w, esc).lower()

    w.clock.advance(timedelta(minutes=2))
    raised_at = w.clock.now()
    _customer_says(w, "This is ridiculous. I'll call my lawyer.", first)
    esc = current(w)
    assert esc.urgency == "immediate"
    assert {t["id"] for t in esc.triggers} >= {"repeated_question", "legal"}
    [raised] = events(w, esc.id, "urgency_raised")
    assert raised.at == raised_at
    card = card_json(w, esc).lower()
    assert "immediate" in card and "legal" in card
    # the immediate chain runs from the raise: its page step pages on-call (always_open: at 10 min)
    w.advance_to(raised_at + timedelta(minutes=10))
    assert len(triggers(w, key_of(esc))) == 1, "the immediate chain pages on-call"


def test_a_queued_escalation_of_an_at_risk_account_turns_immediate_with_the_next_signal(make_world):
    w = make_world(accounts=[*ACCOUNTS, RISKY])
    cust = w.customers["globex"]
    first = _customer_says(w, "The reporting numbers don't match our CRM again.", account="globex")
    esc = current(w)
    assert esc.urgency == "queued" and esc.primary_trigger == "context_problem"
    _ai_says(w, cust.channel, first, "Reports sync with the CRM every night.", 0.8)
    w.clock.advance(timedelta(minutes=3))
    raised_at = w.clock.now()
    _customer_says(w, "you are not helping at all", first, account="globex")
    esc = current(w)
    assert esc.urgency == "immediate", "the decision is immediate (at risk raises any signal)"
    assert [e.at for e in events(w, esc.id, "urgency_raised")] == [raised_at]
    assert "immediate" in card_json(w, esc).lower()
    w.advance_to(raised_at + timedelta(minutes=10))
    assert len(triggers(w, key_of(esc))) == 1, "the immediate chain pages on-call"
