"""End to end: signed request -> Bolt -> flows -> database -> Web API calls into the local Slack.

Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from datetime import timedelta

import httpx
import pytest

from bot.cards import Action
from storage import repo
from storage.db import session_scope
from storage.models import Escalation, Message
from tests.e2e.helpers import ACME, AGENT, card_messages, escalations, thread_texts

HUMAN = "This isn't working. I want to talk to a real person please"


def test_escalation_card_claim_and_customer_notes(world):
    cust = world.customers[ACME]
    result = world.driver.user_says(cust.channel, cust.user, HUMAN)
    assert result.status == 200
    world.settle()

    [esc] = escalations(world)
    assert esc.status == "open" and esc.urgency == "immediate"
    assert "human_request" in [t["id"] for t in esc.triggers]
    cards = card_messages(world, esc.card_channel)
    assert len(cards) == 1 and cards[0]["ts"] == esc.card_ts
    card_json = json.dumps(cards[0]["blocks"])
    assert Action.CLAIM.value in card_json and "real person" in card_json

    texts = thread_texts(world, cust.channel, result.ts)
    assert any("won't need to repeat yourself" in t for t in texts)

    world.clock.advance(timedelta(minutes=3))
    resp = world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    assert resp.status_code == 200
    world.settle()

    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == AGENT
    assert (esc.claimed_at - esc.opened_at) == timedelta(minutes=3)
    updated = world.slack.message(esc.card_channel, esc.card_ts)
    body = json.dumps(updated["blocks"])
    assert "Claimed" in body and f"<@{AGENT}>" in body and "3m" in body
    assert Action.CLAIM.value not in body and Action.RESOLVE.value in body
    assert any(f"alice from {esc.team} has joined" in t for t in thread_texts(world, cust.channel, result.ts))


def test_routine_question_does_not_escalate(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, "How do I change the shipping address on my order?")
    world.settle()
    assert escalations(world) == []
    assert world.slack.calls_to("chat.postMessage") == []


def test_forged_and_stale_signatures_are_rejected(world):
    cust = world.customers[ACME]
    result = world.driver.user_says(cust.channel, cust.user, HUMAN, deliver=False)
    body = json.dumps(result.envelope)
    now = int(time.time())
    forged = {
        "X-Slack-Signature": "v0=" + "0" * 64,
        "X-Slack-Request-Timestamp": str(now),
        "Content-Type": "application/json",
    }
    assert httpx.post(world.driver.target_url, content=body, headers=forged).status_code == 401
    stale = world.driver.post_json(result.envelope, timestamp=now - 330)  # margin: a slow request takes seconds
    assert stale.status_code == 401
    future = world.driver.post_json(result.envelope, timestamp=now + 330)
    assert future.status_code == 401
    world.settle()
    assert escalations(world) == []


def test_duplicate_and_retried_deliveries_make_one_escalation(world):
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    again = world.driver.redeliver(first.envelope)  # the same event_id
    other = world.driver.resend_as_new_event(first.envelope)  # same channel + ts, new event_id
    mention = world.driver.resend_as_new_event(first.envelope, event_type="app_mention")
    assert again.status == other.status == mention.status == 200
    world.settle()
    assert len(escalations(world)) == 1
    with session_scope(world.deps.db) as session:
        assert len(list(session.exec(repo.select(Message)))) == 1
    assert len(card_messages(world)) == 1


def test_concurrent_duplicate_deliveries_make_one_escalation(world):
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN, deliver=False)
    with cf.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: world.driver.post_json(first.envelope).status_code, range(8)))
    assert statuses == [200] * 8
    world.settle()
    assert len(escalations(world)) == 1
    assert len(card_messages(world)) == 1


def test_new_reasons_go_onto_the_same_card(world):
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    world.clock.advance(timedelta(seconds=30))
    world.driver.user_says(
        cust.channel, cust.user, "Also my lawyer says we will sue you over this", thread_ts=first.ts
    )
    world.settle()
    [esc] = escalations(world)
    ids = [t["id"] for t in esc.triggers]
    assert "human_request" in ids and "legal" in ids
    assert len(card_messages(world)) == 1
    assert "legal" in json.dumps(world.slack.message(esc.card_channel, esc.card_ts)["blocks"])


def test_twenty_concurrent_claims_one_winner(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    agents = [f"U0AGENT{i:02d}" for i in range(20)]
    for a in agents:
        world.slack.add_user(a, f"agent{a[-2:]}")

    # Slack is slow to show the new card: every agent still sees (and clicks) the Claim button.
    world.slack.fail_next("chat.update", "internal_error", count=50)

    def click(agent: str) -> int:
        return world.driver.click(agent, esc.card_ts, esc.card_channel, Action.CLAIM.value).status_code

    with cf.ThreadPoolExecutor(20) as pool:
        assert list(pool.map(click, agents)) == [200] * 20
    world.settle()
    world.slack.disable_rate_limits()
    world.slack.clear_failures()  # Slack recovers
    world.clock.advance(timedelta(minutes=5))
    world.sweep()
    [esc] = escalations(world)
    assert f"<@{esc.claimed_by}>" in json.dumps(world.slack.message(esc.card_channel, esc.card_ts)["blocks"])
    assert esc.claimed_by in agents
    refusals = [e for e in world.slack.ephemerals if "Already claimed by" in e.get("text", "")]
    assert len(refusals) == 19
    assert all(f"<@{esc.claimed_by}>" in e["text"] for e in refusals)
    with session_scope(world.deps.db) as session:
        claims = [e for e in repo.timeline(session, esc.id) if e.kind == "claimed"]
    assert len(claims) == 1


def test_external_user_cannot_claim(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    world.slack.add_member(esc.card_channel, cust.user)
    resp = world.driver.click(cust.user, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    assert resp.status_code == 200
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "open" and esc.claimed_by == ""
    assert any("only the support team" in e.get("text", "") for e in world.slack.ephemerals)


def test_agent_reply_in_thread_counts_as_claim(world):
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    world.clock.advance(timedelta(minutes=2))
    world.driver.user_says(cust.channel, AGENT, "Hi, Alice here, looking at it now", thread_ts=first.ts)
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == AGENT


def test_resolve_with_a_note_and_release(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    world.settle()
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RELEASE.value)
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "open" and esc.claimed_by == ""
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    world.settle()
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RESOLVE.value)
    world.settle()
    view = world.slack.views[-1]
    empty = world.driver.submit_view(AGENT, view["id"], {"resolution": {"note": "   "}})
    assert empty.status_code == 200 and "errors" in empty.json()
    ok = world.driver.submit_view(
        AGENT, view["id"], {"resolution": {"note": "Refunded the duplicate charge."}}
    )
    assert ok.status_code == 200
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "resolved" and esc.resolution_note == "Refunded the duplicate charge."
    body = json.dumps(world.slack.message(esc.card_channel, esc.card_ts)["blocks"])
    assert "Resolved" in body
    assert not any(a.value in body for a in (Action.CLAIM, Action.RESOLVE, Action.RELEASE))
    assert Action.TRANSCRIPT.value in body  # the transcript stays one click away
    assert Action.REOPEN.value in body  # within the policy's reopen window


def test_ignores_own_bot_other_bots_and_non_content_subtypes(world):
    cust = world.customers[ACME]
    for subtype in ("channel_join", "message_changed", "message_deleted", "bot_message"):
        world.driver.user_says(cust.channel, cust.user, HUMAN, subtype=subtype)
    world.settle()
    assert escalations(world) == []


def test_non_customer_channel_is_ignored(world):
    world.slack.add_channel("C0RANDOM", "random")
    world.driver.user_says("C0RANDOM", AGENT, HUMAN)
    world.settle()
    assert escalations(world) == []


def test_card_survives_hostile_input(world):
    """40,000 characters, 300 messages, emoji and mrkdwn injection: Slack still accepts the card."""
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, "hello there")
    for i in range(300):
        world.driver.user_says(
            cust.channel, cust.user, f"message {i} 😀" * 3, thread_ts=first.ts, deliver=False
        )
    hostile = "<!channel> <@U0ALICE> <https://evil.example|click me> " + "🔥" * 2000 + "x" * 40_000
    world.driver.user_says(
        cust.channel, cust.user, hostile + " I want to speak to a human", thread_ts=first.ts
    )
    world.settle()
    [esc] = escalations(world)
    assert esc.card_ts, "the card was posted: the stand-in accepted its blocks"
    card = world.slack.message(esc.card_channel, esc.card_ts)
    assert len(card["blocks"]) <= 50
    raw = json.dumps(card)
    assert "<!channel>" not in raw and "<https://evil.example|" not in raw
    assert "&lt;!channel&gt;" in raw


def test_internal_card_never_goes_to_a_shared_channel(world_factory):
    from dataclasses import replace

    from bot.policy import load_policy

    base = load_policy(None)
    teams = dict(base.teams)
    teams["billing"] = replace(teams["billing"], channel="C0ACME")  # a mistake: the customer's channel
    w = world_factory(policy=replace(base, teams=teams))
    cust = w.customers[ACME]
    w.driver.user_says(
        cust.channel, cust.user, "I was charged twice, I want a refund. Let me talk to a person"
    )
    w.settle()
    [esc] = escalations(w)
    assert esc.card_channel == base.teams["support"].channel
    assert card_messages(w, "C0ACME") == []


def test_slack_outage_delays_the_card_but_never_drops_it(world):
    cust = world.customers[ACME]
    world.slack.fail_next("chat.postMessage", "ratelimited", count=2, retry_after=1)
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    assert esc.card_ts == ""
    for _ in range(4):
        world.clock.advance(timedelta(seconds=30))
        world.sweep()
    [esc] = escalations(world)
    assert esc.card_ts and len(card_messages(world)) == 1
    with session_scope(world.deps.db) as session:
        kinds = [e.kind for e in repo.timeline(session, esc.id)]
    assert "effect_failed" in kinds and "card_posted" in kinds


def test_url_verification_and_healthz(world):
    resp = world.driver.url_verification("abc123")
    assert resp.status_code == 200 and "abc123" in resp.text
    health = httpx.get(f"{world.server.url}/healthz")
    assert health.status_code == 200 and health.json()["ok"] is True
    assert httpx.get(f"{world.server.url}/nope").status_code == 404


def test_escalations_command_lists_open_escalations(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    resp = world.driver.slash(AGENT, "C0SUPPORT", "/escalations", "")
    assert resp.status_code == 200
    world.settle()
    text = json.dumps(resp.json() if resp.content else {}) + json.dumps(world.slack.calls)
    assert "active escalation" in text


@pytest.mark.parametrize("restart_at", ["after_record"])
def test_restart_keeps_state(world_factory, restart_at):
    """A new app instance on the same database picks up where the old one stopped."""
    w = world_factory()
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    with session_scope(w.deps.db) as session:
        assert len(list(session.exec(repo.select(Escalation)))) == 1


def test_oncall_command_names_who_is_on_call(world_factory):
    from bot.policy import load_policy_text

    policy = load_policy_text(
        """
