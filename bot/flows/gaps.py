"""Knowledge gaps: what customers escalated most because the AI failed them (`/escalations gaps`,
`baton gaps`, and the monthly review's gaps section through `knowledge_gaps`).

Reads the escalations of the period and the period before (storage/learning_repo.py), keeps those
an AI-failure trigger fired on, takes each one's customer question (the first customer message of
the episode that escalated) and groups them by meaning (bot/domain/gaps.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.domain.gaps import GapQuestion, Topic, ai_failure_triggers, meaning_vector, topics
from bot.domain.nlu import Classifier, load_classifier
from bot.domain.redact import Kind, Redactor
from bot.domain.report import Period
from bot.policy import Policy
from bot.report_cards import GapCounts, gaps_blocks, gaps_section, gaps_text
from storage import learning_repo
from storage.db import read_scope
from storage.models import Message

DEFAULT_TOPICS = 10
EVERYTHING = Redactor(frozenset(Kind))  # emails, phones, card numbers, secrets: all Baton can mask


@dataclass(frozen=True)
class Gaps:
    period: Period
    previous: Period
    failed: int  # escalations of the period the AI failed
    failed_before: int
    escalations: int  # all escalations of the period
    topics: list[Topic] = field(default_factory=list)
    triggers: tuple[str, ...] = ()  # the trigger ids counted as the AI failing

    @property
    def counts(self) -> GapCounts:
        return GapCounts(self.failed, self.failed_before, self.escalations)

    def section(self, limit: int = 5) -> dict[str, Any]:
        """One Block Kit section with the top topics (for the monthly review's message)."""
        return gaps_section(topics=self.topics, counts=self.counts, limit=limit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "ai_failed": {"escalations": self.failed, "previous": self.failed_before, "of": self.escalations},
            "ai_failure_triggers": list(self.triggers),
            "topics": [t.to_dict() for t in self.topics],
        }


def question_of(messages: Sequence[Message], *, since: datetime | None, opened: datetime) -> Message | None:
    """The customer's question behind an escalation: their first message of the episode (since
    `first_customer_at`), else the last one they sent before it opened."""
    customer = [m for m in messages if m.role == "customer" and m.text.strip()]
    if since is not None:
        for m in customer:
            if m.sent_at >= since:
                return m
    before = [m for m in customer if m.sent_at <= opened]
    return before[-1] if before else (customer[0] if customer else None)


def _idf(classifier: Classifier) -> Any:
    """The model's IDF weights (the packaged linear model carries them), or None for another model."""
    weights = getattr(classifier, "weights", None)
    return getattr(weights, "idf", None)


def knowledge_gaps(
    *,
    db: Engine,
    policy: Policy,
    period: Period,
    limit: int = DEFAULT_TOPICS,
    classifier: Classifier | None = None,
) -> Gaps:
    """The period's knowledge gaps against the period before (the monthly review calls this too)."""
    model = classifier or policy.engine.classifier or load_classifier()
    idf = _idf(model)
    failing = ai_failure_triggers(policy.engine.triggers)
    redact = policy.redactor
    prev = period.previous()
    with read_scope(db) as session:
        rows = learning_repo.escalations_opened(session, prev.start, period.end)
        wanted = []
        total = 0
        for esc_id, conv_id, opened, first, triggers in rows:
            current = opened >= period.start
            total += current
            fired = tuple(dict.fromkeys(str(t.get("id", "")) for t in triggers or () if isinstance(t, dict)))
            failed = tuple(t for t in fired if t in failing)
            if failed:
                wanted.append((esc_id, conv_id, opened, first, failed, current))
        messages = learning_repo.messages_of(session, (w[1] for w in wanted), roles=("customer",))
    questions = []
    for esc_id, conv_id, opened, first, failed, current in wanted:
        m = question_of(messages.get(conv_id, []), since=first, opened=opened)
        text = redact(m.text) if m is not None else ""
        if m is None:
            vector: Sequence[float] = ()
        elif idf is not None:
            vector = meaning_vector(m.text, idf, EVERYTHING)
        else:  # a model without TF-IDF weights: its own representation of the message
            vector = model.predict(EVERYTHING(m.text)).vector
        questions.append(GapQuestion(esc_id, text, vector, current, failed))
    return Gaps(
        period=period,
        previous=prev,
        failed=sum(q.current for q in questions),
        failed_before=sum(not q.current for q in questions),
        escalations=total,
        topics=topics(questions, limit=limit),
        triggers=tuple(sorted(failing)),
    )


USAGE = "Usage: `/escalations gaps [7d|30d|90d|this month|last month]`"


def gaps_answer(gaps: Gaps) -> dict[str, Any]:
    """The Block Kit answer (text fallback and blocks)."""
    title = f"Knowledge gaps, {gaps.period.label}"
    return {
        "text": gaps_text(title, gaps.topics, gaps.counts)[:3000],
        "blocks": gaps_blocks(title=title, topics=gaps.topics, counts=gaps.counts),
    }


__all__ = ["DEFAULT_TOPICS", "EVERYTHING", "USAGE", "Gaps", "gaps_answer", "knowledge_gaps", "question_of"]
