"""`baton serve`: Baton against a real Slack workspace, over HTTP or Socket Mode.

Start-up is checked step by step before anything listens (`prepare`): settings, credentials, the
policy, the database, the bot token (auth.test). Each failure is one line (`StartupError`, exit 2).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

from slack_sdk import WebClient

from bot.policy import Policy, PolicyFileError, load_policy
from bot.policy_warnings import policy_warnings
from bot.scheduler import start_scheduler
from bot.server import exec_gunicorn
from bot.settings import Settings
from bot.socket_mode import SocketModeRunner
from bot.startup import StartupError, check_database, check_port, check_slack_token, load_settings
from bot.wiring import Runtime, build, integrations_from_settings

log = logging.getLogger(__name__)


def _missing(settings: Settings, socket_mode: bool) -> list[str]:
    missing = []
    if not settings.slack_bot_token.get_secret_value():
        missing.append("SLACK_BOT_TOKEN (xoxb-..., from OAuth & Permissions)")
    if socket_mode and not settings.slack_app_token.get_secret_value():
        missing.append("SLACK_APP_TOKEN (xapp-..., an app-level token with connections:write)")
    if not socket_mode and not settings.slack_signing_secret.get_secret_value():
        missing.append("SLACK_SIGNING_SECRET (from Basic Information)")
    return missing


def _warn_unconnected(policy: Policy, pagers: dict[str, Any], sources: dict[str, Any]) -> None:
    """A team whose on-call provider has no credentials would never be paged: say so at start."""
    for team in policy.teams.values():
        provider = team.oncall.provider if team.oncall is not None else "none"
        if provider in ("pagerduty", "opsgenie") and provider not in pagers:
            log.error(
                "team %s pages through %s, but no %s key is set: its pages cannot be sent (only the on-call DM and reminders will go out)",
                team.name,
                provider,
                provider,
            )
        if provider in ("pagerduty", "opsgenie") and provider not in sources:
            log.warning(
                "team %s: cannot look up who is on call in %s (no API token); only the pager is paged",
                team.name,
                provider,
            )


def prepare(settings: Settings, *, socket_mode: bool) -> Runtime:
    """Every start-up check, then the runtime; raises StartupError with one line on the first failure."""
    missing = _missing(settings, socket_mode)
    if missing:
        raise StartupError(
            "Baton needs " + " and ".join(missing) + " to talk to Slack; see README.md, "
            "'Connect your workspace' (to try Baton without Slack: baton serve --sandbox, or baton demo)"
        )
    try:
        policy = load_policy(settings.baton_policy or None)
    except PolicyFileError as exc:
        raise StartupError(f"BATON_POLICY: {exc}") from None
    for warning in policy_warnings(policy):
        log.warning("%s", warning)
    check_database(settings.database_url)
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    check_slack_token(client, variable="SLACK_BOT_TOKEN")
    accounts, pagers, oncall_sources = integrations_from_settings(settings)
    try:
        runtime = build(
            settings,
            policy=policy,
            slack=client,
            accounts=accounts,
            pagers=pagers,
            oncall_sources=oncall_sources,
        )
    except Exception as exc:  # anything else at start: one line; the traceback at -v debug
        log.debug("start-up failed", exc_info=True)
        raise StartupError(
            f"could not start: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            "(run with -v debug for details)"
        ) from None
    _warn_unconnected(runtime.deps.policy, pagers, oncall_sources)
    return runtime


def _run_http(runtime: Runtime, settings: Settings, port: int | None, workers: int | None) -> None:
    runtime.close()
    check_port(settings.host, port if port is not None else settings.port)
    exec_gunicorn(port=port, workers=workers)  # does not return: this process becomes the server


def _run_socket(runtime: Runtime, settings: Settings) -> None:
    runner = SocketModeRunner(runtime.app, settings.slack_app_token.get_secret_value(), runtime.inbox)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    try:
        runner.connect()  # returns once Slack's hello arrived, or raises StartupError
        print("Baton is connected over Socket Mode. Ctrl-C to stop.", flush=True)
        runner.wait()
    finally:
        runner.close()


def serve(*, socket_mode: bool = False, port: int | None = None, workers: int | None = None) -> int:
    settings = load_settings()
    runtime = prepare(settings, socket_mode=socket_mode)
    if not socket_mode:
        _run_http(runtime, settings, port, workers)
    scheduler = start_scheduler(runtime.deps, settings.sweep_seconds)
    try:
        _run_socket(runtime, settings)
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        runtime.close()
        sys.stdout.flush()
    return 0
