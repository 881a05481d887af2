"""Drift alerts on synthetic history stored in the real database (a step up, a step down, noise that
must stay quiet), run by the sweep once a day; and the App Home tab: published on open, refreshed
(debounced through the outbox) when the queue changes, with the week's chart as a slack_file image."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.cards import Action
from bot.clock import VirtualClock
from bot.policy import load_policy_text
from bot.sandbox.world import World
from storage.db import session_scope
from storage.models import Conversation, Escalation, Message, OutboxItem
from tests.e2e.helpers import ACCOUNTS, ACME
from tests.e2e.test_sla_chain import AGENT, AGENTS, HUMAN, POLICIES, T0

MANAGERS = "C0MANAGERS"
DAY = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday: the day checked
BASE = {"human_request": 0.06, "billing_dispute": 0.03}


def make(world_factory, start: datetime, extra: str = "") -> World:
    path = POLICIES / "always_open.yaml"
    policy = load_policy_text(path.read_text(encoding="utf-8") + extra, source=str(path))
    return world_factory(policy=policy, agents=AGENTS, accounts=ACCOUNTS, clock=VirtualClock(start))


def seed_day(w: World, day: datetime, rng: random.Random, *, factor: dict[str, float] | None = None) -> None:
    """A day of conversations (about 300, most in working hours) with escalations at the given rates."""
    factor = factor or {}
    with session_scope(w.deps.db) as s:
        for i in range(300):
            hour = rng.choice([2, 8, 9, 10, 11, 13, 14, 15, 16, 19])
            at = day + timedelta(hours=hour, minutes=rng.randrange(60))
            conv = Conversation(
                source="slack",
                channel="C0ACME",
                thread_ts=f"{at.timestamp():.0f}.{i:06d}",
                account_id=ACME,
                created_at=at,
                last_message_at=at,
            )
            s.add(conv)
            s.flush()
            s.add(
                Message(
                    conversation_id=conv.id or 0,
                    source="slack",
                    channel="C0ACME",
                    ts=conv.thread_ts,
                    role="customer",
                    text="hi",
                    sent_at=at,
                )
            )
            for trigger, rate in BASE.items():
                if rng.random() < rate * factor.get(trigger, 1.0):
                    s.add(
                        Escalation(
                            conversation_id=conv.id or 0,
                            account_id=ACME,
                            urgency="queued",
                            category="general",
                            team="support",
                            primary_trigger=trigger,
                            status="resolved",
                            opened_at=at + timedelta(minutes=1),
                            resolved_at=at + timedelta(minutes=30),
                        )
                    )
                    break


def seed(w: World, seed_value: int, factor: dict[str, float] | None = None) -> None:
    rng = random.Random(seed_value)
    for k in range(1, 5):
        seed_day(w, DAY - timedelta(weeks=k), rng)
    seed_day(w, DAY, rng, factor=factor)


def drift_posts(w: World) -> list[dict]:
    return [m for m in w.slack.messages(MANAGERS) if m.get("upload") and "drift" in m.get("text", "")]


def run_daily_check(w: World) -> None:
    w.clock.set(DAY + timedelta(days=1, hours=5, minutes=59))
    w.sweep()
    assert drift_posts(w) == []  # before the check's hour (06:00)
    w.clock.set(DAY + timedelta(days=1, hours=6, minutes=1))
    w.sweep()
    w.sweep()  # a second instance's sweep: one check a day
    w.clock.advance(timedelta(hours=4))
    w.sweep()


def test_a_step_up_of_a_trigger_alerts_the_managers_with_the_chart(world_factory):
    w = make(world_factory, DAY + timedelta(days=1))
    seed(w, 3, factor={"billing_dispute": 4.0})
    run_daily_check(w)
    [post] = drift_posts(w)
    assert "trigger `billing_dispute`" in post["text"] and "rose" in post["text"]
    assert "human_request" not in post["text"]
    [file_id] = [f["id"] for f in post["files"]]
    assert w.slack.files[file_id]["data"][:8] == b"\x89PNG\r\n\x1a\n"
    with session_scope(w.deps.db) as s:
        checks = [o for o in s.exec(select(OutboxItem).where(OutboxItem.kind == "drift_check"))]
    assert [c.dedup for c in checks] == ["drift_check:drift:2026-11-23"]


def test_a_sharp_drop_alerts_too(world_factory):
    w = make(world_factory, DAY + timedelta(days=1))
    seed(w, 4, factor={"human_request": 0.1, "billing_dispute": 0.1})
    run_daily_check(w)
    [post] = drift_posts(w)
    assert "all escalations" in post["text"] and "dropped" in post["text"]


def test_an_ordinary_day_posts_nothing(world_factory):
    w = make(world_factory, DAY + timedelta(days=1))
    seed(w, 5)
    run_daily_check(w)
    assert drift_posts(w) == []


def drift_answers(w: World) -> list[str]:
    return [e.get("text", "") for e in w.slack.ephemerals if "drift" in e.get("text", "").lower()]


def test_escalations_drift_runs_the_check_now_and_says_what_it_found(world_factory):
    w = make(world_factory, DAY + timedelta(days=1, hours=2))  # before the daily check's hour
    seed(w, 3, factor={"billing_dispute": 4.0})
    assert w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "drift").status_code == 200
    w.settle()
    [answer] = drift_answers(w)
    assert "Escalation rate drift on 2026-11-23" in answer and "trigger `billing_dispute`" in answer
    assert "rose" in answer and "human_request" not in answer and f"<#{MANAGERS}>" in answer
    assert drift_posts(w) == []  # answered to whoever asked; the managers' alert stays the daily check's
    # a day by its date: the first seeded one, with no history before it to judge against
    w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "drift 2026-10-26")
    w.settle()
    quiet = drift_answers(w)[-1]
    assert "No escalation rate drift on 2026-10-26" in quiet and "all escalations:" in quiet
    assert "too little history to judge" in quiet


def test_escalations_drift_on_an_ordinary_day_lists_the_series_and_refuses_bad_days(world_factory):
    w = make(world_factory, DAY + timedelta(days=1, hours=8))
    seed(w, 5)
    w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "drift yesterday")
    w.settle()
    [answer] = drift_answers(w)
    assert "No escalation rate drift on 2026-11-23" in answer and "3 series checked" in answer
    assert "• all escalations:" in answer and "`billing_dispute`" in answer and "were expected (z = " in answer
    for words, said in (("today-ish", "is not a day"), ("2026-11-24", "Only a day that is over")):
        w.driver.slash(AGENT, "C0SUPPORT", "/escalations", f"drift {words}")
        w.settle()
        assert any(said in t and "Usage: `/escalations drift" in t for t in drift_answers(w))
    assert drift_posts(w) == []


def test_drift_can_be_turned_off(world_factory):
    w = make(world_factory, DAY + timedelta(days=1), "drift: {enabled: false}\n")
    seed(w, 3, factor={"billing_dispute": 4.0})
    run_daily_check(w)
    assert drift_posts(w) == []


# ---------------------------------------------------------------- App Home


def open_home(w: World, user: str) -> None:
    cust = w.customers[ACME]
    said = w.driver.user_says(cust.channel, cust.user, "hello there")
    envelope = w.driver.envelope_for(cust.channel, said.ts or "")
    envelope["event"] = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1.0",
    }
    assert w.driver.deliver_event(envelope).status == 200
    w.settle()


def test_app_home_shows_queue_claims_oncall_and_the_week_and_refreshes_on_changes(world_factory):
    w = make(world_factory, T0)
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    open_home(w, AGENT)
    home = json.dumps(w.slack.home_views[AGENT])
    assert "1 active escalation" in home and "1 unclaimed" in home
    assert "*My claims*: none" in home and "On call now" in home and "Last 7 days" in home
    [image] = [b for b in w.slack.home_views[AGENT]["blocks"] if b["type"] == "image"]
    file_id = image["slack_file"]["id"]
    assert w.slack.files[file_id]["data"][:8] == b"\x89PNG\r\n\x1a\n"

    with session_scope(w.deps.db) as s:
        esc = s.exec(select(Escalation).order_by(col(Escalation.id))).first()
    assert esc is not None
    publishes = len(w.slack.calls_to("views.publish"))
    w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    w.settle()
    w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.RELEASE.value)
    w.settle()
    w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    w.settle()
    assert len(w.slack.calls_to("views.publish")) == publishes  # debounced: not yet
    w.advance_to(w.clock.now() + timedelta(seconds=31))
    assert len(w.slack.calls_to("views.publish")) == publishes + 1  # three changes, one refresh
    home = json.dumps(w.slack.home_views[AGENT])
    assert "*My claims*" in home and f"#{esc.id}" in home.split("My claims")[1]
    assert "0 unclaimed" in home
    # the same chart (by content) is uploaded once: another viewer opening the tab reuses the file
    uploads = len(w.slack.calls_to("files.completeUploadExternal"))
    open_home(w, "U0BOB")
    assert len(w.slack.calls_to("files.completeUploadExternal")) == uploads
    assert "*My claims*: none" in json.dumps(w.slack.home_views["U0BOB"])


def test_nobody_looking_means_no_publish(world_factory):
    w = make(world_factory, T0)
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    w.advance_to(w.clock.now() + timedelta(minutes=2))
    assert w.slack.calls_to("views.publish") == []
