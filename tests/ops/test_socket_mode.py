"""`baton serve --socket` end to end against the local Socket Mode stand-in: a real process, a real
WebSocket; events, clicks and slash commands in envelopes, acks, refreshes and dropped connections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cards import Action
from bot.sandbox.driver import SlackDriver
from bot.sandbox.slack import FakeSlack
from bot.sandbox.socket_mode import SocketModeStandIn
from storage import inbox
from storage.db import make_engine, read_scope

POLICY = """
version: 1
workspace: {ai_bot_users: [U0AIAGENT]}
accounts:
  - {channel: C0ACME, account: acme, name: Acme Corp, tier: enterprise}
teams:
  support: {channel: C0SUPPORT, oncall: {provider: rotation, start: "2026-11-02T09:00:00Z", users: [U0ALICE]}}
"""


class Output:
    """A process's stdout and stderr, read in the background (so a test can wait for a line)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        for stream in (proc.stdout, proc.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, text: str, timeout: float = 60.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: any(text in line for line in self.lines), timeout)

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)


def _wait(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.add_team("T0EXT", "Acme")
    fake.add_user("U0CUST", "acme-customer", "T0EXT")
    fake.add_user("U0ALICE", "alice")
    fake.add_channel("C0ACME", "ext-acme", ext_shared=True, shared_team_ids=["T0OURS", "T0EXT"])
    fake.add_channel("C0SUPPORT", "support")
    yield fake
    fake.stop()


def _serve_socket(tmp_path: Path, slack: FakeSlack, database_url: str, **extra: str) -> subprocess.Popen[str]:
    (tmp_path / "policy.yaml").write_text(POLICY)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))},
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
        "BATON_POLICY": str(tmp_path / "policy.yaml"),
        "BATON_SWEEP_SECONDS": "1",
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--socket"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _inbox_keys(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with read_scope(engine) as session:
            return inbox.keys(session)
    finally:
        engine.dispose()


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_events_clicks_and_commands_through_the_socket_with_refresh_and_drop(
    tmp_path: Path, slack: FakeSlack, database_url: str
):
    socket_mode = SocketModeStandIn(slack).start()
    proc = _serve_socket(tmp_path, slack, database_url)
    out = Output(proc)
    driver = SlackDriver("", "unused: Socket Mode is not signed", slack)
    try:
        assert out.wait_for("connected over Socket Mode"), out.text()
        assert socket_mode.hellos == 1  # "connected" came after the hello, not before the connection

        # a customer message, as an events_api envelope: acked, then a card in the team channel
        msg = slack.post_as_user("C0ACME", "U0CUST", "I want to talk to a human please")
        callback = driver.envelope_for("C0ACME", msg["ts"])
        envelope_id = socket_mode.send_event(callback)
        assert socket_mode.wait_ack(envelope_id) == {"envelope_id": envelope_id}
        # acked only once stored: the event is in the durable inbox, like an HTTP delivery
        assert f"event:{callback['event_id']}" in _inbox_keys(database_url)
        assert _wait(lambda: any(m.get("blocks") for m in slack.bot_messages("C0SUPPORT"))), out.text()
        card = next(m for m in slack.bot_messages("C0SUPPORT") if m.get("blocks"))

        # Slack sends the same event again (a retry after a slow ack): acked, recorded once, one card
        again = socket_mode.send_event(callback)
        assert socket_mode.wait_ack(again) == {"envelope_id": again}
        time.sleep(1.0)
        assert len([m for m in slack.bot_messages("C0SUPPORT") if m.get("blocks")]) == 1
        assert _inbox_keys(database_url).count(f"event:{callback['event_id']}") == 1

        # Slack refreshes the connection: the app opens a new one and keeps working on it
        socket_mode.request_refresh()
        assert socket_mode.hellos == 2 and socket_mode.connections == 1

        # a click on Claim, as an interactive envelope
        payload = driver.block_actions_payload("U0ALICE", card["ts"], "C0SUPPORT", Action.CLAIM.value)
        click_id = socket_mode.send_interactive(payload)
        assert socket_mode.wait_ack(click_id) is not None
        assert _wait(lambda: "alice" in json.dumps(slack.message("C0SUPPORT", card["ts"]) or {}).lower())

        # the connection drops without a goodbye: the app reconnects with a fresh URL
        opened = len(socket_mode.opened_urls)
        socket_mode.drop()
        assert socket_mode.wait_connected(hellos=3, timeout=90), out.text()
        assert len(socket_mode.opened_urls) > opened and socket_mode.refused == 0

        # a slash command after the reconnect: its answer comes back in the ack's payload
        command_id = socket_mode.send_slash_command(
            driver.slash_fields("U0ALICE", "C0SUPPORT", "/escalations")
        )
        ack = socket_mode.wait_ack(command_id)
        assert ack is not None and ack["envelope_id"] == command_id
    finally:
        _stop(proc)
        socket_mode.stop()
    assert proc.returncode in (0, -15), out.text()
    assert "Traceback" not in out.text()


def test_connected_is_not_printed_when_the_socket_never_says_hello(
    tmp_path: Path, slack: FakeSlack, database_url: str
):
    """apps.connections.open answers, but the WebSocket URL leads nowhere: one line, exit 2."""
    dead = SocketModeStandIn(slack).start()
    dead.stop()  # the URL it hands out points at a closed port
    proc = _serve_socket(tmp_path, slack, database_url)
    out = Output(proc)
    try:
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            _stop(proc)
    _wait(lambda: "error:" in out.text(), 5)
    assert proc.returncode == 2, out.text()
    assert "connected over Socket Mode" not in out.text()
    errors = [line for line in out.text().splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no hello from Slack" in errors[0], out.text()
    assert "Traceback" not in out.text()


def test_a_wrong_app_token_names_slack_app_token(tmp_path: Path, slack: FakeSlack, database_url: str):
    SocketModeStandIn(slack)  # registers apps.connections.open
    proc = _serve_socket(tmp_path, slack, database_url, SLACK_APP_TOKEN="xapp-1-wrong")
    out = Output(proc)
    proc.wait(timeout=90)
    _wait(lambda: "error:" in out.text(), 5)
    assert proc.returncode == 2, out.text()
    errors = [line for line in out.text().splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: SLACK_APP_TOKEN: Slack rejected the token")
    assert "Traceback" not in out.text()
