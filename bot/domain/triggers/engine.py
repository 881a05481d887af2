"""analyse() once per message, decide() over the analyses: the trigger engine.

decide() is pure and deterministic: the same history, account, `now` and policy give the same
Decision. Signals (behavioral, contextual, sentiment, ai_confidence) escalate; business contexts only
make the thresholds more sensitive (`shift` moves the account up the segment scale self-serve ->
mid-market -> enterprise), raise the urgency, route to the last handler (cooling period) and are listed
as reasons next to a signal. See docs/policy-triggers.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.model import CATEGORIES, Account, Decision, Evidence, FiredTrigger, Message, Urgency
from bot.domain.nlu import Classifier, visible_text
from bot.domain.triggers.analysis import LIKELY, UNDETERMINED, Hit, MessageAnalysis
from bot.domain.triggers.config import EngineConfig
from bot.domain.triggers.detectors import REGISTRY, ConversationView, MessageInput
from bot.domain.triggers.detectors.base import head as _head
from bot.domain.triggers.detectors.base import to_utc
from bot.domain.triggers.matching import unquoted
from bot.domain.triggers.resolved import says_resolved
from bot.domain.triggers.sentiment import compound
from bot.domain.triggers.spec import DetectorKind, TriggerSpec
from bot.domain.triggers.terms import content_terms
from bot.domain.triggers.text import fingerprint, normalise, shout_ratio
from bot.domain.triggers.values import SEGMENT_ORDER

__all__ = ["analyse", "decide", "evaluate", "to_utc"]

# Long pastes are analysed on their head and tail: a request for a human sits at either end.
MAX_ANALYSED_CHARS = 20_000
# Which category wins a tie, most specific first.
CATEGORY_PRIORITY: tuple[str, ...] = (
    "safety",
    "legal",
    "compliance",
    "privacy",
    "security",
    "billing",
    "cancellation",
    "technical",
    "account",
    "general",
)
_URGENCY_RANK = {"immediate": 0, "queued": 1}


def _clip(text: str) -> str:
    if len(text) <= MAX_ANALYSED_CHARS:
        return text
    half = MAX_ANALYSED_CHARS // 2
    return text[:half] + " . " + text[-half:]


def analyse(message: Message, config: EngineConfig) -> MessageAnalysis:
    """Per-message features, computed once (pure). Only customer messages carry language signals;
    AI messages carry their confidence."""
    if message.role != "customer":
        conf = message.confidence if message.role == "ai" else None
        conf = min(1.0, max(0.0, float(conf))) if conf is not None and conf == conf else None
        return MessageAnalysis(ref=message.ref, role=message.role, config=config.fingerprint, confidence=conf)

    raw = _clip(message.text or "")
    # The rules read what the customer says themselves: quoted and reported speech, forwarded text and
    # code blocks are left out ("one of my customers wrote 'I want a lawyer'" is no legal threat).
    visible = visible_text(raw)
    words = unquoted(visible)
    norm = normalise(words)
    msg = MessageInput(raw=words, norm=norm)
    hits: list[Hit] = []
    counts: dict[str, int] = {}
    for spec in config.triggers:
        if not spec.enabled:
            continue
        unit = REGISTRY[spec.detector]
        hits.extend(unit.scan(spec, msg))
        if spec.category is not None:
            n = unit.hint(spec, msg)
            if n:
                counts[spec.category] = counts.get(spec.category, 0) + n
    ratio, letters = shout_ratio(visible)
    fp, content_words = fingerprint(norm.tokens)
    model = _model_view(config.classifier, raw)  # the model applies the same visible_text() itself
    # VADER knows English only: no sentiment for a message the model says is in another language.
    english = model.get("language", UNDETERMINED) in ("en", UNDETERMINED)
    language = model.get("language", UNDETERMINED)
    return MessageAnalysis(
        ref=message.ref,
        role=message.role,
        config=config.fingerprint,
        hits=tuple(hits),
        categories=tuple((c, counts[c]) for c in CATEGORIES if c in counts),
        sentiment=compound(visible) if visible.strip() and english else None,
        shout=round(ratio, 4),
        letters=letters,
        fingerprint=fp,
        words=content_words,
        terms=content_terms(visible, language),
        resolved=says_resolved(norm.text, norm.words, visible),
        head=_head(raw),
        **model,
    )


def _model_view(classifier: Classifier | None, text: str) -> dict[str, Any]:
    """The model's scores, language, evidence sentences and meaning vector, as stored on the analysis."""
    if classifier is None:
        return {}
    pred = classifier.predict(text)
    scores = tuple((str(label), round(float(p), 3)) for label, p in pred.scores.items())
    evidence = tuple(
        (str(label), _head(pred.evidence.get(label, ""), 200))
        for label, p in pred.scores.items()
        if p >= LIKELY
    )
    return {
        "model": classifier.version,
        "scores": scores,
        "evidence": evidence,
        "language": pred.language or UNDETERMINED,
        "vector": tuple(round(float(x), 4) for x in pred.vector),
    }


# ---------------------------------------------------------------- decide


