"""`baton serve`: Baton against a real Slack workspace, over HTTP or Socket Mode."""

from __future__ import annotations

import logging
import sys

from bot.scheduler import start_scheduler
from bot.settings import Settings
from bot.web import Server
from bot.wiring import build

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


def serve(*, socket_mode: bool = False, port: int | None = None) -> int:
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
    runtime = build(settings)
    scheduler = start_scheduler(runtime.deps, settings.sweep_seconds)
    try:
        if socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            print("Baton is connected over Socket Mode. Ctrl-C to stop.")
            SocketModeHandler(runtime.app, settings.slack_app_token.get_secret_value()).start()
        else:
            server = Server(runtime.wsgi, host=settings.host, port=port or settings.port)
            print(
                f"Baton listens on {server.url}: Slack requests at /slack/events, health at /healthz. Ctrl-C to stop."
            )
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        runtime.close()
    return 0
