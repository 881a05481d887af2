"""The learning loop from the command line, on a database a simulation kept (SQLite and PostgreSQL):
`baton gaps`, `baton export resolved` (personal data masked, hostile texts included) and `baton
export conversations` fed straight back into `baton backtest`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.scenario import parse_scenario_text
from bot.simulate import run_scenario
from storage.db import make_engine, session_scope
from storage.models import Message, MissedEscalation

CARD = "4242 4242 4242 4242"
TOKEN = "xoxb-" + "1234567890-" + "abcdefghijklmnopqrstuvwx"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
SCENARIO = f"""
start: "2026-11-23T10:00:00-05:00"
accounts:
  - {{id: acme, name: Acme Corp, tier: enterprise, channel: C0ACME}}
  - {{id: initech, name: Initech, tier: self-serve, channel: C0INITECH}}
  - {{id: globex, name: Globex, tier: self-serve, channel: C0GLOBEX}}
agents:
  - {{id: U0ALICE, name: alice, teams: [support, billing]}}
timeline:
  - {{at: 0s, customer: acme, says: "How do I export my invoices as PDF? Mail me at jane.doe@acme.example or call +1 (415) 555-2671"}}
  - {{at: 1m, ai: acme, says: "You can export invoices from Settings > Billing.", confidence: 0.9}}
  - {{at: 3m, customer: acme, says: "This is not helping. My card {CARD} was charged and our key {TOKEN} leaked"}}
  - {{at: 5m, agent: U0ALICE, conversation: acme, says: "Sorry Jane! I exported them and mailed jane.doe@acme.example"}}
  - {{at: 40m, click: resolve, by: U0ALICE, conversation: acme, needed: "yes", note: "Sent the PDFs to jane.doe@acme.example, rotated {STRIPE}"}}
  - {{at: 1h, customer: initech, says: "Where can I download my invoices as a PDF file?"}}
  - {{at: 1h1m, ai: initech, says: "Try Billing > Invoices.", confidence: 0.8}}
  - {{at: 1h3m, customer: initech, says: "This is not helping, I still cannot download the invoices"}}
  - {{at: 1h9m, click: claim, by: U0ALICE, conversation: initech}}
  - {{at: 1h30m, click: resolve, by: U0ALICE, conversation: initech, needed: "no"}}
  - {{at: 2h, customer: globex, says: "What are your opening hours?"}}
  - {{at: 2h1m, ai: globex, says: "We are open 9 to 5.", confidence: 0.95}}
expect:
  - {{conversation: acme, escalated: true}}
  - {{conversation: initech, escalated: true}}
  - {{conversation: globex, escalated: false}}
