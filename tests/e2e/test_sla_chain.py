"""End to end: the SLA chain of an unclaimed escalation, through the real app, sweep and stand-ins.

immediate: card at once -> 5 min remind (+ the customer's "still on it") -> 10 min DM on-call + page
-> 20 min notify the manager. Claiming stops it (and resolves the page), releasing restarts it from
the release time, resolving ends it. A restart in the middle loses and doubles nothing.
Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient

from bot.cards import Action
from bot.clock import VirtualClock
from bot.policy import Policy, load_policy_text
from bot.sandbox.driver import SlackDriver
from bot.sandbox.pagerduty import API_TOKEN, ROUTING_KEY
from bot.sandbox.world import SIGNING_SECRET, AgentSpec, World
from bot.settings import Settings
from bot.web import Server
from bot.wiring import build
from integrations.pagerduty import PagerDutyEvents, PagerDutyOnCalls
from storage import repo
from storage.db import session_scope
from storage.models import Escalation
from tests.e2e.helpers import ACME

POLICIES = Path(__file__).parent / "policies"
HUMAN = "This isn't working. I want to talk to a real person please"
QUEUED = "I want to cancel my subscription, it's too expensive for us"
ONCALL, AGENT, MANAGER = "U0BOB", "U0ALICE", "U0DANA"
AGENTS = [
    AgentSpec(ONCALL, "bob", teams=("support",)),
    AgentSpec(AGENT, "alice"),
    AgentSpec(MANAGER, "dana"),
]
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York


def policy(name: str) -> Policy:
    path = POLICIES / f"{name}.yaml"
    return load_policy_text(path.read_text(encoding="utf-8"), source=str(path))


def world_maker(world_factory: Callable[..., World]) -> Callable[..., World]:
    """make(policy name, start time) -> a started World with the on-call agent, a manager and an agent."""

    def make(name: str = "always_open", start: datetime = T0, **kwargs: Any) -> World:
        return world_factory(policy=policy(name), agents=AGENTS, clock=VirtualClock(start), **kwargs)

    return make


@pytest.fixture
def make_world(world_factory):
    return world_maker(world_factory)


# ---------------------------------------------------------------- reading what happened


def escalate(w: World, account: str = ACME, text: str = HUMAN) -> Escalation:
    cust = w.customers[account]
    assert w.driver.user_says(cust.channel, cust.user, text).status == 200
    w.settle()
    return current(w)


def current(w: World, esc_id: int | None = None) -> Escalation:
    with session_scope(w.deps.db) as session:
        rows = list(session.exec(repo.select(Escalation)))
    if esc_id is None:
        assert len(rows) == 1
        return rows[0]
    return next(e for e in rows if e.id == esc_id)


def kinds(w: World, esc_id: int | None) -> list[str]:
    assert esc_id is not None
    with session_scope(w.deps.db) as session:
        return [e.kind for e in repo.timeline(session, esc_id)]


def events(w: World, esc_id: int | None, kind: str) -> list[Any]:
    assert esc_id is not None
    with session_scope(w.deps.db) as session:
        return [e for e in repo.timeline(session, esc_id) if e.kind == kind]


def reminders(w: World) -> list[dict[str, Any]]:
    return [m for m in w.slack.bot_messages("C0SUPPORT") if "still unclaimed" in str(m.get("text", ""))]


def still_on_it(w: World, account: str = ACME) -> list[dict[str, Any]]:
    channel = w.customers[account].channel
    return [m for m in w.slack.bot_messages(channel) if "Thanks for your patience" in str(m.get("text", ""))]


def dms(w: World, user: str) -> list[dict[str, Any]]:
    channel = w.slack.dm_channel(user)
    return w.slack.bot_messages(channel) if channel else []


def triggers(w: World, key: str | None = None) -> list[dict[str, Any]]:
    """Trigger events PagerDuty accepted (202), for one dedup_key or all."""
    assert w.pagerduty is not None
    return [
        e
        for e in w.pagerduty.events()
        if e["event_action"] == "trigger" and (key is None or e["dedup_key"] == key)
    ]


def card_json(w: World, esc: Escalation) -> str:
    msg = w.slack.message(esc.card_channel, esc.card_ts)
    assert msg is not None
    return json.dumps(msg["blocks"])


def click(w: World, esc: Escalation, action: Action, user: str = AGENT) -> None:
    assert w.driver.click(user, esc.card_ts, esc.card_channel, action.value).status_code == 200
    w.settle()


def key_of(esc: Escalation) -> str:
    return f"baton-esc-{esc.id}"


# ---------------------------------------------------------------- the default chain


def test_immediate_chain_remind_page_manager_in_order(make_world):
    w = make_world()
    esc = escalate(w)
    assert esc.urgency == "immediate" and esc.team == "support"
    assert "next: remind the team at 15:05 UTC" in card_json(w, esc)

    w.advance_to(T0 + timedelta(minutes=4, seconds=59))
    assert reminders(w) == [] and still_on_it(w) == []

    w.advance_to(T0 + timedelta(minutes=5))
    [reminder] = reminders(w)
    assert reminder["thread_ts"] == esc.card_ts and "<!here>" in reminder["text"]
    assert len(still_on_it(w)) == 1
    [reminded] = events(w, esc.id, "reminded")
    assert reminded.at == T0 + timedelta(minutes=5)
    assert "next: page on-call at 15:10 UTC" in card_json(w, current(w))
    assert triggers(w) == [] and dms(w, ONCALL) == []

    w.advance_to(T0 + timedelta(minutes=10))
    [dm] = dms(w, ONCALL)
    assert Action.CLAIM.value in json.dumps(dm["blocks"]) and "on call" in dm["text"]
    [trigger] = triggers(w, key_of(esc))
    details = trigger["payload"]["custom_details"]
    assert details["escalation_id"] == esc.id and details["account"] == ACME
    assert trigger["payload"]["severity"] == "critical"
    assert ACME in trigger["payload"]["summary"] and trigger["links"]
    assert w.pagerduty.incident(key_of(esc))["status"] == "triggered"
    [paged] = events(w, esc.id, "paged")
    assert paged.at == T0 + timedelta(minutes=10) and paged.detail["dedup_key"] == key_of(esc)
    assert "paged" in card_json(w, current(w))
    assert dms(w, MANAGER) == []

    w.advance_to(T0 + timedelta(minutes=20))
    [note] = dms(w, MANAGER)
    assert "nobody on team support has claimed it" in note["text"]

    # The chain is finished, and still nobody claimed: its last step (notify the manager) repeats every
    # `repeat_every` (30m by default) until someone does; nothing else runs again.
    w.advance_to(T0 + timedelta(hours=2))
    assert len(reminders(w)) == 1 and len(still_on_it(w)) == 1
    assert len(dms(w, ONCALL)) == 1 and len(triggers(w)) == 1
    assert len(dms(w, MANAGER)) == 4  # 20m, then 50m, 80m, 110m
    assert kinds(w, esc.id).count("step") == 3 and kinds(w, esc.id).count("overtime") == 3
    assert current(w).next_step_at is None


def test_claim_after_the_page_stops_the_chain_and_resolves_the_page(make_world):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=12))
    assert w.pagerduty.incident(key_of(esc))["status"] == "triggered"
    click(w, esc, Action.CLAIM)
    esc = current(w)
    assert esc.status == "claimed" and esc.next_step_at is None
    incident = w.pagerduty.incident(key_of(esc))
    assert incident["status"] == "resolved" and incident["resolved_at"] == T0 + timedelta(minutes=12)
    assert "page_resolved" in kinds(w, esc.id)

    w.advance_to(T0 + timedelta(hours=1))
    assert dms(w, MANAGER) == [] and len(reminders(w)) == 1 and len(triggers(w)) == 1
    assert kinds(w, esc.id).count("step") == 2


def test_claim_before_the_page_means_no_page_at_all(make_world):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=7))
    click(w, esc, Action.CLAIM)
    w.advance_to(T0 + timedelta(hours=1))
    assert w.pager_requests() == []  # no trigger, and no resolve for a page that never went out
    assert dms(w, ONCALL) == [] and dms(w, MANAGER) == []
    assert len(reminders(w)) == 1


def test_release_restarts_the_chain_from_the_release_time(make_world):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=2))
    click(w, esc, Action.CLAIM)
    w.advance_to(T0 + timedelta(minutes=30))
    assert reminders(w) == []
    click(w, esc, Action.RELEASE)
    esc = current(w)
    assert esc.status == "open" and esc.chain_started_at == T0 + timedelta(minutes=30)
    assert esc.next_step_at == T0 + timedelta(minutes=35)
    assert "next: remind the team at 15:35 UTC" in card_json(w, esc)

    w.advance_to(T0 + timedelta(minutes=34, seconds=59))
    assert reminders(w) == []
    w.advance_to(T0 + timedelta(minutes=40))
    assert len(reminders(w)) == 1
    [paged] = events(w, esc.id, "paged")
    assert paged.at == T0 + timedelta(minutes=40)
    assert len(triggers(w, key_of(esc))) == 1


def test_resolving_ends_the_chain_and_the_page(make_world):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=10))
    click(w, esc, Action.CLAIM)
    click(w, esc, Action.RELEASE)  # back to the queue at 10:00: paged again at 20:00
    w.advance_to(T0 + timedelta(minutes=21))
    assert len(triggers(w, key_of(esc))) == 2
    assert w.pagerduty.incident(key_of(esc))["status"] == "triggered"
    click(w, esc, Action.CLAIM)
    click(w, esc, Action.RESOLVE)
    view = w.slack.views[-1]
    assert w.driver.submit_view(AGENT, view["id"], {"resolution": {"note": "Fixed."}}).status_code == 200
    w.settle()
    assert current(w).status == "resolved"
    assert all(inc["status"] == "resolved" for inc in w.pagerduty.incidents())
    before = (len(reminders(w)), len(w.pager_requests()), len(dms(w, MANAGER)))
    w.advance_to(T0 + timedelta(hours=3))
    assert (len(reminders(w)), len(w.pager_requests()), len(dms(w, MANAGER))) == before
    assert current(w).next_step_at is None


def test_queued_chain_pages_only_in_business_hours(make_world):
    """queued: 15 min remind -> 30 min page (business hours only). Opened 16:40 in New York on a
    Monday: reminded at 16:55, the page waits for Tuesday 09:00 (14:00 UTC)."""
    start = datetime(2026, 11, 23, 21, 40, tzinfo=UTC)  # Monday 16:40 EST
    w = make_world("new_york", start)
    esc = escalate(w, "initech", QUEUED)
    assert esc.urgency == "queued"
    w.advance_to(start + timedelta(minutes=15))
    assert len(reminders(w)) == 1
    tuesday_open = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    assert current(w).next_step_at == tuesday_open
    w.advance_to(tuesday_open - timedelta(seconds=1))
    assert triggers(w) == [] and dms(w, ONCALL) == []
    w.advance_to(tuesday_open)
    assert len(triggers(w, key_of(esc))) == 1 and len(dms(w, ONCALL)) == 1
    [paged] = events(w, esc.id, "paged")
    assert paged.at == tuesday_open


def test_policy_edits_do_not_change_a_running_chain(make_world):
    w = make_world()
    esc = escalate(w)
    frozen = current(w).chain
    w.deps.policy = load_policy_text(
        (POLICIES / "always_open.yaml").read_text() + "chains:\n  immediate: [{after: 1m, action: notify_manager}]\n"
    )
    w.advance_to(T0 + timedelta(minutes=5))
    assert current(w).chain == frozen and len(reminders(w)) == 1 and dms(w, MANAGER) == []
    assert esc.id is not None


# ---------------------------------------------------------------- restarts


def restart_app(w: World) -> None:
    """Stop Baton (driver, HTTP server, runtime) and start a new app on the same database, Slack and
    PagerDuty: what a process restart looks like to everyone else."""
    assert w.driver and w.server and w.runtime and w.pagerduty
    w.driver.close()
    w.server.stop()
    w.runtime.close()
    http = httpx.Client(timeout=5.0)
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
        pagers={"pagerduty": PagerDutyEvents(http, ROUTING_KEY, w.pagerduty.url, clock=w.clock)},
        oncall_sources={"pagerduty": PagerDutyOnCalls(http, API_TOKEN, w.pagerduty.url)},
    )
    w.server = Server(w.runtime.wsgi).start()
    w.driver = SlackDriver(f"{w.server.url}/slack/events", SIGNING_SECRET, w.slack, w.clock)


def test_restart_in_the_middle_of_the_chain_loses_and_doubles_nothing(make_world):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=6))
    assert len(reminders(w)) == 1
    restart_app(w)
    w.advance_to(T0 + timedelta(minutes=25))
    restart_app(w)
    w.advance_to(T0 + timedelta(hours=1))
    assert len(reminders(w)) == 1 and len(still_on_it(w)) == 1
    assert len(dms(w, ONCALL)) == 1 and len(triggers(w, key_of(esc))) == 1
    assert len(dms(w, MANAGER)) == 2  # the last step at 20m, its one repeat at 50m
    assert kinds(w, esc.id).count("step") == 3 and kinds(w, esc.id).count("overtime") == 1
    # The new app still answers clicks on the old card.
    click(w, esc, Action.CLAIM)
    assert w.pagerduty.incident(key_of(esc))["status"] == "resolved"


def test_crash_after_the_step_before_its_effect_runs_it_once_after_restart(make_world):
    """The step is taken (steps_done moved, effect queued) but the process dies before the effect runs:
    the new process runs the queued effect exactly once."""
    w = make_world()
    esc = escalate(w)
    w.clock.set(T0 + timedelta(minutes=5))
    # Take the due step the way the sweep does, but "crash" before the outbox runs: a failing Slack
    # leaves the reminder queued for a retry, then the process is replaced.
    w.slack.fail_next("chat.postMessage", "ratelimited", count=1, retry_after=30)
    w.sweep()
    assert reminders(w) == [] and current(w).steps_done == 1
    restart_app(w)
    w.advance_to(T0 + timedelta(minutes=9))
    assert len(reminders(w)) == 1 and len(still_on_it(w)) == 1
    w.advance_to(T0 + timedelta(minutes=30))
    assert len(reminders(w)) == 1 and len(triggers(w, key_of(esc))) == 1


def test_a_failed_customer_note_does_not_repeat_the_team_reminder(make_world):
    """The reminder reached the team channel, the customer's "still on it" note was rate limited: the
    retry must post the customer note, not a second reminder."""
    w = make_world()
    escalate(w)
    w.clock.set(T0 + timedelta(minutes=4))
    # Drain the customer channel's post budget (1 message, refilled once an hour); the team channel's
    # budget starts full, so only the customer note is refused.
    w.slack.enable_rate_limits(limits={}, channel_post_limit=(1 / 3600, 1))
    bot = WebClient(token=w.slack.bot_token, base_url=w.slack.base_url)
    bot.chat_postMessage(channel=w.customers[ACME].channel, text="(an earlier bot message)")
    w.advance_to(T0 + timedelta(minutes=5))
    assert len(reminders(w)) == 1 and still_on_it(w) == []
    w.slack.disable_rate_limits()
    w.advance_to(T0 + timedelta(hours=2))
    assert len(still_on_it(w)) == 1
    assert len(reminders(w)) == 1
