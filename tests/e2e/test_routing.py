"""Routing to a person first, end to end through signed requests into the real app and the Slack stand-in.

The account owner gets the first offer (a DM with the card and Claim, reserved for 5 minutes), then
the member with the fewest open claims who is present and under the cap (reserved for 3 minutes),
then the team's channel, whose chain was held until then. Each stage is a column the sweep steps, so
restarts in the middle of a window lose and double nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient

from bot.cards import Action
from bot.clock import VirtualClock
from bot.flows import offer
from bot.policy import load_policy_text
from bot.sandbox.driver import SlackDriver
from bot.sandbox.world import SIGNING_SECRET, AgentSpec, World
from bot.settings import Settings
from bot.web import Server
from bot.wiring import build
from storage import repo
from storage.db import session_scope
from storage.models import Escalation

POLICY = Path(__file__).parent / "policies" / "routing.yaml"
HUMAN = "This isn't working. I want to talk to a real person please"
OWNER, ALICE, BOB = "U0DANA", "U0ALICE", "U0BOB"
AGENTS = [AgentSpec(OWNER, "dana"), AgentSpec(ALICE, "alice"), AgentSpec(BOB, "bob")]
ACCOUNTS = [
    # the CRM names the owner by email: Baton finds her Slack account with users.lookupByEmail
    {
        "id": "acme",
        "name": "Acme Corp",
        "tier": "enterprise",
        "channel": "C0ACME",
        "owner": "Dana",
        "owner_email": "dana@ourteam.example",
    },
    {"id": "initech", "name": "Initech", "tier": "self-serve", "channel": "C0INITECH"},
    {"id": "globex", "name": "Globex", "tier": "self-serve", "channel": "C0GLOBEX"},
]
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def w(world_factory) -> World:
    policy = load_policy_text(POLICY.read_text(encoding="utf-8"), str(POLICY))
    return world_factory(policy=policy, agents=AGENTS, accounts=ACCOUNTS, clock=VirtualClock(T0))


def escalate(w: World, account: str = "acme", text: str = HUMAN) -> Escalation:
    cust = w.customers[account]
    sent = w.driver.user_says(cust.channel, cust.user, text)
    assert sent.status == 200
    w.settle()
    with session_scope(w.deps.db) as session:
        conv = repo.find_conversation(session, "slack", cust.channel, sent.ts or "")
        assert conv is not None and conv.id is not None
        [esc] = repo.escalations_of_conversation(session, conv.id)
        return esc


def current(w: World, esc_id: int | None) -> Escalation:
    with session_scope(w.deps.db) as session:
        esc = session.get(Escalation, esc_id)
        assert esc is not None
        return esc


def timeline(w: World, esc_id: int | None, kind: str | None = None) -> list[Any]:
    assert esc_id is not None
    with session_scope(w.deps.db) as session:
        return [e for e in repo.timeline(session, esc_id) if kind is None or e.kind == kind]


def dms(w: World, user: str) -> list[dict[str, Any]]:
    channel = w.slack.dm_channel(user)
    return w.slack.bot_messages(channel) if channel else []


def card(w: World, esc: Escalation) -> str:
    esc = current(w, esc.id)
    msg = w.slack.message(esc.card_channel, esc.card_ts)
    assert msg is not None
    return json.dumps(msg["blocks"])


def reminders(w: World) -> list[dict[str, Any]]:
    return [m for m in w.slack.bot_messages("C0SUPPORT") if "still unclaimed" in str(m.get("text", ""))]


def claim_buttons(msg: dict[str, Any]) -> list[str]:
    return [
        e["value"]
        for b in msg["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.CLAIM.value
    ]


def test_the_owner_gets_the_first_offer_and_claims_from_the_dm(w):
    esc = escalate(w)
    # The card is in the team channel, saying who it is reserved for and until when...
    shown = card(w, esc)
    assert (
        f"Offered to <@{OWNER}>, the account owner, until <!date^{int((T0 + timedelta(minutes=5)).timestamp())}"
        in shown
    )
    assert "15:05 UTC" in shown and "then the team is asked" in shown
    # ...the owner has it in a DM, with Claim for this escalation...
    [dm] = dms(w, OWNER)
    assert "you own the account" in dm["text"] and "Acme Corp" in dm["text"] and "15:05 UTC" in dm["text"]
    assert claim_buttons(dm) == [str(esc.id)]
    assert dms(w, ALICE) == dms(w, BOB) == []
    # ...and the team is not asked while it is reserved: the chain is held.
    esc = current(w, esc.id)
    assert esc.route_stage == "offered" and esc.next_step_at is None
    assert esc.offered_to == [{"user": OWNER, "role": "owner"}]
    [offered] = timeline(w, esc.id, "offered")
    assert offered.detail["offered"] == [{"user": OWNER, "role": "owner"}]
    assert [e.detail["user"] for e in timeline(w, esc.id, "offer_dm")] == [OWNER]
    w.advance_to(T0 + timedelta(minutes=4))
    assert reminders(w) == []

    # /escalations says who it is with.
    w.driver.slash(BOB, "C0SUPPORT", "/escalations", "")
    w.settle()
    assert any(f"*offered to* <@{OWNER}> until" in e.get("text", "") for e in w.slack.ephemerals)

    assert w.driver.click(OWNER, dm["ts"], w.slack.dm_channel(OWNER), Action.CLAIM.value).status_code == 200
    w.settle()
    esc = current(w, esc.id)
    assert esc.status == "claimed" and esc.claimed_by == OWNER and esc.offer_until is None
    assert "Claimed" in card(w, esc) and "Offered to" not in card(w, esc)
    w.advance_to(T0 + timedelta(minutes=30))
    assert reminders(w) == [] and dms(w, ALICE) == []  # nothing more happens: it is claimed
    assert timeline(w, esc.id, "offer_expired") == []


def test_owner_away_goes_to_the_member_with_fewest_claims_then_the_team(w):
    w.slack.set_presence(OWNER, "away")
    esc = escalate(w)
    assert dms(w, OWNER) == []
    [skipped] = timeline(w, esc.id, "offer_skipped")
    assert skipped.detail == {"user": OWNER, "role": "owner", "why": "away"}
    # Balanced assignment: Alice and Bob both have no open claims; the policy's order decides.
    esc = current(w, esc.id)
    assert esc.route_stage == "assigned" and esc.assigned_to == ALICE and esc.next_step_at is None
    [dm] = dms(w, ALICE)
    assert "Baton assigned you" in dm["text"] and claim_buttons(dm) == [str(esc.id)]
    assert f"Assigned to <@{ALICE}> (fewest open claims) until" in card(w, esc)
    [assigned] = timeline(w, esc.id, "assigned")
    assert assigned.detail["user"] == ALICE and assigned.detail["open_claims"] == 0

    # Alice does not claim within the 3 minutes: the team is asked and the held chain starts then.
    w.advance_to(T0 + timedelta(minutes=3))
    esc = current(w, esc.id)
    assert esc.route_stage == "channel" and esc.offer_until is None
    assert esc.chain_started_at == T0 + timedelta(minutes=3)
    assert esc.next_step_at == T0 + timedelta(minutes=5)
    assert [e.detail["why"] for e in timeline(w, esc.id, "routed_to_team")] == [
        "nobody claimed it in the reserved window"
    ]
    assert len(timeline(w, esc.id, "offer_expired")) == 1
    assert "who did not claim it in time: the team is asked" in card(w, esc)
    assert reminders(w) == []
    w.advance_to(T0 + timedelta(minutes=6))
    assert len(reminders(w)) == 1
    # /escalations and App Home still say who it was assigned to
    w.driver.slash(BOB, "C0SUPPORT", "/escalations", "")
    w.settle()
    assert any(f"*unclaimed* (assigned to <@{ALICE}>)" in e.get("text", "") for e in w.slack.ephemerals)


def open_home(w: World, user: str) -> str:
    cust = w.customers["initech"]
    envelope = w.driver.envelope_for(cust.channel, w.slack.messages(cust.channel)[0]["ts"])
    envelope["event"] = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1.0",
    }
    assert w.driver.deliver_event(envelope).status == 200
    w.settle()
    view = w.slack.home_views[user]
    [mine] = [
        b["text"]["text"]
        for b in view["blocks"]
        if b.get("text", {}).get("text", "").startswith("*My claims*")
    ]
    return str(mine)


def test_caps_reached_means_nobody_is_assigned_and_the_team_is_asked(w):
    first = escalate(w, "initech")  # no owner: straight to balanced assignment
    assert current(w, first.id).assigned_to == ALICE
    [dm] = dms(w, ALICE)
    w.driver.click(ALICE, dm["ts"], w.slack.dm_channel(ALICE), Action.CLAIM.value)
    w.settle()
    home = open_home(w, ALICE)
    assert home.startswith(f"*My claims*\n• #{first.id} ") and "claimed by <@U0ALICE>" in home

    w.clock.advance(timedelta(minutes=1))
    second = escalate(w, "globex")
    second = current(w, second.id)
    assert second.id != first.id and second.assigned_to == BOB  # Alice has one open claim: Bob has none
    home = open_home(w, BOB)
    assert home.startswith(f"*My claims*\n• #{second.id} ") and "*assigned to* you until" in home
    [bob_dm] = dms(w, BOB)
    w.driver.click(BOB, bob_dm["ts"], w.slack.dm_channel(BOB), Action.CLAIM.value)
    w.settle()

    w.slack.set_presence(OWNER, "away")
    w.clock.advance(timedelta(minutes=1))
    third = escalate(w)
    third = current(w, third.id)
    assert third.route_stage == "channel" and third.assigned_to == "" and third.offered_to == []
    why = {e.detail["user"]: e.detail["why"] for e in timeline(w, third.id, "offer_skipped")}
    assert why == {OWNER: "away", ALICE: "at their cap (1 open, max 1)", BOB: "at their cap (1 open, max 1)"}
    [routed] = timeline(w, third.id, "routed_to_team")
    assert routed.detail["why"].startswith("nobody available: U0DANA (away); U0ALICE (at their cap")
    # The chain runs from the opening, as without routing.
    assert third.next_step_at == third.opened_at + timedelta(minutes=2)
    assert len(dms(w, ALICE)) == 1 and len(dms(w, BOB)) == 1


def test_nobody_present_goes_straight_to_the_channel(w):
    for user in (OWNER, ALICE, BOB):
        w.slack.set_presence(user, "away")
    esc = escalate(w)
    esc = current(w, esc.id)
    assert esc.route_stage == "channel" and esc.next_step_at == T0 + timedelta(minutes=2)
    assert dms(w, OWNER) == dms(w, ALICE) == dms(w, BOB) == []
    assert [e.detail["why"] for e in timeline(w, esc.id, "offer_skipped")] == ["away"] * 3
    assert "Offered to" not in card(w, esc) and "Assigned to" not in card(w, esc)
    w.advance_to(T0 + timedelta(minutes=2, seconds=15))
    assert len(reminders(w)) == 1


def test_a_deactivated_owner_and_an_unknown_email_are_skipped_with_the_reason(world_factory):
    accounts = [{**ACCOUNTS[0], "owner_email": "nobody@elsewhere.example"}, ACCOUNTS[1]]
    policy = load_policy_text(POLICY.read_text(encoding="utf-8"), str(POLICY))
    w = world_factory(policy=policy, agents=AGENTS, accounts=accounts, clock=VirtualClock(T0))
    esc = escalate(w)
    [skip] = timeline(w, esc.id, "offer_skipped")
    assert (
        skip.detail["role"] == "owner"
        and "no Slack user has the owner's email nobody@elsewhere.example" in skip.detail["why"]
    )
    assert current(w, esc.id).assigned_to == ALICE


def test_slack_down_during_the_decision_asks_the_team_after_the_deadline(w):
    w.slack.fail_next("users.getPresence", "internal_error", count=1000)
    esc = escalate(w)
    esc = current(w, esc.id)
    assert esc.route_stage == "deciding_offer" and esc.next_step_at is None
    assert "Finding the right person" in card(w, esc)
    w.advance_to(T0 + timedelta(seconds=75))
    esc = current(w, esc.id)
    assert esc.route_stage == "channel" and esc.next_step_at is not None
    assert [e.detail["why"] for e in timeline(w, esc.id, "routed_to_team")] == [
        "the routing decision did not finish in time"
    ]
    assert dms(w, OWNER) == []


def test_an_offer_that_became_stale_sends_no_dm(w):
    """The DM is an outbox effect: if someone claimed from the channel card first, it does nothing."""
    w.slack.fail_next("conversations.open", "internal_error")  # the owner's DM has to be retried
    esc = escalate(w)
    assert dms(w, OWNER) == []
    w.driver.click(BOB, current(w, esc.id).card_ts, "C0SUPPORT", Action.CLAIM.value)
    w.settle()
    w.advance_to(T0 + timedelta(minutes=10))
    assert dms(w, OWNER) == [] and current(w, esc.id).claimed_by == BOB


# ---------------------------------------------------------------- restarts


def restart_app(w: World) -> None:
    """A new process on the same database, Slack and CRM."""
    assert w.driver and w.server and w.runtime and w.crm
    w.driver.close()
    w.server.stop()
    w.runtime.close()
    settings = Settings(
        database_url=w.database_url,
        slack_bot_token=w.slack.bot_token,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=w.slack.base_url,
    )
    w.runtime = build(
        settings,
        clock=w.clock,
        policy=w.policy,
        slack=WebClient(token=w.slack.bot_token, base_url=w.slack.base_url),
        accounts=w.crm.account_source(httpx.Client(timeout=5.0)),
    )
    w.server = Server(w.runtime.wsgi).start()
    w.driver = SlackDriver(f"{w.server.url}/slack/events", SIGNING_SECRET, w.slack, w.clock)


def test_restarts_in_the_middle_of_offer_windows_lose_and_double_nothing(w):
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=2))
    restart_app(w)  # in the owner's window
    w.advance_to(T0 + timedelta(minutes=5, seconds=30))  # the new process steps the expired offer
    assert current(w, esc.id).route_stage == "assigned" and current(w, esc.id).assigned_to == ALICE
    [first_dm] = dms(w, ALICE)
    restart_app(w)  # in Alice's window
    w.advance_to(T0 + timedelta(minutes=20))
    esc = current(w, esc.id)
    assert esc.route_stage == "channel"
    assert len(dms(w, OWNER)) == 1 and len(dms(w, ALICE)) == 1 and dms(w, BOB) == []
    kinds = [e.kind for e in timeline(w, esc.id)]
    assert kinds.count("offered") == 1 and kinds.count("assigned") == 1
    assert kinds.count("offer_expired") == 2 and kinds.count("routed_to_team") == 1
    assert kinds.count("offer_dm") == 2 and len(reminders(w)) == 1
    # The DM says the offer expired (its Claim is gone); the new process still takes a click on the DM
    # as a client that has not refreshed it shows it.
    [dm] = dms(w, ALICE)
    assert "the offer expired" in dm["text"] and claim_buttons(dm) == []
    stale = w.driver.block_actions_payload(
        ALICE, dm["ts"], w.slack.dm_channel(ALICE) or "", Action.CLAIM.value, seen=first_dm
    )
    assert w.driver.post_form({"payload": json.dumps(stale)}).status_code == 200
    w.settle()
    assert current(w, esc.id).claimed_by == ALICE


def test_the_owner_who_is_a_member_is_not_assigned_what_she_let_run_out(world_factory):
    text = POLICY.read_text(encoding="utf-8").replace(
        "members: [U0ALICE, U0BOB]", "members: [U0DANA, U0ALICE]"
    )
    w = world_factory(
        policy=load_policy_text(text, str(POLICY)), agents=AGENTS, accounts=ACCOUNTS, clock=VirtualClock(T0)
    )
    esc = escalate(w)
    assert current(w, esc.id).route_stage == "offered"
    w.advance_to(T0 + timedelta(minutes=5, seconds=15))
    esc = current(w, esc.id)
    assert esc.route_stage == "assigned" and esc.assigned_to == ALICE  # Dana has no claims, but had her turn
    why = {e.detail["user"]: e.detail["why"] for e in timeline(w, esc.id, "offer_skipped")}
    assert why == {OWNER: "had the first offer and did not claim it"}


def test_a_sweep_and_a_late_decision_race_for_one_step(w):
    """Two sweeps of two instances (or a retried effect) for one expired offer: one moves it on."""
    esc = escalate(w)
    w.clock.set(T0 + timedelta(minutes=5))
    first = offer.run_due(w.deps, w.clock.now())
    second = offer.run_due(w.deps, w.clock.now())
    assert first == [esc.id] and second == []
    w.settle()
    w.sweep()
    assert len(timeline(w, esc.id, "offer_expired")) == 1 and len(timeline(w, esc.id, "assigned")) == 1
