"""Start-up failures of `baton serve` / `baton migrate`, as a user meets them: a real process, exit code
2, one line on stderr that names what to fix, never a traceback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.slack import FakeSlack

POLICY = """
version: 1
workspace: {ai_bot_users: [U0AIAGENT]}
accounts:
  - {channel: C0ACME, account: acme}
teams:
  support: {channel: C0SUPPORT, oncall: {provider: rotation, start: "2026-11-02T09:00:00Z", users: [U0ALICE]}}
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    policy = tmp_path / "policy.yaml"
    if not policy.exists():
        policy.write_text(POLICY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-not-a-real-token",
            "SLACK_SIGNING_SECRET": "a-signing-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path}/baton.db",
            "BATON_POLICY": str(policy),
            "BATON_HOST": "127.0.0.1",
            "BATON_PORT": str(_closed_port()),
        }
    )
    env.update(extra)
    return env


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *(args or ("serve",))],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], *, alone: bool = True) -> str:
    """The one `error:` line; with `alone`, it is all of stderr (nothing else was logged first)."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    if alone:
        assert proc.stderr.strip().splitlines() == errors, proc.stderr
    return errors[0]


@pytest.fixture
def slack():
    fake = FakeSlack(bot_token="xoxb-the-right-token").start()
    yield fake
    fake.stop()


def test_unreachable_postgres_is_one_line_naming_database_url(tmp_path: Path):
    url = f"postgresql://baton:hunter2-db-password@127.0.0.1:{_closed_port()}/baton"
    proc = _run(tmp_path, _env(tmp_path, DATABASE_URL=url))
    line = _one_line_error(proc)
    assert line.startswith("error: DATABASE_URL: cannot reach the database")
    assert "refused" in line.lower()
    assert f"127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}" in line
    assert "hunter2-db-password" not in proc.stderr + proc.stdout


def test_migrate_reports_the_same_way(tmp_path: Path):
    url = f"postgresql://baton@127.0.0.1:{_closed_port()}/baton"
    line = _one_line_error(_run(tmp_path, _env(tmp_path, DATABASE_URL=url), "migrate"))
    assert "DATABASE_URL: cannot reach the database" in line


def test_a_malformed_database_url_says_what_one_looks_like(tmp_path: Path):
    line = _one_line_error(_run(tmp_path, _env(tmp_path, DATABASE_URL="mysql-ish://nope")))
    assert "DATABASE_URL" in line and "sqlite:///baton.db" in line


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_rejected_bot_token_names_the_variable(tmp_path: Path, slack: FakeSlack, code: str):
    if code != "invalid_auth":
        slack.fail_next("auth.test", code)  # the token is right, but Slack says it was revoked
        token = slack.bot_token
    else:
        token = "xoxb-wrong-token"
    proc = _run(tmp_path, _env(tmp_path, SLACK_BOT_TOKEN=token, SLACK_API_URL=slack.base_url))
    line = _one_line_error(proc)
    assert line.startswith("error: SLACK_BOT_TOKEN:")
    assert code in line and "OAuth & Permissions" in line
    assert token not in proc.stderr + proc.stdout


def test_no_network_to_slack_is_one_line(tmp_path: Path):
    env = _env(tmp_path, SLACK_API_URL=f"http://127.0.0.1:{_closed_port()}/api/")
    line = _one_line_error(_run(tmp_path, env))
    assert "cannot reach Slack" in line and "refused" in line.lower()


def test_a_bad_port_is_not_a_pydantic_dump(tmp_path: Path):
    proc = _run(tmp_path, _env(tmp_path, BATON_PORT="abc"))
    line = _one_line_error(proc)
    assert line == "error: BATON_PORT: expected an integer port 1-65535, got 'abc'"
    assert "pydantic" not in proc.stderr


def test_every_invalid_value_is_named_on_the_one_line(tmp_path: Path):
    env = _env(tmp_path, BATON_PORT="70000", BATON_SWEEP_SECONDS="soon", BATON_WORKERS="0")
    line = _one_line_error(_run(tmp_path, env))
    assert "BATON_PORT: expected an integer port 1-65535, got '70000'" in line
    assert "BATON_SWEEP_SECONDS: expected a number of seconds greater than 0, got 'soon'" in line
    assert "BATON_WORKERS: expected a whole number of workers, at least 1, got '0'" in line


def test_a_bad_policy_file_names_its_line(tmp_path: Path):
    (tmp_path / "policy.yaml").write_text("version: 1\nteams:\n  support: {channel: '#support'}\n")
    line = _one_line_error(_run(tmp_path, _env(tmp_path)))
    assert "policy.yaml:3" in line and "not a channel id" in line


def test_missing_credentials_is_one_line(tmp_path: Path):
    env = _env(tmp_path)
    del env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"]
    line = _one_line_error(_run(tmp_path, env))
    assert "SLACK_BOT_TOKEN" in line and "SLACK_SIGNING_SECRET" in line


def test_log_level_works_before_and_after_the_subcommand(tmp_path: Path):
    env = _env(tmp_path)
    for args in (("-v", "debug", "check"), ("check", "--verbose", "DEBUG")):
        proc = _run(tmp_path, env, *args, str(tmp_path / "policy.yaml"))
        assert proc.returncode == 0, proc.stderr


TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING bot\.serve: ", re.M)


def test_log_level_reaches_serve_before_and_after_the_subcommand(tmp_path: Path):
    """A team without on-call warns at start (WARNING), then the start fails on the database;
    `--log-level error` hides the warning, wherever it is given."""
    (tmp_path / "policy.yaml").write_text(POLICY.split(", oncall:")[0] + "}\n")
    env = _env(tmp_path, DATABASE_URL=f"postgresql://baton@127.0.0.1:{_closed_port()}/baton")
    shown = _run(tmp_path, env, "serve")
    _one_line_error(shown, alone=False)
    assert TIMESTAMPED.search(shown.stderr), shown.stderr
    assert "team support has no on-call" in shown.stderr
    for args in (("serve", "--log-level", "error"), ("-v", "error", "serve")):
        hidden = _run(tmp_path, env, *args)
        _one_line_error(hidden)
        assert "no on-call" not in hidden.stderr, args


def test_an_unknown_log_level_is_refused(tmp_path: Path):
    proc = _run(tmp_path, _env(tmp_path), "serve", "-v", "loud")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "expected one of debug" in proc.stderr


def test_a_port_another_process_holds_is_one_line(tmp_path: Path, slack: FakeSlack):
    """Every other check passes; the port is taken: one line naming it, before gunicorn's own retries."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = _env(
            tmp_path,
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_API_URL=slack.base_url,
            BATON_PORT=str(port),
        )
        line = _one_line_error(_run(tmp_path, env), alone=False)
    assert line == (
        f"error: BATON_PORT: cannot listen on 127.0.0.1:{port} (Address already in use); another process "
        "has it: stop that one or choose another port (--port or BATON_PORT)"
    )
