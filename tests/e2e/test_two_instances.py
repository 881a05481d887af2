"""Two Baton instances on one database sweep the same escalations at the same moment: every step is
taken once and every effect runs once (SKIP LOCKED and conditional UPDATEs on PostgreSQL, conditional
UPDATEs under SQLite's write lock). Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from slack_sdk import WebClient

from bot.deps import Deps
from bot.flows.sweep import sweep
from bot.sandbox.pagerduty import API_TOKEN, ROUTING_KEY
from bot.sandbox.world import SIGNING_SECRET, World
from bot.settings import Settings
from bot.wiring import Runtime, build
from integrations.pagerduty import PagerDutyEvents, PagerDutyOnCalls
from storage import repo
from storage.db import session_scope
from storage.models import Escalation
from tests.e2e.test_sla_chain import (
    HUMAN,
    MANAGER,
    ONCALL,
    T0,
    dms,
    key_of,
    reminders,
    still_on_it,
    triggers,
    world_maker,
)


@pytest.fixture
def make_world(world_factory):
    return world_maker(world_factory)

ACCOUNTS = [
    {"id": f"acct{i}", "name": f"Account {i}", "tier": "mid-market", "channel": f"C0ACCT{i}"} for i in range(4)
]


def second_instance(w: World) -> Runtime:
    """Another Baton process: its own engine, Slack client and pager clients, the same database."""
    assert w.pagerduty is not None
    http = httpx.Client(timeout=5.0)
    settings = Settings(
        database_url=w.database_url,
        slack_bot_token=w.slack.bot_token,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=w.slack.base_url,
    )
    return build(
        settings,
        clock=w.clock,
        policy=w.policy,
        slack=WebClient(token=w.slack.bot_token, base_url=w.slack.base_url),
        pagers={"pagerduty": PagerDutyEvents(http, ROUTING_KEY, w.pagerduty.url, clock=w.clock)},
        oncall_sources={"pagerduty": PagerDutyOnCalls(http, API_TOKEN, w.pagerduty.url)},
        run_migrations=False,
    )


def sweep_together(instances: list[Deps], rounds: int = 3) -> None:
    """Every instance sweeps at the same moment, `rounds` times (threads released by one barrier)."""
    barrier = threading.Barrier(len(instances), timeout=30)
    errors: list[BaseException] = []

    def run(deps: Deps) -> None:
        try:
            for _ in range(rounds):
                barrier.wait()
                sweep(deps, deps.clock.now())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,), daemon=True) for d in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_two_instances_sweeping_together_page_each_escalation_once(world_factory):
    from bot.clock import VirtualClock
    from tests.e2e.test_sla_chain import AGENTS, policy

    w = world_factory(policy=policy("always_open"), agents=AGENTS, accounts=ACCOUNTS, clock=VirtualClock(T0))
    for acc in ACCOUNTS:
        cust = w.customers[acc["id"]]
        w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    with session_scope(w.deps.db) as session:
        escs = list(session.exec(repo.select(Escalation)))
    assert len(escs) == len(ACCOUNTS)
    other = second_instance(w)
    try:
        instances = [w.deps, other.deps, w.deps, other.deps]  # two threads per instance, too
        for minutes in (5, 10, 20, 21):
            w.clock.set(T0 + timedelta(minutes=minutes))
            sweep_together(instances)
    finally:
        other.close()

    assert len(reminders(w)) == len(escs)
    assert all(len(still_on_it(w, acc["id"])) == 1 for acc in ACCOUNTS)
    for esc in escs:
        assert len(triggers(w, key_of(esc))) == 1, esc.id
    trigger_posts = Counter(
        r["body"]["dedup_key"] for r in w.pager_requests() if r["body"].get("event_action") == "trigger"
    )
    assert trigger_posts == Counter({key_of(e): 1 for e in escs})  # not even a deduplicated repeat
    assert len(dms(w, ONCALL)) == len(escs) and len(dms(w, MANAGER)) == len(escs)
    with session_scope(w.deps.db) as session:
        for esc in escs:
            assert esc.id is not None
            steps = [e for e in repo.timeline(session, esc.id) if e.kind == "step"]
            assert [s.detail["action"] for s in steps] == ["remind", "page", "notify_manager"]
