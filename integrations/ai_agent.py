"""The customer's AI agent, told by webhook when a person takes a thread over and when it is handed back.

The contract is docs/ai-handoff.md: a JSON POST signed with HMAC-SHA256 (bot.domain.handoff). One HTTP
attempt per call; the outbox retries. 2xx: delivered. 408, 429 and 5xx, or no answer: try again later
(Retry-After honoured). Any other 4xx: the receiver refuses this request, and will keep refusing it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from bot.domain import handoff

RETRYABLE_STATUS = frozenset({408, 429})


@dataclass(frozen=True)
class Delivery:
    ok: bool
    retry: bool = False  # not ok, and worth trying again
    retry_after: float | None = None
    detail: str = ""


class AiAgentWebhook:
    def __init__(self, client: httpx.Client, url: str, secret: str, timeout: float = 10.0) -> None:
        self._client = client
        self.url = url
        self._secret = secret
        self._timeout = timeout

    def deliver(self, body: dict[str, Any], *, delivery_id: str, timestamp: int) -> Delivery:
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Baton",
            handoff.TIMESTAMP_HEADER: str(timestamp),
            handoff.SIGNATURE_HEADER: handoff.sign(self._secret, timestamp, raw),
            handoff.DELIVERY_HEADER: delivery_id,
        }
        try:
            resp = self._client.post(self.url, content=raw, headers=headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            return Delivery(False, retry=True, detail=f"{type(exc).__name__}: {exc}")
        if 200 <= resp.status_code < 300:
            return Delivery(True)
        detail = f"HTTP {resp.status_code}"
        if resp.status_code in RETRYABLE_STATUS or resp.status_code >= 500:
            after = resp.headers.get("Retry-After", "")
            return Delivery(
                False, retry=True, retry_after=float(after) if after.isdigit() else None, detail=detail
            )
        return Delivery(False, detail=detail)
