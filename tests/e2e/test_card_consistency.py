"""The card ends up showing the stored state, even when renders race or the card is gone."""

from __future__ import annotations

import json
from datetime import timedelta

from bot import cards
from bot.cards import Action
from bot.flows import render
from storage import repo
from storage.db import session_scope
from storage.models import Escalation
from tests.e2e.helpers import ACME, AGENT, escalations

HUMAN = "This isn't working. I want to talk to a real person please"


def _body(world) -> str:
    [esc] = escalations(world)
    return json.dumps(world.slack.message(esc.card_channel, esc.card_ts)["blocks"])


def test_a_stale_render_landing_last_is_repaired_by_the_next_sweep(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    # A sweep reads the open state (version v) and is slow to send it ...
    with session_scope(world.deps.db) as session:
        row = session.get(Escalation, esc.id)
        stale_version = row.card_version
        stale = cards.build_card(render.card_view(session, world.deps, row))
    # ... meanwhile a Claim lands and its update shows the claimed card ...
    world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    world.settle()
    assert Action.RESOLVE.value in _body(world)
    # ... then the slow, stale update lands last.
    world.deps.slack.chat_update(
        channel=esc.card_channel, ts=esc.card_ts, text=stale["text"], blocks=stale["blocks"]
    )
    with session_scope(world.deps.db) as session:
        assert not repo.mark_card_rendered(session, esc.id, world.clock.now(), stale_version)
    assert Action.CLAIM.value in _body(world)  # wrong for now, but still dirty:
    [esc] = escalations(world)
    assert esc.card_dirty
    world.clock.advance(timedelta(seconds=30))
    world.sweep()
    assert Action.RESOLVE.value in _body(world) and Action.CLAIM.value not in _body(world)
    assert not escalations(world)[0].card_dirty


def test_a_card_deleted_in_slack_stops_being_refreshed(world):
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    world.deps.slack.chat_delete(channel=esc.card_channel, ts=esc.card_ts)
    with session_scope(world.deps.db) as session:
        repo.card_changed(session.get(Escalation, esc.id))
    world.clock.advance(timedelta(seconds=30))
    world.sweep()
    [esc] = escalations(world)
    assert not esc.card_dirty
    with session_scope(world.deps.db) as session:
        assert [e.detail["error"] for e in repo.timeline(session, esc.id) if e.kind == "card_lost"] == [
            "message_not_found"
        ]
