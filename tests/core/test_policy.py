"""The policy loader: the built-in policy loads; every mistake names the file, the line and the fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli import main
from bot.policy import PolicyFileError, load_policy, load_policy_text

GOOD = """\
version: 1
workspace: {ai_bot_users: [U0AI]}
accounts:
  - {channel: C0ACME, account: acme, tier: enterprise}
teams:
  support: {channel: C0SUP, categories: [general, technical]}
  billing: {channel: C0BILL, categories: [billing]}
routing:
  default_team: support
  categories: {cancellation: billing}
"""


def test_builtin_policy_loads():
    policy = load_policy(None)
    assert policy.team_for("billing").name == "billing"
    assert policy.team_for("legal").name == "legal"
    assert policy.team_for("general").name == policy.default_team
    assert policy.engine is not None and policy.chains is not None


def test_routing_by_team_categories_and_explicit_routes():
    policy = load_policy_text(GOOD)
    assert policy.team_for("billing").channel == "C0BILL"
    assert policy.team_for("cancellation").name == "billing"
    assert policy.team_for("legal").name == "support"  # the default team
    entry = policy.account_for_channel("C0ACME")
    assert entry is not None and entry.id == "acme"
    assert policy.ai_bot_users == {"U0AI"}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("default_team: support", "default_team: nobody"), 9, "no team named 'nobody'"),
        (GOOD.replace("categories: [billing]", "categories: [money]"), 7, "'money' is not a category"),
        (GOOD.replace("tier: enterprise", "tier: gold"), 4, "'gold' is not a tier"),
        (GOOD + "colour: blue\n", 11, "unknown key 'colour'"),
        (GOOD.replace("version: 1", "version: 2"), 1, "version 2 is not supported"),
        (GOOD.replace("  billing: {channel: C0BILL", "  support: {channel: C0BILL"), 7, "appears twice"),
        (GOOD.replace("teams:", "teams: [oops"), 6, "not valid YAML"),
        (GOOD.replace("{channel: C0SUP, ", "{"), 6, "channel: is required"),
    ],
)
def test_bad_policies_name_the_line_and_the_fix(text, line, words):
    with pytest.raises(PolicyFileError) as info:
        load_policy_text(text, "p.yaml")
    assert info.value.line == line, str(info.value)
    assert words in str(info.value)
    assert str(info.value).startswith(f"p.yaml:{line}: ")


def test_engine_and_chain_sections_errors_also_get_lines():
    text = GOOD + "triggers:\n  human_request:\n    urgency: soon\n"
    with pytest.raises(PolicyFileError) as info:
        load_policy_text(text, "p.yaml")
    assert info.value.line == 13 and "urgency" in str(info.value)


def test_card_actions_section_defaults_values_and_errors():
    assert load_policy_text(GOOD).card_actions.reopen_within == timedelta(days=7)
    policy = load_policy_text(GOOD + "card_actions: {reopen_within: 12h, snooze_at_most: 2d}\n")
    assert policy.card_actions.reopen_within == timedelta(hours=12)
    assert policy.card_actions.snooze_at_most == timedelta(days=2)
    for bad, words in (("{reopen_within: soon}", "reopen_within"), ("{snooze: 1d}", "unknown key 'snooze'")):
        with pytest.raises(PolicyFileError) as info:
            load_policy_text(GOOD + f"card_actions: {bad}\n", "p.yaml")
        assert info.value.line == 11 and words in str(info.value)


def test_check_command(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["check", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("tier: enterprise", "tier: gold"))
    assert main(["check", str(bad)]) == 1
    assert f"{bad}:4:" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing.yaml")]) == 1
    assert main(["check"]) == 0
