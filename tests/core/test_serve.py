"""`baton serve` as a user runs it: a real process, configured by environment variables only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.sandbox.driver import SlackDriver, sign
from bot.sandbox.slack import FakeSlack
from storage.db import make_engine, session_scope
from storage.models import SweepHeartbeat

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


def _serve(tmp_path: Path, slack: FakeSlack, database_url: str, *args: str) -> tuple[subprocess.Popen, str]:
    """`baton serve ARGS` as a user starts it; returns the process and its base URL once /healthz answers."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "PROMETHEUS_"))},
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "serve-secret",
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
        "BATON_POLICY": str(policy),
        "BATON_HOST": "127.0.0.1",
        "BATON_PORT": str(port),
        "BATON_SWEEP_SECONDS": "1",
        "BATON_GRACEFUL_SECONDS": "20",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    pytest.fail("baton serve did not come up: " + (proc.communicate()[1] or "")[-2000:])


def _sample(metrics_text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels` (0 when absent)."""
    total = 0.0
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_serve_with_two_workers_end_to_end(tmp_path: Path, slack: FakeSlack, database_url: str):
    """Two gunicorn worker processes: both come up (no migration race), both sweep, a card gets posted,
    and /metrics on any worker counts what either did."""
    proc, base = _serve(tmp_path, slack, database_url, "--workers", "2")
    try:
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

        engine = make_engine(database_url)
        try:
            for _ in range(100):  # each worker writes its own heartbeat row after its first sweep
                with session_scope(engine) as session:
                    workers = {h.worker for h in session.exec(select(SweepHeartbeat))}
                if len(workers) >= 2:
                    break
                time.sleep(0.2)
        finally:
            engine.dispose()
        assert len(workers) == 2, f"expected a sweeping scheduler in each of 2 workers, saw {workers}"

        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "sweep": "ok", "inbox": "ok"}

        text = ""
        for _ in range(5):  # whichever worker answers, the counters are the sum over both
            text = httpx.get(f"{base}/metrics", timeout=5).text
            assert _sample(text, "baton_escalations_opened_total", team="support") == 1
            assert _sample(text, "baton_decisions_total", outcome="escalate") == 1
            assert _sample(text, "baton_effects_total", kind="post_card", outcome="ok") == 1
            assert _sample(text, "baton_http_requests_total", route="/slack/events", code="200") == 2
        assert _sample(text, "baton_database_up") == 1
        assert _sample(text, "baton_sweep_heartbeat_age_seconds") < 60
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""


def test_sigterm_answers_the_request_in_flight_then_exits_0(
    tmp_path: Path, slack: FakeSlack, database_url: str
):
    """SIGTERM while a request is half received: the server stops accepting, answers that request
    once its body arrives, and exits 0."""
    proc, base = _serve(tmp_path, slack, database_url, "--workers", "1")
    port = int(base.rsplit(":", 1)[1])
    body = json.dumps({"type": "url_verification", "token": "x", "challenge": "still-here"}).encode()
    headers = {"Content-Type": "application/json", **sign("serve-secret", int(time.time()), body)}
    head = "POST /slack/events HTTP/1.1\r\nHost: baton\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head.encode() + body[:10])
            time.sleep(1.0)  # the worker is now reading this request's body
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            conn.sendall(body[10:])
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        assert b"still-here" in answer
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
        with pytest.raises(httpx.TransportError):  # and nothing listens any more
            httpx.get(f"{base}/healthz", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
