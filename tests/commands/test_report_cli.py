"""`baton report` on a database a simulation kept (`--db`), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main
from bot.scenario import parse_scenario_text
from bot.simulate import run_scenario

SCENARIO = """
start: "2026-11-23T10:00:00-05:00"
accounts:
  - {id: acme, name: Acme Corp, tier: enterprise, channel: C0ACME}
  - {id: initech, name: Initech, tier: self-serve, channel: C0INITECH}
agents:
  - {id: U0ALICE, name: alice, teams: [support, billing]}
timeline:
  - {at: 0s, customer: acme, says: "How do I add a user to our workspace?"}
  - {at: 3m, customer: acme, says: "This isn't helping. I want to talk to a real person"}
  - {at: 9m, click: claim, by: U0ALICE, conversation: acme}
  - {at: 40m, click: resolve, by: U0ALICE, conversation: acme, needed: partly}
  - {at: 1h, customer: initech, says: "What are your opening hours?"}
expect:
  - {conversation: acme, escalated: true, claimed_by: U0ALICE}
  - {conversation: initech, escalated: false}
"""


def test_report_json_on_a_kept_simulation_database(database_url, capsys, tmp_path: Path):
    scenario = parse_scenario_text(SCENARIO, "report scenario", tmp_path)
    result = run_scenario(scenario, database_url=database_url)
    assert result.passed, result.errors
    chart = tmp_path / "chart.png"
    code = main(["report", "--db", database_url, "--since", "3650d", "--json", "--chart", str(chart)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    f = report["figures"]
    assert f["escalations"] == 1 and f["conversations_watched"] == 2
    assert f["escalation_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert f["accuracy"]["numerator"] == 1 and f["accuracy"]["denominator"] == 1  # "partly" counts as needed
    assert f["time_to_escalation_s"]["p50"] == 180
    assert f["pickup_s"]["p50"] == 360 and f["handle_time_s"]["p50"] == 31 * 60
    assert f["sla_attainment"]["numerator"] == 1  # 6 minutes against the 15-minute immediate target
    assert chart.read_bytes()[:4] == b"\x89PNG"

    code = main(["report", "--db", database_url, "--since", "3650d", "--by", "segment"])
    out = capsys.readouterr().out
    assert code == 0 and "enterprise: 1 escalation" in out


def test_report_rejects_a_bad_period(database_url, capsys):
    assert main(["report", "--db", database_url, "--since", "fortnight"]) == 2
    assert "not a period" in capsys.readouterr().err
