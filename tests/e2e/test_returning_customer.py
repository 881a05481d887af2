"""End to end: a customer who writes again. After a resolve, within the cooling period, their message goes
to the person who resolved it (with Reopen); a new thread while their escalation is open is linked to it
(the card says so, the claimer is told, the AI agent is told to stand back there), not left with the AI.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.cards import Action
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from tests.e2e.helpers import ACME, AGENT, escalations

HUMAN = "This isn't working. I want to talk to a real person please"


def open_and_claim(world: World) -> tuple[Any, str]:
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    world.settle()
    assert first.ts is not None
    return esc, first.ts


def resolve(world: World, esc: Any) -> None:
    world.clock.advance(timedelta(minutes=10))
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RESOLVE.value)
    world.settle()
    view = world.slack.views[-1]
    world.driver.submit_view(AGENT, view["id"], {"resolution": {"note": "Fixed"}, "needed": {"needed": "yes"}})
    world.settle()


def dms(world: World, user: str) -> list[dict[str, Any]]:
    channel = world.slack.dm_channel(user)
    return world.slack.bot_messages(channel) if channel else []


def kinds(world: World, esc_id: int) -> list[str]:
    with session_scope(world.deps.db) as session:
        return [e.kind for e in repo.timeline(session, esc_id)]


def test_a_message_after_the_resolve_goes_to_who_resolved_it(world):
    esc, thread = open_and_claim(world)
    resolve(world, esc)
    world.clock.advance(timedelta(hours=2))
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, "Thanks, one more small thing about the export", thread_ts=thread)
    world.settle()
    assert len(escalations(world)) == 1  # not a new escalation, and not only the AI's either
    assert "came_back" in kinds(world, esc.id)
    [dm] = [m for m in dms(world, AGENT) if "wrote again" in m.get("text", "")]
    assert "one more small thing about the export" in json.dumps(dm["blocks"])
    # Reopen right from the DM.
    world.driver.click(AGENT, dm["ts"], str(world.slack.dm_channel(AGENT)), Action.REOPEN.value)
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == AGENT and "reopened" in kinds(world, esc.id)


def test_a_message_that_escalates_again_goes_to_the_same_person_first(world):
    esc, thread = open_and_claim(world)
    resolve(world, esc)
    world.clock.advance(timedelta(hours=2))
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, "Still broken. I need to talk to a real person again", thread_ts=thread)
    world.settle()
    again = escalations(world)[-1]
    assert again.id != esc.id and again.prefer_agent == AGENT
    with session_scope(world.deps.db) as session:  # the first offer (a DM with the card) is theirs
        offers = [e for e in repo.timeline(session, again.id) if e.kind in ("offered", "previous_handler_dm")]
    assert offers and AGENT in json.dumps(offers[0].detail)


def test_a_new_thread_while_the_escalation_is_open_is_linked_to_it(world):
    esc, first = open_and_claim(world)
    cust = world.customers[ACME]
    world.clock.advance(timedelta(minutes=5))
    second = world.driver.user_says(cust.channel, cust.user, "Also, the invoice PDF for November is missing")
    world.settle()
    assert len(escalations(world)) == 1
    assert "linked_thread" in kinds(world, esc.id)
    card = json.dumps(world.slack.message(esc.card_channel, esc.card_ts))
    assert "also wrote in 1 other thread" in card
    [notice] = [m for m in dms(world, AGENT) if "opened another thread" in m.get("text", "")]
    assert "invoice PDF for November" in notice["text"]
    told = [m for m in world.slack.thread(cust.channel, second.ts) if m.get("bot_id")]
    assert len(told) == 1 and "already have an open request" in told[0]["text"]
    assert told[0]["metadata"]["event_payload"]["state"] == "human"  # the AI agent stands back there
    # A later message there follows the escalation too.
    world.driver.user_says(cust.channel, cust.user, "It is for account 4411", thread_ts=second.ts)
    world.settle()
    assert any("account 4411" in m.get("text", "") for m in dms(world, AGENT))
    assert len(escalations(world)) == 1
    # Once it is resolved, that thread is the customer's own again.
    resolve(world, esc)
    world.clock.advance(timedelta(minutes=5))
    world.driver.user_says(cust.channel, cust.user, HUMAN, thread_ts=second.ts)
    world.settle()
    assert len(escalations(world)) == 2 and escalations(world)[1].status == "open"


def test_another_person_of_the_same_customer_is_not_linked(world):
    esc, _ = open_and_claim(world)
    cust = world.customers[ACME]
    colleague = "U0CUST999"
    world.slack.add_user(colleague, "acme-colleague", cust.team)
    world.driver.user_says(cust.channel, colleague, HUMAN)
    world.settle()
    assert len(escalations(world)) == 2
    assert "linked_thread" not in kinds(world, esc.id)
