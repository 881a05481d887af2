"""The handoff summary an agent reads first: what the customer wants, what the AI tried, what failed,
what to do next.

Pure and deterministic. Three sources, best first:
- the AI agent's own summary, when it sends one (Slack message metadata `event_payload.summary`, or the
  ingest API's `ai_summary` field): `parse_agent_summary` accepts a text or
  `{"wants", "tried", "failed", "next"}`;
- an LLM's, when one is configured (written off the request path; see bot/flows/summaries.py);
- Baton's own, written here from the conversation (`summarize`), reusing the engine's stored analysis of
  each message (the judgment model's labels and evidence sentences, "still not working", the AI's
  confidence) and the triggers that fired.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.model import FiredTrigger
from bot.domain.triggers.analysis import MessageAnalysis

FIELD_LIMIT = 600  # characters kept per field (the card cuts again to its own limits)
QUOTE_LIMIT = 160
LIKELY_LABEL = 0.5  # a model label at least this probable says what the customer wants
LOW_CONFIDENCE = 0.5


class SummarySource(StrEnum):
    AI_AGENT = "ai_agent"  # the customer's AI agent sent it
    LLM = "llm"  # a configured LLM wrote it
    BATON = "baton"  # Baton wrote it offline from the conversation


SOURCE_LABEL = {
    SummarySource.AI_AGENT: "from the AI agent",
    SummarySource.LLM: "written by an LLM",
    SummarySource.BATON: "written by Baton from the conversation",
}


@dataclass(frozen=True)
class Summary:
    wants: str = ""  # what the customer wants
    tried: str = ""  # what the AI tried
    failed: str = ""  # what failed
    next: str = ""  # what to do next
    source: SummarySource = SummarySource.BATON
    text: str = ""  # a free-form summary (an AI agent may send one paragraph instead of the four parts)

    @property
    def empty(self) -> bool:
        return not (self.wants or self.tried or self.failed or self.next or self.text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "wants": self.wants,
            "tried": self.tried,
            "failed": self.failed,
            "next": self.next,
            "source": self.source.value,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Summary | None:
        try:
            source = SummarySource(d.get("source", SummarySource.BATON))
        except ValueError:
            return None
        got = cls(
            wants=_clean(d.get("wants")),
            tried=_clean(d.get("tried")),
            failed=_clean(d.get("failed")),
            next=_clean(d.get("next")),
            source=source,
            text=_clean(d.get("text"), FIELD_LIMIT * 2),
        )
        return None if got.empty else got

    def lines(self) -> list[tuple[str, str]]:
        """(label, text) pairs to show, in reading order, without the empty ones."""
        pairs = [
            ("Summary", self.text),
            ("Wants", self.wants),
            ("AI tried", self.tried),
            ("Failed", self.failed),
            ("Next", self.next),
        ]
        return [(label, text) for label, text in pairs if text]


_SPACE = re.compile(r"\s+")


def _clean(value: Any, limit: int = FIELD_LIMIT) -> str:
    """One line of plain text: whitespace folded, control characters dropped, cut with an ellipsis."""
    if not isinstance(value, str):
        return ""
    text = "".join(ch for ch in value if ch.isprintable() or ch.isspace())
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


AGENT_SUMMARY_KEYS = ("wants", "tried", "failed", "next", "text")


def parse_agent_summary(raw: Any) -> Summary | None:
    """The AI agent's own summary as it sent it: a text, or an object with any of wants, tried,
    failed, next (and text). Anything else, or nothing usable, is None: Baton writes its own."""
    if isinstance(raw, str):
        text = _clean(raw, FIELD_LIMIT * 2)
        return Summary(source=SummarySource.AI_AGENT, text=text) if text else None
    if not isinstance(raw, Mapping):
        return None
    got = Summary(
        wants=_clean(raw.get("wants")),
        tried=_clean(raw.get("tried")),
        failed=_clean(raw.get("failed")),
        next=_clean(raw.get("next")),
        source=SummarySource.AI_AGENT,
        text=_clean(raw.get("text"), FIELD_LIMIT * 2),
    )
    return None if got.empty else got


# ---------------------------------------------------------------- Baton's own summary


@dataclass(frozen=True)
class Turn:
    """One message as the summary reads it: who wrote it, what, and the engine's stored analysis."""

    role: str  # customer | ai | agent
    text: str
    analysis: MessageAnalysis | None = None
    confidence: float | None = None  # the AI agent's, on its answers


