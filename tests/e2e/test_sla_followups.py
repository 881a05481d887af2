"""SLA follow-ups, end to end through signed events, clicks and slash commands into the real app, the
Slack stand-in and a real database (SQLite; PostgreSQL when DATABASE_URL points at one):

- breaches are in the reports: `/escalations report` and `baton report --json` count the escalations
  that breached the pickup target and a next-reply target, with their share;
- Reopen restarts the next-reply target (the person who reopened it owes the customer a reply).
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.cards import Action
from bot.cli import main
from tests.e2e.helpers import ACME
from tests.e2e.test_sla_chain import AGENT, T0, click, current, escalate, events, world_maker


def customer_says(w, text: str) -> None:
    cust = w.customers[ACME]
    conv_ts = w.slack.bot_messages(cust.channel)[0]["thread_ts"]
    assert w.driver.user_says(cust.channel, cust.user, text, thread_ts=conv_ts).status == 200
    w.settle()


def agent_says(w, text: str) -> None:
    cust = w.customers[ACME]
    conv_ts = w.slack.bot_messages(cust.channel)[0]["thread_ts"]
    assert w.driver.user_says(cust.channel, AGENT, text, thread_ts=conv_ts).status == 200
    w.settle()


def report_dm(w) -> str:
    channel = w.slack.dm_channel(AGENT)
    assert channel is not None
    [report] = [
        m for m in w.slack.messages(channel) if m.get("blocks") and "Escalations, last 7 days" in str(m["blocks"])
    ]
    return json.dumps(report["blocks"], ensure_ascii=False)


def test_breaches_of_both_targets_are_in_the_slack_report_and_the_json(world_factory, capsys):
    w = world_maker(world_factory)("always_open", T0)
    esc = escalate(w)  # immediate: pickup 15m, next reply 30m
    w.advance_to(T0 + timedelta(minutes=16))  # the pickup target passes
    click(w, esc, Action.CLAIM)
    w.advance_to(T0 + timedelta(minutes=47))  # ... and the next-reply target from the claim
    esc = current(w)
    assert esc.pickup_breaches == 1 and esc.next_reply_breaches == 1
    assert [e.detail["target"] for e in events(w, esc.id, "sla_breached")] == ["pickup", "next_reply"]
    agent_says(w, "Sorry for the wait, looking now")
    customer_says(w, "still not working")  # a new next-reply target...
    w.advance_to(T0 + timedelta(minutes=80))  # ...breached too: the escalation counts once
    assert current(w).next_reply_breaches == 2

    assert w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 7d").status_code == 200
    w.settle()
    blocks = report_dm(w)
    assert "*SLA breaches* pickup 1 (100.0% of 1 escalations) · next reply 1 (100.0% of 1 claimed)" in blocks

    assert main(["report", "--db", w.database_url, "--since", "3650d", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    breaches = report["figures"]["sla_breaches"]
    assert breaches["pickup"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert breaches["next_reply"] == {"value": 1.0, "numerator": 1, "denominator": 1}


def test_a_release_that_breaches_pickup_again_counts_one_escalation(world_factory):
    w = world_maker(world_factory)("always_open", T0)
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=16))
    click(w, esc, Action.CLAIM)
    click(w, esc, Action.RELEASE)
    w.advance_to(T0 + timedelta(minutes=33))  # the pickup target again, from the release
    assert current(w).pickup_breaches == 2
    assert w.driver.slash(AGENT, "C0SUPPORT", "/escalations", "report 7d").status_code == 200
    w.settle()
    assert "*SLA breaches* pickup 1 (100.0% of 1 escalations) · next reply 0" in report_dm(w)


def test_reopen_restarts_the_next_reply_target(world_factory):
    w = world_maker(world_factory)("always_open", T0)
    esc = escalate(w)
    click(w, esc, Action.CLAIM)
    agent_says(w, "On it")
    click(w, esc, Action.RESOLVE)
    w.driver.submit_view(AGENT, w.slack.views[-1]["id"], {"resolution": {"note": "ok"}, "needed": {"needed": "yes"}})
    w.settle()
    assert current(w).status == "resolved" and current(w).sla_target == ""
    reopened_at = T0 + timedelta(hours=2)
    w.advance_to(reopened_at)
    click(w, current(w), Action.REOPEN)
    esc = current(w)
    assert esc.status == "claimed" and esc.sla_target == "next_reply"
    assert esc.sla_due_at == reopened_at + timedelta(minutes=30)
    assert "Next reply target 30m" in json.dumps(w.slack.message(esc.card_channel, esc.card_ts))
    w.advance_to(reopened_at + timedelta(minutes=31))  # nobody answered the customer after reopening
    esc = current(w)
    assert esc.next_reply_breaches == 1 and esc.breached_by == "next_reply"
    assert esc.breached_at == reopened_at + timedelta(minutes=30)
