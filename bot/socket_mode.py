"""Socket Mode for `baton serve --socket`: connect, and say "connected" only once Slack said hello.

slack_sdk's built-in client (no extra dependency) asks `apps.connections.open` for a WebSocket URL,
connects, and reconnects by itself when Slack asks it to (`disconnect` / `refresh_requested`) or the
connection drops. It does not tell when a connection is really usable: that is Slack's `hello`
message, which this runner waits for.

Envelopes take the same path as HTTP deliveries: each is turned into the body Slack would have
POSTed, parsed by bot.intake, stored in the durable inbox (bot.inbox) and only then acked, with the
interaction's answer (a modal's errors, a slash command's reply) in the ack's payload. An envelope
that cannot be stored anywhere is not acked, so Slack sends it again.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import logs
from bot.inbox import Answer, Inbox
from bot.intake import Kind, Rejected, parse
from bot.startup import StartupError, describe_slack_error

log = logging.getLogger(__name__)


FORM = "application/x-www-form-urlencoded"


def as_http_body(req: SocketModeRequest) -> tuple[bytes, str]:
    """The body (and its content type) Slack would have POSTed over HTTP for this envelope."""
    payload = req.payload if isinstance(req.payload, dict) else {}
    if req.type == "events_api":
        return json.dumps(payload).encode("utf-8"), "application/json"
    if req.type == "interactive":
        return urlencode({"payload": json.dumps(payload)}).encode("utf-8"), FORM
    if req.type == "slash_commands":
        return urlencode({k: str(v) for k, v in payload.items()}).encode("utf-8"), FORM
    raise Rejected(400, f"unsupported envelope type {req.type!r}")


def ack_for(envelope_id: str, answer: Answer) -> SocketModeResponse:
    """The ack, carrying the interaction's answer the way Bolt's HTTP response would have."""
    if not answer.body:
        return SocketModeResponse(envelope_id=envelope_id)
    content_type = answer.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return SocketModeResponse(envelope_id=envelope_id, payload=json.loads(answer.body))
    return SocketModeResponse(envelope_id=envelope_id, payload={"text": answer.body})


class InboxSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, but every envelope is stored in the inbox before it is acked."""

    def __init__(self, app: App, app_token: str, inbox: Inbox, logger: logging.Logger) -> None:
        super().__init__(app, app_token, logger=logger)
        self.inbox = inbox

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        try:
            body, content_type = as_http_body(req)
            request = parse(body, content_type, retry_num=str(req.retry_attempt or ""))
        except Rejected as exc:  # acked all the same: sending it again would not make it valid
            log.warning("Socket Mode: envelope %s refused: %s", req.envelope_id, exc.reason)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        if request.kind not in (Kind.EVENT, Kind.INTERACTION, Kind.COMMAND):
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        answer = self.inbox.accept(request)
        if answer.status >= 500:  # stored nowhere: no ack, so Slack delivers it again
            log.warning("Socket Mode: envelope %s not stored (%s); leaving it unacked", req.envelope_id, answer.body)
            return
        client.send_socket_mode_response(ack_for(req.envelope_id, answer))


class SocketModeRunner:
    def __init__(self, app: App, app_token: str, inbox: Inbox, *, hello_timeout: float = 15.0) -> None:
        self._logger = logging.getLogger("baton.socket")
        self.handler = InboxSocketModeHandler(app, app_token, inbox, self._logger)
        self.hello_timeout = hello_timeout
        self.hellos = 0
        self._hello = threading.Event()
        self._stopped = threading.Event()
        self.handler.client.message_listeners.append(self._on_message)

    def _on_message(self, _client: Any, message: dict[str, Any], _raw: str | None) -> None:
        kind = message.get("type")
        if kind == "hello":
            self.hellos += 1
            if self.hellos > 1:
                log.info("Socket Mode: reconnected (connection %d)", self.hellos)
            self._hello.set()
        elif kind == "disconnect":
            log.info("Socket Mode: Slack asked to reconnect (%s)", message.get("reason", ""))

    @property
    def connected(self) -> bool:
        return self._hello.is_set() and self.handler.client.is_connected()

    def connect(self) -> None:
        """Open the connection and wait for hello; StartupError (one line) if that cannot happen."""
        client = self.handler.client
        # slack_sdk logs its own error before failing; the StartupError below says it in one line
        # (at -v debug both are shown).
        with logs.quiet(self._logger.name, client.web_client.logger.name):
            try:
                self.handler.connect()
            except Exception as exc:
                line = describe_slack_error(
                    exc, variable="SLACK_APP_TOKEN", api_url=client.web_client.base_url
                )
                if line is None:
                    raise
                raise StartupError(line) from None
            if not self._hello.wait(self.hello_timeout):
                raise StartupError(
                    f"Socket Mode: no hello from Slack within {self.hello_timeout:.0f} s of connecting to "
                    f"{(client.wss_uri or '?').split('?')[0]}; check the network and that Socket Mode is "
                    "enabled for the app (SLACK_APP_TOKEN)"
                )

    def wait(self) -> None:
        """Block until stop() (SIGTERM) or Ctrl-C; the client reconnects by itself meanwhile."""
        while not self._stopped.wait(1.0):
            pass

    def stop(self) -> None:
        self._stopped.set()

    def close(self) -> None:
        self._stopped.set()
        self.handler.close()
