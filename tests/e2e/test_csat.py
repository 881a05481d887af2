"""Customer CSAT end to end: resolved → after the policy's delay the survey appears in the customer's
thread, in their language, with buttons 1-5; the Slack Connect customer (a user of another team)
clicks a score; it is stored once, shown on the card and in the report by segment; a low score tells
the team's manager with the card's link. Through signed requests into Bolt and the local Slack."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from bot.cards import CSAT_ACTION_PREFIX, Action
from bot.clock import VirtualClock
from bot.policy import load_policy_text
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from storage.models import Escalation, OutboxItem, TimelineKind
from tests.e2e.helpers import ACCOUNTS, ACME
from tests.e2e.test_sla_chain import AGENT, AGENTS, HUMAN, POLICIES, T0

MANAGER = "U0DANA"


def make(world_factory, extra: str = "", accounts: list[dict[str, Any]] = ACCOUNTS) -> World:
    path = POLICIES / "always_open.yaml"
    policy = load_policy_text(path.read_text(encoding="utf-8") + extra, source=str(path))
    return world_factory(policy=policy, agents=AGENTS, accounts=accounts, clock=VirtualClock(T0))


def esc_of(w: World) -> Escalation:
    with session_scope(w.deps.db) as s:
        return s.exec(select(Escalation).order_by(col(Escalation.id).desc())).first()  # type: ignore[return-value]


def resolve_one(w: World, account: str = ACME, language: str = "") -> tuple[Escalation, str]:
    cust = w.customers[account]
    first = w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    esc = esc_of(w)
    if language:
        with session_scope(w.deps.db) as s:
            row = s.get(Escalation, esc.id)
            assert row is not None
            row.language = language
            s.add(row)
    w.clock.advance(timedelta(minutes=3))
    assert w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value).status_code == 200
    w.settle()
    w.clock.advance(timedelta(minutes=20))
    w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RESOLVE.value)
    w.settle()
    view_id = str(w.slack.views[-1]["id"])
    resp = w.driver.submit_view(
        AGENT, view_id, {"resolution": {"note": "Refunded"}, "needed": {"needed": "yes"}}
    )
    assert resp.status_code == 200
    w.settle()
    assert first.ts
    return esc_of(w), first.ts


def survey_in(w: World, account: str, thread: str) -> dict[str, Any] | None:
    cust = w.customers[account]
    found = [m for m in w.slack.thread(cust.channel, thread) if CSAT_ACTION_PREFIX in str(m.get("blocks"))]
    assert len(found) <= 1, "at most one survey per escalation"
    return found[0] if found else None


def test_the_survey_comes_after_the_delay_and_the_external_customer_scores_it(world_factory):
    w = make(world_factory, "csat: {delay: 10m, low_score: 2}\n")
    esc, thread = resolve_one(w)
    assert survey_in(w, ACME, thread) is None  # not before the delay
    w.advance_to(w.clock.now() + timedelta(minutes=11))
    survey = survey_in(w, ACME, thread)
    assert survey is not None and "How did our team do" in survey["text"]
    buttons = [e for b in survey["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [f"{CSAT_ACTION_PREFIX}{n}" for n in range(1, 6)]

    cust = w.customers[ACME]
    assert w.slack.user(cust.user)["team_id"] != w.slack.team_id  # a Slack Connect user of another org
    resp = w.driver.click(cust.user, survey["ts"], cust.channel, f"{CSAT_ACTION_PREFIX}2")
    assert resp.status_code == 200
    w.settle()
    esc = esc_of(w)
    assert esc.csat == 2 and esc.csat_by == cust.user
    # the survey became a thank-you; the card shows the score
    answered = w.slack.message(cust.channel, survey["ts"])
    assert (
        answered is not None and "Thank you" in answered["text"] and "actions" not in str(answered["blocks"])
    )
    w.advance_to(w.clock.now() + timedelta(seconds=30))
    card = w.slack.message(esc.card_channel, esc.card_ts)
    assert card is not None and "Customer rated" in str(card["blocks"]) and "2/5" in str(card["blocks"])
    # a low score: the team's manager hears about it in a DM, with the card's link
    dm = w.slack.dm_channel(MANAGER)
    assert dm is not None
    [note] = [m for m in w.slack.messages(dm) if "Low satisfaction" in m.get("text", "")]
    assert "2/5" in note["text"] and "Open the card" in note["text"]
    with session_scope(w.deps.db) as s:
        kinds = [e.kind for e in repo.timeline(s, esc.id or 0)]
    assert TimelineKind.CSAT_ASKED in kinds and TimelineKind.CSAT_ANSWERED in kinds
    assert TimelineKind.CSAT_LOW_NOTIFIED in kinds


def test_one_answer_per_escalation_and_the_team_cannot_answer_for_the_customer(world_factory):
    w = make(world_factory, "csat: {delay: 0}\n")
    esc, thread = resolve_one(w)
    w.advance_to(w.clock.now() + timedelta(seconds=30))
    survey = survey_in(w, ACME, thread)
    assert survey is not None
    cust = w.customers[ACME]
    w.driver.click(AGENT, survey["ts"], cust.channel, f"{CSAT_ACTION_PREFIX}5")  # an agent tries
    w.settle()
    assert esc_of(w).csat is None
    assert any("for the customer" in e.get("text", "") for e in w.slack.ephemerals)
    # a second device still shows the buttons: its click on 1 arrives after the answer 4
    stale = w.driver.block_actions_payload(cust.user, survey["ts"], cust.channel, f"{CSAT_ACTION_PREFIX}1")
    w.driver.click(cust.user, survey["ts"], cust.channel, f"{CSAT_ACTION_PREFIX}4")
    w.settle()
    w.driver.post_form({"payload": json.dumps(stale)})
    w.settle()
    assert esc_of(w).csat == 4  # the first answer stands
    assert any("already have your answer" in e.get("text", "") for e in w.slack.ephemerals)
    dm = w.slack.dm_channel(MANAGER)
    assert dm is None or not [m for m in w.slack.messages(dm) if "Low satisfaction" in m.get("text", "")]


def test_the_survey_speaks_the_customers_language(world_factory):
    w = make(world_factory, "csat: {delay: 0}\n")
    _, thread = resolve_one(w, language="de")
    w.advance_to(w.clock.now() + timedelta(seconds=30))
    survey = survey_in(w, ACME, thread)
    assert survey is not None and "Wie zufrieden waren Sie" in survey["text"]


def test_surveys_follow_the_policy_per_segment_and_the_report_compares_segments(world_factory):
    # Acme is enterprise, Initech self-serve: self-serve customers are not asked.
    w = make(world_factory, "csat:\n  delay: 0\n  segments: {self-serve: {enabled: false}}\n")
    _, acme_thread = resolve_one(w, ACME)
    _, initech_thread = resolve_one(w, "initech")
    w.advance_to(w.clock.now() + timedelta(minutes=1))
    assert survey_in(w, ACME, acme_thread) is not None
    assert survey_in(w, "initech", initech_thread) is None
    with session_scope(w.deps.db) as s:
        kinds = [o.kind for o in s.exec(select(OutboxItem))]
    assert kinds.count("csat_survey") == 1

    survey = survey_in(w, ACME, acme_thread)
    assert survey is not None
    cust = w.customers[ACME]
    w.driver.click(cust.user, survey["ts"], cust.channel, f"{CSAT_ACTION_PREFIX}5")
    w.settle()
    w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 7d by segment")
    w.settle()
    dm = w.slack.dm_channel(AGENT)
    assert dm is not None
    [report] = [m for m in w.slack.messages(dm) if m.get("blocks") and "CSAT" in str(m["blocks"])]
    text = str(report["blocks"])
    assert "*CSAT* 5.00 / 5" in text and "1 of 1 surveys answered" in text
    assert "*enterprise*: 5.00 / 5 (1 of 1 answered" in text
    assert "*high-value* (" in text and "Too few answers to compare high-value" in text


GLOBEX = {"id": "globex", "name": "Globex", "tier": "mid-market", "channel": "C0GLOBEX", "mrr": 15000}


def test_high_value_accounts_are_what_the_policy_calls_high_value_mrr_included(world_factory):
    # Globex is mid-market by tier, but its MRR (15000) is past segments.enterprise.min_mrr (default
    # 10000): the high_value trigger counts it, and so does the report's CSAT comparison.
    w = make(world_factory, "csat: {delay: 0}\n", accounts=[*ACCOUNTS, GLOBEX])
    scores = {ACME: 5, "globex": 5, "initech": 2}
    threads = {account: resolve_one(w, account)[1] for account in scores}
    w.advance_to(w.clock.now() + timedelta(minutes=1))
    for account, score in scores.items():
        survey = survey_in(w, account, threads[account])
        assert survey is not None
        cust = w.customers[account]
        w.driver.click(cust.user, survey["ts"], cust.channel, f"{CSAT_ACTION_PREFIX}{score}")
        w.settle()
    with session_scope(w.deps.db) as s:
        flags = {e.account_id: (e.tier, e.high_value) for e in s.exec(select(Escalation))}
    assert flags == {ACME: ("enterprise", True), "globex": ("mid-market", True), "initech": ("self-serve", False)}
    w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 7d by segment")
    w.settle()
    dm = w.slack.dm_channel(AGENT)
    assert dm is not None
    [report] = [m for m in w.slack.messages(dm) if m.get("blocks") and "CSAT by segment" in str(m["blocks"])]
    text = str(report["blocks"])
    assert "*mid-market*: 5.00 / 5 (1 of 1 answered" in text
    assert "*high-value* (" in text and "5.00 / 5 (2 of 2 answered" in text


def reopen_and_resolve_again(w: World, esc: Escalation) -> None:
    assert w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.REOPEN.value).status_code == 200
    w.settle()
    assert esc_of(w).status == "claimed"
    w.clock.advance(timedelta(minutes=5))
    w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RESOLVE.value)
    w.settle()
    view_id = str(w.slack.views[-1]["id"])
    resp = w.driver.submit_view(
        AGENT, view_id, {"resolution": {"note": "Refunded, really"}, "needed": {"needed": "yes"}}
    )
    assert resp.status_code == 200
    w.settle()
    assert esc_of(w).status == "resolved"


def test_reopened_before_the_survey_is_due_the_next_resolve_still_asks_once(world_factory):
    w = make(world_factory, "csat: {delay: 10m}\n")
    esc, thread = resolve_one(w)
    w.clock.advance(timedelta(minutes=4))
    reopen_and_resolve_again(w, esc)  # the first resolution's survey was due 10 minutes after it
    w.advance_to(w.clock.now() + timedelta(minutes=7))  # past the first one's time, not the second's
    assert survey_in(w, ACME, thread) is None  # not on the first resolution's clock
    w.advance_to(w.clock.now() + timedelta(minutes=4))
    survey = survey_in(w, ACME, thread)  # 10 minutes after the second resolve; at most one (survey_in)
    assert survey is not None
    with session_scope(w.deps.db) as s:
        [asked] = [e for e in repo.timeline(s, esc.id or 0) if e.kind == TimelineKind.CSAT_ASKED]
        resolved_at = s.get(Escalation, esc.id).resolved_at  # type: ignore[union-attr]
    assert resolved_at is not None and asked.at >= resolved_at + timedelta(minutes=10)


def test_reopened_while_the_survey_is_pending_and_left_open_asks_nobody(world_factory):
    w = make(world_factory, "csat: {delay: 10m}\n")
    esc, thread = resolve_one(w)
    assert w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.REOPEN.value).status_code == 200
    w.settle()
    w.advance_to(w.clock.now() + timedelta(minutes=30))
    assert esc_of(w).status == "claimed" and survey_in(w, ACME, thread) is None


def test_reopened_after_the_survey_was_asked_the_next_resolve_asks_no_more(world_factory):
    w = make(world_factory, "csat: {delay: 0}\n")
    esc, thread = resolve_one(w)
    w.advance_to(w.clock.now() + timedelta(seconds=30))
    assert survey_in(w, ACME, thread) is not None
    reopen_and_resolve_again(w, esc)
    w.advance_to(w.clock.now() + timedelta(minutes=5))
    assert survey_in(w, ACME, thread) is not None  # still the one survey (survey_in asserts at most one)
    with session_scope(w.deps.db) as s:
        kinds = [o.kind for o in s.exec(select(OutboxItem))]
        asked = [e for e in repo.timeline(s, esc.id or 0) if e.kind == TimelineKind.CSAT_ASKED]
    assert kinds.count("csat_survey") == 1 and len(asked) == 1
