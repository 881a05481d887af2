"""End to end: paging through the PagerDuty stand-in. Outages and 429/5xx are retried from the outbox
until the page is accepted exactly once; a 400 is never retried; a claim racing the page step never
leaves an incident open; a surge pages once with the count; `baton simulate` checks paging keys.
Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from bot import cli
from bot.cards import Action
from bot.flows.oncall import who_is_on_call
from bot.flows.sweep import sweep
from storage import repo
from storage.db import session_scope
from storage.models import Escalation, OutboxItem
from tests.e2e.helpers import ACME
from tests.e2e.test_sla_chain import (
    AGENT,
    HUMAN,
    ONCALL,
    POLICIES,
    T0,
    card_json,
    click,
    current,
    dms,
    escalate,
    events,
    key_of,
    triggers,
    world_maker,
)


@pytest.fixture
def make_world(world_factory):
    return world_maker(world_factory)


def trigger_posts(w, key: str) -> list[dict]:
    """Every trigger POST that reached the pager (accepted or not)."""
    return [
        r["body"]
        for r in w.pager_requests()
        if r["body"].get("event_action") == "trigger" and r["body"].get("dedup_key") == key
    ]


# ---------------------------------------------------------------- outages, 429/5xx, 400


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_pager_outage_then_recovery_pages_exactly_once(make_world, mode):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=9))
    w.pagerduty.set_down(True, mode=mode)
    w.advance_to(T0 + timedelta(minutes=15))
    failed = events(w, esc.id, "page_failed")
    assert len(failed) >= 2 and all(f.detail["retryable"] for f in failed)
    assert events(w, esc.id, "paged") == [] and triggers(w) == []
    assert "paging failed, retrying" in card_json(w, current(w))
    w.advance_to(T0 + timedelta(minutes=25))  # still down while the manager is told
    assert triggers(w) == [] and len(dms(w, "U0DANA")) == 1

    w.pagerduty.set_down(False)
    w.advance_to(T0 + timedelta(hours=1))
    assert len(triggers(w, key_of(esc))) == 1
    assert len(events(w, esc.id, "paged")) == 1
    assert "paging failed" not in card_json(w, current(w))
    # PagerDuty's /oncalls was down too: the on-call person still gets their DM, once.
    assert len(dms(w, ONCALL)) == 1
    w.advance_to(T0 + timedelta(hours=3))
    assert len(triggers(w, key_of(esc))) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttled_or_failing_pager_is_retried_until_accepted(make_world, status):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=9))
    # Ask who is on call now (cached for two minutes), so the injected failures hit the page itself.
    who_is_on_call(w.deps, w.deps.policy.teams["support"], w.clock.now())
    w.pagerduty.fail_next(3, status, retry_after=20 if status == 429 else None)
    w.advance_to(T0 + timedelta(minutes=30))
    assert len(trigger_posts(w, key_of(esc))) == 4  # three refused, the fourth accepted
    assert len(triggers(w, key_of(esc))) == 1
    assert len(events(w, esc.id, "page_failed")) == 3 and len(events(w, esc.id, "paged")) == 1
    if status == 429:  # the Retry-After is honoured: no retry sooner than it asks
        posts = [e for e in events(w, esc.id, "page_failed")]
        gaps = [(b.at - a.at).total_seconds() for a, b in zip(posts, posts[1:], strict=False)]
        assert all(g >= 20 for g in gaps)


def test_invalid_event_400_is_not_retried(make_world):
    w = make_world()
    esc = escalate(w)
    w.advance_to(T0 + timedelta(minutes=9))
    who_is_on_call(w.deps, w.deps.policy.teams["support"], w.clock.now())
    w.pagerduty.fail_next(1, 400)
    w.advance_to(T0 + timedelta(minutes=15))
    assert "not retrying: rejected (400)" in card_json(w, current(w))
    w.advance_to(T0 + timedelta(hours=2))
    assert len(trigger_posts(w, key_of(esc))) == 1 and triggers(w) == []
    [failed] = events(w, esc.id, "page_failed")
    assert failed.detail["retryable"] is False
    with session_scope(w.deps.db) as session:
        [item] = [
            i for i in session.exec(repo.select(OutboxItem)) if i.kind == "page_pager"
        ]
    assert item.status == "failed"


# ---------------------------------------------------------------- a claim racing the page step


def race_claim_with_page_step(w, esc: Escalation) -> None:
    """The page step and a Claim click start at the same instant (one barrier releases both)."""
    barrier = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def page_step() -> None:
        try:
            barrier.wait()
            sweep(w.deps, w.clock.now())
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    def claim() -> None:
        try:
            barrier.wait()
            click(w, esc, Action.CLAIM)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=page_step, daemon=True), threading.Thread(target=claim, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    w.settle()


def test_claim_racing_the_page_step_never_leaves_a_page_open(make_world):
    """Many rounds: whichever wins, a page that went out after the claim is resolved (or never sent)."""
    w = make_world()
    cust = w.customers[ACME]
    for i in range(10):
        start = w.clock.now()
        w.driver.user_says(cust.channel, cust.user, f"{HUMAN} (round {i})")
        w.settle()
        with session_scope(w.deps.db) as session:
            esc = session.exec(repo.select(Escalation).where(Escalation.status == "open")).one()
        w.advance_to(start + timedelta(minutes=10) - timedelta(seconds=1))  # reminded, page not yet due
        w.clock.set(start + timedelta(minutes=10))
        race_claim_with_page_step(w, esc)
        w.advance_to(w.clock.now() + timedelta(minutes=1))  # let a late resolve run
        assert current(w, esc.id).status == "claimed"
        incident = w.pagerduty.incident(key_of(esc))
        assert incident is None or incident["status"] == "resolved", (i, incident)
    assert all(inc["status"] == "resolved" for inc in w.pagerduty.incidents())


# ---------------------------------------------------------------- surge


SURGE_ACCOUNTS = [
    {"id": f"cust{i}", "name": f"Customer {i}", "tier": "mid-market", "channel": f"C0CUST{i}"}
    for i in range(6)
]


def test_surge_pages_once_with_the_count_and_posts_one_notice(world_factory):
    from bot.clock import VirtualClock
    from tests.e2e.test_sla_chain import AGENTS, policy

    w = world_factory(
        policy=policy("always_open"), agents=AGENTS, accounts=SURGE_ACCOUNTS, clock=VirtualClock(T0)
    )
    for i, acc in enumerate(SURGE_ACCOUNTS):
        cust = w.customers[acc["id"]]
        w.driver.user_says(cust.channel, cust.user, "Nothing loads, is the service down? I need a human now")
        w.settle()
        w.advance_to(T0 + timedelta(seconds=20 * (i + 1)))
    with session_scope(w.deps.db) as session:
        escs = list(session.exec(repo.select(Escalation)))
    assert len(escs) == 6
    w.advance_to(T0 + timedelta(minutes=13))
    incidents = w.pagerduty.incidents()
    assert len(incidents) == 1, [i["dedup_key"] for i in incidents]
    [incident] = incidents
    assert incident["dedup_key"].startswith("baton-surge-support")
    assert "escalations for team support" in incident["summary"]
    notices = [m for m in w.slack.bot_messages("C0SUPPORT") if "Surge:" in str(m.get("text", ""))]
    assert len(notices) == 1 and "6 escalations" in notices[0]["text"]
    assert "6 escalations" in incident["summary"]
    assert all(events(w, e.id, "paged")[0].detail["dedup_key"] == incident["dedup_key"] for e in escs)
    # Claiming all but one keeps the incident open; the last claim resolves it.
    for esc in escs[:-1]:
        click(w, esc, Action.CLAIM)
    assert w.pagerduty.incident(incident["dedup_key"])["status"] != "resolved"
    click(w, escs[-1], Action.CLAIM)
    w.advance_to(w.clock.now() + timedelta(minutes=1))
    assert w.pagerduty.incident(incident["dedup_key"])["status"] == "resolved"


# ---------------------------------------------------------------- baton simulate


SCENARIO = """
start: "2026-11-23T10:00:00-05:00"
policy: {policy}
accounts:
  - {{id: acme, name: Acme Corp, tier: enterprise, channel: C0ACME}}
  - {{id: initech, name: Initech, tier: self-serve, channel: C0INITECH}}
