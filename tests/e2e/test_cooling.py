"""The cooling period and escalation loops, end to end through the real app (SQLite and PostgreSQL).

Issue 4: a customer whose escalation was resolved and who comes back within the cooling period goes
straight back to a human (the previous handler when available), not into another round with the AI.
Issue 3: the cooling period lowers thresholds and routes to the agent who handled the account last.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cards import Action
from bot.domain.loop import Previous, back_to_human
from bot.domain.model import Account, Decision
from bot.domain.triggers import parse_engine_config
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from storage.models import Escalation
from tests.e2e.helpers import AGENT, card_messages, escalations, thread_texts

CUSTOMER = "initech"  # self-serve: a routine question alone never escalates
HUMAN = "This isn't working. I want to talk to a real person please"
ROUTINE = "How do I change the shipping address on my order?"


def _resolve_first_escalation(world: World, by: str = AGENT) -> tuple[Escalation, str]:
    """The customer asks for a human, `by` claims and resolves. Returns the escalation and its thread."""
    cust = world.customers[CUSTOMER]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    world.clock.advance(timedelta(minutes=2))
    assert world.driver.click(by, esc.card_ts, esc.card_channel, Action.CLAIM.value).status_code == 200
    world.settle()
    world.clock.advance(timedelta(minutes=20))
    assert world.driver.click(by, esc.card_ts, esc.card_channel, Action.RESOLVE.value).status_code == 200
    world.settle()
    view_id = str(world.slack.views[-1]["id"])
    world.driver.submit_view(by, view_id, {"resolution": {"note": "Reset the address book"}})
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "resolved" and esc.resolved_by == by
    assert first.ts is not None
    return esc, first.ts


def _dms_to(world: World, user: str) -> list[dict[str, Any]]:
    dm = world.slack.dm_channel(user)
    return world.slack.bot_messages(dm) if dm else []


def _kinds(world: World, esc_id: int) -> list[str]:
    with session_scope(world.deps.db) as session:
        return [e.kind for e in repo.timeline(session, esc_id)]


def test_returning_customer_goes_straight_back_to_the_previous_handler(world):
    old, _ = _resolve_first_escalation(world)
    assert _dms_to(world, AGENT) == []
    world.clock.advance(timedelta(hours=3))
    cust = world.customers[CUSTOMER]
    back = world.driver.user_says(cust.channel, cust.user, ROUTINE)  # a new top-level message
    world.settle()

    old_again, new = escalations(world)
    assert old_again.id == old.id and new.conversation_id != old.conversation_id
    assert new.status == "open" and new.prefer_agent == AGENT
    [fired] = new.triggers
    assert fired["id"] == "cooling_period" and fired["family"] == "business"
    detail = fired["evidence"][0]["detail"]
    assert f"#{old.id}" in detail and AGENT in detail and "resolved" in detail

    # The team channel's card says who handled the account last...
    card = world.slack.message(new.card_channel, new.card_ts)
    assert card is not None and "Previously handled by" in json.dumps(card["blocks"])
    assert f"<@{AGENT}>" in json.dumps(card["blocks"])
    # ...and that agent gets the card in a DM, with a Claim button for this escalation.
    [dm] = _dms_to(world, AGENT)
    assert "handled" in dm["text"] and "Initech" in dm["text"]
    claim = [
        e
        for b in dm["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.CLAIM.value
    ]
    assert [c["value"] for c in claim] == [str(new.id)]
    assert {"offered", "offer_dm"} <= set(_kinds(world, new.id))  # reserved for them first (routing)
    # The customer is told a human is taking over, in the new thread.
    assert any("won't need to repeat yourself" in t for t in thread_texts(world, cust.channel, back.ts))

    # The previous handler claims from the DM: the card in the team channel follows.
    world.clock.advance(timedelta(minutes=1))
    resp = world.driver.click(AGENT, dm["ts"], world.slack.dm_channel(AGENT), Action.CLAIM.value)
    assert resp.status_code == 200
    world.settle()
    new = escalations(world)[1]
    assert new.status == "claimed" and new.claimed_by == AGENT
    card = world.slack.message(new.card_channel, new.card_ts)
    assert card is not None and "Claimed" in json.dumps(card["blocks"])


def test_an_escalation_does_not_put_its_own_conversation_into_the_cooling_period(world):
    cust = world.customers[CUSTOMER]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    world.clock.advance(timedelta(minutes=1))
    world.driver.user_says(
        cust.channel, cust.user, "Also our lawyer wants to talk to you", thread_ts=first.ts
    )
    world.settle()
    [esc] = escalations(world)
    # the model's label triggers (on by default) fire beside the phrase rules, first in matrix order
    assert [t["id"] for t in esc.triggers] == [
        "model_human_request",
        "human_request",
        "model_legal_threat",
        "legal",
    ]
    assert esc.prefer_agent == ""


def test_after_the_cooling_period_a_routine_question_stays_with_the_ai(world):
    _resolve_first_escalation(world)
    world.clock.advance(timedelta(hours=48, minutes=1))
    cust = world.customers[CUSTOMER]
    world.driver.user_says(cust.channel, cust.user, ROUTINE)
    world.settle()
    assert len(escalations(world)) == 1
    assert _dms_to(world, AGENT) == []


def test_just_inside_the_cooling_period_still_counts(world):
    old, _ = _resolve_first_escalation(world)
    # The cooling period counts from when the account was escalated (the engine's rule, 48 h).
    world.clock.set(old.opened_at + timedelta(hours=47, minutes=59))
    cust = world.customers[CUSTOMER]
    world.driver.user_says(cust.channel, cust.user, ROUTINE)
    world.settle()
    assert [e.prefer_agent for e in escalations(world)] == ["", AGENT]


def test_a_thank_you_in_the_resolved_thread_does_not_reopen(world):
    _, thread = _resolve_first_escalation(world)
    world.clock.advance(timedelta(minutes=5))
    cust = world.customers[CUSTOMER]
    world.driver.user_says(cust.channel, cust.user, "Thanks, that fixed it!", thread_ts=thread)
    world.driver.user_says(cust.channel, cust.user, ROUTINE, thread_ts=thread)
    world.settle()
    assert len(escalations(world)) == 1
    # No new card or Claim offer; within the cooling period each message goes to who resolved it (a DM
    # with what they said, and Reopen: docs/agent-actions.md).
    forwarded = _dms_to(world, AGENT)
    assert len(forwarded) == 2 and all("wrote again in the thread you resolved" in m["text"] for m in forwarded)
    assert all(Action.CLAIM.value not in json.dumps(m.get("blocks")) for m in forwarded)


def test_a_claimed_escalation_is_not_a_loop(world):
    """Only a resolved escalation makes a loop: while agent X still holds the first one, a routine
    question in a new thread stays with the AI agent."""
    cust = world.customers[CUSTOMER]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    world.settle()
    world.clock.advance(timedelta(hours=1))
    world.driver.user_says(cust.channel, cust.user, ROUTINE)
    world.settle()
    assert len(escalations(world)) == 1


def test_another_account_is_not_affected(world):
    _resolve_first_escalation(world)
    world.clock.advance(timedelta(hours=1))
    acme = world.customers["acme"]
    world.driver.user_says(acme.channel, acme.user, ROUTINE)
    world.settle()
    assert len(escalations(world)) == 1


def test_a_real_trigger_in_the_cooling_period_also_goes_to_the_previous_handler(world):
    """With a trigger of its own (legal) the new escalation keeps it, and the cooling period rides along."""
    old, _ = _resolve_first_escalation(world, by="U0BOB")
    world.clock.advance(timedelta(hours=5))
    cust = world.customers[CUSTOMER]
    world.driver.user_says(cust.channel, cust.user, "Our lawyer will be in touch about this.")
    world.settle()
    _, new = escalations(world)
    ids = [t["id"] for t in new.triggers]
    assert ids[:2] == ["model_legal_threat", "legal"] and "cooling_period" in ids
    assert new.prefer_agent == "U0BOB" and new.category == "legal"
    assert len(_dms_to(world, "U0BOB")) == 1 and _dms_to(world, AGENT) == []


def test_redelivered_and_concurrent_returns_make_one_escalation_and_one_dm(world):
    _resolve_first_escalation(world)
    world.clock.advance(timedelta(hours=2))
    cust = world.customers[CUSTOMER]
    back = world.driver.user_says(cust.channel, cust.user, ROUTINE, deliver=False)
    with cf.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: world.driver.post_json(back.envelope).status_code, range(6)))
    assert statuses == [200] * 6
    world.settle()
    world.driver.resend_as_new_event(back.envelope)  # same channel + ts under another event_id
    world.settle()
    world.sweep()  # the outbox's safety net runs anything left: still one DM
    assert len(escalations(world)) == 2
    assert len(_dms_to(world, AGENT)) == 1
    assert len(card_messages(world)) == 2


def test_an_unavailable_previous_handler_gets_no_dm_but_the_team_gets_the_card(world):
    _resolve_first_escalation(world)
    with world.slack._lock:  # the agent has left: Slack marks the account deactivated
        world.slack._users[AGENT]["deleted"] = True
    world.clock.advance(timedelta(hours=1))
    cust = world.customers[CUSTOMER]
    world.driver.user_says(cust.channel, cust.user, ROUTINE)
    world.settle()
    _, new = escalations(world)
    assert new.prefer_agent == AGENT and new.card_ts  # still a human's job: the team's card is posted
    assert _dms_to(world, AGENT) == []
    kinds = _kinds(world, new.id)
    assert "offer_skipped" in kinds and "routed_to_team" in kinds and "offered" not in kinds
    with session_scope(world.deps.db) as session:
        [skip] = [e for e in repo.timeline(session, new.id) if e.kind == "offer_skipped"]
    assert skip.detail == {
        "user": AGENT,
        "role": "previous_handler",
        "why": "not an active member of the workspace",
    }


def test_claimed_before_the_dm_runs_sends_no_dm(world):
    """The DM is an outbox effect: when someone has already claimed, it does nothing."""
    _resolve_first_escalation(world)
    world.slack.fail_next("conversations.open", error="internal_error")  # the first DM attempt fails
    world.clock.advance(timedelta(hours=1))
    cust = world.customers[CUSTOMER]
    world.driver.user_says(cust.channel, cust.user, ROUTINE)
    world.settle()
    _, new = escalations(world)
    assert _dms_to(world, AGENT) == []
    world.driver.click("U0BOB", new.card_ts, new.card_channel, Action.CLAIM.value)
    world.settle()
    world.clock.advance(timedelta(minutes=5))
    world.sweep()  # the retry finds the escalation claimed
    assert _dms_to(world, AGENT) == []
    assert escalations(world)[1].claimed_by == "U0BOB"


# ---------------------------------------------------------------- the rule itself (pure), and the policy


NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
SELF = Account(id="initech", tier="self-serve")


def _previous(hours_ago: float, resolved: bool = True, handler: str = "U0ALICE") -> Previous:
    opened = NOW - timedelta(hours=hours_ago)
    return Previous(7, opened, opened + timedelta(minutes=30) if resolved else None, handler)


@pytest.mark.parametrize(
    ("policy", "previous", "escalates", "prefer"),
    [
        ({}, _previous(3), True, "U0ALICE"),
        ({}, _previous(48), True, "U0ALICE"),  # the window's edge is inside
        ({}, _previous(48.01), False, ""),
        ({}, _previous(3, resolved=False), False, ""),  # still claimed: not a loop
        ({}, _previous(-1), False, ""),  # a clock that went backwards is no evidence
        ({}, None, False, ""),
        ({"cooling_period": {"enabled": False}}, _previous(3), False, ""),
        ({"cooling_period": {"params": {"hours": 2}}}, _previous(3), False, ""),
        ({"cooling_period": {"params": {"route_to_last_handler": False}}}, _previous(3), True, ""),
        ({"cooling_period": {"segments": ["enterprise"]}}, _previous(3), False, ""),
    ],
)
def test_the_loop_rule_follows_the_policy(policy, previous, escalates, prefer):
    config = parse_engine_config({"triggers": policy})
    d = back_to_human(Decision(escalate=False, category="account"), previous, SELF, NOW, config)
    assert d.escalate is escalates and d.prefer_agent == prefer
    if escalates:
        assert d.trigger_ids == ["cooling_period"] and d.category == "account" and d.urgency == "queued"


def test_the_loop_rule_never_changes_a_decision_that_escalates_and_takes_naive_times():
    config = parse_engine_config({})
    yes = Decision(escalate=True, category="legal", urgency="immediate")
    assert back_to_human(yes, _previous(3), SELF, NOW, config) is yes
    naive = Previous(7, datetime(2026, 11, 25, 12, 0), datetime(2026, 11, 25, 12, 30), "")
    d = back_to_human(Decision(escalate=False), naive, SELF, NOW, config)
    assert d.escalate and d.prefer_agent == "" and "resolved 2.5 h ago" in d.triggers[0].evidence[0].detail
    raised = parse_engine_config({"triggers": {"cooling_period": {"params": {"raise_urgency": True}}}})
    assert back_to_human(Decision(escalate=False), _previous(3), SELF, NOW, raised).urgency == "immediate"
