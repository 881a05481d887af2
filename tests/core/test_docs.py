"""The documented examples stay valid."""

from __future__ import annotations

import re
from pathlib import Path

from bot.policy import load_policy_text

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_policy_reference_example_is_valid():
    text = (DOCS / "policy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/policy.md has a complete example"
    policy = load_policy_text(blocks[-1], "docs/policy.md example")
    assert policy.team_for("cancellation").name == "billing"
    assert policy.engine.trigger("competitor_mention") is not None
