"""A tiny loopback HTTP server for local stand-ins of outside services.

A stand-in supplies one function ``handle(request) -> Response``; this module owns the socket,
the daemon thread and the plumbing. It binds 127.0.0.1 on an ephemeral port, so nothing leaves
the machine and tests can run in parallel.

    server = LocalHTTPServer(handle).start()
    server.url            # "http://127.0.0.1:PORT"
    server.stop()

Stand-ins built as a class share `ServedStandIn` (start, stop, url around their `_handle`) and, when
the next answers can be made to fail on demand, `FailingStandIn` (`fail_next(status, count)`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    all_headers = {"Content-Type": "application/json; charset=utf-8"}
    all_headers.update(headers or {})
    return Response(status, json.dumps(obj).encode("utf-8"), all_headers)


def text_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    all_headers = {"Content-Type": "text/plain; charset=utf-8"}
    all_headers.update(headers or {})
    return Response(status, text.encode("utf-8"), all_headers)


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    """Remembers open connections, so stopping cuts pooled keep-alive ones too: a client's reused
    connection must fail like a fresh one when a stand-in goes down."""

    daemon_threads = True
    allow_reuse_address = True
    app_handler: Handler

    def server_activate(self) -> None:
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().server_activate()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the body
    # until the client's delayed ACK (~40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            response = self.server.app_handler(request)
        except Exception as exc:  # a bug in a stand-in must show up, not hang the client
            response = text_response(f"stand-in error: {type(exc).__name__}: {exc}", status=500)
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            pass  # the client gave up (its timeout fired), or a stop cut the connection

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # quiet: tests and the demo print their own story


class LocalHTTPServer:
    """A ThreadingHTTPServer on 127.0.0.1:<ephemeral> in a daemon thread."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LocalHTTPServer:
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _RequestHandler)
        server.app_handler = self._handler
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServedStandIn:
    """A stand-in served on loopback: `start`, `stop` and `url` around the subclass's `_handle`, and
    `_lock` for its state (handlers run on the server's threads)."""

    def __init__(self) -> None:
        self._server = LocalHTTPServer(self._handle)
        self._lock: threading.Lock | threading.RLock = threading.Lock()

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    def _handle(self, req: Request) -> Response:
        raise NotImplementedError


class FailingStandIn(ServedStandIn):
    """...whose next answers can be made to fail: `fail_next(503, count=2)` queues the statuses the
    next requests get (the subclass pops `_failures` under `_lock` and answers in its service's way)."""

    def __init__(self) -> None:
        super().__init__()
        self._failures: deque[int] = deque()

    def fail_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * count)