"""
LEAKS = [
    re.compile(r"jane\.doe@acme\.example"),
    re.compile(r"555-2671"),
    re.compile(r"4242 4242 4242 4242"),
    re.compile(r"xoxb-\d"),
    re.compile(r"sk_live_"),
]


@pytest.fixture
def kept_db(database_url: str, tmp_path: Path) -> str:
    scenario = parse_scenario_text(SCENARIO, "learning loop", tmp_path)
    result = run_scenario(scenario, database_url=database_url)
    assert result.passed, result.errors
    return database_url


def test_export_resolved_masks_personal_data_and_keeps_the_story(kept_db, tmp_path: Path, capsys):
    out = tmp_path / "resolved.jsonl"
    assert main(["export", "resolved", "--db", kept_db, "--since", "3650d", "-o", str(out)]) == 0
    assert "2 escalations" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    for leak in LEAKS:
        assert not leak.search(text), leak.pattern
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["question"].startswith("How do I export my invoices as PDF? Mail me at [email]")
    assert "[phone]" in first["question"]
    assert first["ai_answers"] == ["You can export invoices from Settings > Billing."]
    assert first["agent_answers"] == ["Sorry Jane! I exported them and mailed [email]"]
    assert "[email]" in first["resolution_note"] and "sk_live_" not in first["resolution_note"]
    assert any("card ending 4242" in m for m in first["customer_messages"])
    assert first["feedback"]["needed"] == "yes" and "not_helping" in first["labels"]["triggers"]
    assert first["labels"]["segment"] == "enterprise"
    assert second["feedback"]["needed"] == "no" and second["agent_answers"] == []


def test_export_conversations_round_trips_through_backtest(kept_db, tmp_path: Path, capsys):
    out = tmp_path / "history.jsonl"
    assert main(["export", "conversations", "--db", kept_db, "--since", "3650d", "-o", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3
    by_tier = {line["account"].get("tier", "none"): line for line in lines}
    acme = next(line for line in lines if line["tags"]["escalated"] and line["label"]["escalate"])
    assert acme["messages"][0]["role"] == "customer" and acme["messages"][1]["confidence"] == 0.9
    assert CARD not in json.dumps(acme)  # the policy's default masks card numbers and secrets
    assert any(line.get("label") == {"escalate": False} for line in lines)  # "no, the AI could have"
    assert "none" in by_tier  # the unescalated conversation has no segment to report
    capsys.readouterr()
    assert main(["backtest", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = result["metrics"]
    assert metrics["bad_lines"] == 0 and len(result["results"]) == 3
    # Replayed through the same (default) policy, Baton's history escalates as it did live.
    assert metrics["escalation_rate"] == round(2 / 3, 4)
    assert {r["id"] for r in result["results"] if r["escalate"]} == {acme["id"], *(
        line["id"] for line in lines if line.get("label") == {"escalate": False}
    )}
    assert metrics["labels"]["labelled"] == 2


def test_gaps_from_the_command_line(kept_db, capsys):
    assert main(["gaps", "--db", kept_db, "--since", "3650d", "--json"]) == 0
    gaps = json.loads(capsys.readouterr().out)
    assert gaps["ai_failed"]["escalations"] == 2 and gaps["ai_failed"]["of"] == 2
    [topic] = gaps["topics"]  # both asked how to get their invoices as PDFs
    assert topic["escalations"] == 2 and topic["previous"] == 0 and topic["triggers"] == {"not_helping": 2}
    assert "Where can I download my invoices as a PDF file?" in topic["examples"]
    assert main(["gaps", "--db", kept_db, "--since", "3650d"]) == 0
    assert "2 of 2 escalations were opened because the AI failed" in capsys.readouterr().out


def test_export_rejects_bad_arguments(database_url, capsys):
    assert main(["export", "resolved", "--db", database_url, "--since", "fortnight"]) == 2
    assert "not a period" in capsys.readouterr().err
    assert main(["export", "resolved", "--db", database_url, "--no-redact"]) == 2
    assert "always masked" in capsys.readouterr().err
    assert main(["gaps", "--db", database_url, "--limit", "0"]) == 2


def test_missed_escalations_export_as_labelled_backtest_input(kept_db, tmp_path: Path, capsys):
    engine = make_engine(kept_db)
    with session_scope(engine) as s:
        [msg] = [m for m in s.exec(select(Message)).all() if m.text == "What are your opening hours?"]
        s.add(
            MissedEscalation(
                channel=msg.channel, message_ts=msg.ts, conversation_id=msg.conversation_id, account_id="globex",
                category="general", reason="asked twice before; reach me at bob@globex.example, card " + CARD,
                text=msg.text, reported_by="U0ALICE", reported_at=msg.sent_at,
            )
        )
    engine.dispose()
    out = tmp_path / "missed.jsonl"
    assert main(["export", "missed", "--db", kept_db, "--since", "3650d", "-o", str(out)]) == 0
    assert "1 missed escalations" in capsys.readouterr().err
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["label"] == {"escalate": True, "category": "general"}
    assert line["messages"][-1]["text"] == "What are your opening hours?"
    assert CARD not in line["tags"]["reason"] and "card ending 4242" in line["tags"]["reason"]
    # The conversations export labels the marked conversation too.
    history = tmp_path / "history.jsonl"
    assert main(["export", "conversations", "--db", kept_db, "--since", "3650d", "-o", str(history)]) == 0
    labelled = [json.loads(x) for x in history.read_text(encoding="utf-8").splitlines()]
    assert [c["label"] for c in labelled if not c["tags"]["escalated"]] == [{"escalate": True, "category": "general"}]
    capsys.readouterr()
    assert main(["backtest", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["labels"]["labelled"] == 1