def _fresh(
    history: Sequence[tuple[Message, MessageAnalysis]], config: EngineConfig
) -> list[tuple[Message, MessageAnalysis]]:
    out = []
    for msg, an in history:
        if an is None or an.config != config.fingerprint or an.role != msg.role:
            an = analyse(msg, config)
        out.append((msg, an))
    return out


def _category(signals: list[FiredTrigger], customers: list[tuple[Message, MessageAnalysis]]) -> str:
    for t in signals:
        if t.category:
            return t.category
    score: dict[str, float] = {}
    n = len(customers)
    for i, (_, a) in enumerate(customers):
        recency = 1.0 + i / max(1, n) * 0.5  # later turns weigh a little more: the topic drifts
        for cat, count in a.categories:
            score[cat] = score.get(cat, 0.0) + count * recency
    if not score:
        return "general"
    return max(
        score, key=lambda c: (score[c], -CATEGORY_PRIORITY.index(c) if c in CATEGORY_PRIORITY else -99)
    )


def decide(
    history: Sequence[tuple[Message, MessageAnalysis]], account: Account, now: datetime, config: EngineConfig
) -> Decision:
    """The decision for a conversation at `now`, from per-message analyses (cheap; pure; deterministic)."""
    now = to_utc(now)
    conv = _fresh(history, config)
    language = next(
        (a.language for _, a in reversed(conv) if a.role == "customer" and a.language != UNDETERMINED),
        UNDETERMINED,
    )
    # A human agent's reply answers what came before it: signals are read from the messages after it.
    last_agent = max((i for i, (_, a) in enumerate(conv) if a.role == "agent"), default=-1)
    conv = conv[last_agent + 1 :]
    customers = [(m, a) for m, a in conv if a.role == "customer"]
    hits: dict[str, list[tuple[Message, Hit]]] = {}
    labels: dict[str, list[tuple[Message, MessageAnalysis, float]]] = {}
    for m, a in customers:
        for h in a.hits:
            hits.setdefault(h.trigger, []).append((m, h))
        for label, _ in a.evidence:  # the labels it scored at least LIKELY
            labels.setdefault(label, []).append((m, a, a.score(label)))
    segment = config.segment_of(account.tier, account.mrr)

    contexts: list[tuple[TriggerSpec, str]] = []
    for spec in config.triggers:
        if spec.enabled and REGISTRY[spec.detector].business and spec.applies_to(segment):
            detail = REGISTRY[spec.detector].holds(spec, account, segment, now)
            if detail is not None:
                contexts.append((spec, detail))
    shift = sum(spec.param("shift", segment) for spec, _ in contexts)
    effective = SEGMENT_ORDER[min(len(SEGMENT_ORDER) - 1, SEGMENT_ORDER.index(segment) + shift)]
    raise_urgency = any(spec.param("raise_urgency", segment) for spec, _ in contexts)

    view = ConversationView(conv=conv, customers=customers, hits=hits, contexts=contexts, labels=labels)
    signals: list[FiredTrigger] = []
    for spec in config.triggers:
        unit = REGISTRY[spec.detector]
        if not spec.enabled or not spec.escalate or unit.business or not spec.applies_to(segment):
            continue
        fired = unit.fire(spec, effective, view)
        if fired is not None:
            signals.append(fired)
    order = {spec.id: spec.order for spec in config.triggers}
    # Safety leads (the card shows it first), then immediate before queued, then the policy's order.
    signals.sort(key=lambda t: (t.category != "safety", _URGENCY_RANK[t.urgency], order[t.id]))

    notes = [f"segment: {segment}" + (f" (thresholds of {effective})" if effective != segment else "")]
    prefer = ""
    business: list[FiredTrigger] = []
    for spec, detail in contexts:
        if (
            spec.detector is DetectorKind.COOLING_PERIOD
            and spec.param("route_to_last_handler", segment)
            and account.last_handler
        ):
            prefer = account.last_handler
        urgency: Urgency = "immediate" if spec.param("raise_urgency", segment) else "queued"
        business.append(
            FiredTrigger(
                id=spec.id,
                family="business",
                urgency=urgency,
                reason=spec.reason,
                evidence=(Evidence(detail=detail),),
            )
        )
        notes.append(f"{spec.reason}: {detail}")

    category = _category(signals, customers)
    if not signals:
        return Decision(
            escalate=False,
            category=category,
            prefer_agent=prefer,
            notes=tuple(notes),
            language=language,
            model_version=config.model_version,
        )
    specs = {spec.id: spec for spec in config.triggers}
    raised = raise_urgency and any(not REGISTRY[specs[t.id].detector].context_only for t in signals)
    top: Urgency = "immediate" if raised or any(t.urgency == "immediate" for t in signals) else "queued"
    return Decision(
        escalate=True,
        category=category,
        urgency=top,
        triggers=tuple(signals) + tuple(business),
        prefer_agent=prefer,
        notes=tuple(notes),
        language=language,
        model_version=config.model_version,
    )


def evaluate(messages: Sequence[Message], account: Account, now: datetime, config: EngineConfig) -> Decision:
    """Convenience: analyse every message, then decide."""
    return decide([(m, analyse(m, config)) for m in messages], account, now, config)
