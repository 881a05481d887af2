"""The servers bench/server.py compares, each started in a process of its own.

    python bench/_servers.py waitress baton     # Baton's WSGI app (built as a gunicorn worker builds it) on waitress
    python bench/_servers.py waitress bare      # a bare Bolt app that only acks, on waitress
    gunicorn --config python:bot.gunicorn_conf --pythonpath bench '_servers:bare_app()'   # bare Bolt on gunicorn

Baton on gunicorn is `baton serve` itself. Configuration comes from the environment, as for `baton serve`.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bare_app() -> Any:
    """A Bolt app with catch-all listeners that do nothing, served by Bolt's WSGI adapter behind the same
    route table as Baton (POST /slack/events, GET /healthz): Bolt verifies the signature and acks."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.settings import Settings
    from bot.web import make_wsgi, respond

    settings = Settings()
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    app = App(client=client, signing_secret=settings.slack_signing_secret.get_secret_value())

    @app.event("message")
    def on_message() -> None:
        return None

    @app.event("app_mention")
    def on_mention() -> None:
        return None

    bolt = SlackRequestHandler(app)  # Bolt's own WSGI adapter: it verifies the signature and acks

    def healthz(environ: Any, start_response: Any) -> Any:
        return respond(start_response, 200, "{}", {"Content-Type": "application/json"})

    return make_wsgi({("POST", "/slack/events"): bolt, ("GET", "/healthz"): healthz})


def waitress_main(which: str) -> None:
    import waitress

    from bot.settings import Settings

    settings = Settings()
    if which == "baton":
        from bot import server

        wsgi = server.worker_app()
    else:
        wsgi = bare_app()

    def stop(*_: Any) -> None:
        if which == "baton":
            server.stop_worker()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"waitress {which} on {settings.host}:{settings.port}", flush=True)
    waitress.serve(
        wsgi,
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        backlog=settings.backlog,
        connection_limit=1000,
        channel_timeout=10,  # a connection silent this long is closed (slow or stalled clients)
        max_request_body_size=1 << 20,  # 413 from the server itself, before the body is read
        _quiet=True,
    )


if __name__ == "__main__":
    waitress_main(sys.argv[2] if len(sys.argv) > 2 else "baton")
