"""Routing to a person, what follows the offer, end to end through signed requests into the real app, the
Slack stand-in and a real database (SQLite; PostgreSQL when DATABASE_URL points at one):

- an offer DM says how the offer ended (claimed by whom, expired and sent to the team, handed to another
  team), by chat.update through the outbox, once per outcome;
- a hand-off to another team runs that team's routing (balanced assignment, or its channel);
- the owner's first offer respects her cap and her hours;
- two assignments decided at the same moment cannot both take a member's last place.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.cards import Action
from bot.clock import VirtualClock
from bot.flows import offer
from bot.flows.outbox import EffectKind, Job
from bot.policy import load_policy_text
from bot.sandbox.world import AgentSpec, World
from storage import repo
from storage.db import session_scope
from storage.models import Escalation

POLICY = Path(__file__).parent / "policies" / "routing_teams.yaml"
HUMAN = "This isn't working. I want to talk to a real person please"
OWNER, ALICE, BOB, CAROL = "U0DANA", "U0ALICE", "U0BOB", "U0CAROL"
AGENTS = [AgentSpec(OWNER, "dana"), AgentSpec(ALICE, "alice"), AgentSpec(BOB, "bob"), AgentSpec(CAROL, "carol")]
ACCOUNTS = [
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
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday: Carol (billing, 09:00-17:00 UTC) is in her hours


def make(world_factory, policy_text: str | None = None, at: datetime = T0) -> World:
    text = policy_text if policy_text is not None else POLICY.read_text(encoding="utf-8")
    policy = load_policy_text(text, str(POLICY))
    return world_factory(policy=policy, agents=AGENTS, accounts=ACCOUNTS, clock=VirtualClock(at))


@pytest.fixture
def w(world_factory) -> World:
    return make(world_factory)


def escalate(w: World, account: str = "acme") -> Escalation:
    cust = w.customers[account]
    sent = w.driver.user_says(cust.channel, cust.user, HUMAN)
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


def timeline(w: World, esc_id: int | None, kind: str) -> list[Any]:
    assert esc_id is not None
    with session_scope(w.deps.db) as session:
        return [e for e in repo.timeline(session, esc_id) if e.kind == kind]


def dms(w: World, user: str) -> list[dict[str, Any]]:
    channel = w.slack.dm_channel(user)
    return w.slack.bot_messages(channel) if channel else []


def dm_now(w: World, user: str, ts: str) -> dict[str, Any]:
    """The DM as Slack shows it now (after any chat.update)."""
    channel = w.slack.dm_channel(user)
    assert channel is not None
    msg = w.slack.message(channel, ts)
    assert msg is not None
    return msg


def has_claim(msg: dict[str, Any]) -> bool:
    return Action.CLAIM.value in json.dumps(msg.get("blocks", []))


def click_card(w: World, user: str, esc_id: int | None, action: Action) -> None:
    esc = current(w, esc_id)
    assert w.driver.click(user, esc.card_ts, esc.card_channel, action.value).status_code == 200
    w.settle()


def told(w: World, user: str) -> list[str]:
    return [e["text"] for e in w.slack.ephemerals if e.get("user") == user]


# ---------------------------------------------------------------- 1. the offer DM says how it ended


def test_the_owners_dm_says_who_claimed_it_from_the_channel(w):
    esc = escalate(w)
    [dm] = dms(w, OWNER)
    assert has_claim(dm)
    w.clock.advance(timedelta(minutes=1))
    click_card(w, BOB, esc.id, Action.CLAIM)
    now = dm_now(w, OWNER, dm["ts"])
    assert f"<@{BOB}> claimed it" in now["text"] and "Acme Corp" in now["text"] and "15:01 UTC" in now["text"]
    assert not has_claim(now) and "Open the card" in json.dumps(now["blocks"])
    [updated] = timeline(w, esc.id, "offer_dm_updated")
    assert updated.detail["outcome"] == "claimed" and updated.detail["who"] == BOB and updated.detail["user"] == OWNER
    # Running it again (a retry, a later sweep) changes nothing and records nothing more.
    with session_scope(w.deps.db) as session:
        offer.offer_dms.queue_update(session, esc.id or 0, w.clock.now())
    w.settle()
    w.advance_to(T0 + timedelta(minutes=20))
    assert len(timeline(w, esc.id, "offer_dm_updated")) == 1
    assert len(dms(w, OWNER)) == 1  # updated in place, not a second message


def test_a_claim_from_the_dm_says_you_claimed_it(w):
    esc = escalate(w)
    [dm] = dms(w, OWNER)
    assert w.driver.click(OWNER, dm["ts"], w.slack.dm_channel(OWNER), Action.CLAIM.value).status_code == 200
    w.settle()
    assert current(w, esc.id).claimed_by == OWNER
    assert "You claimed it" in dm_now(w, OWNER, dm["ts"])["text"]
    assert not has_claim(dm_now(w, OWNER, dm["ts"]))


def test_expired_offers_say_so_then_who_claimed_it(w):
    esc = escalate(w)
    [owner_dm] = dms(w, OWNER)
    w.slack.fail_next("chat.update", "internal_error")  # the first update is retried by the outbox
    w.advance_to(T0 + timedelta(minutes=5, seconds=15))  # the owner's window runs out: Alice is assigned
    said = dm_now(w, OWNER, owner_dm["ts"])
    assert "the offer expired" in said["text"] and "sent to the team" in said["text"] and not has_claim(said)
    [alice_dm] = dms(w, ALICE)
    assert has_claim(dm_now(w, ALICE, alice_dm["ts"]))  # Alice's offer is running: left alone
    w.advance_to(T0 + timedelta(minutes=8, seconds=30))  # Alice's runs out too: the team is asked
    assert current(w, esc.id).route_stage == "channel"
    assert "the offer expired" in dm_now(w, ALICE, alice_dm["ts"])["text"]
    click_card(w, BOB, esc.id, Action.CLAIM)
    for user, ts in ((OWNER, owner_dm["ts"]), (ALICE, alice_dm["ts"])):
        assert f"<@{BOB}> claimed it" in dm_now(w, user, ts)["text"]
    outcomes = sorted((e.detail["user"], e.detail["outcome"]) for e in timeline(w, esc.id, "offer_dm_updated"))
    assert outcomes == [(ALICE, "claimed"), (ALICE, "expired"), (OWNER, "claimed"), (OWNER, "expired")]


def test_a_deleted_dm_is_recorded_not_retried_forever(w):
    esc = escalate(w)
    [dm] = dms(w, OWNER)
    w.deps.slack.chat_delete(channel=w.slack.dm_channel(OWNER), ts=dm["ts"])  # the bot's DM, deleted meanwhile
    click_card(w, BOB, esc.id, Action.CLAIM)
    [updated] = timeline(w, esc.id, "offer_dm_updated")
    assert updated.detail["gone"] == "message_not_found"
    with session_scope(w.deps.db) as session:
        items = repo.outbox_items(session, esc.id or 0, EffectKind.OFFER_DM_UPDATE)
    assert [i.status for i in items] == ["done"]


# ---------------------------------------------------------------- 2. a hand-off runs the new team's routing


def hand_off(w: World, user: str, esc_id: int | None, team: str, note: str = "It is a refund question") -> None:
    click_card(w, user, esc_id, Action.HAND_OFF)
    view = w.slack.views[-1]
    w.driver.submit_view(user, view["id"], {"team": {"team": team}, "handoff_note": {"note": note}})
    w.settle()


def test_a_hand_off_is_assigned_to_the_new_teams_member_and_the_old_offer_closes(w):
    esc = escalate(w)  # offered to the owner for support
    [owner_dm] = dms(w, OWNER)
    w.clock.advance(timedelta(minutes=1))
    hand_off(w, ALICE, esc.id, "billing")  # unclaimed: anyone may hand it off
    esc = current(w, esc.id)
    assert esc.team == "billing" and esc.route_stage == "assigned" and esc.assigned_to == CAROL
    assert esc.next_step_at is None  # billing's chain is held while Carol has it
    assert [o["user"] for o in esc.offered_to] == [CAROL]
    [carol_dm] = dms(w, CAROL)
    assert "Baton assigned you" in carol_dm["text"] and has_claim(carol_dm)
    card = json.dumps(w.slack.message(esc.card_channel, esc.card_ts))
    assert esc.card_channel == "C0BILLING" and f"Assigned to <@{CAROL}>" in card
    said = dm_now(w, OWNER, owner_dm["ts"])
    assert "handed to team billing" in said["text"] and not has_claim(said)
    # A Claim on the owner's DM as her client still showed it is refused (it is billing's now).
    stale = w.driver.block_actions_payload(
        OWNER, owner_dm["ts"], w.slack.dm_channel(OWNER) or "", Action.CLAIM.value, seen=owner_dm
    )
    assert w.driver.post_form({"payload": json.dumps(stale)}).status_code == 200
    w.settle()
    assert current(w, esc.id).status == "open"
    assert any("handed to team billing" in t for t in told(w, OWNER))
    w.driver.click(CAROL, carol_dm["ts"], w.slack.dm_channel(CAROL), Action.CLAIM.value)
    w.settle()
    assert current(w, esc.id).claimed_by == CAROL
    assert "You claimed it" in dm_now(w, CAROL, carol_dm["ts"])["text"]


def test_a_hand_off_with_nobody_to_assign_goes_to_the_new_teams_channel_and_its_chain(w):
    w.slack.set_presence(CAROL, "away")
    esc = escalate(w)
    click_card(w, BOB, esc.id, Action.CLAIM)
    w.clock.advance(timedelta(minutes=1))
    hand_off(w, BOB, esc.id, "billing")
    w.settle()
    esc = current(w, esc.id)
    assert esc.team == "billing" and esc.route_stage == "channel" and esc.assigned_to == ""
    assert esc.next_step_at == T0 + timedelta(minutes=3)  # billing's chain, from the hand-off
    why = [(e.detail["user"], e.detail["why"]) for e in timeline(w, esc.id, "offer_skipped")]
    assert (CAROL, "away") in why
    assert dms(w, CAROL) == []


def test_the_assigned_member_lets_the_hand_off_run_out(w):
    esc = escalate(w)
    hand_off(w, ALICE, esc.id, "billing")
    assert current(w, esc.id).assigned_to == CAROL
    w.advance_to(T0 + timedelta(minutes=3, seconds=30))
    esc = current(w, esc.id)
    assert esc.route_stage == "channel" and esc.next_step_at is not None
    [carol_dm] = dms(w, CAROL)
    assert "the offer expired" in dm_now(w, CAROL, carol_dm["ts"])["text"]


def test_who_hands_off_is_not_offered_it_back_as_previous_handler(world_factory):
    """Bob resolved Acme's last escalation; the new one is offered to him first, he hands it to billing,
    whose routing offers the previous handler first too: not to Bob, who just handed it over."""
    text = POLICY.read_text(encoding="utf-8").replace("first_offer: []", "first_offer: [previous_handler]")
    w = make(world_factory, text)
    first = escalate(w, "initech")
    [dm] = dms(w, ALICE)  # assigned to Alice (no owner); Bob claims from the channel instead
    click_card(w, BOB, first.id, Action.CLAIM)
    click_card(w, BOB, first.id, Action.RESOLVE)
    w.driver.submit_view(BOB, w.slack.views[-1]["id"], {"resolution": {"note": "ok"}, "needed": {"needed": "yes"}})
    w.settle()
    w.clock.advance(timedelta(hours=1))
    cust = w.customers["initech"]
    w.driver.user_says(cust.channel, cust.user, HUMAN + " again, still broken")
    w.settle()
    with session_scope(w.deps.db) as session:
        second = [e for e in session.exec(select(Escalation)) if e.id != first.id]
    [esc] = second
    assert esc.prefer_agent == BOB and current(w, esc.id).offered_to == [{"user": BOB, "role": "previous_handler"}]
    hand_off(w, BOB, esc.id, "billing")
    esc = current(w, esc.id)
    assert esc.team == "billing" and esc.assigned_to == CAROL and [o["user"] for o in esc.offered_to] == [CAROL]


# ---------------------------------------------------------------- 3. the owner's cap and hours


def test_an_owner_at_her_cap_is_skipped_and_it_is_recorded(world_factory):
    text = POLICY.read_text(encoding="utf-8").replace(
        "members: [U0ALICE, U0BOB]", "members: [U0ALICE, U0BOB, {user: U0DANA, max_open: 1}]"
    )
    w = make(world_factory, text)
    first = escalate(w, "initech")  # Alice is assigned; Dana claims it from the channel
    click_card(w, OWNER, first.id, Action.CLAIM)
    w.clock.advance(timedelta(minutes=1))
    esc = escalate(w)  # Acme: Dana owns it, but has one open claim of her one
    esc = current(w, esc.id)
    assert esc.route_stage == "assigned" and esc.assigned_to == ALICE
    skips = [(e.detail["user"], e.detail["role"], e.detail["why"]) for e in timeline(w, esc.id, "offer_skipped")]
    assert (OWNER, "owner", "at their cap (1 open, max 1)") in skips
    assert len(dms(w, OWNER)) == 0


def test_an_owner_outside_her_hours_is_skipped(world_factory):
    text = POLICY.read_text(encoding="utf-8").replace(
        "members: [U0ALICE, U0BOB]",
        'members: [U0ALICE, U0BOB, {user: U0DANA, timezone: Asia/Tokyo, hours: {mon-fri: "09:00-17:00"}}]',
    )
    w = make(world_factory, text)  # 15:00 UTC is midnight in Tokyo
    esc = escalate(w)
    skips = [(e.detail["user"], e.detail["why"]) for e in timeline(w, esc.id, "offer_skipped")]
    assert (OWNER, "outside their hours") in skips
    assert current(w, esc.id).assigned_to == ALICE and dms(w, OWNER) == []


def test_a_non_member_owner_has_the_teams_cap(w):
    """Dana is not in support's members: the team's max_open (1) is her cap."""
    first = escalate(w, "initech")
    click_card(w, OWNER, first.id, Action.CLAIM)
    esc = escalate(w)
    skips = [(e.detail["user"], e.detail["why"]) for e in timeline(w, esc.id, "offer_skipped")]
    assert (OWNER, "at their cap (1 open, max 1)") in skips


# ---------------------------------------------------------------- 4. two assignments at once


def _deciding(w: World) -> list[Escalation]:
    """Two escalations opened while Slack cannot say who is present: both wait for their decision."""
    w.slack.fail_next("users.getPresence", "internal_error", count=2)  # one per decision
    a = escalate(w, "initech")
    b = escalate(w, "globex")
    for esc in (a, b):
        assert current(w, esc.id).route_stage == "deciding_assign"
    return [current(w, a.id), current(w, b.id)]


def _job(esc: Escalation) -> Job:
    assert esc.id is not None
    return Job(id=0, kind=str(EffectKind.ROUTE), esc_id=esc.id, payload={"step": esc.route_step})  # no outbox row: finishing it updates nothing


def test_two_decisions_made_on_the_same_count_do_not_exceed_the_cap(w):
    """Both decisions read Alice's load (0 of 1) before either is applied: without the recount under the
    lock both would be assigned to her. The second goes to Bob."""
    a, b = _deciding(w)
    da, db = offer.decide(w.deps, _job(a)), offer.decide(w.deps, _job(b))
    assert da is not None and db is not None
    assert da.plan.offered[0].user == db.plan.offered[0].user == ALICE
    assert offer.apply(w.deps, _job(a), da) and offer.apply(w.deps, _job(b), db)
    assert current(w, a.id).assigned_to == ALICE and current(w, b.id).assigned_to == BOB


def test_two_assignments_applied_at_once_do_not_exceed_the_cap(world_factory):
    """The same, applied from two threads at once (on PostgreSQL: the advisory lock on Alice's load;
    on SQLite: the write lock). Bob is away: one gets Alice, the other goes to the team."""
    w = make(world_factory)
    w.slack.set_presence(BOB, "away")
    a, b = _deciding(w)
    decisions = [offer.decide(w.deps, _job(a)), offer.decide(w.deps, _job(b))]
    assert all(d is not None and d.plan.offered[0].user == ALICE for d in decisions)
    start = threading.Barrier(2)

    def run(esc: Escalation, decision: Any) -> bool:
        start.wait(timeout=30)
        return offer.apply(w.deps, _job(esc), decision)

    with cf.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, [a, b], decisions))
    assert results == [True, True]
    stages = sorted((current(w, e.id).route_stage, current(w, e.id).assigned_to) for e in (a, b))
    assert stages == [("assigned", ALICE), ("channel", "")]
