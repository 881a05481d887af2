"""`baton backtest`: good input, labels, bad lines, --json shape, policy overrides, streaming."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands import backtest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "engine" / "history.jsonl"
NOW = "2026-11-23T12:00:00Z"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    backtest.add_parser(sub)
    return parser.parse_args(["backtest", *argv])


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code = backtest.run(parse([*argv, "--json", "--now", NOW]))
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_json_shape_and_results(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, err = run_json([str(FIXTURE)], capsys)
    assert code == 0 and err == ""
    assert set(data) == {"conversations", "escalated", "results", "metrics", "policy"}
    assert data["conversations"] == 6
    by_id = {r["id"]: r for r in data["results"]}
    assert list(by_id) == ["human", "routine", "indirect", "legal", "missed", "unlabelled"]  # input order
    for r in data["results"]:
        assert set(r) == {"id", "escalate", "urgency", "category", "triggers"}
    assert by_id["human"]["escalate"] and by_id["human"]["urgency"] == "immediate"
    # the model's label triggers (on by default) fire beside the phrase rules, first in matrix order
    assert by_id["human"]["triggers"] == ["model_human_request", "human_request", "not_helping"]
    assert by_id["human"]["category"] == "billing"
    assert (
        not by_id["routine"]["escalate"]
        and by_id["routine"]["urgency"] is None
        and by_id["routine"]["triggers"] == []
    )
    assert not by_id["indirect"]["escalate"]
    assert by_id["legal"]["triggers"] == ["model_legal_threat", "legal", "context_problem", "high_value"]
    assert by_id["legal"]["category"] == "legal"
    assert by_id["unlabelled"]["triggers"] == [
        "model_cancellation",
        "context_problem",
        "cancellation",
        "renewal_soon",
    ]
    assert by_id["unlabelled"]["urgency"] == "immediate"
    assert data["escalated"] == 3


def test_metrics_rates_and_label_confusion(capsys: pytest.CaptureFixture[str]) -> None:
    _, data, _ = run_json([str(FIXTURE)], capsys)
    m = data["metrics"]
    assert m["escalation_rate"] == 0.5
    assert m["by_trigger"]["human_request"] == {"conversations": 1, "rate": round(1 / 6, 4)}
    assert m["by_segment"]["enterprise"] == {"conversations": 1, "escalated": 1, "rate": 1.0}
    assert m["by_segment"]["self-serve"]["conversations"] == 4
    assert m["by_category"]["account"]["escalated"] == 0
    esc = m["labels"]["escalation"]
    assert (esc["tp"], esc["fp"], esc["fn"], esc["tn"]) == (2, 0, 1, 2)
    assert esc["precision"] == 1.0 and esc["recall"] == round(2 / 3, 4)
    hr = m["labels"]["by_trigger"]["human_request"]
    assert (hr["tp"], hr["fp"], hr["fn"], hr["tn"]) == (1, 0, 2, 2)
    cats = m["labels"]["categories"]
    assert cats["labelled"] == 5
    assert cats["confusion"]["billing"] == {"billing": 1}
    assert cats["confusion"]["legal"] == {"legal": 1}
    assert cats["per_category"]["legal"]["precision"] == 1.0


def test_bad_lines_are_reported_with_their_number_and_do_not_stop_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = FIXTURE.read_text().splitlines()[1]
    lines = [
        good,
        "not json",
        "",
        '{"id": "x", "messages": []}',
        '{"id": "y", "messages": [{"role": "bot", "text": "hi"}]}',
        '{"id": "z", "messages": [{"role": "customer", "text": "hi", "ts": "yesterday"}]}',
        '{"id": "w", "messages": [{"role": "ai", "text": "hi", "confidence": 2}]}',
        '{"id": "v", "messages": [{"role": "customer", "text": "hi"}], "label": {"category": "misc"}}',
        '{"messages": [{"role": "customer", "text": "hi"}]}',
        '{"id": "u", "messages": [{"role": "customer", "text": "hi"}], "extra": 1}',
        "[1, 2]",
        good,
    ]
    f = tmp_path / "h.jsonl"
    f.write_text("\n".join(lines) + "\n")
    code, data, err = run_json([str(f)], capsys)
    assert code == 0
    assert data["conversations"] == 2
    assert data["metrics"]["bad_lines"] == 9
    reported = [e["line"] for e in data["metrics"]["bad_line_examples"]]
    assert reported == [2, 4, 5, 6, 7, 8, 9, 10, 11]  # line 3 is blank: skipped, not bad
    assert f"{f}:2: not JSON" in err
    assert "messages[0].role: unknown role 'bot' (allowed: customer, ai, agent)" in err
    assert "messages[0].ts: 'yesterday' is not an ISO-8601 time" in err
    assert "messages[0].confidence: 2 is out of range" in err
    assert "label.category: unknown category 'misc'" in err
    assert 'id: every conversation needs an "id"' in err
    assert "unknown key 'extra'" in err
    # --strict turns any bad line into a failure
    assert backtest.run(parse([str(f), "--strict", "--now", NOW])) == 1


def test_all_bad_lines_or_missing_file_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text("nope\n{}\n")
    assert backtest.run(parse([str(f)])) == 1
    assert "no valid conversation" in capsys.readouterr().err
    assert backtest.run(parse([str(tmp_path / "missing.jsonl")])) == 1
    assert "cannot read" in capsys.readouterr().err
    assert backtest.run(parse([str(FIXTURE), "--now", "tomorrow"])) == 1


def test_policy_override_changes_the_outcome(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.policy import default_policy_text

    policy = tmp_path / "p.yaml"
    # the legal phrase rule, the model's legal label and the business-context one (an enterprise account
    # with a real problem) off: nothing else reads a threat of legal action
    policy.write_text(
        default_policy_text()
        + "\ntriggers:\n  legal:\n    enabled: false\n  model_legal_threat:\n    enabled: false\n"
        + "  context_problem:\n    enabled: false\n"
    )
    _, data, _ = run_json([str(FIXTURE), "--policy", str(policy)], capsys)
    by_id = {r["id"]: r for r in data["results"]}
    assert not by_id["legal"]["escalate"]
    assert data["policy"] == str(policy)


def test_bad_policy_is_reported_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.policy import default_policy_text

    policy = tmp_path / "p.yaml"
    text = default_policy_text() + "\ntriggers:\n  legal:\n    urgency: asap\n"
    policy.write_text(text)
    assert backtest.run(parse([str(FIXTURE), "--policy", str(policy)])) == 1
    err = capsys.readouterr().err
    assert str(policy) in err and "unknown urgency 'asap'" in err
    assert f":{text.count(chr(10))}" in err  # the line of `urgency: asap`


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = backtest.run(parse([str(FIXTURE), "--now", NOW]))
    out = capsys.readouterr().out
    assert code == 0
    assert "conversations: 6   escalated: 3 (50.0%)" in out
    assert "human_request" in out and "by segment" in out
    assert "confusion: tp 2  fp 0  fn 1  tn 2" in out


def test_stdin_and_replay_message_by_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    # escalated at the first message; later messages add their reasons; an agent reply does not undo it
    line = json.dumps(
        {
            "id": "s",
            "messages": [
                {"role": "customer", "text": "I want a human"},
                {"role": "agent", "text": "Hi, I'm here"},
                {"role": "customer", "text": "thanks"},
            ],
        }
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(line + "\n"))
    code, data, _ = run_json(["-"], capsys)
    assert (
        code == 0
        and data["results"][0]["escalate"]
        and data["results"][0]["triggers"] == ["model_human_request", "human_request"]
    )


def test_streams_many_conversations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "many.jsonl"
    with f.open("w") as fh:
        for i in range(2000):
            text = "I want to talk to a human" if i % 10 == 0 else f"where is order {i}?"
            fh.write(json.dumps({"id": i, "messages": [{"role": "customer", "text": text}]}) + "\n")
    code, data, _ = run_json([str(f)], capsys)
    assert code == 0 and data["conversations"] == 2000 and data["escalated"] == 200


def test_cli_subprocess_entry_point() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "backtest", str(FIXTURE), "--json", "--now", NOW],
        capture_output=True, text=True, cwd=root, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["conversations"] == 6


def test_tags_are_accepted_and_ignored_by_the_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msgs = [{"role": "customer", "text": "I want a human"}]
    lines = [
        json.dumps(
            {"id": "a", "messages": msgs, "tags": {"family": "human_request", "language": "en", "n": 2}}
        ),
        json.dumps({"id": "b", "messages": msgs}),
        json.dumps({"id": "c", "messages": msgs, "tags": ["human_request"]}),
        json.dumps({"id": "d", "messages": msgs, "tags": {"family": {"nested": 1}}}),
    ]
    f = tmp_path / "t.jsonl"
    f.write_text("\n".join(lines) + "\n")
    code, data, err = run_json([str(f)], capsys)
    assert code == 0 and data["conversations"] == 2
    a, b = data["results"]
    assert a["escalate"] == b["escalate"] is True and a["triggers"] == b["triggers"]
    assert err.count("tags: must be an object of text, number or true/false values") == 2
    conv = backtest.parse_conversation(lines[0], backtest.datetime.now(backtest.UTC))
    assert conv.tags == {"family": "human_request", "language": "en", "n": 2}
