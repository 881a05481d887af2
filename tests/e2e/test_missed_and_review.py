""" "Should have escalated" and the monthly false-positive review, end to end: the message shortcut and
its modal signed into Bolt, the review posted to the managers' channel by the command and by the
schedule (once, however many sweeps), and its Needed / Not needed buttons recording feedback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.cards import MISSED_SHORTCUT, Action
from bot.clock import VirtualClock
from bot.commands.backtest import parse_conversation
from bot.flows import missed
from bot.policy import load_policy_text
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from storage.models import Escalation, MissedEscalation, ReviewPost, TimelineKind
from tests.e2e.helpers import ACCOUNTS, ACME
from tests.e2e.test_sla_chain import AGENT, AGENTS, HUMAN, POLICIES, T0

MANAGERS = "C0MANAGERS"


def make(world_factory, extra: str = "", start: datetime = T0) -> World:
    path = POLICIES / "always_open.yaml"
    policy = load_policy_text(path.read_text(encoding="utf-8") + extra, source=str(path))
    return world_factory(policy=policy, agents=AGENTS, accounts=ACCOUNTS, clock=VirtualClock(start))


def rows(w: World, model):
    with session_scope(w.deps.db) as s:
        return list(s.exec(select(model).order_by(col(model.id))))


# ---------------------------------------------------------------- "Should have escalated"


def test_an_agent_marks_a_missed_escalation_and_the_report_and_export_count_it(world_factory):
    w = make(world_factory)
    cust = w.customers[ACME]
    said = w.driver.user_says(
        cust.channel, cust.user, "Honestly I'll just take this to my bank and dispute it"
    )
    w.settle()
    assert said.ts and rows(w, Escalation) == []  # Baton did not escalate it
    resp = w.driver.message_shortcut(AGENT, cust.channel, said.ts, MISSED_SHORTCUT)
    assert resp.status_code == 200
    w.settle()
    view = w.slack.views[-1]
    assert "Should have escalated" in json.dumps(view) and "dispute it" in json.dumps(view)
    resp = w.driver.submit_view(
        AGENT,
        str(view["id"]),
        {"missed_category": {"category": "billing"}, "missed_reason": {"reason": "a chargeback threat"}},
    )
    assert resp.status_code == 200 and resp.json()["response_action"] == "update"
    w.settle()
    [row] = rows(w, MissedEscalation)
    assert (row.channel, row.message_ts, row.category, row.reason) == (
        cust.channel,
        said.ts,
        "billing",
        "a chargeback threat",
    )
    assert row.account_id == ACME and row.reported_by == AGENT and row.conversation_id is not None

    # reported again (by someone else, another category): still one record, updated
    w.driver.message_shortcut("U0BOB", cust.channel, said.ts, MISSED_SHORTCUT)
    w.settle()
    w.driver.submit_view(
        "U0BOB", str(w.slack.views[-1]["id"]), {"missed_category": {"category": "cancellation"}}
    )
    w.settle()
    [row] = rows(w, MissedEscalation)
    assert (
        row.category == "cancellation" and row.reason == "a chargeback threat" and row.reported_by == "U0BOB"
    )

    w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 7d")
    w.settle()
    dm = w.slack.dm_channel(AGENT)
    assert dm is not None
    [report] = [
        m for m in w.slack.messages(dm) if m.get("blocks") and "Escalations, last" in str(m["blocks"])
    ]
    assert "*Missed escalations*" in str(report["blocks"]) and "cancellation 1" in str(report["blocks"])

    [line] = list(missed.backtest_lines(w.deps.db, T0 - timedelta(days=1), w.clock.now() + timedelta(seconds=1)))
    assert line["label"] == {"escalate": True, "category": "cancellation"}
    assert line["messages"][-1]["text"].endswith("dispute it") and line["account"] == {"id": ACME}
    parsed = parse_conversation(json.dumps(line), w.clock.now())  # it is valid backtest input
    assert parsed.label_escalate is True and parsed.label_category == "cancellation"


def test_the_shortcut_refuses_customers_bots_and_unwatched_channels(world_factory):
    w = make(world_factory)
    cust = w.customers[ACME]
    said = w.driver.user_says(cust.channel, cust.user, "hello")
    w.settle()
    assert said.ts
    w.driver.message_shortcut(cust.user, cust.channel, said.ts, MISSED_SHORTCUT)  # the customer
    w.settle()
    assert "Only the support team" in json.dumps(w.slack.views[-1])
    ai = w.slack.post_as_user(cust.channel, w.ai_user, "I can help with that", thread_ts=said.ts)
    w.driver.message_shortcut(AGENT, cust.channel, ai["ts"], MISSED_SHORTCUT)
    w.settle()
    assert "came from a bot or the AI agent" in json.dumps(w.slack.views[-1])
    note = w.slack.post_as_user("C0SUPPORT", AGENT, "team chat")
    w.driver.message_shortcut(AGENT, "C0SUPPORT", note["ts"], MISSED_SHORTCUT)
    w.settle()
    assert "not a customer channel" in json.dumps(w.slack.views[-1])
    assert rows(w, MissedEscalation) == []


# ---------------------------------------------------------------- the review


def _escalations(w: World, n: int) -> list[Escalation]:
    for i in range(n):
        cust = w.customers[ACME if i % 2 == 0 else "initech"]
        w.driver.user_says(cust.channel, cust.user, f"{HUMAN} ({i})")
        w.settle()
        for esc in rows(w, Escalation):
            if esc.status == "open":
                with session_scope(w.deps.db) as s:
                    repo.resolve(s, esc.id or 0, AGENT, "done", w.clock.now())
        w.clock.advance(timedelta(minutes=5))
    return rows(w, Escalation)


def review_posts(w: World) -> list[dict]:
    return [m for m in w.slack.messages(MANAGERS) if "False-positive review" in m.get("text", "")]


def test_review_command_posts_a_sample_and_the_buttons_record_verdicts(world_factory):
    w = make(world_factory)
    escs = _escalations(w, 4)
    resp = w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "review this month")
    assert resp.status_code == 200
    w.settle()
    assert any("posted to <#C0MANAGERS>" in e.get("text", "") for e in w.slack.ephemerals)
    [post] = review_posts(w)
    blocks = json.dumps(post["blocks"])
    assert all(f"#{e.id}" in blocks for e in escs)  # four escalations: all of them are the sample
    assert "Suggestions by trigger" in blocks
    assert "*Knowledge gaps*" in blocks  # the gaps section (bot.flows.gaps) ends the review

    target = escs[1]
    w.driver.click(
        "U0BOB",
        post["ts"],
        MANAGERS,
        Action.REVIEW_NOT_NEEDED.value,
        block_id=f"review_{target.id}",
        value=f"{rows(w, ReviewPost)[0].id}:{target.id}",
    )
    w.settle()
    esc = next(e for e in rows(w, Escalation) if e.id == target.id)
    assert (esc.needed, esc.needed_by, esc.needed_via) == (
        "no",
        "U0BOB",
        "review",
    ) and esc.needed_at is not None
    with session_scope(w.deps.db) as s:
        [fb] = [e for e in repo.timeline(s, target.id or 0) if e.kind == TimelineKind.FEEDBACK]
    assert fb.actor == "U0BOB" and fb.detail["via"] == "review"
    updated = w.slack.message(MANAGERS, post["ts"])
    assert updated is not None and "not needed by <@U0BOB> in review" in json.dumps(updated["blocks"])

    # an external user cannot give verdicts; a value outside the review is refused
    cust = w.customers[ACME]
    w.driver.click(
        cust.user,
        post["ts"],
        MANAGERS,
        Action.REVIEW_NEEDED.value,
        value=f"{rows(w, ReviewPost)[0].id}:{target.id}",
    )
    w.driver.click(
        AGENT, post["ts"], MANAGERS, Action.REVIEW_NEEDED.value, value=f"{rows(w, ReviewPost)[0].id}:99999"
    )
    w.settle()
    assert next(e for e in rows(w, Escalation) if e.id == target.id).needed == "no"
    texts = [e.get("text", "") for e in w.slack.ephemerals]
    assert any("Only the support team reviews" in t for t in texts)
    assert any("not part of this review" in t for t in texts)


def test_the_monthly_review_is_posted_once_on_schedule_across_instances(world_factory):
    start = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    w = make(world_factory, "review: {day: 1, hour: 9, sample_size: 3}\n", start=start)
    _escalations(w, 5)
    w.clock.set(datetime(2026, 12, 1, 8, 59, tzinfo=UTC))
    w.sweep()
    assert review_posts(w) == []  # not yet
    w.clock.set(datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC))
    w.sweep()
    w.sweep()  # a second sweep, as another instance's would be
    w.clock.advance(timedelta(hours=3))
    w.sweep()
    [post] = review_posts(w)
    assert "False-positive review, last month" in post["text"]
    [review] = rows(w, ReviewPost)
    assert review.period == "2026-11" and len(review.escalation_ids) == 3
    assert review.start == datetime(2026, 11, 1, tzinfo=UTC) and review.end == datetime(
        2026, 12, 1, tzinfo=UTC
    )


def test_a_month_without_escalations_posts_no_scheduled_review(world_factory):
    w = make(world_factory, start=datetime(2026, 12, 1, 9, 5, tzinfo=UTC))
    w.sweep()
    w.sweep()
    assert review_posts(w) == [] and rows(w, ReviewPost) == []
