"""`baton check` / `baton serve` say what a valid policy still gets wrong, and channel names are refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.policy import PolicyFileError, load_policy, load_policy_text
from bot.policy_warnings import policy_warnings

GOOD = """version: 1
accounts:
  - {channel: C0ACME, account: acme}
teams:
  support:
    channel: C0SUPPORT
    oncall: {provider: rotation, start: "2026-11-02T09:00:00Z", users: [U0ALICE]}
"""


def test_a_complete_policy_has_no_warning():
    assert policy_warnings(load_policy_text(GOOD)) == []


def test_the_built_in_policy_says_it_watches_no_channel_and_how_to_fix_it():
    warnings = policy_warnings(load_policy(None))
    first = warnings[0]
    assert "no customer channel is mapped" in first and "ignores every message" in first
    assert "accounts: [{channel: C0123ABCD, account: acme}]" in first and "BATON_POLICY" in first
    # and each of its teams has no on-call
    assert sorted(w.split("team ")[1].split(" ")[0] for w in warnings[1:]) == ["billing", "legal", "support"]


def test_a_team_without_oncall_is_named():
    text = GOOD + "  legal: {channel: C0LEGAL, categories: [legal]}\n"
    (warning,) = policy_warnings(load_policy_text(text))
    assert "team legal has no on-call" in warning and "teams.legal.oncall" in warning


def test_team_defaults_oncall_counts_for_every_team():
    text = GOOD.replace(
        "teams:",
        'team_defaults:\n  oncall: {provider: rotation, start: "2026-11-02T09:00:00Z", users: [U0BOB]}\nteams:',
    )
    text += "  legal: {channel: C0LEGAL, categories: [legal]}\n"
    assert policy_warnings(load_policy_text(text)) == []


@pytest.mark.parametrize(
    ("text", "line", "where"),
    [
        (GOOD.replace("channel: C0ACME", "channel: '#support'"), 3, "accounts.0.channel"),
        (GOOD.replace("channel: C0SUPPORT", "channel: support"), 6, "teams.support.channel"),
        (
            "version: 1\nworkspace:\n  managers_channel: '#managers'\n" + GOOD[len("version: 1\n") :],
            3,
            "workspace.managers_channel",
        ),
    ],
)
def test_a_channel_name_where_an_id_is_needed_is_an_error_with_line_and_fix(text: str, line: int, where: str):
    with pytest.raises(PolicyFileError) as err:
        load_policy_text(text, "p.yaml")
    assert err.value.line == line
    message = str(err.value)
    assert f"p.yaml:{line}: {where}:" in message
    assert "is not a channel id" in message and "C0123ABCD" in message and "About" in message


def test_channel_ids_of_both_kinds_are_accepted():
    policy = load_policy_text(GOOD.replace("C0ACME", "G01ABCDEF2").replace("C0SUPPORT", "C07QWERTY9"))
    assert "G01ABCDEF2" in policy.accounts and policy.teams["support"].channel == "C07QWERTY9"


def test_baton_check_prints_the_warnings_and_still_passes():
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "built-in default policy: OK" in proc.stdout
    assert "warning: built-in default policy: no customer channel is mapped" in proc.stderr
