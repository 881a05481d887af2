"""Claim, take-over, release, resolve and reopen in Slack, reflected in Intercom and Zendesk, end to
end: a signed webhook opens the escalation, signed clicks on the card change hands, and the stand-ins
show the assignee and the status the real services would (PLATFORM-FACTS; bot/flows/helpdesk_adapters.py).
Who a Slack user is there: found by their Slack email, or configured. Runs on SQLite, and on
PostgreSQL when DATABASE_URL points at one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.cards import Action
from bot.sandbox.helpdesks import IntercomStandIn, ZendeskStandIn
from bot.sandbox.world import World
from tests.e2e.helpers import ACME, AGENT, escalations

BOB = "U0BOB"
HUMAN = "This is useless, I want to talk to a real person right now"


def _webhook(world: World, path: str, payload: dict[str, Any], sign: Any) -> None:
    assert world.server is not None
    raw = json.dumps(payload).encode()
    resp = httpx.post(world.server.url + path, content=raw, headers={"Content-Type": "application/json", **sign(raw)}, timeout=10)
    assert resp.status_code == 200, resp.text
    world.settle()


def _click(world: World, user: str, action: Action) -> None:
    [esc] = escalations(world)
    assert world.driver is not None
    assert world.driver.click(user, esc.card_ts, esc.card_channel, action.value).status_code == 200
    world.settle()


def _resolve(world: World, user: str, note: str = "Refunded") -> None:
    _click(world, user, Action.RESOLVE)
    view = world.slack.views[-1]
    assert world.driver is not None
    world.driver.submit_view(user, view["id"], {"resolution": {"note": note}, "needed": {"needed": "yes"}})
    world.settle()


def _notes(conv: dict[str, Any]) -> list[str]:
    return [p["body"] for p in conv["parts"] if p.get("part_type") == "note"]


@pytest.fixture
def hd_world(world_factory: Any) -> World:
    return world_factory(helpdesks=True)


def test_intercom_follows_claim_take_over_release_resolve_and_reopen(hd_world):
    w = hd_world
    assert w.intercom is not None
    _webhook(w, "/webhooks/intercom", IntercomStandIn.notification(
        "conversation.user.created", "ic-1", notification_id="n1", text=HUMAN, account=ACME), IntercomStandIn.sign)  # fmt: skip
    [esc] = escalations(w)
    conv = w.intercom.conversation("ic-1")
    assert conv["team"] == f"team-{esc.team}" and conv["assignee"] is None

    _click(w, AGENT, Action.CLAIM)
    assert w.intercom.conversation("ic-1")["assignee"] == f"ic-{AGENT}"  # alice, found by her Slack email
    assert any("alice claimed this in Slack" in n for n in _notes(w.intercom.conversation("ic-1")))
    admin_lookups = [r for r in w.intercom.log() if r["method"] == "GET" and r["url"].endswith("/admins")]
    assert len(admin_lookups) == 1

    _click(w, BOB, Action.TAKE_OVER)
    assert w.intercom.conversation("ic-1")["assignee"] == f"ic-{BOB}"

    _click(w, BOB, Action.RELEASE)
    conv = w.intercom.conversation("ic-1")
    assert conv["assignee"] is None and conv["team"] == f"team-{esc.team}"  # back to the team
    assert any("released this in Slack" in n for n in _notes(conv))

    _click(w, AGENT, Action.CLAIM)
    _resolve(w, AGENT)
    conv = w.intercom.conversation("ic-1")
    assert conv["state"] == "closed"
    assert any("Resolved in Slack by alice: Refunded" in n for n in _notes(conv))

    _click(w, BOB, Action.REOPEN)
    conv = w.intercom.conversation("ic-1")
    assert conv["state"] == "open" and conv["assignee"] == f"ic-{BOB}"
    assert any("bob reopened this in Slack" in n for n in _notes(conv))


def test_a_configured_intercom_admin_wins_over_the_email(world_factory):
    w = world_factory(helpdesks=True, extra_settings={"BATON_INTERCOM_ADMINS": f"{AGENT}=5550001"})
    assert w.intercom is not None
    w.intercom.add_admin("5550001", "Alice (support)", "alice.support@ourteam.example")
    _webhook(w, "/webhooks/intercom", IntercomStandIn.notification(
        "conversation.user.created", "ic-2", notification_id="n2", text=HUMAN, account=ACME), IntercomStandIn.sign)  # fmt: skip
    _click(w, AGENT, Action.CLAIM)
    assert w.intercom.conversation("ic-2")["assignee"] == "5550001"
    assert not [r for r in w.intercom.log() if r["method"] == "GET"]  # no lookup needed


def test_zendesk_follows_claim_resolve_and_reopen(hd_world):
    w = hd_world
    assert w.zendesk is not None
    _webhook(w, "/webhooks/zendesk", ZendeskStandIn.event("created", "501", event_id="ev-1", text=HUMAN, organization=ACME),
             ZendeskStandIn.sign)  # fmt: skip
    alice = w.zendesk.agents["alice@ourteam.example"]
    _click(w, AGENT, Action.CLAIM)
    ticket = w.zendesk.ticket("501")
    assert ticket["assignee_id"] == alice and ticket["status"] == "open"
    searches = [r["url"] for r in w.zendesk.log() if "/users/search" in r["url"]]
    assert searches and "query=email:alice@ourteam.example" in searches[0]

    _click(w, AGENT, Action.RELEASE)
    assert w.zendesk.ticket("501")["assignee_id"] is None
    assert "baton_released" in w.zendesk.ticket("501")["tags"]

    _click(w, AGENT, Action.CLAIM)
    _resolve(w, AGENT)
    ticket = w.zendesk.ticket("501")
    assert ticket["status"] == "solved" and ticket["assignee_id"] == alice
    assert any("Resolved in Slack by alice: Refunded" in c["body"] and not c["public"] for c in ticket["comments"])

    _click(w, BOB, Action.REOPEN)
    ticket = w.zendesk.ticket("501")
    assert ticket["status"] == "open" and ticket["assignee_id"] == w.zendesk.agents["bob@ourteam.example"]


def test_an_unmapped_zendesk_agent_is_noted_and_an_unassigned_ticket_is_not_solved(hd_world):
    w = hd_world
    assert w.zendesk is not None
    w.zendesk.agents.clear()  # nobody of ours is a Zendesk agent with the same email
    _webhook(w, "/webhooks/zendesk", ZendeskStandIn.event("created", "502", event_id="ev-2", text=HUMAN, organization=ACME),
             ZendeskStandIn.sign)  # fmt: skip
    _click(w, AGENT, Action.CLAIM)
    ticket = w.zendesk.ticket("502")
    assert ticket["assignee_id"] is None
    assert any("not assigned: no Zendesk agent" in c["body"] for c in ticket["comments"])
    _resolve(w, AGENT)
    ticket = w.zendesk.ticket("502")
    assert ticket["status"] != "solved"  # Zendesk refuses to solve an unassigned ticket (422)...
    assert any("Resolved in Slack by alice" in c["body"] and "not set solved" in c["body"] for c in ticket["comments"])
    assert "baton_resolved" in ticket["tags"]  # ...so the note and the tag go without the status


def test_a_helpdesk_down_during_a_claim_gets_the_assignment_later(hd_world):
    w = hd_world
    assert w.intercom is not None
    _webhook(w, "/webhooks/intercom", IntercomStandIn.notification(
        "conversation.user.created", "ic-3", notification_id="n3", text=HUMAN, account=ACME), IntercomStandIn.sign)  # fmt: skip
    w.intercom.fail_next(503, count=2)  # the admins lookup, then its retry
    _click(w, AGENT, Action.CLAIM)
    assert w.intercom.conversation("ic-3")["assignee"] is None
    w.advance_to(w.clock.now() + timedelta(minutes=5))
    conv = w.intercom.conversation("ic-3")
    assert conv["assignee"] == f"ic-{AGENT}"
    assert sum("alice claimed this in Slack" in n for n in _notes(conv)) == 1  # once, not per attempt
