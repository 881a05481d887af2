"""End to end: a surge is one incident. Six customers hit the same error within minutes, and one of them
also has a billing dispute in the same window: one surge card listing the affected accounts (updated as
more join), one page, one reminder, one status update to every affected customer from a modal; the
billing dispute keeps its own card and chain. Through signed events and clicks, the sweep and FakeSlack.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cards import Action
from bot.clock import VirtualClock
from bot.policy import load_policy_text
from bot.sandbox.world import AgentSpec, World
from storage import repo
from storage.db import session_scope
from storage.models import Surge
from tests.e2e.helpers import escalations

POLICY = (Path(__file__).parent / "policies" / "always_open.yaml").read_text(encoding="utf-8") + (
    "surge: {window: 10m, threshold: 3, reminder_after: 15m}\n"
)
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
AGENT = "U0ALICE"
AGENTS = [AgentSpec("U0BOB", "bob", teams=("support",)), AgentSpec(AGENT, "alice"), AgentSpec("U0DANA", "dana")]
OUTAGE = "Your app is down, I get error 502 on every page. I want to talk to a real person"
BILLING = "You charged me twice this month and I dispute the invoice. I want to talk to a real person"
NAMES = ["acme", "initech", "globex", "umbrella", "hooli", "vandelay"]


@pytest.fixture
def w(world_factory) -> World:
    accounts = [{"id": n, "name": n.title(), "tier": "self-serve", "channel": f"C0{n.upper()}"} for n in NAMES]
    accounts.append({"id": "pied", "name": "Pied Piper", "tier": "self-serve", "channel": "C0PIED"})
    return world_factory(
        policy=load_policy_text(POLICY), agents=AGENTS, clock=VirtualClock(T0), accounts=accounts
    )


def says(w: World, account: str, text: str) -> None:
    cust = w.customers[account]
    assert w.driver.user_says(cust.channel, cust.user, text).status == 200
    w.settle()


def support_cards(w: World) -> list[dict]:
    return [m for m in w.slack.bot_messages("C0SUPPORT") if m.get("blocks") and m.get("thread_ts", m["ts"]) == m["ts"]]


def surge_card(w: World) -> dict:
    [card] = [m for m in support_cards(w) if "SURGE" in json.dumps(m["blocks"])]
    return card


def test_a_surge_is_one_card_one_page_one_reminder_and_the_billing_dispute_keeps_its_own(w):
    for i, name in enumerate(NAMES[:4]):
        w.advance_to(T0 + timedelta(minutes=i))
        says(w, name, OUTAGE)
    w.advance_to(T0 + timedelta(minutes=4))
    says(w, "pied", BILLING + " Also error 502 when I try to pay.")  # account-specific: never in the surge
    for i, name in enumerate(NAMES[4:], start=5):
        w.advance_to(T0 + timedelta(minutes=i))
        says(w, name, OUTAGE)

    escs = {e.account_id: e for e in escalations(w)}
    assert len(escs) == 7
    members = [escs[n] for n in NAMES]
    assert {e.cause for e in members} == {"error:502"} and escs["pied"].cause == ""
    assert len({e.surge_id for e in members}) == 1 and members[0].surge_id is not None
    assert escs["pied"].surge_id is None and escs["pied"].next_step_at is not None

    # Cards: the first two (before the threshold), the surge card, the billing dispute's own card.
    cards = support_cards(w)
    assert len(cards) == 4
    card = json.dumps(surge_card(w)["blocks"], ensure_ascii=False)
    for e in members:
        assert f"{e.account_id}> · #{e.id} · waiting" in card or f"{e.account_id} · #{e.id} · waiting" in card
    assert "6 escalations" in card and "the same error (502)" in card
    assert "pied" not in card

    # An hour later: one page for the surge, the billing dispute's own page; no member paged or reminded alone.
    w.advance_to(T0 + timedelta(hours=1))
    assert w.pagerduty is not None
    keys = [e["dedup_key"] for e in w.pagerduty.events() if e["event_action"] == "trigger"]
    surge_id = members[0].surge_id
    assert keys.count(f"baton-surge-{surge_id}") == 1
    assert f"baton-esc-{escs['pied'].id}" in keys
    assert not [k for k in keys if k in {f"baton-esc-{e.id}" for e in members}]
    reminders = [m for m in w.slack.bot_messages("C0SUPPORT") if "still unclaimed" in str(m.get("text", ""))]
    assert len(reminders) == 1 and "pied" in reminders[0]["text"].lower()  # the billing dispute's own chain
    surge_reminders = [m for m in w.slack.bot_messages("C0SUPPORT") if "the surge still has" in str(m.get("text", ""))]
    assert len(surge_reminders) == 1

    # One status update from the card reaches every affected customer, once.
    card_msg = surge_card(w)
    assert w.driver.click(AGENT, card_msg["ts"], "C0SUPPORT", Action.SURGE_STATUS.value).status_code == 200
    w.settle()
    view = w.slack.views[-1]
    assert view["callback_id"] == "baton_surge_status_modal"
    empty = w.driver.submit_view(AGENT, view["id"], {"status": {"text": "  "}})
    assert "errors" in empty.json()
    update = "We know about the 502 errors and are rolling back; next update in 30 minutes."
    assert w.driver.submit_view(AGENT, view["id"], {"status": {"text": update}}).status_code == 200
    w.settle()
    for name in NAMES:
        texts = [str(m.get("text", "")) for m in w.slack.bot_messages(f"C0{name.upper()}")]
        assert texts.count(update) == 1, name
    assert update not in [str(m.get("text", "")) for m in w.slack.bot_messages("C0PIED")]
    with session_scope(w.deps.db) as session:
        surge = session.get(Surge, surge_id)
        assert surge is not None and surge.status_updates == 1

    # Claim all: every member is claimed by the clicker, and the surge page is resolved with them.
    assert w.driver.click(AGENT, card_msg["ts"], "C0SUPPORT", Action.SURGE_CLAIM.value).status_code == 200
    w.settle()
    escs = {e.account_id: e for e in escalations(w)}
    assert all(escs[n].status == "claimed" and escs[n].claimed_by == AGENT for n in NAMES)
    assert escs["pied"].status == "open"
    assert "Claim all" not in json.dumps(surge_card(w)["blocks"])

    # Once every member is resolved the incident is over: the same error later is a new escalation with
    # its own card (and would start a new surge only by reaching the threshold again).
    with session_scope(w.deps.db) as session:
        for n in NAMES:
            assert repo.resolve(session, escs[n].id, AGENT, "rolled back", w.clock.now())
    w.advance_to(w.clock.now() + timedelta(hours=1))
    says(w, "acme", "error 502 again on checkout. I want to talk to a real person")
    latest = max(escalations(w), key=lambda e: e.id or 0)
    assert latest.cause == "error:502" and latest.surge_id is None and latest.card_ts
    with session_scope(w.deps.db) as session:
        assert session.get(Surge, surge_id).status == "over"


def test_resolve_surge_resolves_every_member_and_tells_each_customer_once(w):
    for i, name in enumerate(NAMES[:4]):
        w.advance_to(T0 + timedelta(minutes=i))
        says(w, name, OUTAGE)
    says(w, "pied", BILLING)  # account-specific: not in the surge, not resolved with it
    members = [e for e in escalations(w) if e.surge_id is not None]
    assert len(members) == 4
    surge_id = members[0].surge_id
    # Bob claims the waiting ones (Claim all); one more joins after, waiting: both kinds are resolved.
    w.driver.click("U0BOB", surge_card(w)["ts"], "C0SUPPORT", Action.SURGE_CLAIM.value)
    w.settle()
    says(w, NAMES[4], OUTAGE)  # joins later, waiting
    card_msg = surge_card(w)
    assert Action.SURGE_RESOLVE.value in json.dumps(card_msg["blocks"])

    # A Slack Connect customer cannot open the form.
    outsider = w.driver.block_actions_payload("U0BOB", card_msg["ts"], "C0SUPPORT", Action.SURGE_RESOLVE.value)
    outsider["user"]["team_id"] = "T0CUSTOMER"
    w.driver.post_form({"payload": json.dumps(outsider)})
    w.settle()
    views_before = len(w.slack.views)

    assert w.driver.click(AGENT, card_msg["ts"], "C0SUPPORT", Action.SURGE_RESOLVE.value).status_code == 200
    w.settle()
    assert len(w.slack.views) == views_before + 1
    view = w.slack.views[-1]
    assert view["callback_id"] == "baton_surge_resolve_modal" and "*5* escalations" in json.dumps(view["blocks"])
    assert "errors" in w.driver.submit_view(AGENT, view["id"], {"resolution": {"note": " "}}).json()
    note = "A bad deploy caused the 502s; rolled back at 15:20."
    w.clock.advance(timedelta(minutes=2))
    for _ in range(2):  # a second submission of the same form: taken in once
        assert w.driver.submit_view(AGENT, view["id"], {"resolution": {"note": note}}).status_code == 200
        w.settle()

    escs = {e.account_id: e for e in escalations(w)}
    for name in NAMES[:5]:
        e = escs[name]
        assert e.status == "resolved" and e.resolved_by == AGENT and e.resolution_note == note, name
        with session_scope(w.deps.db) as session:
            kinds = [t.kind for t in repo.timeline(session, e.id or 0)]
        assert kinds.count("resolved") == 1 and kinds.count("customer_told_resolved") == 1, name
        texts = [str(m.get("text", "")) for m in w.slack.bot_messages(f"C0{name.upper()}")]
        assert sum("marked this as resolved" in t for t in texts) == 1, name
    assert escs["pied"].status == "open" and escs["pied"].resolved_at is None
    with session_scope(w.deps.db) as session:
        surge = session.get(Surge, surge_id)
        assert surge is not None and surge.status == "over" and surge.resolved_by == AGENT
    card = json.dumps(surge_card(w)["blocks"], ensure_ascii=False)
    assert "SURGE RESOLVED" in card and f"resolved* by <@{AGENT}>" in card and "bad deploy" in card
    assert '"actions"' not in card
    # The second submission of Alice's form said nothing; a click on the card as Dana's client still
    # shows it is refused, and she is told who resolved it.
    assert not any("resolved this surge already" in e["text"] for e in w.slack.ephemerals)
    stale = w.driver.block_actions_payload("U0DANA", card_msg["ts"], "C0SUPPORT", Action.SURGE_RESOLVE.value, seen=card_msg)
    w.driver.post_form({"payload": json.dumps(stale)})
    w.settle()
    assert any(f"<@{AGENT}> resolved this surge already." in e["text"] for e in w.slack.ephemerals if e.get("user") == "U0DANA")
