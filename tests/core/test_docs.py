"""The documented examples stay valid."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.domain.handoff import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.policy import load_policy_text

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_policy_reference_example_is_valid():
    text = (DOCS / "policy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/policy.md has a complete example"
    policy = load_policy_text(blocks[-1], "docs/policy.md example")
    assert policy.team_for("cancellation").name == "billing"
    assert policy.engine.trigger("competitor_mention") is not None


BASE_POLICY = "version: 1\nteams:\n  support: {channel: C0SUPPORT}\n"


def test_customer_message_examples_are_valid():
    text = (DOCS / "customer-messages.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    for block in blocks:
        load_policy_text(BASE_POLICY + block, "docs/customer-messages.md example")
    safety = load_policy_text(BASE_POLICY + blocks[0]).messages
    assert "988" in safety.safety("en") and safety.safety("nl").endswith("uit te leggen.")


def test_the_documented_signature_check_accepts_baton_and_nothing_else():
    text = (DOCS / "ai-handoff.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    namespace: dict = {}
    exec(compile(code, "docs/ai-handoff.md", "exec"), namespace)  # noqa: S102 - our own documentation
    check = namespace["is_from_baton"]
    now = int(time.time())
    body = b'{"state":"human"}'
    good = {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign("s3cret", now, body), DELIVERY_HEADER: "d"}
    assert check("s3cret", good, body)
    assert not check("other", good, body)
    assert not check("s3cret", good, body + b" ")
    old = {TIMESTAMP_HEADER: str(now - 301), SIGNATURE_HEADER: sign("s3cret", now - 301, body)}
    assert not check("s3cret", old, body)


def test_the_dockerfile_installs_as_ci_does():
    """docs/deploy.md promises deploy/Dockerfile's install step is CI's: `pip install -e .` from the repo."""
    root = DOCS.parent
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    dockerfile = (root / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^pip install -q -e \.$", ci, flags=re.M), "CI installs with pip install -e ."
    run_lines = "\n".join(line for line in dockerfile.splitlines() if not line.lstrip().startswith("#"))
    installs = re.findall(r"pip install[^\\\n&]*", run_lines)
    assert [i.strip() for i in installs if "-e" in i] == ["pip install -q -e ."]
    assert "COPY . /app" in dockerfile and 'CMD ["baton", "serve"]' in dockerfile
    assert "deploy/Dockerfile" in (DOCS / "deploy.md").read_text(encoding="utf-8")
