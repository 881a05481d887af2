"""`baton simulate` and `baton demo` through the CLI: exit codes, JSON shape, and bad files."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.scenario import load_scenario
from bot.simulate import run_scenario

HERE = Path(__file__).parent


def test_good_scenario_passes_with_json(capsys):
    assert main(["simulate", str(HERE / "good.yaml"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True
    assert [e["passed"] for e in out["expectations"]] == [True, True]
    [esc] = out["escalations"]
    assert set(esc) >= {
        "conversation",
        "opened_at",
        "triggers",
        "urgency",
        "category",
        "channel",
        "claimed_by",
        "claimed_at",
        "pickup_seconds",
        "resolved_at",
    }
    assert esc["claimed_by"] == "U0ALICE" and "human_request" in esc["triggers"]


def test_failing_expectation_exits_1(tmp_path, capsys):
    text = (HERE / "good.yaml").read_text().replace("claimed_by: U0ALICE,", "claimed_by: U0BOB,")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert main(["simulate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "claimed_by: expected 'U0BOB', got 'U0ALICE'" in out


def test_slack_log_records_every_web_api_call(tmp_path, capsys):
    log = tmp_path / "slack.jsonl"
    assert main(["simulate", str(HERE / "good.yaml"), "--slack-log", str(log)]) == 0
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    methods = [c["method"] for c in calls]
    assert "chat.postMessage" in methods and "chat.update" in methods
    assert all(set(c) == {"method", "args"} for c in calls)
    assert all("token" not in c["args"] for c in calls)


@pytest.mark.parametrize(
    ("patch", "line", "words"),
    [
        (("expect:", "expect:\n  - {conversation: acme, colour: red}"), 12, "unknown key 'colour'"),
        (('start: "2026-11-23T10:00:00-05:00"', 'start: "tomorrow"'), 1, "not an ISO time"),
        (("{at: 6m, click: claim", "{at: 6m, click: hug"), 10, "'hug' is not a button"),
        (("{at: 40s, ai: acme", "{at: 40s, ai: nobody"), 8, "no account 'nobody'"),
        (("{at: 2m, customer", "{at: soon, customer"), 9, "an offset like 90s"),
        (("confidence: 0.35", "confidence: 7"), 8, "from 0 to 1"),
        (("pickup_max: 6m", "pickup_max: later"), 13, "an offset like 90s"),
        (("timeline:", "timeline: [oops"), 7, "not valid YAML"),
    ],
)
def test_bad_scenarios_are_rejected_with_the_line(tmp_path, capsys, patch, line, words):
    text = (HERE / "good.yaml").read_text().replace(*patch)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}:" in err and words in err, err


def test_demo_runs_and_tells_the_story(capsys, tmp_path):
    assert main(["demo", "--slack-log", str(tmp_path / "s.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "card posted" in out and "claimed by" in out and "passed, 0 failed" in out


def test_card_actions_scenario_races_hands_off_and_snoozes():
    """Two agents racing for Claim on the same (stale) card: the second is told, not refused by the runner;
    take over, hand-off, note, reopen and snooze run through the real app; `paged: false`, `cards: 0` hold
    for a conversation that never escalated."""
    scenario = load_scenario(HERE / "card_actions.yaml")
    result = run_scenario(scenario)
    assert result.errors == []
    assert [e["failed"] for e in result.expectations] == [[], [], []], result.expectations
    story = [h.text for h in result.story]
    assert any(
        "<@U0BOB> clicks Claim in acme and is told: “Already claimed by <@U0ALICE>" in t for t in story
    )
    assert any("clicks Release in acme and is told: “Only <@U0ALICE>" in t for t in story)
    assert any("clicks Hand off to billing in acme" in t for t in story)
    acme = next(r for r in result.escalations if r.conversation == "acme")
    kinds = [e.kind for e in acme.timeline]
    for kind in ("taken_over", "handed_off", "note_added", "reopened", "customer_told_handed_off"):
        assert kind in kinds, kind
    assert kinds.count("resolved") == 2
    initech = next(r for r in result.escalations if r.conversation == "initech")
    woken = [e for e in initech.timeline if e.kind == "woken"]
    assert [e.at - scenario.start for e in woken] == [timedelta(hours=2)]
    assert "reminded" not in [e.kind for e in initech.timeline if e.at < woken[0].at]


def test_bad_click_keys_name_the_line(tmp_path, capsys):
    base = (HERE / "card_actions.yaml").read_text()
    for patch, words in (
        (("team: billing, note", "note"), "hand_off needs team"),
        (('text: "Refund issued', 'note: "Refund issued'), "note needs text"),
        (("until: 2h}", "team: legal}"), "only hand_off takes team"),
        (("cards: 2,", "cards: two,"), "must be a whole number"),
    ):
        path = tmp_path / "bad.yaml"
        path.write_text(base.replace(*patch))
        assert main(["simulate", str(path)]) == 2
        err = capsys.readouterr().err
        assert words in err and f"{path}:" in err, err


def test_sla_breaches_are_expectations(capsys):
    assert main(["simulate", str(HERE / "sla.yaml"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [e["actual"] for e in out["expectations"]] == [
        {"escalated": True, "breached": True, "breached_by": "pickup"},
        {"escalated": True, "breached": False},
        {"escalated": True, "breached": True, "breached_by": "next_reply"},
    ]


def test_sla_expectation_values_are_checked(tmp_path, capsys):
    text = (HERE / "sla.yaml").read_text().replace("breached_by: pickup", "breached_by: lunch")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:20:" in err and "'lunch' is not an SLA target" in err and "pickup | next_reply" in err
    failing = (HERE / "sla.yaml").read_text().replace("initech, breached: false", "initech, breached: true")
    path.write_text(failing)
    assert main(["simulate", str(path)]) == 1


def test_routing_scenario_owner_first_then_balanced_assignment(capsys):
    assert main(["simulate", str(HERE / "routing.yaml"), "--json"]) == 0, capsys.readouterr().out
    out = json.loads(capsys.readouterr().out)
    acme, globex = out["expectations"]
    assert acme["actual"]["offered_to"] == ["U0DANA"] and globex["actual"]["assigned_to"] == "U0ALICE"


def test_routing_expectations_fail_when_routing_differs(tmp_path, capsys):
    text = (HERE / "routing.yaml").read_text().replace("{at: 4m, presence: away, user: U0DANA}", "{at: 4m, presence: active, user: U0DANA}")
    (tmp_path / "routing-policy.yaml").write_text((HERE / "routing-policy.yaml").read_text())
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert main(["simulate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "offered_to: expected [], got ['U0DANA']" in out and "assigned_to: expected 'U0ALICE', got None" in out


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("{at: 1m, presence: asleep, user: U0DANA}", "'asleep' is not a presence (away | active)"),
        ("{at: 1m, presence: away, user: U0NOBODY}", "no agent 'U0NOBODY'"),
        ("{at: 1m, presence: away}", "timeline.2.user: is required"),
    ],
)
def test_bad_presence_steps_are_rejected_with_the_line(tmp_path, capsys, step, words):
    text = (HERE / "routing.yaml").read_text().replace("{at: 4m, presence: away, user: U0DANA}", step)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr()
    assert "s.yaml:17: " in err.out + err.err and words in err.out + err.err


def test_accounts_outside_slack_enter_through_their_source_with_the_same_expectations(tmp_path, capsys, database_url):
    log = tmp_path / "helpdesk.jsonl"  # on PostgreSQL too when DATABASE_URL points at one (tests/conftest.py)
    args = ["simulate", str(HERE / "sources.yaml"), "--helpdesk-log", str(log), "--json", "--db", database_url]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True and len(out["escalations"]) == 3
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"url", "method", "body"} <= set(requests[0])
    intercom = [r for r in requests if "/conversations/ic-1/" in r["url"]]
    assert any(r["body"].get("message_type") == "assignment" for r in intercom)
    assert any(r["body"].get("message_type") == "note" for r in intercom)
    zendesk = [r for r in requests if r["url"].endswith("/api/v2/tickets/zd-1.json")]
    assert zendesk and all(r["method"] == "PUT" for r in zendesk)
    assert any("priority" in r["body"]["ticket"] for r in zendesk)


def test_an_unknown_account_source_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text((HERE / "sources.yaml").read_text().replace("source: zendesk", "source: freshdesk"))
    assert main(["simulate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "freshdesk" in err and "bad.yaml:" in err and "intercom" in err


def test_a_surge_scenario_one_card_for_the_outage_and_its_own_for_the_billing_dispute(capsys):
    assert main(["simulate", str(HERE / "surge.yaml"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [e["passed"] for e in out["expectations"]] == [True, True, True]
