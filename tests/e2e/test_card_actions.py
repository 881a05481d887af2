"""End to end, through signed clicks and form submissions into the Bolt app and the local Slack: what an
agent can do on the card besides claiming. Claimer-only Release and Resolve, Take over (recorded),
Hand to another team (racing a claim both ways), internal notes, Reopen, Snooze.

Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
from datetime import timedelta
from typing import Any

from bot.cards import Action
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from storage.models import TimelineEvent
from tests.e2e.helpers import ACME, AGENT, card_messages, escalations, thread_texts

BOB = "U0BOB"
HUMAN = "This isn't working. I want to talk to a real person please"
QUEUED = "I want to cancel my subscription, it's too expensive for us"


def escalate(world: World, account: str = ACME, text: str = HUMAN) -> tuple[Any, str]:
    cust = world.customers[account]
    result = world.driver.user_says(cust.channel, cust.user, text)
    world.settle()
    [esc] = [e for e in escalations(world) if e.account_id == account]
    assert result.ts is not None
    return esc, result.ts


def click(world: World, user: str, action: Action) -> None:
    [esc] = escalations(world)
    assert world.driver.click(user, esc.card_ts, esc.card_channel, action.value).status_code == 200
    world.settle()


def told(world: World, user: str) -> list[str]:
    """What `user` was told privately (ephemeral answers to their clicks)."""
    return [e["text"] for e in world.slack.ephemerals if e.get("user") == user]


def timeline(world: World, kind: str) -> list[TimelineEvent]:
    [esc] = escalations(world)
    with session_scope(world.deps.db) as session:
        return [e for e in repo.timeline(session, esc.id) if e.kind == kind]


def card(world: World) -> str:
    [esc] = escalations(world)
    return json.dumps(world.slack.message(esc.card_channel, esc.card_ts))


def dms(world: World, user: str) -> list[str]:
    channel = world.slack.dm_channel(user)
    return [m["text"] for m in world.slack.bot_messages(channel)] if channel else []


def submit_last_view(world: World, user: str, values: dict[str, dict[str, Any]]) -> Any:
    view = world.slack.views[-1]
    resp = world.driver.submit_view(user, view["id"], values)
    world.settle()
    return resp


# ---------------------------------------------------------------- claimer-only, take over


def test_a_non_claimer_cannot_release_or_resolve(world):
    escalate(world)
    click(world, AGENT, Action.CLAIM)
    click(world, BOB, Action.RELEASE)
    click(world, BOB, Action.RESOLVE)
    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == AGENT
    assert world.slack.views == []  # no Resolve form for Bob
    refusals = told(world, BOB)
    assert len(refusals) == 2
    assert all(f"Only <@{AGENT}>, who claimed this escalation" in t and "Take over" in t for t in refusals)
    assert "can release it" in refusals[0] and "can resolve it" in refusals[1]
    assert timeline(world, "released") == [] and timeline(world, "resolved") == []


def test_taking_over_is_recorded_and_the_previous_claimer_told(world):
    esc, thread = escalate(world)
    click(world, AGENT, Action.CLAIM)
    assert "Take over" in card(world) and '"confirm"' in card(world)  # the button asks first
    world.clock.advance(timedelta(minutes=4))
    click(world, BOB, Action.TAKE_OVER)
    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == BOB
    [event] = timeline(world, "taken_over")
    assert event.actor == BOB and event.detail["previous"] == AGENT
    assert f"<@{BOB}>" in card(world) and f"Claimed* by <@{AGENT}>" not in card(world)
    assert any(f"<@{BOB}> took over the escalation for acme from you" in t for t in dms(world, AGENT))
    customer_thread = thread_texts(world, world.customers[ACME].channel, thread)
    assert any("bob from support has joined" in t for t in customer_thread)
    # Now Bob holds it: Alice's Resolve is refused, Bob's goes through.
    click(world, AGENT, Action.RESOLVE)
    assert world.slack.views == [] and any(f"Only <@{BOB}>" in t for t in told(world, AGENT))
    click(world, BOB, Action.TAKE_OVER)  # a second click (Slack retry, double click): nothing changes
    assert "It is already yours." in told(world, BOB)
    assert len(timeline(world, "taken_over")) == 1


def test_a_resolve_form_submitted_after_a_take_over_is_refused(world):
    escalate(world)
    click(world, AGENT, Action.CLAIM)
    click(world, AGENT, Action.RESOLVE)  # Alice opens the form...
    click(world, BOB, Action.TAKE_OVER)  # ...Bob takes it over meanwhile
    resp = submit_last_view(world, AGENT, {"resolution": {"note": "done"}, "needed": {"needed": "yes"}})
    assert resp.status_code == 200
    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == BOB
    assert any("Not resolved" in t and f"<@{BOB}>" in t for t in told(world, AGENT))


def test_resolve_tells_the_customer_in_their_thread(world):
    _, thread = escalate(world)
    click(world, AGENT, Action.CLAIM)
    click(world, AGENT, Action.RESOLVE)
    submit_last_view(world, AGENT, {"resolution": {"note": "Fixed"}, "needed": {"needed": "yes"}})
    texts = thread_texts(world, world.customers[ACME].channel, thread)
    assert any("marked this as resolved" in t for t in texts)
    assert len(timeline(world, "customer_told_resolved")) == 1


# ---------------------------------------------------------------- hand to another team


def hand_off(world: World, user: str, team: str, note: str = "It is a refund question") -> Any:
    click(world, user, Action.HAND_OFF)
    return submit_last_view(world, user, {"team": {"team": team}, "handoff_note": {"note": note}})


def test_hand_off_moves_the_escalation_to_the_new_team(world):
    esc, thread = escalate(world)
    assert esc.team == "support"
    old_channel, old_ts = esc.card_channel, esc.card_ts
    world.clock.advance(timedelta(minutes=2))
    hand_off(world, AGENT, "billing")
    [esc] = escalations(world)
    assert esc.team == "billing" and esc.status == "open"
    assert esc.card_channel == "C0BILLING" and esc.card_ts != old_ts
    assert esc.chain_started_at == world.clock.now() and esc.steps_done == 0  # the chain restarts there
    new = json.dumps(world.slack.message(esc.card_channel, esc.card_ts))
    assert "Handed over from team *support*" in new and "It is a refund question" in new
    assert Action.CLAIM.value in new and "@billing" in new
    old = json.dumps(world.slack.message(old_channel, old_ts))
    assert "Handed to team billing" in old and Action.CLAIM.value not in old
    texts = thread_texts(world, world.customers[ACME].channel, thread)
    assert any("passed your conversation to our billing team" in t for t in texts)
    [event] = timeline(world, "handed_off")
    assert event.detail["from_team"] == "support" and event.detail["to_team"] == "billing"
    assert len(timeline(world, "card_posted")) == 2
    # The same form submitted again (a retry, a double click): taken in once, nobody told otherwise.
    again = world.driver.submit_view(AGENT, world.slack.views[-1]["id"], {"team": {"team": "billing"}, "handoff_note": {"note": "It is a refund question"}})
    world.settle()
    assert again.status_code == 200 and len(timeline(world, "handed_off")) == 1
    assert not any("Not handed over" in t for t in told(world, AGENT))
    # The form refuses the team it is with, and an empty note.
    click(world, AGENT, Action.HAND_OFF)
    view = world.slack.views[-1]
    same = world.driver.submit_view(AGENT, view["id"], {"team": {"team": "legal"}, "handoff_note": {"note": " "}})
    assert "errors" in same.json()


def test_a_claim_before_the_hand_off_is_submitted_wins(world):
    """Bob opens the hand-off form on an unclaimed card; Alice claims; Bob submits: refused, and told why."""
    escalate(world)
    click(world, BOB, Action.HAND_OFF)
    click(world, AGENT, Action.CLAIM)
    resp = submit_last_view(world, BOB, {"team": {"team": "legal"}, "handoff_note": {"note": "legal's"}})
    assert resp.status_code == 200
    [esc] = escalations(world)
    assert esc.team == "support" and esc.status == "claimed" and esc.claimed_by == AGENT
    assert any("Not handed over" in t and f"<@{AGENT}> claimed it" in t for t in told(world, BOB))
    assert timeline(world, "handed_off") == [] and len(card_messages(world)) == 1


def test_a_claim_from_the_card_left_behind_is_refused(world):
    """The hand-off lands first; a stale Claim click on the old team's card (as Slack still showed it)
    does not claim the escalation for the old team."""
    esc, _ = escalate(world)
    stale = world.driver.block_actions_payload(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    hand_off(world, BOB, "legal")
    assert world.driver.post_form({"payload": json.dumps(stale)}).status_code == 200
    world.settle()
    [esc] = escalations(world)
    assert esc.team == "legal" and esc.status == "open" and esc.claimed_by == ""
    assert any("handed to team legal" in t for t in told(world, AGENT))


def test_a_hand_off_and_a_claim_at_once_one_wins(world):
    esc, _ = escalate(world)
    click(world, BOB, Action.HAND_OFF)
    view = world.slack.views[-1]
    claim = world.driver.block_actions_payload(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)

    def submit() -> int:
        values = {"team": {"team": "billing"}, "handoff_note": {"note": "theirs"}}
        return world.driver.submit_view(BOB, view["id"], values).status_code

    with cf.ThreadPoolExecutor(2) as pool:
        a = pool.submit(submit)
        b = pool.submit(lambda: world.driver.post_form({"payload": json.dumps(claim)}).status_code)
        assert a.result() == b.result() == 200
    world.settle()
    [esc] = escalations(world)
    handed, claimed = timeline(world, "handed_off"), timeline(world, "claimed")
    assert len(handed) + len(claimed) == 1
    if handed:
        assert esc.team == "billing" and esc.status == "open"
    else:
        assert esc.team == "support" and esc.claimed_by == AGENT


def test_only_the_claimer_hands_a_claimed_escalation_off(world):
    escalate(world)
    click(world, AGENT, Action.CLAIM)
    click(world, BOB, Action.HAND_OFF)
    assert world.slack.views == [] and any("can hand it to another team" in t for t in told(world, BOB))
    hand_off(world, AGENT, "legal")
    [esc] = escalations(world)
    assert esc.team == "legal" and esc.status == "open" and esc.claimed_by == ""


# ---------------------------------------------------------------- notes, reopen, snooze


def test_an_internal_note_goes_on_the_timeline_and_the_card_thread_once(world):
    esc, thread = escalate(world)
    click(world, BOB, Action.ADD_NOTE)
    view = world.slack.views[-1]
    for _ in range(2):  # submitted twice (a retry): one note
        world.driver.submit_view(BOB, view["id"], {"internal_note": {"note": "Customer is on the old plan"}})
        world.settle()
    [note] = timeline(world, "note_added")
    assert note.actor == BOB and note.detail["text"] == "Customer is on the old plan"
    replies = thread_texts(world, esc.card_channel, esc.card_ts)
    assert sum("Customer is on the old plan" in t for t in replies) == 1
    assert "1 internal note" in card(world)
    customer_thread = thread_texts(world, world.customers[ACME].channel, thread)
    assert not any("old plan" in t for t in customer_thread)


def test_reopen_within_the_window_and_not_after(world):
    escalate(world)
    click(world, AGENT, Action.CLAIM)
    click(world, AGENT, Action.RESOLVE)
    submit_last_view(world, AGENT, {"resolution": {"note": "Fixed"}, "needed": {"needed": "yes"}})
    world.clock.advance(timedelta(hours=3))
    [esc] = escalations(world)
    reopen = world.driver.block_actions_payload(BOB, esc.card_ts, esc.card_channel, Action.REOPEN.value)
    again = dict(reopen, trigger_id=world.slack.new_trigger_id(BOB))  # a double click on the same render
    for payload in (reopen, reopen, again):  # ...and a redelivery of the first (same trigger_id)
        world.driver.post_form({"payload": json.dumps(payload)})
        world.settle()
    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == BOB and esc.resolved_at is None
    assert len(timeline(world, "reopened")) == 1
    assert [t for t in told(world, BOB) if "not resolved" in t] == [
        f"This escalation is not resolved (claimed by <@{BOB}>): nothing to reopen."
    ]
    click(world, BOB, Action.RESOLVE)
    submit_last_view(world, BOB, {"resolution": {"note": "Fixed again"}, "needed": {"needed": "yes"}})
    assert len(timeline(world, "customer_told_resolved")) == 2
    world.clock.advance(timedelta(days=8))
    click(world, AGENT, Action.REOPEN)  # the card still shows the button it was last rendered with
    assert escalations(world)[0].status == "resolved"
    assert any("can no longer be reopened" in t for t in told(world, AGENT))


def test_snooze_a_queued_escalation_until_a_time(world):
    esc, _ = escalate(world, "initech", QUEUED)
    assert esc.urgency == "queued" and Action.SNOOZE.value in card(world)
    until = world.clock.now() + timedelta(hours=3)
    click(world, AGENT, Action.SNOOZE)
    past = submit_last_view(world, AGENT, {"until": {"until": {"selected_date_time": int(world.clock.now().timestamp()) - 60}}})
    assert "errors" in past.json()
    submit_last_view(world, AGENT, {"until": {"until": {"selected_date_time": int(until.timestamp())}}})
    [esc] = escalations(world)
    assert esc.status == "snoozed" and esc.snoozed_until == until and esc.next_step_at is None
    assert "Snoozed" in card(world)
    world.advance_to(until - timedelta(seconds=15))
    assert timeline(world, "reminded") == [] and escalations(world)[0].status == "snoozed"
    world.advance_to(until + timedelta(seconds=15))
    [esc] = escalations(world)
    assert esc.status == "open" and esc.next_step_at is not None and esc.next_step_at > until
    [woken] = timeline(world, "woken")
    assert woken.detail["why"] == "the snooze ended"
    assert any("Back in the queue" in t for t in thread_texts(world, esc.card_channel, esc.card_ts))


def test_a_customer_message_wakes_a_snoozed_escalation_and_immediate_ones_cannot_snooze(world):
    esc, thread = escalate(world, "initech", QUEUED)
    click(world, AGENT, Action.SNOOZE)
    until = world.clock.now() + timedelta(days=1)
    submit_last_view(world, AGENT, {"until": {"until": {"selected_date_time": int(until.timestamp())}}})
    assert escalations(world)[0].status == "snoozed"
    cust = world.customers["initech"]
    world.clock.advance(timedelta(minutes=30))
    world.driver.user_says(cust.channel, cust.user, "Any news on this?", thread_ts=thread)
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "open" and timeline(world, "woken")[0].detail["why"] == "the customer wrote again"
    other, _ = escalate(world)
    assert other.urgency == "immediate"
    assert Action.SNOOZE.value not in json.dumps(world.slack.message(other.card_channel, other.card_ts))