# What the customer wants, by the judgment model's label (bot.domain.nlu.Label values).
WANTS_BY_LABEL: Mapping[str, str] = {
    "safety": "urgent help: they may be in danger or distress",
    "security_incident": "help with a possible security incident",
    "legal_threat": "a resolution, and is raising legal action",
    "data_deletion": "their personal data deleted",
    "billing_dispute": "a charge corrected or refunded",
    "cancellation": "to cancel",
    "outage": "the service working again",
    "compliance": "compliance answers or documents",
    "human_request": "to talk to a person",
    "frustration": "their problem solved (they are frustrated)",
}
# Most important first, when several labels are likely.
LABEL_ORDER = tuple(WANTS_BY_LABEL)
WANTS_BY_CATEGORY: Mapping[str, str] = {
    "safety": "urgent help",
    "billing": "help with billing",
    "cancellation": "to cancel",
    "legal": "help with a legal matter",
    "privacy": "help with their personal data",
    "technical": "a technical problem fixed",
    "account": "help with their account",
    "security": "help with account security",
    "compliance": "compliance answers or documents",
    "general": "help",
}
# What to do next: by label first, then by category.
NEXT_BY_LABEL: Mapping[str, str] = {
    "safety": "Answer now, with care: follow the safety playbook and share emergency resources.",
    "security_incident": "Treat it as a possible incident: confirm what is exposed, have credentials "
    "rotated, follow the security runbook.",
    "legal_threat": "Loop in legal before replying; do not admit fault in the thread.",
    "data_deletion": "Verify who is asking, then log the deletion request (legal deadlines apply).",
    "billing_dispute": "Check the charge in billing, then confirm the refund or the correction in the thread.",
    "cancellation": "Offer a call before cancelling; if they still want to, confirm the date in writing.",
    "outage": "Check open incidents and the status page; tell the customer what is known and when the "
    "next update comes.",
    "compliance": "Send the documents asked for (SOC 2, DPA, BAA) or bring in compliance.",
    "human_request": "Reply in the thread now: introduce yourself and restate the problem so they need "
    "not repeat it.",
    "frustration": "Acknowledge the frustration, own the problem, and give one concrete next step.",
}
NEXT_BY_CATEGORY: Mapping[str, str] = {
    "technical": "Reproduce it from the transcript; ask only for what is missing (error, steps, when it started).",
    "billing": "Look up the account's recent billing and answer with the amounts and dates.",
    "account": "Check the account's settings and access, then answer in the thread.",
    "privacy": "Verify who is asking before sharing or changing personal data.",
    "security": "Verify who is asking; check recent sign-ins and access changes.",
    "legal": "Loop in legal before replying.",
}
NEXT_DEFAULT = "Read the transcript and reply in the thread: the customer is waiting for a person."

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


def first_sentence(text: str, limit: int = QUOTE_LIMIT) -> str:
    """The first sentence of `text` (or its start), one line, cut to `limit`."""
    flat = _clean(text, max(limit * 4, 1))
    head = _SENTENCE.split(flat, maxsplit=1)[0] if flat else ""
    return _clean(head, limit)


def _quote(text: str) -> str:
    return f"“{text}”" if text else ""


def _likely_label(turns: Sequence[Turn]) -> tuple[str, str]:
    """The most important likely label over the customer's turns, and its evidence sentence."""
    best: dict[str, tuple[float, str]] = {}
    for t in turns:
        if t.role != "customer" or t.analysis is None:
            continue
        for label, score in t.analysis.scores:
            if label in WANTS_BY_LABEL and score >= LIKELY_LABEL and score > best.get(label, (0.0, ""))[0]:
                best[label] = (score, t.analysis.sentence(label) or t.text)
    for label in LABEL_ORDER:
        if label in best:
            return label, best[label][1]
    return "", ""


