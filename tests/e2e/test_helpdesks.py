"""Intercom and Zendesk both ways, over real HTTP: a signed webhook -> the inbox -> the decision -> the card
in the local Slack -> Claim / Release -> the helpdesk stand-in updated and the customer answered there;
forged, stale and replayed webhooks; a helpdesk that is down."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.cards import Action
from bot.sandbox.helpdesks import IntercomStandIn, ZendeskStandIn
from bot.sandbox.world import World
from storage import inbox as store
from storage.db import session_scope
from tests.e2e.helpers import ACME, AGENT, card_messages, escalations

HUMAN = "This is useless, I want to talk to a real person right now"


@pytest.fixture
def hd_world(world_factory: Any) -> World:
    return world_factory(helpdesks=True)


def post(world: World, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    assert world.server is not None
    return httpx.post(
        world.server.url + path,
        content=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=10,
    )


def intercom(world: World, payload: dict[str, Any], *, forge: bool = False) -> httpx.Response:
    raw = json.dumps(payload).encode()
    headers = IntercomStandIn.sign(raw, "wrong-secret" if forge else "intercom-client-secret")
    return post(world, "/webhooks/intercom", raw, headers)


def zendesk(
    world: World, payload: dict[str, Any], *, at: datetime | None = None, forge: bool = False
) -> httpx.Response:
    raw = json.dumps(payload).encode()
    headers = ZendeskStandIn.sign(raw, "wrong-secret" if forge else "zendesk-webhook-secret", at=at)
    return post(world, "/webhooks/zendesk", raw, headers)


def inbox_keys(world: World) -> list[str]:
    with session_scope(world.deps.db) as s:
        return [k for k in store.keys(s) if k.startswith(("intercom:", "zendesk:"))]


def test_an_intercom_conversation_is_handed_off_assigned_noted_and_answered(hd_world):
    w = hd_world
    assert w.intercom is not None
    created = IntercomStandIn.notification(
        "conversation.user.created",
        "ic-1",
        notification_id="notif-1",
        text="Hi, my invoice is wrong",
        account=ACME,
    )
    assert intercom(w, created).status_code == 200
    reply = IntercomStandIn.notification(
        "conversation.user.replied", "ic-1", notification_id="notif-2", text=HUMAN, account=ACME, part_id="p2"
    )
    assert intercom(w, reply).status_code == 200
    assert intercom(w, reply).json()["duplicate"] is True  # Intercom redelivers: stored once
    w.settle()

    (esc,) = escalations(w)
    assert esc.account_id == ACME
    (card,) = card_messages(w)
    conv = w.intercom.conversation("ic-1")
    assert conv["team"] == f"team-{esc.team}"  # assigned to the routed team's Intercom team
    notes = [p for p in conv["parts"] if p.get("part_type") == "note"]
    assert notes and "Card in Slack:" in notes[0]["body"] and "Recommended next actions" in notes[0]["body"]
    comments = [p for p in conv["parts"] if p.get("part_type") == "comment"]
    assert comments, "the customer hears the transition message through Intercom"

    # Baton's own reply comes back as a webhook: not recorded as an agent message, no claim.
    own = IntercomStandIn.notification(
        "conversation.admin.replied", "ic-1", notification_id="notif-3", text=comments[0]["body"],
        author_type="admin", author_id="814860", account=ACME, part_id="p3",
    )  # fmt: skip
    assert intercom(w, own).json()["taken"] == 0

    assert w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value).status_code == 200
    w.settle()
    notes = [p["body"] for p in w.intercom.conversation("ic-1")["parts"] if p.get("part_type") == "note"]
    assert any("alice claimed this in Slack" in n for n in notes)
    joined = [p["body"] for p in w.intercom.conversation("ic-1")["parts"] if p.get("part_type") == "comment"]
    assert len(joined) == 2 and "alice" in joined[1]  # "someone joined", in Intercom

    card = w.slack.message(esc.card_channel, esc.card_ts)
    assert card is not None
    assert w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RELEASE.value).status_code == 200
    w.settle()
    notes = [p["body"] for p in w.intercom.conversation("ic-1")["parts"] if p.get("part_type") == "note"]
    assert any("released this in Slack" in n for n in notes)
    assert all(r["url"].startswith(w.intercom.url) for r in w.intercom.log())


def test_forged_intercom_webhooks_change_nothing(hd_world):
    w = hd_world
    created = IntercomStandIn.notification(
        "conversation.user.created", "ic-9", notification_id="n9", text=HUMAN
    )
    forged = intercom(w, created, forge=True)
    assert forged.status_code == 401
    unsigned = post(w, "/webhooks/intercom", json.dumps(created).encode(), {})
    assert unsigned.status_code == 401
    raw = json.dumps(created).encode()
    tampered = post(w, "/webhooks/intercom", raw + b" ", IntercomStandIn.sign(raw))
    assert tampered.status_code == 401
    assert post(w, "/webhooks/intercom", b"{", IntercomStandIn.sign(b"{")).status_code == 400
    ping = {"type": "notification_event", "id": "n-ping", "topic": "ping", "data": {"item": {}}}
    assert intercom(w, ping).json()["taken"] == 0
    w.settle()
    assert inbox_keys(w) == [] and escalations(w) == []


def test_a_zendesk_ticket_is_updated_on_handoff_and_stale_or_forged_events_are_refused(hd_world):
    w = hd_world
    assert w.zendesk is not None
    created = ZendeskStandIn.event("created", "501", event_id="ev-1", text=HUMAN, organization=ACME)
    assert zendesk(w, created, forge=True).status_code == 401
    stale = zendesk(w, created, at=datetime.now(UTC) - timedelta(minutes=6))
    assert stale.status_code == 401 and "stale" in stale.json()["error"]
    w.settle()
    assert inbox_keys(w) == []

    assert zendesk(w, created).status_code == 200
    assert zendesk(w, created).json()["duplicate"] is True
    w.settle()
    (esc,) = escalations(w)
    ticket = w.zendesk.ticket("501")
    assert ticket["priority"] in ("urgent", "high")
    assert isinstance(ticket["group_id"], int)
    assert {"baton", "baton_handoff", f"baton_{esc.category}"} <= set(ticket["tags"])
    internal = [c for c in ticket["comments"] if not c["public"]]
    public = [c for c in ticket["comments"] if c["public"]]
    assert internal and "Recommended next actions" in internal[0]["body"]
    assert public, "the customer hears the transition message as a public comment"

    # An internal note (Baton's own among them) is not the conversation; a staff reply is an agent's.
    note = ZendeskStandIn.event(
        "comment_added", "501", event_id="ev-2", text="internal", public=False, organization=ACME
    )
    assert zendesk(w, note).json()["taken"] == 0

    assert w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value).status_code == 200
    w.settle()
    assert "baton_claimed" in w.zendesk.ticket("501")["tags"]
    assert any("claimed this in Slack" in c["body"] for c in w.zendesk.ticket("501")["comments"])


def test_a_helpdesk_that_is_down_loses_nothing(hd_world):
    w = hd_world
    assert w.zendesk is not None
    w.zendesk.fail_next(503, count=4)
    created = ZendeskStandIn.event("created", "777", event_id="ev-7", text=HUMAN, organization=ACME)
    assert zendesk(w, created).status_code == 200
    w.settle()
    (esc,) = escalations(w)
    assert not w.zendesk.ticket("777")["comments"]
    w.advance_to(w.clock.now() + timedelta(minutes=5))
    ticket = w.zendesk.ticket("777")
    assert [c for c in ticket["comments"] if not c["public"]], (
        "the handoff note arrived once Zendesk was back"
    )
    assert [c for c in ticket["comments"] if c["public"]], "and the customer was answered"
    assert len([c for c in ticket["comments"] if not c["public"]]) == 1
