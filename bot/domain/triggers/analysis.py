"""MessageAnalysis: everything the engine needs to know about one message, computed once.

The lead stores `to_dict()` on the message row; `decide()` aggregates stored analyses, so a new message
never re-analyses the history. An analysis remembers the fingerprint it was made with (the policy and
the model version); `decide()` re-analyses a message whose analysis is stale or missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ANALYSIS_VERSION = 3
UNDETERMINED = "und"
# Labels scored at least this keep their evidence sentence; thresholds cannot go lower.
LIKELY = 0.1


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase-level match in one message: the trigger it supports and the customer's words."""

    trigger: str
    quote: str
    detail: str = ""

    def to_list(self) -> list[str]:
        return [self.trigger, self.quote, self.detail]


@dataclass(frozen=True, slots=True)
class MessageAnalysis:
    ref: str
    role: str
    config: str  # EngineConfig.fingerprint this was computed with (policy + model version)
    hits: tuple[Hit, ...] = ()  # human request, phrase/regex rules, profanity
    categories: tuple[tuple[str, int], ...] = ()  # category hint counts, in CATEGORIES order
    sentiment: float | None = None  # VADER compound, customer messages only
    shout: float = 0.0  # share of upper-case letters
    letters: int = 0
    fingerprint: str = ""  # the normalised words, sorted, for the repeated-question comparison
    words: int = 0  # number of content words
    terms: tuple[str, ...] = ()  # stemmed content words, sorted (terms.py): what the message is about
    resolved: bool = False  # the customer says the problem is solved ("thanks, that worked")
    confidence: float | None = None  # the AI agent's confidence, `ai` messages only
    head: str = ""  # the first words of the message, quoted when a whole-message signal fires
    failed: bool = False  # the customer says what was suggested did not help ("still not working")
    # The judgment model's view (customer messages, when the engine was handed a classifier):
    model: str = ""  # the model version that scored it
    scores: tuple[tuple[str, float], ...] = ()  # label -> calibrated probability
    evidence: tuple[tuple[str, str], ...] = ()  # label -> the sentence that drove it (score >= LIKELY)
    language: str = UNDETERMINED  # ISO 639-1, or "und"
    vector: tuple[float, ...] = ()  # what the message asks, L2-normalised (repeated question)

    def hits_for(self, trigger_id: str) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.trigger == trigger_id)

    def score(self, label: str) -> float:
        for name, p in self.scores:
            if name == label:
                return p
        return 0.0

    def sentence(self, label: str) -> str:
        for name, text in self.evidence:
            if name == label:
                return text
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": ANALYSIS_VERSION,
            "ref": self.ref,
            "role": self.role,
            "config": self.config,
            "hits": [h.to_list() for h in self.hits],
            "categories": [[c, n] for c, n in self.categories],
            "sentiment": self.sentiment,
            "shout": self.shout,
            "letters": self.letters,
            "fingerprint": self.fingerprint,
            "words": self.words,
            "terms": list(self.terms),
            "resolved": self.resolved,
            "confidence": self.confidence,
            "head": self.head,
            "failed": self.failed,
            "model": self.model,
            "scores": dict(self.scores),
            "evidence": dict(self.evidence),
            "language": self.language,
            "vector": list(self.vector),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MessageAnalysis:
        """Rebuild a stored analysis. An unknown version yields an analysis that `decide()` treats as stale."""
        if d.get("v") != ANALYSIS_VERSION:
            return cls(ref=str(d.get("ref", "")), role=str(d.get("role", "")), config="")
        return cls(
            ref=str(d.get("ref", "")),
            role=str(d.get("role", "")),
            config=str(d.get("config", "")),
            hits=tuple(Hit(str(h[0]), str(h[1]), str(h[2]) if len(h) > 2 else "") for h in d.get("hits", [])),
            categories=tuple((str(c), int(n)) for c, n in d.get("categories", [])),
            sentiment=None if d.get("sentiment") is None else float(d["sentiment"]),
            shout=float(d.get("shout", 0.0)),
            letters=int(d.get("letters", 0)),
            fingerprint=str(d.get("fingerprint", "")),
            words=int(d.get("words", 0)),
            terms=tuple(str(t) for t in d.get("terms") or ()),
            resolved=bool(d.get("resolved", False)),
            confidence=None if d.get("confidence") is None else float(d["confidence"]),
            head=str(d.get("head", "")),
            failed=bool(d.get("failed", False)),
            model=str(d.get("model", "")),
            scores=tuple((str(k), float(v)) for k, v in (d.get("scores") or {}).items()),
            evidence=tuple((str(k), str(v)) for k, v in (d.get("evidence") or {}).items()),
            language=str(d.get("language") or UNDETERMINED),
            vector=tuple(float(x) for x in d.get("vector") or ()),
        )
