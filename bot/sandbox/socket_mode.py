"""A local stand-in for Slack's Socket Mode: `apps.connections.open` and the WebSocket behind it.

It speaks the contract slack_sdk's clients implement (slack_sdk/socket_mode/):
- `apps.connections.open` (app-level `xapp-` token, answered through FakeSlack) returns a
  single-use `ws://127.0.0.1:PORT/link/?ticket=...&app_id=...` URL;
- on connect Slack sends `{"type": "hello", "num_connections", "connection_info": {"app_id"},
  "debug_info"}`;
- requests come as envelopes `{"envelope_id", "type": "events_api" | "interactive" |
  "slash_commands", "payload", "accepts_response_payload", "retry_attempt", "retry_reason"}`;
  the app acks each with `{"envelope_id": ..., "payload"?: ...}`;
- `{"type": "disconnect", "reason": "refresh_requested"}` asks the app to open a new connection
  (Slack closes the old one a little later); a dropped connection must be reopened by the app.

Needs the `websockets` package (the test extra): the server side of the WebSocket protocol.

    sm = SocketModeStandIn(fake_slack).start()
    envelope_id = sm.send_event(driver.envelope_for(channel, ts))
    ack = sm.wait_ack(envelope_id)
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bot.sandbox.slack import FakeSlack

EVENTS_API = "events_api"
INTERACTIVE = "interactive"
SLASH_COMMANDS = "slash_commands"


class SocketModeStandIn:
    def __init__(self, slack: FakeSlack, host: str = "127.0.0.1") -> None:
        self.slack = slack
        self.host = host
        self.hellos = 0  # connections that got a hello
        self.opened_urls: list[str] = []
        self.refused = 0  # WebSocket handshakes with an unknown or reused ticket
        self._tickets: set[str] = set()
        self._conns: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        slack.add_app_level_method("apps.connections.open", self._connections_open)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> SocketModeStandIn:
        self._server = serve(
            self._session,
            self.host,
            0,
            process_request=self._check_ticket,
            compression=None,
            ping_interval=None,  # the client pings; Slack answers pongs (websockets does automatically)
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-mode", daemon=True)
        self._thread.start()
        self._port = int(self._server.socket.getsockname()[1])
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on (kept after stop: its URLs then lead to a closed port)."""
        if self._port is None:
            raise RuntimeError("not started")
        return self._port

    # ------------------------------------------------------------------ Slack's side
    def _connections_open(self, _args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        url = f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.slack.app_id}"
        self.opened_urls.append(url)
        return {"url": url}, {}

    def _check_ticket(self, conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._cond:
            if parts.path != "/link/" or ticket not in self._tickets:
                self.refused += 1
                return conn.respond(401, "invalid or used ticket: call apps.connections.open\n")
            self._tickets.discard(ticket)  # a ticket opens one connection
        return None

    def _session(self, conn: ServerConnection) -> None:
        with self._cond:
            self._conns.append(conn)
            self.hellos += 1
            count = len(self._conns)
        conn.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": count,
                    "debug_info": {
                        "host": "applink-local",
                        "build_number": 1,
                        "approximate_connection_time": 3600,
                    },
                    "connection_info": {"app_id": self.slack.app_id},
                }
            )
        )
        with self._cond:
            self._cond.notify_all()
        try:
            for raw in conn:
                try:
                    message = json.loads(raw)
                except (TypeError, ValueError):
                    continue
                if isinstance(message, dict) and message.get("envelope_id"):
                    with self._cond:
                        self._acks[str(message["envelope_id"])] = message
                        self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if conn in self._conns:
                    self._conns.remove(conn)
                self._cond.notify_all()

    # ------------------------------------------------------------------ driving it
    @property
    def connections(self) -> int:
        with self._cond:
            return len(self._conns)

    def wait_connected(self, hellos: int = 1, timeout: float = 15.0) -> bool:
        """Until `hellos` connections have been greeted and one is open."""
        with self._cond:
            return self._cond.wait_for(lambda: self.hellos >= hellos and bool(self._conns), timeout)

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False) -> str:
        """Send an envelope on the newest connection; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == EVENTS_API:
            envelope.update(retry_attempt=0, retry_reason="")
        with self._cond:
            if not self._conns:
                raise ConnectionError("no Socket Mode connection is open")
            conn = self._conns[-1]
        conn.send(json.dumps(envelope))
        return envelope_id

    def send_event(self, event_callback: dict[str, Any]) -> str:
        return self.send(EVENTS_API, event_callback)

    def send_interactive(self, payload: dict[str, Any]) -> str:
        return self.send(INTERACTIVE, payload)

    def send_slash_command(self, fields: dict[str, str]) -> str:
        return self.send(SLASH_COMMANDS, dict(fields), accepts_response_payload=True)

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any] | None:
        with self._cond:
            self._cond.wait_for(lambda: envelope_id in self._acks, timeout)
            return self._acks.get(envelope_id)

    def request_refresh(self) -> None:
        """Slack's periodic refresh: ask the app to reconnect; the old connection closes once a new one is up."""
        with self._cond:
            old = list(self._conns)
            greeted = self.hellos
        for conn in old:
            conn.send(
                json.dumps(
                    {
                        "type": "disconnect",
                        "reason": "refresh_requested",
                        "debug_info": {"host": "applink-local"},
                    }
                )
            )
        self.wait_connected(greeted + 1)
        for conn in old:
            conn.close(1000, "refreshed")
        with self._cond:
            self._cond.wait_for(lambda: not any(c in self._conns for c in old), 15.0)

    def drop(self) -> None:
        """Cut every connection at once (a network blip, a Slack restart)."""
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            conn.close_socket()
        with self._cond:
            self._cond.wait_for(lambda: not any(c in self._conns for c in conns), 15.0)
