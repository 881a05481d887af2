"""The handoff contract with the customer's AI agent (docs/ai-handoff.md): who answers the thread now.

Pure. Baton's messages in the customer's thread carry Slack message metadata
``{"event_type": "baton_handoff", "event_payload": {"escalation_id": 12, "state": "human"}}`` while a
person owns the conversation, and ``"state": "ai"`` on the message that hands it back (resolved). An
optional webhook tells the agent the same, signed like Slack signs its requests: HMAC-SHA256 over
``v1:{timestamp}:{body}``, sent as ``X-Baton-Signature: v1=<hex>`` with ``X-Baton-Request-Timestamp``.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from typing import Any

EVENT_TYPE = "baton_handoff"
SIGNATURE_VERSION = "v1"
SIGNATURE_HEADER = "X-Baton-Signature"
TIMESTAMP_HEADER = "X-Baton-Request-Timestamp"
DELIVERY_HEADER = "X-Baton-Delivery"
TOLERANCE_SECONDS = 300  # a receiver rejects signatures older (or newer) than this: replays


class HandoffState(StrEnum):
    HUMAN = "human"  # a person owns the thread: the AI agent stays silent
    AI = "ai"  # handed back: the AI agent may answer again


def metadata(escalation_id: int, state: HandoffState) -> dict[str, Any]:
    """chat.postMessage's `metadata` argument."""
    return {"event_type": EVENT_TYPE, "event_payload": {"escalation_id": escalation_id, "state": state.value}}


def webhook_body(
    *,
    escalation_id: int,
    state: HandoffState,
    channel: str,
    thread_ts: str,
    occurred_at: str,
    language: str = "und",
    category: str = "",
    urgency: str = "",
) -> dict[str, Any]:
    """What the webhook posts (JSON). `occurred_at` (ISO 8601 UTC) orders deliveries that arrive late."""
    return {
        "type": EVENT_TYPE,
        "escalation_id": escalation_id,
        "state": state.value,
        "channel": channel,
        "thread_ts": thread_ts,
        "occurred_at": occurred_at,
        "language": language,
        "category": category,
        "urgency": urgency,
    }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Baton-Signature value of `body` sent at `timestamp` (Unix seconds)."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, signature: str, body: bytes, now: float) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (compared in constant time)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - ts) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")
