"""Messages from outside Slack (the ingest API, Intercom, Zendesk): one way in for all of them.

    POST /api/v1/messages ─┐
    /webhooks/intercom ────┼─> verified, normalised to `ExternalMessage`s, stored in the inbox (one
    /webhooks/zendesk ─────┘   idempotent insert, or the spool), then 2xx
    inbox worker ──> `process(deps, body)` ──> `receive(...)` for each ──> bot.flows.ingest.ingest_message

so an Intercom conversation or an API caller's chat goes through the same decision, card, claim, SLA
and reports as a Slack thread. `ExternalMessage.to_dict` is what the inbox stores (plain JSON);
`process` reads it back. How Baton answers these customers: bot/flows/sources.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.flows.ingest import Inbound, IngestResult, ingest_message
from bot.logs import log_context
from storage.models import Source

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.baton.messages+json"  # the inbox's marker for these items
ROLES = ("customer", "ai", "agent")


@dataclass(frozen=True)
class ExternalMessage:
    source: Source
    conversation_id: str  # the conversation's id in its source (<= 56 characters)
    account_id: str
    role: str  # customer | ai | agent
    text: str
    message_id: str  # unique within the conversation
    sent_at: datetime | None  # aware; None: when Baton takes it in
    author: str = ""  # who wrote it, in the source's terms (a contact id, an agent's name)
    confidence: float | None = None  # the AI agent's own confidence in its answer (role ai)
    summary: str = ""  # the AI agent's summary of the conversation so far
    language: str = ""  # ISO 639-1, when the source knows it
    conversation_url: str = ""  # a link to the conversation in the source (shown on the card)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["source"] = self.source.value
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at is not None else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExternalMessage:
        confidence = data.get("confidence")
        return cls(
            source=Source(str(data["source"])),
            conversation_id=str(data["conversation_id"]),
            account_id=str(data["account_id"]),
            role=str(data["role"]),
            text=str(data["text"]),
            message_id=str(data["message_id"]),
            sent_at=datetime.fromisoformat(str(data["sent_at"])) if data.get("sent_at") else None,
            author=str(data.get("author") or ""),
            confidence=float(confidence) if isinstance(confidence, int | float) else None,
            summary=str(data.get("summary") or ""),
            language=str(data.get("language") or ""),
            conversation_url=str(data.get("conversation_url") or ""),
        )


def channel_of(source: Source, conversation_id: str) -> str:
    """The conversation's `channel` column: "api:<id>", "intercom:<id>" (a ':' never in a Slack id)."""
    return f"{source.value}:{conversation_id}"[:64]


def stored_body(messages: list[ExternalMessage], **meta: str) -> str:
    """The inbox body for a batch of messages: deterministic, so a retried request stores the same."""
    return json.dumps(
        {**meta, "messages": [m.to_dict() for m in messages]}, sort_keys=True, separators=(",", ":")
    )


def receive(deps: Deps, *, message: ExternalMessage) -> IngestResult:
    """Take in one message from outside Slack: the same path as a Slack message from here on."""
    if message.role not in ROLES:
        return IngestResult(False, f"unknown role {message.role!r}")
    author = message.author or f"{message.source.value}-{message.role}"
    inbound = Inbound(
        source=message.source.value,
        channel=channel_of(message.source, message.conversation_id),
        ts=message.message_id[:64],
        thread_ts=channel_of(message.source, message.conversation_id),
        user=author[:64],
        text=message.text,
        confidence=message.confidence,
        role=message.role,
        account_id=message.account_id,
        sent_at=message.sent_at,
        external_id=message.conversation_id,
        permalink=message.conversation_url[:500],
        ai_summary=message.summary or None,
        language=message.language,
    )
    return ingest_message(deps, inbound)


def process(deps: Deps, body: str) -> None:
    """An inbox worker's job for an external item: every message, in order (a failure retries the item;
    the messages already recorded are duplicates the second time, and change nothing)."""
    data = json.loads(body)
    for raw in data.get("messages", []):
        message = ExternalMessage.from_dict(raw)
        with log_context(event_id=f"{message.source}:{message.conversation_id}/{message.message_id}"):
            result = receive(deps, message=message)
            log.debug(
                "%s message %s/%s: %s",
                message.source,
                message.conversation_id,
                message.message_id,
                result.why,
            )
