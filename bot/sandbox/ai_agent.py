"""A local stand-in for the customer's AI agent: receives Baton's handoff webhooks on loopback.

It checks each delivery the way docs/ai-handoff.md tells an agent to (its own code, not Baton's), keeps
what it received, and can be told to fail the next deliveries (to test the outbox's retries)::

    agent = AiAgentReceiver(secret="s3cret", clock=clock).start()
    World(..., ai_webhook=(agent.url, "s3cret"))
    agent.fail_next(503, count=2)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.sandbox.httpserver import FailingStandIn, Request, Response, json_response


class _ClockLike(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    verified: bool  # signature and timestamp good
    status: int  # what the stand-in answered


class AiAgentReceiver(FailingStandIn):
    def __init__(self, secret: str, clock: _ClockLike, path: str = "/baton/handoff") -> None:
        super().__init__()
        self.secret = secret
        self.clock = clock
        self.path = path
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        """The webhook's URL (its path included)."""
        return self._server.url + self.path

    def accepted(self) -> list[dict[str, Any]]:
        """Bodies of the deliveries answered 2xx, in order."""
        return [r.body for r in self.received if 200 <= r.status < 300]

    def _verify(self, req: Request) -> bool:
        timestamp = req.header("x-baton-request-timestamp")
        if not timestamp.isdigit() or abs(self.clock.now().timestamp() - int(timestamp)) > 300:
            return False
        base = b"v1:" + timestamp.encode() + b":" + req.body
        expected = "v1=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, req.header("x-baton-signature"))

    def _handle(self, req: Request) -> Response:
        if req.method != "POST" or req.path != self.path:
            return json_response({"error": "not found"}, status=404)
        verified = self._verify(req)
        with self._lock:
            status = self._failures.popleft() if self._failures else (200 if verified else 401)
            try:
                body = json.loads(req.body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                body, status = {}, 400
            self.received.append(Received(body, dict(req.headers), verified, status))
        return json_response({"ok": 200 <= status < 300}, status=status)