version: 1
workspace: {ai_bot_users: [U0AIAGENT]}
teams:
  support:
    channel: C0SUPPORT
    oncall: {provider: rotation, start: "2026-11-02T09:00:00-05:00", handoff: weekly, users: [U0ALICE, U0BOB]}
  billing:
    channel: C0BILLING
    categories: [billing]
"""
    )
    w = world_factory(policy=policy)
    resp = w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "oncall")
    assert resp.status_code == 200
    w.settle()
    [answer] = [e for e in w.slack.ephemerals if "On call now" in e.get("text", "")]
    # 2026-11-23 is the fourth week after the rotation started on 2026-11-02: U0ALICE, U0BOB, U0ALICE, U0BOB
    assert "*support* (rotation): <@U0BOB>" in answer["text"]
    assert "*billing* (none): _nobody_" in answer["text"]
    w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "dance")
    w.settle()
    assert any("I don't know `dance`" in e.get("text", "") for e in w.slack.ephemerals)


def test_app_home_shows_open_escalations(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    envelope = world.driver.envelope_for(cust.channel, world.slack.messages(cust.channel)[0]["ts"])
    envelope["event"] = {
        "type": "app_home_opened",
        "user": AGENT,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1.0",
    }
    assert world.driver.deliver_event(envelope).status == 200
    world.settle()
    home = world.slack.home_views[AGENT]
    assert "1 active escalation" in json.dumps(home)
    # this week's headline numbers: one escalation out of one watched conversation, not picked up yet
    assert "Last 7 days" in json.dumps(home) and "100.0% (1 of 1 conversations)" in json.dumps(home)
