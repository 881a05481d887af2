"""The watchdog reports late chain steps; Opsgenie works as the alternative pager, end to end."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.cards import Action
from bot.policy import load_policy_text
from bot.sandbox.world import AgentSpec
from storage import repo
from storage.db import session_scope
from tests.e2e.helpers import ACME, card_messages, escalations

HUMAN = "This isn't working. I want to talk to a real person please"

OPSGENIE_POLICY = """
version: 1
workspace: {ai_bot_users: [U0AIAGENT], managers_channel: C0MANAGERS}
team_defaults: {timezone: UTC, hours: always}
teams:
  support:
    channel: C0SUPPORT
    categories: [general, technical, account, security, billing, cancellation, legal, privacy]
    oncall: {provider: opsgenie, schedule: support-schedule, team: support}
routing: {default_team: support}
"""
AGENTS = [AgentSpec("U0ALICE", "alice", teams=("support",)), AgentSpec("U0BOB", "bob")]


def test_a_step_run_late_is_logged_and_reported_to_managers(world_factory, monday_morning):
    w = world_factory(policy=load_policy_text(OPSGENIE_POLICY), agents=AGENTS)
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    # The process was down: no sweep ran for 8 minutes, so the 5-minute reminder is 3 minutes late.
    w.clock.set(monday_morning + timedelta(minutes=8))
    w.sweep()
    [esc] = escalations(w)
    with session_scope(w.deps.db) as session:
        late = [e for e in repo.timeline(session, esc.id) if e.kind == "step_overdue"]
    assert len(late) == 1 and late[0].detail["action"] == "remind" and late[0].detail["late_seconds"] == 180
    alerts = [m["text"] for m in w.slack.messages("C0MANAGERS") if "watchdog" in m.get("text", "")]
    assert len(alerts) == 1 and "remind" in alerts[0]
    w.sweep()  # reported once, not at every sweep
    assert len([m for m in w.slack.messages("C0MANAGERS") if "watchdog" in m.get("text", "")]) == 1


def test_steps_on_time_do_not_wake_the_watchdog(world_factory, monday_morning):
    w = world_factory(policy=load_policy_text(OPSGENIE_POLICY), agents=AGENTS)
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    w.advance_to(monday_morning + timedelta(minutes=30))
    [esc] = escalations(w)
    with session_scope(w.deps.db) as session:
        assert not [e for e in repo.timeline(session, esc.id) if e.kind == "step_overdue"]
    # (the escalation is past its 15m pickup target by now: that breach is reported, no step lateness)
    assert not [m for m in w.slack.messages("C0MANAGERS") if "step of escalation" in m.get("text", "")]
    assert [m for m in w.slack.messages("C0MANAGERS") if "past its pickup target" in m.get("text", "")]


def test_opsgenie_alert_dm_and_close_on_claim(world_factory, monday_morning):
    w = world_factory(policy=load_policy_text(OPSGENIE_POLICY), agents=AGENTS)
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    w.advance_to(monday_morning + timedelta(minutes=11))
    [esc] = escalations(w)
    assert w.opsgenie is not None
    [alert] = w.opsgenie.alerts()
    assert alert["priority"] == "P1" and len(alert["message"]) <= 130
    assert {"type": "team", "name": "support"} in alert.get("responders", [])
    dm = w.slack.dm_channel("U0ALICE")
    assert dm is not None
    assert any(Action.CLAIM.value in json.dumps(m.get("blocks")) for m in w.slack.messages(dm))
    w.driver.click("U0ALICE", esc.card_ts, esc.card_channel, Action.CLAIM.value)
    w.settle()
    closed = w.opsgenie.alert(alert["alias"])
    assert closed is not None and closed.get("status") == "closed", closed
    assert len(card_messages(w)) == 1