agents:
  - {{id: U0BOB, name: bob, teams: [support]}}
  - {{id: U0ALICE, name: alice, teams: []}}
  - {{id: U0DANA, name: dana, teams: []}}
timeline:
  - {{at: 0s, customer: acme, says: "This isn't working. I want to talk to a real person please"}}
  - {{at: 1m, customer: initech, says: "This isn't working. I want to talk to a real person please"}}
  - {{at: 3m, click: claim, by: U0ALICE, conversation: initech}}
  - {{at: 22m, click: claim, by: U0ALICE, conversation: acme}}
expect:
  - {{conversation: acme, reminded_by: {reminded_by}, paged: true, paged_by: {paged_by}, page_resolved: true, claimed_by: U0ALICE}}
  - {{conversation: initech, paged: false, page_resolved: false}}
"""


def test_simulate_paging_expectations_and_pager_log(tmp_path, capsys):
    scenario = POLICIES / "paging_scenario.yaml"
    log = tmp_path / "pager.jsonl"
    code = cli.main(["simulate", str(scenario), "--json", "--pager-log", str(log)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["passed"] is True, out
    acme = out["expectations"][0]
    assert acme["passed"] and acme["expect"]["paged_by"] == "10m10s"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [ln["body"]["event_action"] for ln in lines] == ["trigger", "resolve"]
    assert all(ln["url"].endswith("/v2/enqueue") and set(ln) == {"url", "body"} for ln in lines)
    assert lines[0]["body"]["dedup_key"] == lines[1]["body"]["dedup_key"]
    assert lines[0]["body"]["payload"]["custom_details"]["account"] == "acme"


@pytest.mark.parametrize(
    ("reminded_by", "paged_by", "failing"),
    [("4m", "10m10s", "reminded_by"), ("5m10s", "9m", "paged_by")],
)
def test_simulate_reports_a_missed_paging_deadline(tmp_path, capsys, reminded_by, paged_by, failing):
    path = tmp_path / "late.yaml"
    path.write_text(
        SCENARIO.format(policy=POLICIES / "always_open.yaml", reminded_by=reminded_by, paged_by=paged_by)
    )
    code = cli.main(["simulate", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["passed"] is False
    assert out["expectations"][0]["passed"] is False
    assert out["expectations"][1]["passed"] is True


def test_simulate_rejects_a_bad_paging_key(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    text = SCENARIO.format(policy=POLICIES / "always_open.yaml", reminded_by="5m10s", paged_by="soon")
    path.write_text(text)
    code = cli.main(["simulate", str(path), "--json"])
    captured = capsys.readouterr()
    assert code not in (0, 1) or "paged_by" in captured.err + captured.out
    assert code != 0


def test_scenario_fixture_matches_the_template():
    """The checked-in scenario is the template with the real deadlines (keeps both in step)."""
    text = SCENARIO.format(policy="always_open.yaml", reminded_by="5m10s", paged_by="10m10s")
    assert (POLICIES / "paging_scenario.yaml").read_text().split("\nstart:", 1)[1] == text.split("\nstart:", 1)[1]
    assert AGENT == "U0ALICE"
