"""Knowledge gaps (pure): the topics customers escalated most because the AI failed them, grouped by
meaning, with counts against the period before and example questions.

"Because the AI failed" means one of the escalation's fired triggers reads the AI's failure: its
detector is the AI agent's low confidence, a repeated question, many turns without a resolution or
"that didn't help" (failed attempts), or it is the default `not_helping` phrases ("this is not
helping"). `ai_failure_triggers` picks those trigger ids out of a policy's triggers.

Grouping by meaning uses the judgment model's representation of a message: its TF-IDF features
(words, word pairs and character 2-5-grams, accents folded, weighted by the model's IDF:
bot/domain/nlu/features.py), folded by signed hashing into MEANING_DIM dimensions and normalised,
with personal data taken out first so an email address does not make two questions look alike. A
question joins the topic whose centroid is most similar (cosine >= SIMILARITY), otherwise it starts
a new one. Questions are taken oldest first (ties by id), so the same history always gives the same
topics. The representation is lexical: paraphrases that share no words ("invite a teammate" / "add
a user") can land in different topics; typos and inflections ("invoice", "invoices") do not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.domain.nlu.features import tfidf, unit_buckets
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec

SIMILARITY = 0.22  # cosine to a topic's centroid; paraphrases measure 0.24-0.47, other topics under 0.2
MEANING_DIM = 2048
MAX_EXAMPLES = 3
MAX_QUESTION_CHARS = 300
AI_FAILURE_DETECTORS = frozenset(
    {
        DetectorKind.AI_CONFIDENCE,
        DetectorKind.REPEATED_QUESTION,
        DetectorKind.TURNS_WITHOUT_RESOLUTION,
        DetectorKind.FAILED_ATTEMPTS,
    }
)
AI_FAILURE_TRIGGER_IDS = frozenset({"not_helping"})  # phrases triggers that say the answers do not help


def ai_failure_triggers(specs: Iterable[TriggerSpec]) -> frozenset[str]:
    return frozenset(
        s.id
        for s in specs
        if s.detector in AI_FAILURE_DETECTORS or s.family is Family.AI_CONFIDENCE or s.id in AI_FAILURE_TRIGGER_IDS
    )


@dataclass(frozen=True, slots=True)
class GapQuestion:
    """One escalation the AI failed: the customer's question and its representation."""

    escalation_id: int
    question: str
    vector: Sequence[float]
    current: bool  # in the period asked about (False: the period before)
    triggers: tuple[str, ...]  # the AI-failure triggers that fired


@dataclass
class Topic:
    label: str  # the question nearest the topic's centroid
    count: int  # escalations in the period
    previous: int  # in the period before
    examples: list[str] = field(default_factory=list)
    triggers: list[tuple[str, int]] = field(default_factory=list)  # AI-failure triggers, most frequent first
    escalation_ids: list[int] = field(default_factory=list)  # of the period, oldest first

    @property
    def change(self) -> int:
        return self.count - self.previous

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.label,
            "escalations": self.count,
            "previous": self.previous,
            "change": self.change,
            "examples": self.examples,
            "triggers": dict(self.triggers),
            "escalation_ids": self.escalation_ids,
        }


_MASK = re.compile(r"\[(?:email|phone|secret|card ending \d{4}|card|[a-z ]{1,20})\]")


def meaning_vector(text: str, idf: npt.NDArray[np.float32], redact: Callable[[str], str]) -> tuple[float, ...]:
    """What a question asks, as a unit vector of MEANING_DIM (see the module's docstring)."""
    clean = _MASK.sub(" ", redact(text))
    idx, vals = tfidf(unit_buckets(clean, negation=False), idf)  # a topic, negated or not
    out = np.zeros(MEANING_DIM, dtype=np.float64)
    signs = np.where((idx // MEANING_DIM) % 2 == 0, 1.0, -1.0)
    np.add.at(out, idx % MEANING_DIM, signs * vals)
    norm = float(np.linalg.norm(out))
    return tuple((out / norm).tolist()) if norm > 0 else ()


def _unit(v: Sequence[float]) -> npt.NDArray[np.float64]:
    a = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(a))
    return a / n if n > 0 else a


def cluster(questions: Sequence[GapQuestion], *, similarity: float = SIMILARITY) -> list[list[int]]:
    """Indexes of `questions` per topic, in the order given (deterministic leader clustering against
    running centroids). Questions without a vector, or of another dimension than the first, each
    stand alone."""
    members: list[list[int]] = []
    dim = next((len(q.vector) for q in questions if len(q.vector)), 0)
    sums = np.zeros((max(1, len(questions)), dim))  # row j: the sum of topic j's unit vectors
    rows: list[int] = []  # topic index of each row of `sums`
    for i, q in enumerate(questions):
        if not dim or len(q.vector) != dim:
            members.append([i])
            continue
        v = _unit(q.vector)
        k = len(rows)
        if k:
            block = sums[:k]
            sims = (block @ v) / np.maximum(np.linalg.norm(block, axis=1), 1e-12)
            j = int(np.argmax(sims))
            if sims[j] >= similarity:
                block[j] += v
                members[rows[j]].append(i)
                continue
        sums[k] = v
        rows.append(len(members))
        members.append([i])
    return members


def topics(questions: Sequence[GapQuestion], *, limit: int = 10, similarity: float = SIMILARITY) -> list[Topic]:
    """Topics of the current period's questions (with the previous period's count of the same topic),
    largest first; a topic only the period before had is left out."""
    out: list[Topic] = []
    for idx in cluster(questions, similarity=similarity):
        now = [questions[i] for i in idx if questions[i].current]
        if not now:
            continue
        before = len(idx) - len(now)
        vectors = [_unit(q.vector) for q in now if len(q.vector)]
        if vectors:
            centre = np.sum(vectors, axis=0)
            ranked = sorted(
                range(len(now)),
                key=lambda k: -(float(_unit(now[k].vector) @ centre) if len(now[k].vector) else -1.0),
            )
        else:
            ranked = list(range(len(now)))
        examples: list[str] = []
        for k in ranked:
            text = _short(now[k].question)
            if text and text not in examples:
                examples.append(text)
            if len(examples) == MAX_EXAMPLES:
                break
        triggers = Counter(t for q in now for t in q.triggers)
        out.append(
            Topic(
                label=examples[0] if examples else "(no question text)",
                count=len(now),
                previous=before,
                examples=examples,
                triggers=sorted(triggers.items(), key=lambda kv: (-kv[1], kv[0])),
                escalation_ids=[q.escalation_id for q in now],
            )
        )
    out.sort(key=lambda t: (-t.count, -t.change, t.label))
    return out[:limit]


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= MAX_QUESTION_CHARS else one[: MAX_QUESTION_CHARS - 1].rstrip() + "\u2026"


__all__ = [
    "AI_FAILURE_DETECTORS",
    "SIMILARITY",
    "GapQuestion",
    "Topic",
    "ai_failure_triggers",
    "cluster",
    "meaning_vector",
    "topics",
]
