"""Bug reports on technical escalations, end to end: signed Slack events into the app, the Linear
GraphQL stand-in receiving the calls, the real database. A bug signature creates one Linear issue
(or links the account's open bug), the card shows it, Linear being down is retried, and a crash or a
lost answer between the create and the record never makes a second issue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.flows import bugs as bug_flow
from bot.policy import load_policy_text
from bot.sandbox.crm import LINEAR_KEY
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from storage.models import OutboxItem
from tests.e2e.helpers import ACME, escalations

TEAM_ID = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"
LABEL_ID = "2d0a8c3e-1b7f-4c4e-9f1a-0a6b1c2d3e4f"
BUG_TEXT = "Since your last release the export shows a 500 error, for everyone here"
DEFAULT = Path(__file__).parents[2] / "bot" / "policies" / "default.yaml"


def _policy(create: bool = True) -> Any:
    text = DEFAULT.read_text(encoding="utf-8")
    marker = "    categories: [safety, general, technical, account, security]"
    assert marker in text
    bugs = f"\n    bugs: {{linear_team_id: {TEAM_ID}, labels: [{LABEL_ID}], create: {str(create).lower()}}}"
    return load_policy_text(text.replace(marker, marker + bugs, 1), "bugs.yaml")


@pytest.fixture
def bug_world(world_factory: Callable[..., World]) -> Callable[..., World]:
    def make(create: bool = True) -> World:
        w = world_factory(policy=_policy(create))
        assert w.crm is not None
        w.crm.linear.add_team(TEAM_ID, "ENG")
        w.crm.linear.labels[LABEL_ID] = "bug"
        return w

    return make


def _say(world: World, text: str, thread_ts: str | None = None) -> str:
    cust = world.customers[ACME]
    msg = world.driver.user_says(cust.channel, cust.user, text, thread_ts=thread_ts)
    world.settle()
    return msg.ts


def _card_bug_field(world: World) -> str:
    [esc] = escalations(world)
    card = world.slack.message(esc.card_channel, esc.card_ts)
    assert card is not None
    texts = [f.get("text", "") for b in card["blocks"] for f in b.get("fields", [])]
    return next((t for t in texts if t.startswith("*Bug*")), "")


def _creates(world: World) -> list[Any]:
    assert world.crm is not None
    return [r for r in world.crm.linear.requests if (r.json or {}).get("operationName") == "BatonIssueCreate"]


def _kinds(world: World) -> list[str]:
    [esc] = escalations(world)
    with session_scope(world.deps.db) as session:
        return [str(e.kind) for e in repo.timeline(session, esc.id)]


def test_a_bug_report_creates_one_linear_issue_linked_from_the_card(bug_world):
    world = bug_world()
    first = _say(world, BUG_TEXT)
    _say(world, "Still getting error 500, stopped working completely", thread_ts=first)
    linear = world.crm.linear
    [issue] = linear.created
    assert issue["teamId"] == TEAM_ID
    assert issue["title"].startswith("[acme] Since your last release the export shows a 500 error")
    assert issue["labels"] == ["customer:acme", "bug"]  # the next escalation of acme finds it
    assert "Open the escalation in Slack" in issue["description"]
    assert "**What the customer wants:** The service working again" in issue["description"]
    assert "(https://ourteam.slack.com/archives/C0SUPPORT/p" in issue["description"]  # the card's permalink
    [esc] = escalations(world)
    assert f"escalation #{esc.id}" in issue["description"]
    assert esc.bug is not None and esc.bug["identifier"] == issue["identifier"] and esc.bug["created"] is True
    field = _card_bug_field(world)
    assert f"<{issue['url']}|{issue['identifier']} — [acme] Since your last release" in field
    assert field.endswith("(new)")
    assert "bug_linked" in _kinds(world)
    [create] = _creates(world)
    assert create.headers.get("authorization") == LINEAR_KEY  # a personal API key: no "Bearer"
    assert create.json["variables"]["input"]["id"] == issue["id"]  # Baton chose the id: idempotent
    assert set(create.json["variables"]["input"]) == {"id", "teamId", "title", "description", "labelIds"}


def test_an_open_bug_of_the_account_is_linked_and_nothing_is_created(bug_world):
    world = bug_world()
    linear = world.crm.linear
    ident = linear.add_issue("CSV export returns 500", labels=["customer:acme"])
    _say(world, BUG_TEXT)
    assert linear.created == [] and _creates(world) == []
    [esc] = escalations(world)
    assert esc.bug is not None and esc.bug["identifier"] == ident and esc.bug["created"] is False
    field = _card_bug_field(world)
    assert f"{ident} — CSV export returns 500" in field and "already open for the account" in field


def test_create_false_only_links(bug_world):
    world = bug_world(create=False)
    _say(world, BUG_TEXT)
    assert world.crm.linear.created == []
    assert _card_bug_field(world) == ""


def test_no_bug_signature_no_issue(bug_world):
    world = bug_world()
    _say(world, "The app is down for everyone at our company")
    [esc] = escalations(world)
    assert esc.category == "technical"
    assert world.crm.linear.created == [] and esc.bug is None


def test_linear_down_is_retried_later_and_makes_one_issue(bug_world):
    world = bug_world()
    linear = world.crm.linear
    linear.fail_next(100, 503)
    _say(world, BUG_TEXT)
    [esc] = escalations(world)
    assert esc.bug is None and linear.created == []
    assert "effect_failed" in _kinds(world)
    linear.clear_failures()
    world.advance_to(world.clock.now() + timedelta(minutes=30))
    [issue] = linear.created
    [esc] = escalations(world)
    assert esc.bug is not None and esc.bug["identifier"] == issue["identifier"]
    assert issue["identifier"] in _card_bug_field(world)


@pytest.mark.parametrize("how", ["lost answer", "crash before the record"])
def test_a_crash_between_create_and_record_makes_no_duplicate(bug_world, monkeypatch, how):
    world = bug_world()
    linear = world.crm.linear
    if how == "lost answer":
        linear.lose_next_create()  # Linear created it; the answer never arrived
    else:
        real = bug_flow._record
        calls = {"n": 0}

        def dies_once(deps, job, bug):
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("worker died after issueCreate")
            real(deps, job, bug)

        monkeypatch.setattr(bug_flow, "_record", dies_once)
    _say(world, BUG_TEXT)
    [esc] = escalations(world)
    assert esc.bug is None and len(linear.created) == 1
    world.advance_to(world.clock.now() + timedelta(minutes=30))
    [issue] = linear.created  # still one
    [esc] = escalations(world)
    assert esc.bug is not None and esc.bug["id"] == issue["id"]
    assert len(_creates(world)) == 1  # the retry looked it up by id instead of creating again
    assert issue["identifier"] in _card_bug_field(world)


def test_a_validation_error_is_not_retried_and_is_on_the_timeline(bug_world):
    world = bug_world()
    linear = world.crm.linear
    linear.teams.clear()
    linear.add_team("11111111-2222-4333-8444-555555555555", "OPS")  # the policy's team id is unknown
    _say(world, BUG_TEXT)
    world.advance_to(world.clock.now() + timedelta(hours=2))
    assert linear.created == [] and len(_creates(world)) == 1
    with session_scope(world.deps.db) as session:
        [item] = [i for i in session.query(OutboxItem).all() if i.kind == "bug_issue"]
        assert item.status == "failed" and "Entity not found: Team" in item.last_error
    assert "effect_failed" in _kinds(world)
    assert _card_bug_field(world) == ""
