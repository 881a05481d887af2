"""The HTTP side: a WSGI application with /slack/events and /healthz, and a small threaded server.

`bot.web:application`-style objects can also be served by any WSGI server (gunicorn, waitress).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


def make_wsgi(app: App, db: Engine) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(app)

    def healthz(start_response: StartResponse) -> Iterable[bytes]:
        try:
            with db.connect() as conn:
                conn.execute(text("SELECT 1"))
            status, body = "200 OK", {"ok": True, "database": "ok"}
        except Exception as exc:  # a health check reports, it does not raise
            status, body = "503 Service Unavailable", {"ok": False, "database": str(exc)[:200]}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            return healthz(start_response)
        if path == "/slack/events":
            if method != "POST":
                start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Type", "text/plain")])
                return [b"POST Slack requests here\n"]
            result: Iterable[bytes] = slack(environ, start_response)
            return result
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: Baton serves /slack/events and /healthz\n"]

    return application


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - " + format, self.address_string(), *args)


class Server:
    """A threaded WSGI server in a background thread (tests, simulate, demo) or the foreground (serve)."""

    def __init__(self, wsgi: Callable[..., Any], host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = make_server(
            host, port, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.host, self.port = str(self.httpd.server_address[0]), int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Server:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="baton-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
