"""`baton serve`: Baton against a real Slack workspace, over HTTP or Socket Mode."""

from __future__ import annotations

import logging
import sys
from typing import Any

from bot.policy import Policy
from bot.scheduler import start_scheduler
from bot.server import exec_gunicorn
from bot.settings import Settings
from bot.wiring import build, integrations_from_settings

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


def serve(*, socket_mode: bool = False, port: int | None = None, workers: int | None = None) -> int:
    settings = Settings()
    missing = _missing(settings, socket_mode)
    if missing:
        print(
            "error: Baton needs these environment variables to talk to Slack:\n  " + "\n  ".join(missing),
            file=sys.stderr,
        )
        print(
            "See README.md, 'Connect your workspace'. To try Baton without Slack: baton demo", file=sys.stderr
        )
        return 2
    accounts, pagers, oncall_sources = integrations_from_settings(settings)
    # Migrates once, here, and checks the token and the policy before any worker starts.
    runtime = build(settings, accounts=accounts, pagers=pagers, oncall_sources=oncall_sources)
    _warn_unconnected(runtime.deps.policy, pagers, oncall_sources)
    if not socket_mode:
        runtime.close()
        exec_gunicorn(port=port, workers=workers)  # does not return: this process becomes the server
    scheduler = start_scheduler(runtime.deps, settings.sweep_seconds)
    try:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        print("Baton is connected over Socket Mode. Ctrl-C to stop.")
        SocketModeHandler(runtime.app, settings.slack_app_token.get_secret_value()).start()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        runtime.close()
    return 0
