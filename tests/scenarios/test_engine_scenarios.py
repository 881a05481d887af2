"""Issue 3's policy scenarios end to end: every file in engine/ runs through `baton simulate --json`
(the real Bolt app, flows, storage and the local Slack, in virtual time) and must pass.

The scenarios are small fixtures of our own: every trigger family, typos, negation and indirect
speech, multi-turn sentiment, repetition, each segment, the cooling period, category routing, and a
team's own policy file. On PostgreSQL (DATABASE_URL set) they run a second time against it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.policy import load_policy
from bot.scenario import load_scenario
from bot.simulate import run_scenario
from tests.conftest import ON_POSTGRES

ENGINE = Path(__file__).parent / "engine"
SCENARIOS = sorted(p for p in ENGINE.glob("*.yaml") if not p.name.endswith("-policy.yaml"))


def _simulate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["simulate", str(path), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _expectations(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["expect"])


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_passes(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _simulate(path, capsys)
    failed = [(e["expect"], e["actual"]) for e in out["expectations"] if not e["passed"]]
    assert failed == [] and out["errors"] == []
    assert code == 0 and out["passed"] is True
    # The JSON agrees with the expectations: what must not escalate has no escalation, and what
    # must escalate has one with its trigger and the team channel its card went to.
    by_conv: dict[str, list[dict[str, Any]]] = {}
    for esc in out["escalations"]:
        by_conv.setdefault(esc["conversation"], []).append(esc)
    for want in _expectations(path):
        got = by_conv.get(want["conversation"], [])
        if want.get("escalated") is False:
            assert got == [], want
        if "trigger" in want:
            wanted = want["trigger"] if isinstance(want["trigger"], list) else [want["trigger"]]
            assert set(wanted) <= set(got[0]["triggers"]), (want, got)
        if "channel" in want:
            assert got[0]["channel"] == want["channel"]


def test_every_trigger_segment_and_team_is_covered() -> None:
    """The scenarios keep covering every escalating built-in trigger, every segment and every team
    channel of the default policy (a new trigger needs a scenario)."""
    policy = load_policy(None)
    engine = policy.engine
    wanted = {
        t.id
        for t in engine.triggers
        if t.enabled and (t.escalate and t.family != "business" or t.id == "cooling_period")
    }
    seen_triggers: set[str] = set()
    seen_channels: set[str] = set()
    seen_segments: set[str] = set()
    for path in SCENARIOS:
        scenario = load_scenario(path)
        if scenario.policy_path is None:
            seen_segments |= {engine.segment_of(a.account.tier, a.account.mrr) for a in scenario.accounts}
        for exp in scenario.expectations:
            trig = exp.raw.get("trigger")
            seen_triggers |= set(trig if isinstance(trig, list) else [trig] if trig else [])
            if scenario.policy_path is None and "channel" in exp.raw:
                seen_channels.add(exp.raw["channel"])
    assert wanted - seen_triggers == set()
    assert seen_segments == {"enterprise", "mid-market", "self-serve"}
    assert {t.channel for t in policy.teams.values()} <= seen_channels


def test_the_custom_policy_is_what_makes_the_difference(tmp_path: Path, capsys) -> None:
    """The same scenario without its `policy:` line fails: the team's file changed the outcome."""
    text = (ENGINE / "custom_policy.yaml").read_text(encoding="utf-8")
    assert "\npolicy: custom-policy.yaml\n" in text
    path = tmp_path / "builtin.yaml"
    path.write_text(text.replace("\npolicy: custom-policy.yaml\n", "\n"), encoding="utf-8")
    code, out = _simulate(path, capsys)
    assert code == 1 and out["passed"] is False
    failed = {e["expect"]["conversation"] for e in out["expectations"] if not e["passed"]}
    assert failed == {"initech", "hooli", "globex"}


def test_a_wrong_expectation_fails_the_run(tmp_path: Path, capsys) -> None:
    """Negation must not escalate; claiming it should makes the run fail, with the actual outcome."""
    text = (ENGINE / "not_a_request.yaml").read_text(encoding="utf-8")
    path = tmp_path / "wrong.yaml"
    path.write_text(
        text.replace("{conversation: negation, escalated: false}", "{conversation: negation, escalated: true}"),
        encoding="utf-8",
    )
    code, out = _simulate(path, capsys)
    assert code == 1
    [bad] = [e for e in out["expectations"] if not e["passed"]]
    assert bad["expect"]["conversation"] == "negation" and bad["actual"]["escalated"] is False


@pytest.mark.parametrize(
    ("policy_text", "words"),
    [
        (None, "cannot read"),
        ("triggers:\n  profanity:\n    params: {mesages: 1}\n", "mesages"),
        ("triggers:\n  incident_words:\n    urgency: soon\n    phrases: [sev 1]\n", "soon"),
        ("teams: [oops\n", "YAML"),
    ],
)
def test_a_broken_team_policy_is_reported_not_run(tmp_path: Path, capsys, policy_text, words) -> None:
    text = (ENGINE / "custom_policy.yaml").read_text(encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(text, encoding="utf-8")
    if policy_text is not None:
        base = (ENGINE / "custom-policy.yaml").read_text(encoding="utf-8")
        head = base.split("\ntriggers:\n")[0] + "\n"
        (tmp_path / "custom-policy.yaml").write_text(
            policy_text if policy_text.startswith("teams") else head + policy_text, encoding="utf-8"
        )
    assert main(["simulate", str(tmp_path / "scenario.yaml"), "--json"]) == 2
    err = capsys.readouterr().err
    assert "custom-policy.yaml" in err and words in err, err


@pytest.mark.skipif(not ON_POSTGRES, reason="runs the scenarios against PostgreSQL when DATABASE_URL is set")
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_passes_on_postgres(path: Path, database_url: str) -> None:
    result = run_scenario(load_scenario(path), database_url=database_url)
    out = result.to_json()
    assert [e["expect"] for e in out["expectations"] if not e["passed"]] == [] and out["errors"] == []
