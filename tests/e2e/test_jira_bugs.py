"""Jira Cloud as the alternative bug tracker, end to end: a signed Slack event with a bug report ->
one Jira issue (`POST /rest/api/3/issue`, ADF description) in the team's project -> the card's Bug
field links it; the account's open Jira bug is linked instead; a lost answer or Jira being down never
makes a second issue. Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.bugs import Tracker, parse_bugs
from bot.domain.errors import PolicyError
from bot.domain.model import CATEGORIES
from bot.policy import load_policy_text
from bot.sandbox.world import World
from integrations.jira_issues import adf
from tests.e2e.helpers import ACME, escalations

BUG_TEXT = "Since your last release the export shows a 500 error, for everyone here"
DEFAULT = Path(__file__).parents[2] / "bot" / "policies" / "default.yaml"


def _policy(create: bool = True) -> Any:
    text = DEFAULT.read_text(encoding="utf-8")
    marker = "    categories: [safety, general, technical, account, security]"
    bugs = f"\n    bugs: {{tracker: jira, jira_project: ENG, labels: [from-baton], create: {str(create).lower()}}}"
    return load_policy_text(text.replace(marker, marker + bugs, 1), "jira.yaml")


@pytest.fixture
def jira_world(world_factory: Callable[..., World]) -> Callable[..., World]:
    def make(create: bool = True) -> World:
        return world_factory(policy=_policy(create), jira=True)

    return make


def _say(world: World, text: str) -> None:
    cust = world.customers[ACME]
    assert world.driver is not None
    world.driver.user_says(cust.channel, cust.user, text)
    world.settle()


def _bug_field(world: World) -> str:
    [esc] = escalations(world)
    card = world.slack.message(esc.card_channel, esc.card_ts)
    assert card is not None
    texts = [f.get("text", "") for b in card["blocks"] for f in b.get("fields", [])]
    return next((t for t in texts if t.startswith("*Bug*")), "")


def _creates(world: World) -> list[dict[str, Any]]:
    assert world.jira is not None
    return [r for r in world.jira.log() if r["url"].endswith("/rest/api/3/issue")]


def test_a_bug_report_creates_one_jira_issue_linked_from_the_card(jira_world):
    w = jira_world()
    assert w.jira is not None
    _say(w, BUG_TEXT)
    [issue] = w.jira.created()
    [esc] = escalations(w)
    assert issue["key"] == "ENG-1" and issue["issuetype"] == "Bug"
    assert issue["summary"].startswith("[acme] Since your last release")
    assert "customer-acme" in issue["labels"] and "from-baton" in issue["labels"]
    assert any(label.startswith("baton-") for label in issue["labels"])  # the key of the lookup on a retry
    doc = issue["description"]
    assert doc["type"] == "doc" and doc["version"] == 1
    links = [m["attrs"]["href"] for p in doc["content"] for n in p.get("content", []) for m in n.get("marks", []) if m["type"] == "link"]
    assert links and links[0].startswith("https://ourteam.slack.com/archives/C0SUPPORT/p")
    assert esc.bug is not None and esc.bug["identifier"] == "ENG-1" and esc.bug["created"] is True
    field = _bug_field(w)
    assert f"<{w.jira.url}/browse/ENG-1|ENG-1 — [acme] Since your last release" in field and field.endswith("(new)")


def test_an_open_jira_bug_of_the_account_is_linked_and_nothing_is_created(jira_world):
    w = jira_world()
    assert w.jira is not None
    w.jira.issues["ENG-7"] = {"id": "10007", "key": "ENG-7", "summary": "CSV export returns 500", "description": None,
                              "labels": ["customer-acme"], "issuetype": "Bug", "status_category": "indeterminate"}  # fmt: skip
    w.jira.issues["ENG-3"] = {"id": "10003", "key": "ENG-3", "summary": "Old, fixed", "description": None,
                              "labels": ["customer-acme"], "issuetype": "Bug", "status_category": "done"}  # fmt: skip
    _say(w, BUG_TEXT)
    assert _creates(w) == []
    [esc] = escalations(w)
    assert esc.bug is not None and esc.bug["identifier"] == "ENG-7" and esc.bug["created"] is False
    field = _bug_field(w)
    assert "ENG-7 — CSV export returns 500" in field and "already open for the account" in field
    searches = [r["body"]["jql"] for r in w.jira.log() if r["url"].endswith("/search/jql")]
    assert searches == ['labels = "customer-acme" AND statusCategory != Done ORDER BY updated DESC']


def test_create_false_only_links(jira_world):
    w = jira_world(create=False)
    _say(w, BUG_TEXT)
    assert _creates(w) == [] and _bug_field(w) == ""


@pytest.mark.parametrize("failure", ["lost", "down"])
def test_a_lost_answer_or_jira_down_makes_one_issue(jira_world, failure):
    w = jira_world()
    assert w.jira is not None
    if failure == "lost":
        w.jira.lose_next_answers(1, method="POST", path="/rest/api/3/issue")  # Jira made it; the answer was lost
    else:
        w.jira.fail_next(503, count=3)
    _say(w, BUG_TEXT)
    [esc] = escalations(w)
    assert esc.bug is None
    w.advance_to(w.clock.now() + timedelta(minutes=30))
    [issue] = w.jira.created()
    [esc] = escalations(w)
    assert esc.bug is not None and esc.bug["identifier"] == issue["key"]
    assert len(_creates(w)) == 1  # the retry found it by its baton-<uuid> label instead of creating again
    assert issue["key"] in _bug_field(w)


def test_jira_policy_is_checked_with_the_place_and_the_fix() -> None:
    config = parse_bugs({"tracker": "jira", "jira_project": "ENG"}, ("teams", "t", "bugs"), categories=CATEGORIES)
    assert config is not None and config.tracker == Tracker.JIRA and config.project == "ENG" and config.issue_type == "Bug"
    for raw, where in [
        ({"tracker": "jira"}, "jira_project"),
        ({"tracker": "jira", "jira_project": "eng team"}, "jira_project"),
        ({"tracker": "jira", "jira_project": "ENG", "labels": ["two words"]}, "labels"),
        ({"tracker": "jira", "jira_project": "ENG", "linear_team_id": "x"}, "linear_team_id"),
        ({"tracker": "github"}, "tracker"),
    ]:
        with pytest.raises(PolicyError) as err:
            parse_bugs(raw, ("teams", "t", "bugs"), categories=CATEGORIES)
        assert where in err.value.path and err.value.hint


def test_the_description_is_a_valid_atlassian_document() -> None:
    doc = adf("**Customer:** acme\n\n- **What failed:** export\n- next\n\n[Open the escalation in Slack](https://x.slack.com/a)\n\n_Created by Baton._")
    kinds = [b["type"] for b in doc["content"]]
    assert kinds == ["paragraph", "bulletList", "paragraph", "paragraph"]
    texts = [n for b in doc["content"] for n in b.get("content", []) if n.get("type") == "text"]
    assert all(n["text"] for n in texts)
    assert adf("") == {"type": "doc", "version": 1, "content": []}
