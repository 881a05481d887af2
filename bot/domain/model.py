"""Value types shared by the pure core: what a conversation is, who the account is, what was decided.

Everything here is immutable and stdlib-only. Times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Role = Literal["customer", "ai", "agent"]
Urgency = Literal["immediate", "queued"]
Tier = Literal["enterprise", "mid-market", "self-serve"]

ROLES: tuple[str, ...] = ("customer", "ai", "agent")
URGENCIES: tuple[str, ...] = ("immediate", "queued")
TIERS: tuple[str, ...] = ("enterprise", "mid-market", "self-serve")
CATEGORIES: tuple[str, ...] = (
    "safety",  # self-harm, danger, severe distress, bereavement: immediate in every segment
    "billing",
    "cancellation",
    "legal",
    "privacy",
    "technical",
    "account",
    "security",
    "compliance",  # SOC 2, HIPAA BAA, DPA, data residency
    "general",
)


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation, as the engine sees it."""

    role: Role
    text: str
    ts: datetime
    ref: str = ""  # stable id of the message (Slack ts, ingest id): evidence points at it
    author: str = ""  # user id or name, for display only
    confidence: float | None = None  # the AI agent's confidence on an `ai` answer, 0..1


@dataclass(frozen=True, slots=True)
class Account:
    """What we know of the customer's account (from the CRM, the policy or a scenario)."""

    id: str
    name: str = ""
    tier: Tier = "self-serve"
    mrr: float | None = None
    renewal_date: date | None = None
    owner: str = ""  # account owner: a Slack user id or a name
    created_at: datetime | None = None
    at_risk: bool = False
    # Cooling period inputs, filled from storage: the last escalation of this account.
    last_escalated_at: datetime | None = None
    last_handler: str = ""  # Slack user id of who handled it last
    extra: dict[str, Any] = field(default_factory=dict)  # recent billing, open bugs...


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a trigger fired, in terms a human can check."""

    quote: str = ""  # the customer's words that matched (trimmed)
    message_ref: str = ""  # Message.ref it came from
    score: float | None = None
    threshold: float | None = None
    detail: str = ""  # e.g. "asked 3 times", "compound -0.71 over last 3 turns"

    def to_dict(self) -> dict[str, Any]:
        return {
            "quote": self.quote,
            "message_ref": self.message_ref,
            "score": self.score,
            "threshold": self.threshold,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        return cls(
            quote=str(d.get("quote", "")),
            message_ref=str(d.get("message_ref", "")),
            score=d.get("score"),
            threshold=d.get("threshold"),
            detail=str(d.get("detail", "")),
        )


@dataclass(frozen=True, slots=True)
class FiredTrigger:
    id: str  # the trigger's id in the policy, e.g. "human_request"
    family: str  # behavioral | contextual | sentiment | ai_confidence | business
    urgency: Urgency
    reason: str  # plain language, for the card: "Customer asked for a human"
    category: str | None = None
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "urgency": self.urgency,
            "reason": self.reason,
            "category": self.category,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FiredTrigger:
        return cls(
            id=str(d["id"]),
            family=str(d.get("family", "")),
            urgency=d.get("urgency", "queued"),
            reason=str(d.get("reason", "")),
            category=d.get("category"),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence", [])),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer for a conversation at a point in time."""

    escalate: bool
    category: str = "general"
    urgency: Urgency | None = None  # set when escalate
    triggers: tuple[FiredTrigger, ...] = ()  # all that fired, most important first
    prefer_agent: str = ""  # cooling period: route to who handled this account last
    notes: tuple[str, ...] = ()  # context that did not fire on its own (segment, renewal...)
    language: str = "und"  # the customer's language (ISO 639-1), "und" when unknown
    model_version: str = ""  # the judgment model that scored the messages ("" when none ran)

    @property
    def trigger_ids(self) -> list[str]:
        return [t.id for t in self.triggers]
