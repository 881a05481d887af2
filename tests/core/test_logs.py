"""Logs: timestamps, JSON lines with the escalation and event ids, and never a secret."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import logs
from bot.logs import log_context
from bot.sandbox.driver import SlackDriver
from bot.sandbox.slack import FakeSlack
from bot.settings import Settings
from bot.startup import load_settings

BOT_TOKEN = "xoxb-1111-2222-supersecretbot"
SIGNING = "signing-secret-9f8e7d6c5b4a"
PD_KEY = "pagerduty-routing-key-0123456789ab"
DB_PASSWORD = "db-pass-w0rd-zz"


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    old = (list(root.handlers), root.level)
    stream = io.StringIO()
    yield stream
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in old[0]:
        root.addHandler(h)
    root.setLevel(old[1])


def test_text_lines_have_an_iso_utc_timestamp_and_the_ids(capture: io.StringIO):
    logs.configure(logging.INFO, "text", capture)
    log = logging.getLogger("bot.test")
    log.info("outside")
    with log_context(event_id="Ev0123"):
        with log_context(escalation_id=42):
            log.warning("inside %s", "both")
        log.info("event only")
    lines = capture.getvalue().splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.fullmatch(stamp + r" INFO bot\.test: outside", lines[0])
    assert re.fullmatch(stamp + r" WARNING bot\.test: inside both \[escalation=42 event=Ev0123\]", lines[1])
    assert lines[2].endswith("event only [event=Ev0123]")


def test_json_lines_carry_level_logger_message_and_ids(capture: io.StringIO):
    logs.configure(logging.DEBUG, "json", capture)
    log = logging.getLogger("bot.flows.x")
    with log_context(escalation_id=7, event_id="Ev9"):
        log.debug("hello %d", 1)
    log.info("plain")
    first, second = (json.loads(line) for line in capture.getvalue().splitlines())
    assert first["level"] == "DEBUG" and first["logger"] == "bot.flows.x" and first["message"] == "hello 1"
    assert first["escalation_id"] == 7 and first["event_id"] == "Ev9"
    assert first["time"].endswith("Z")
    assert "escalation_id" not in second and "event_id" not in second


def test_the_context_does_not_leak_after_the_unit_of_work(capture: io.StringIO):
    logs.configure(logging.INFO, "json", capture)
    with pytest.raises(RuntimeError), log_context(escalation_id=3):
        raise RuntimeError("boom")
    logging.getLogger("x").info("after")
    assert "escalation_id" not in json.loads(capture.getvalue())


def test_secrets_never_reach_the_log_even_in_reprs_and_tracebacks(
    capture: io.StringIO, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING)
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", PD_KEY)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://baton:{DB_PASSWORD}@db.internal/baton")
    settings = load_settings()  # registers the secret values with the log formatter
    for fmt in ("text", "json"):
        stream = io.StringIO()
        logs.configure(logging.DEBUG, fmt, stream)
        log = logging.getLogger("bot.test")
        log.info("settings: %r", settings)
        log.info("settings: %s", settings.model_dump())  # SecretStr masks; the URL password does not
        log.info("raw values: %s %s %s", BOT_TOKEN, SIGNING, PD_KEY)
        try:
            raise ValueError(f"call failed with token={BOT_TOKEN} secret={SIGNING} for {settings!r}")
        except ValueError:
            log.exception("failure")
        out = stream.getvalue()
        for secret in (BOT_TOKEN, SIGNING, PD_KEY, DB_PASSWORD):
            assert secret not in out, (fmt, secret)
        assert "db.internal" in out and "failure" in out  # the rest is still there


def test_token_shapes_are_masked_even_when_not_in_the_settings(capture: io.StringIO):
    logs.configure(logging.INFO, "text", capture)
    logging.getLogger("x").info("got xoxb-999-888-abc and xapp-1-A0-777-def")
    out = capture.getvalue()
    assert "abc" not in out and "def" not in out and "xoxb-***" in out and "xapp-***" in out


def test_settings_repr_is_safe_by_itself():
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING)  # type: ignore[arg-type]
    assert BOT_TOKEN not in repr(settings) and SIGNING not in repr(settings)


def test_a_bad_log_format_is_one_line(tmp_path: Path):
    env = {**os.environ, "BATON_LOG_FORMAT": "xml"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "error: BATON_LOG_FORMAT: expected one of text | json, got 'xml'"


# ---------------------------------------------------------------- a real server


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


def test_serve_logs_json_with_event_and_escalation_ids_and_no_secret(tmp_path: Path, database_url: str):
    fake = FakeSlack(bot_token=BOT_TOKEN).start()
    fake.add_team("T0EXT", "Acme")
    fake.add_user("U0CUST", "acme-customer", "T0EXT")
    fake.add_channel("C0ACME", "ext-acme", ext_shared=True, shared_team_ids=["T0OURS", "T0EXT"])
    fake.add_channel("C0SUPPORT", "support")
    fake.add_channel("C0RANDOM", "random")
    (tmp_path / "policy.yaml").write_text(POLICY)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING,
        "PAGERDUTY_ROUTING_KEY": PD_KEY,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "BATON_POLICY": str(tmp_path / "policy.yaml"),
        "BATON_HOST": "127.0.0.1",
        "BATON_PORT": str(port),
        "BATON_LOG_FORMAT": "json",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "-v", "debug"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail("baton serve did not come up: " + proc.communicate()[1][-2000:])
        driver = SlackDriver(f"{base}/slack/events", SIGNING, fake)
        driver.user_says("C0ACME", "U0CUST", "I need to talk to a human, now")
        for _ in range(3):  # an unmapped channel: counted every time, said once
            driver.user_says("C0RANDOM", "U0CUST", "hello?")
        for _ in range(150):
            if any(m.get("blocks") for m in fake.bot_messages("C0SUPPORT")):
                break
            time.sleep(0.1)
        driver.close()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        fake.stop()
    lines = [line for line in err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    # Baton's lines are JSON (gunicorn's master writes a few of its own in its format)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any(r.get("event_id") and r["logger"] == "handlers.events" for r in records), err[-3000:]
    opened = [r for r in records if "opened" in r["message"] and r["logger"] == "bot.flows.ingest"]
    assert opened and opened[0]["escalation_id"] >= 1 and opened[0]["event_id"]
    unmapped = [r for r in records if "C0RANDOM is not a customer channel" in r["message"]]
    # said once per worker process (gunicorn runs two here; the inbox lets either take a message)
    assert 1 <= len(unmapped) <= 2 and all(r["level"] == "INFO" for r in unmapped)
    for secret in (BOT_TOKEN, SIGNING, PD_KEY):
        assert secret not in err
