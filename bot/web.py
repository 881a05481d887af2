"""The HTTP side: a WSGI application with a route table, and a small threaded server.

`make_wsgi(routes)` serves any table of `(method, path) -> handler`; `slack_routes(...)` is Baton's:
POST /slack/events (verify, store in the inbox, answer) and GET /healthz. The same WSGI object can
be served by any WSGI server (gunicorn, waitress).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.inbox import Answer, Inbox
from bot.intake import MAX_BODY_BYTES, Kind, Rejected, Verifier, parse, read_verified

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
Handler = Callable[[Environ, StartResponse], Iterable[bytes]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Routes = Mapping[tuple[str, str], Handler]  # (method, path) -> handler

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def respond(
    start_response: StartResponse,
    status: int,
    body: str | bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> Iterable[bytes]:
    data = body.encode("utf-8") if isinstance(body, str) else body
    out = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
    out["Content-Length"] = str(len(data))
    start_response(f"{status} {_REASONS.get(status, 'Status')}", list(out.items()))
    return [data]


def make_wsgi(routes: Routes) -> WSGIApp:
    """A WSGI application dispatching on (method, path); 404 and 405 say what is served."""
    paths = {path for _, path in routes}

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        handler = routes.get((method, path))
        if handler is not None:
            return handler(environ, start_response)
        if path in paths:
            allowed = ", ".join(sorted(m for m, p in routes if p == path))
            return respond(start_response, 405, f"{path} takes {allowed}\n", {"Allow": allowed})
        return respond(start_response, 404, f"not found: Baton serves {', '.join(sorted(paths))}\n")

    return application


def slack_events(inbox: Inbox, signing_secret: str, *, max_body: int = MAX_BODY_BYTES) -> Handler:
    """POST /slack/events: verify before reading or parsing, store before answering."""
    verifier = Verifier(signing_secret)

    def handle(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            raw = read_verified(environ, verifier, max_bytes=max_body)
            request = parse(
                raw,
                str(environ.get("CONTENT_TYPE", "")),
                retry_num=str(environ.get("HTTP_X_SLACK_RETRY_NUM", "")),
            )
        except Rejected as rejected:
            log.info("refused a request to /slack/events: %s %s", rejected.status, rejected.reason)
            # X-Slack-No-Retry: the same bytes would be refused again (PLATFORM-FACTS, Events API)
            return respond(start_response, rejected.status, rejected.reason + "\n", {"X-Slack-No-Retry": "1"})
        if request.kind is Kind.URL_VERIFICATION:
            return respond(start_response, 200, request.challenge, {"Content-Type": "text/plain"})
        if request.kind is Kind.SSL_CHECK or request.kind is Kind.RATE_LIMITED:
            if request.kind is Kind.RATE_LIMITED:
                log.warning("Slack is rate-limiting event deliveries to Baton (app_rate_limited)")
            return respond(start_response, 200)
        answer: Answer = inbox.accept(request)
        return respond(start_response, answer.status, answer.body, answer.headers)

    return handle


def healthz(db: Engine) -> Handler:
    def handle(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            with db.connect() as conn:
                conn.execute(text("SELECT 1"))
            status, body = 200, {"ok": True, "database": "ok"}
        except Exception as exc:  # a health check reports, it does not raise
            status, body = 503, {"ok": False, "database": str(exc)[:200]}
        return respond(start_response, status, json.dumps(body), {"Content-Type": "application/json"})

    return handle


def slack_routes(
    inbox: Inbox, db: Engine, signing_secret: str, *, max_body: int = MAX_BODY_BYTES
) -> dict[tuple[str, str], Handler]:
    return {
        ("POST", "/slack/events"): slack_events(inbox, signing_secret, max_body=max_body),
        ("GET", "/healthz"): healthz(db),
    }


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's default of 5 resets bursts of clicks on a busy machine


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
