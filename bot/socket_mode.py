"""Socket Mode for `baton serve --socket`: connect, and say "connected" only once Slack said hello.

slack_sdk's built-in client (no extra dependency) asks `apps.connections.open` for a WebSocket URL,
connects, and reconnects by itself when Slack asks it to (`disconnect` / `refresh_requested`) or the
connection drops. It does not tell when a connection is really usable: that is Slack's `hello`
message, which this runner waits for.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot import logs
from bot.startup import StartupError, describe_slack_error

log = logging.getLogger(__name__)


class SocketModeRunner:
    def __init__(self, app: App, app_token: str, *, hello_timeout: float = 15.0) -> None:
        self._logger = logging.getLogger("baton.socket")
        self.handler = SocketModeHandler(app, app_token, logger=self._logger)
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
