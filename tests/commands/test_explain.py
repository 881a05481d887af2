"""`baton explain`: what the model and the rules see, message by message, and the decision."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err


LABELS_ON = (
    "version: 1\nteams:\n  support:\n    channel: C1\n"
    "triggers:\n  model_human_request: {enabled: true, params: {threshold: 0.5}}\n"
)


def test_json_for_one_text_with_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "labels.yaml"
    policy.write_text(LABELS_ON, encoding="utf-8")
    text = "¿Me pasan con alguien de su equipo, por favor?"
    code, out, err = run(["--json", "--policy", str(policy), text], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert {"labels", "language", "escalate", "urgency", "category", "triggers"} <= set(data)
    assert data["language"] == "es"
    assert data["escalate"] is True and data["urgency"] == "immediate"
    assert max(data["labels"], key=data["labels"].get) == "human_request"
    assert all(0.0 <= p <= 1.0 for p in data["labels"].values())
    assert "model_human_request" in [t["id"] for t in data["triggers"]]
    assert data["model_version"]
    [msg] = data["messages"]
    assert msg["language"] == "es" and msg["labels"]["human_request"] == data["labels"]["human_request"]


def test_rules_only_text_output_shows_rule_hits_and_the_decision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--no-model", "I want to talk to a real person"], capsys)
    assert code == 0
    assert "#1 customer [und]: I want to talk to a real person" in out
    assert "rule:    human_request" in out
    assert "=> ESCALATE immediate" in out
    assert "model none (phrase rules only)" in out


def test_quoted_speech_is_shown_as_left_out_and_does_not_fire_the_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = 'One of my customers wrote "I want a lawyer". How do I export their invoices?'
    code, out, _ = run(["--no-model", text], capsys)
    assert code == 0
    assert "visible:" in out and "lawyer" not in out.split("visible:")[1].splitlines()[0]
    assert "rule:    legal" not in out
    assert "=> no escalation" in out


def test_a_conversation_file_is_explained_message_by_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "conv.jsonl"
    lines = [
        {"role": "customer", "text": "how do I export my invoices?"},
        {"role": "ai", "text": "Go to Billing > History.", "confidence": 0.9},
        {"role": "customer", "text": "that didn't help, still not working"},
        {"role": "ai", "text": "Try another browser.", "confidence": 0.8},
        {"role": "customer", "text": "still not working, same error"},
    ]
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    code, out, _ = run(["--no-model", "--file", str(f)], capsys)
    assert code == 0
    assert "#2 ai (confidence 0.90): Go to Billing > History." in out
    assert "rule:    failed_attempts" in out
    assert "failed_attempts (queued)" in out and "2 failed attempts" in out
    code, out, _ = run(["--no-model", "--json", "--file", str(f)], capsys)
    data = json.loads(out)
    assert [m["role"] for m in data["messages"]] == ["customer", "ai", "customer", "ai", "customer"]
    assert data["escalate"] and "failed_attempts" in [t["id"] for t in data["triggers"]]


def test_backtest_conversations_are_accepted_one_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "history.jsonl"
    convs = [
        {
            "id": "a",
            "account": {"tier": "enterprise"},
            "messages": [{"role": "customer", "text": "hello"}],
            "tags": {"x": 1},
        },
        {"id": "b", "messages": [{"role": "customer", "text": "get me a human"}]},
    ]
    f.write_text("\n".join(json.dumps(c) for c in convs), encoding="utf-8")
    code, out, _ = run(["--no-model", "--json", "--file", str(f)], capsys)
    assert code == 0
    a, b = (json.loads(line) for line in out.splitlines())
    assert (a["id"], a["escalate"]) == ("a", False) and (b["id"], b["escalate"]) == ("b", True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give a TEXT or --file"),
        (["hello", "--file", "x.jsonl"], "give a TEXT or --file"),
        (["--file", "/nonexistent/conv.jsonl"], "No such file"),
    ],
)
def test_bad_usage_exits_1_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["--no-model", *argv], capsys)
    assert code == 1 and message in err


def test_a_bad_line_names_its_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"role": "customer", "text": "hi"}\nnot json\n', encoding="utf-8")
    code, _, err = run(["--no-model", "--file", str(f)], capsys)
    assert code == 1 and "line 2: not JSON" in err


def test_a_bad_policy_is_reported_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(
        "version: 1\nteams:\n  s:\n    channel: C1\ntriggers:\n  x:\n    detector: model\n    label: saftey\n    params: {threshold: 0.5}\n"
    )
    code, _, err = run(["--no-model", "--policy", str(p), "hello"], capsys)
    assert code == 1 and "p.yaml:8" in err and "did you mean 'safety'" in err


def test_the_installed_command_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "explain", "--no-model", "--json", "get me a human"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["escalate"] is True