def _trigger_label(triggers: Sequence[FiredTrigger]) -> str:
    """A label named by a fired trigger's id (model triggers are named after their labels)."""
    for label in LABEL_ORDER:
        if any(t.id == label for t in triggers):
            return label
    return ""


def _wants(turns: Sequence[Turn], label: str, evidence: str, category: str) -> str:
    customer = [t for t in turns if t.role == "customer" and t.text.strip()]
    sentence = first_sentence(evidence) if evidence else ""
    if not sentence and customer:
        # the first thing they asked: their opening message, or its first question
        opening = customer[0].text
        questions = [s for s in _SENTENCE.split(_clean(opening, 2000)) if s.endswith("?")]
        sentence = first_sentence(questions[0] if questions else opening)
    what = WANTS_BY_LABEL.get(label) or WANTS_BY_CATEGORY.get(category, "help")
    return f"{what[0].upper()}{what[1:]}" + (f": {_quote(sentence)}" if sentence else "")


def _tried(turns: Sequence[Turn]) -> str:
    answers = [t for t in turns if t.role == "ai" and t.text.strip()]
    if not answers:
        return "Nothing yet: the AI agent had not answered."
    n = len(answers)
    line = f"{n} answer{'s' if n > 1 else ''}; last: {_quote(first_sentence(answers[-1].text))}"
    confidences = [c for c in (_confidence(t) for t in answers) if c is not None]
    if confidences and min(confidences) < LOW_CONFIDENCE:
        line += f" (its confidence fell to {min(confidences):.2f})"
    return line


def _confidence(t: Turn) -> float | None:
    if t.confidence is not None:
        return t.confidence
    return t.analysis.confidence if t.analysis is not None else None


def _failed(turns: Sequence[Turn], triggers: Sequence[FiredTrigger]) -> str:
    said = [t for t in turns if t.role == "customer" and t.analysis is not None and t.analysis.failed]
    parts: list[str] = []
    if said:
        n = len(said)
        times = f" ({n} times)" if n > 1 else ""
        parts.append(f"The customer says it did not help{times}: {_quote(first_sentence(said[-1].text))}")
    # what went wrong in the conversation; business context (tier, renewal) is not a failure
    reasons = [t.reason for t in triggers if t.reason and t.family != "business"][:2]
    if reasons:
        parts.append("; ".join(reasons))
    return ". ".join(parts) if parts else "Nothing reported as failed yet."


def _next(label: str, category: str, account_notes: Sequence[str]) -> str:
    step = NEXT_BY_LABEL.get(label) or NEXT_BY_CATEGORY.get(category) or NEXT_DEFAULT
    if account_notes:
        step += " " + " ".join(account_notes)
    return step


def summarize(
    turns: Sequence[Turn],
    *,
    triggers: Sequence[FiredTrigger] = (),
    category: str = "general",
    account_notes: Sequence[str] = (),
) -> Summary:
    """Baton's own summary of a conversation: deterministic, offline, from the engine's analyses.

    `account_notes` are short facts worth acting on ("A disputed charge is on the account.").
    """
    label, evidence = _likely_label(turns)
    if not label:
        label = _trigger_label(triggers)
        if label:
            ev = next((t.evidence[0] for t in triggers if t.id == label and t.evidence), None)
            evidence = ev.quote if ev is not None else ""
    return Summary(
        wants=_clean(_wants(turns, label, evidence, category)),
        tried=_clean(_tried(turns)),
        failed=_clean(_failed(turns, triggers)),
        next=_clean(_next(label, category, account_notes)),
        source=SummarySource.BATON,
    )


def latest_agent_summary(summaries: Sequence[Mapping[str, Any] | None]) -> Summary | None:
    """The most recent AI-agent summary among stored ones (oldest first), if any."""
    for raw in reversed(summaries):
        if raw:
            got = Summary.from_dict(raw)
            if got is not None:
                return got
    return None
