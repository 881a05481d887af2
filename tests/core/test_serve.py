"""`baton serve` as a user runs it: a real process, configured by environment variables only."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.sandbox.driver import SlackDriver
from bot.sandbox.slack import FakeSlack

POLICY = """
version: 1
workspace: {ai_bot_users: [U0AIAGENT]}
accounts:
  - {channel: C0ACME, account: acme, name: Acme Corp, tier: enterprise}
teams:
  support: {channel: C0SUPPORT}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_refuses_to_start_without_slack_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db"
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN" in proc.stderr and "SLACK_SIGNING_SECRET" in proc.stderr


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    fake.add_team("T0EXT", "Acme")
    fake.add_user("U0CUST", "acme-customer", "T0EXT")
    fake.add_channel("C0ACME", "ext-acme", ext_shared=True, shared_team_ids=["T0OURS", "T0EXT"])
    fake.add_channel("C0SUPPORT", "support")
    yield fake
    fake.stop()


def test_serve_over_http_end_to_end(tmp_path: Path, slack: FakeSlack, database_url: str):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))},
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "serve-secret",
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
        "BATON_POLICY": str(policy),
        "BATON_HOST": "127.0.0.1",
        "BATON_PORT": str(port),
        "BATON_SWEEP_SECONDS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail("baton serve did not come up: " + (proc.communicate()[1] or "")[-2000:])
        driver = SlackDriver(f"{base}/slack/events", "serve-secret", slack)
        assert "xyz" in driver.url_verification("xyz").text
        driver.user_says("C0ACME", "U0CUST", "Please let me talk to a human")
        for _ in range(100):
            cards = [m for m in slack.bot_messages("C0SUPPORT") if m.get("blocks")]
            if cards:
                break
            time.sleep(0.1)
        assert cards, "no card was posted"
        assert "baton_claim" in json.dumps(cards[0]["blocks"])
        driver.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
