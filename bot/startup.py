"""Start-up checks for `baton serve` and `baton migrate`: each failure becomes one line that names what
to fix (`StartupError`); `baton` prints it and exits 2, with no traceback.

    settings = load_settings()              # BATON_PORT=abc -> "BATON_PORT: expected an integer port ..."
    check_database(settings.database_url)   # unreachable -> "DATABASE_URL: cannot reach the database ..."
    check_slack_token(client, "SLACK_BOT_TOKEN")  # invalid_auth/token_revoked/... -> which variable to fix
"""

from __future__ import annotations

import socket
import time
import urllib.error
from typing import Any

from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot import logs
from bot.errors import StartupError
from bot.settings import Settings
from storage.db import normalise_url

__all__ = ["StartupError", "check_database", "check_slack_token", "load_settings"]


# ---------------------------------------------------------------- settings

# What a value must look like, by settings field (the rest fall back to pydantic's own words).
EXPECTED = {
    "port": "an integer port 1-65535",
    "workers": "a whole number of workers, at least 1",
    "interactive_workers": "a whole number of workers, at least 1",
    "sweep_seconds": "a number of seconds greater than 0",
}


def env_name(settings_cls: type[Settings], field: str) -> str:
    info = settings_cls.model_fields.get(field)
    if info is not None and info.alias:
        return str(info.alias)
    return field.upper()


def describe_validation_error(exc: ValidationError, settings_cls: type[Settings] = Settings) -> str:
    problems = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "?"
        # loc carries the alias for aliased fields; map back to the field to find its expectation
        name = next((n for n, f in settings_cls.model_fields.items() if f.alias == field), field)
        expected = EXPECTED.get(name) or str(err.get("msg", "invalid value")).lower()
        got = err.get("input")
        problems.append(f"{env_name(settings_cls, name)}: expected {expected}, got {got!r}")
    return "; ".join(problems)


def load_settings(**overrides: Any) -> Settings:
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise StartupError(describe_validation_error(exc)) from None
    logs.redact_values(logs.secret_values(settings))
    return settings


# ---------------------------------------------------------------- database


def redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _first_line(exc: BaseException) -> str:
    """The driver's own first line (psycopg: '... port 5432 failed: Connection refused')."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def check_port(host: str, port: int, *, wait_seconds: float = 5.0) -> None:
    """The address gunicorn will bind is free; StartupError (one line) naming it and the fix when not.

    Checked by binding it for a moment, the way gunicorn will (SO_REUSEADDR), before the process
    becomes the gunicorn master. Like gunicorn, it keeps trying for a few seconds first: after a
    kill -9 of the master, its workers hold the socket until they notice (about a second)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + wait_seconds
    while True:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
                return
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise StartupError(
                        f"BATON_PORT: cannot listen on {host}:{port} ({exc.strerror or exc}); another "
                        "process has it: stop that one or choose another port (--port or BATON_PORT)"
                    ) from None
        time.sleep(0.25)


def check_database(url: str, *, timeout_seconds: int = 5) -> None:
    """Connect once (SELECT 1) with a short connect timeout."""
    where = redact_url(url)
    try:
        real = normalise_url(url)
        args: dict[str, Any] = {} if real.startswith("sqlite") else {"connect_timeout": timeout_seconds}
        engine = create_engine(real, connect_args=args)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StartupError(
            f"DATABASE_URL: {where!r} is not a database URL ({_first_line(exc)}); "
            "e.g. sqlite:///baton.db or postgresql://user@host/db"
        ) from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise StartupError(
            f"DATABASE_URL: cannot reach the database at {where} ({_first_line(exc)}); "
            "check that it is running and the URL is right"
        ) from None
    finally:
        engine.dispose()


# ---------------------------------------------------------------- Slack

TOKEN_FIXES = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
    "SLACK_APP_TOKEN": "create an app-level token with connections:write under Basic Information (xapp-...)",
}

TOKEN_ERRORS = {
    "invalid_auth": "Slack rejected the token",
    "not_authed": "Slack received no token",
    "token_revoked": "the token was revoked (reinstall the app to get a new one)",
    "token_expired": "the token has expired",
    "account_inactive": "the token belongs to an uninstalled app or a deactivated user (reinstall the app)",
    "not_allowed_token_type": "this is the wrong kind of token",
    "invalid_token": "Slack rejected the token",
}


def describe_slack_error(exc: BaseException, *, variable: str, api_url: str) -> str | None:
    """One line for an error from a Slack call at start-up, or None if it is not one we know."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error", "")) if exc.response is not None else ""
        if code in TOKEN_ERRORS:
            return f"{variable}: {TOKEN_ERRORS[code]} ({code}); {TOKEN_FIXES[variable]}"
        return f"Slack answered {code or 'an error'} at start-up ({variable}); see api.slack.com/methods"
    if isinstance(exc, urllib.error.URLError | ConnectionError | socket.timeout | TimeoutError):
        reason = getattr(exc, "reason", exc)
        return (
            f"cannot reach Slack at {api_url} ({reason}); check the network, a proxy "
            "(HTTPS_PROXY) or SLACK_API_URL"
        )
    return None


def check_slack_token(client: WebClient, *, variable: str = "SLACK_BOT_TOKEN") -> dict[str, Any]:
    """auth.test with the bot token: the answer (team, user, bot ids), or a StartupError."""
    try:
        with logs.quiet(client.logger.name):  # its retry and error lines: the StartupError says it
            return dict(client.auth_test().data)  # type: ignore[arg-type]
    except Exception as exc:
        line = describe_slack_error(exc, variable=variable, api_url=client.base_url)
        if line is None:
            raise
        raise StartupError(line) from None
