"""analyse() once per message, decide() over the analyses: the trigger engine.

decide() is pure and deterministic: the same history, account, `now` and policy give the same
Decision. Signals (behavioral, contextual, sentiment, ai_confidence) escalate; business contexts only
make the thresholds more sensitive (`shift` moves the account up the segment scale self-serve ->
mid-market -> enterprise), raise the urgency, route to the last handler (cooling period) and are listed
as reasons next to a signal. See docs/policy-triggers.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from rapidfuzz import fuzz
from rapidfuzz.process import extract

from bot.domain.model import CATEGORIES, Account, Decision, Evidence, FiredTrigger, Message, Urgency
from bot.domain.triggers.analysis import Hit, MessageAnalysis
from bot.domain.triggers.config import BUSINESS_DETECTORS, SEGMENT_ORDER, EngineConfig, TriggerSpec
from bot.domain.triggers.phrases import find_human_request, negates_wish
from bot.domain.triggers.sentiment import compound, window_stats
from bot.domain.triggers.text import CLAUSE_PUNCT, Normalised, fingerprint, normalise, shout_ratio

# Long pastes are analysed on their head and tail: a request for a human sits at either end.
MAX_ANALYSED_CHARS = 20_000
# Which category wins a tie, most specific first.
CATEGORY_PRIORITY: tuple[str, ...] = (
    "legal",
    "privacy",
    "security",
    "billing",
    "cancellation",
    "technical",
    "account",
    "general",
)
_URGENCY_RANK = {"immediate": 0, "queued": 1}
_RESOLVED = re.compile(
    r"(?<!not )(?<!no )\b(?:that|it|this) (?:worked|works|fixed it|solved it|did it|did the trick|helped)\b"
    r"|\b(?:problem|issue) (?:is )?(?:solved|resolved|fixed)\b|(?<!not )\b(?:working|works) now\b"
    r"|\ball (?:good|sorted|set)\b|^(?:ok |okay |great |perfect |awesome |cool )?(?:thanks|thank you)(?: so much| a lot)?(?: !| .)*$"
    r"|\b(?:got it|perfect|great|awesome|brilliant) (?:,? )?(?:thanks|thank you)\b"
)


def to_utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already (as bot.clock.to_utc)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _clip(text: str) -> str:
    if len(text) <= MAX_ANALYSED_CHARS:
        return text
    half = MAX_ANALYSED_CHARS // 2
    return text[:half] + " . " + text[-half:]


def _head(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _clause_start(tokens: tuple[str, ...], idx: int) -> int:
    i = idx
    while i > 0 and tokens[i - 1] not in CLAUSE_PUNCT and tokens[i - 1] != "but":
        i -= 1
    return i


def _clause_end(tokens: tuple[str, ...], idx: int) -> int:
    i = idx
    while i + 1 < len(tokens) and tokens[i + 1] not in CLAUSE_PUNCT and tokens[i + 1] != "but":
        i += 1
    return i


def _phrase_hits(spec: TriggerSpec, norm: Normalised, raw: str) -> list[Hit]:
    m = spec.matcher
    if m is None:
        return []
    text = norm.text
    hits: list[Hit] = []
    if m.phrases is not None and (m.anchors is None or not m.anchors.isdisjoint(norm.words)):
        for match in m.phrases.finditer(text):
            idx = text.count(" ", 0, match.start()) if match.start() else 0
            last = idx + match.group(0).count(" ")
            if spec.negation:
                start = _clause_start(norm.tokens, idx)
                if negates_wish(norm.tokens[start:idx], norm.tokens[idx]):
                    continue
            first_q = max(_clause_start(norm.tokens, idx), idx - 3)
            last_q = min(_clause_end(norm.tokens, last), last + 3)
            hits.append(Hit(spec.id, norm.quote(first_q, last_q, context=0), match.group(0)))
            break  # one hit per rule and message is enough evidence
    if not hits:
        for rx in m.regexes:
            found = rx.search(raw)
            if found:
                a, b = found.span()
                a2 = max(0, raw.rfind(" ", 0, max(0, a - 30)) + 1) if a > 30 else 0
                b2 = raw.find(" ", min(len(raw), b + 30))
                quote = raw[a2 : b2 if b2 != -1 else len(raw)].strip()
                hits.append(Hit(spec.id, _head(quote, 200), found.group(0)[:100]))
                break
    if hits and m.unless is not None and m.unless.search(text):
        return []
    return hits


def _hint_count(spec: TriggerSpec, norm: Normalised, raw: str) -> int:
    """How often a category-hint rule's phrases (and regexes) occur in a message."""
    m = spec.matcher
    if m is None:
        return 0
    n = 0
    if m.phrases is not None and (m.anchors is None or not m.anchors.isdisjoint(norm.words)):
        n += len(m.phrases.findall(norm.text))
    n += sum(1 for rx in m.regexes if rx.search(raw))
    if n and m.unless is not None and m.unless.search(norm.text):
        return 0
    return n


_RESOLUTION_WORDS = frozenset(
    [
        "worked",
        "works",
        "fixed",
        "solved",
        "resolved",
        "sorted",
        "thanks",
        "thank",
        "helped",
        "trick",
        "good",
        "set",
        "now",
        "did",
    ]
)


def analyse(message: Message, config: EngineConfig) -> MessageAnalysis:
    """Per-message features, computed once (pure). Only customer messages carry language signals;
    AI messages carry their confidence."""
    if message.role != "customer":
        conf = message.confidence if message.role == "ai" else None
        conf = min(1.0, max(0.0, float(conf))) if conf is not None and conf == conf else None
        return MessageAnalysis(ref=message.ref, role=message.role, config=config.fingerprint, confidence=conf)

    raw = _clip(message.text or "")
    norm = normalise(raw)
    plain: Normalised | None = None
    hits: list[Hit] = []
    counts: dict[str, int] = {}
    for spec in config.triggers:
        if not spec.enabled:
            continue
        if spec.detector == "human_request":
            use = norm
            if not spec.param("fuzzy", "self-serve"):
                plain = plain or normalise(raw, fuzzy=False)
                use = plain
            hits.extend(Hit(spec.id, h.quote, h.detail) for h in find_human_request(use)[:1])
        elif spec.detector in ("phrases", "profanity"):
            found = _phrase_hits(spec, norm, raw)
            if spec.escalate or spec.detector == "profanity":
                hits.extend(found)
            elif (
                spec.category is not None
                and found
                and spec.matcher is not None
                and spec.matcher.phrases is not None
            ):
                n = len(spec.matcher.phrases.findall(norm.text)) or 1
                counts[spec.category] = counts.get(spec.category, 0) + n
    ratio, letters = shout_ratio(raw)
    fp, content_words = fingerprint(norm.tokens)
    return MessageAnalysis(
        ref=message.ref,
        role=message.role,
        config=config.fingerprint,
        hits=tuple(hits),
        categories=tuple((c, counts[c]) for c in CATEGORIES if c in counts),
        sentiment=compound(raw),
        shout=round(ratio, 4),
        letters=letters,
        fingerprint=fp,
        words=content_words,
        resolved=not _RESOLUTION_WORDS.isdisjoint(norm.words) and bool(_RESOLVED.search(norm.text)),
        head=_head(raw),
    )


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


def _business(spec: TriggerSpec, account: Account, segment: str, now: datetime) -> str | None:
    """Evidence detail when this business context holds for the account, else None."""
    d = spec.detector
    if d == "high_value":
        if segment != "enterprise":
            return None
        if account.tier == "enterprise":
            return "tier enterprise"
        return (
            f"MRR {account.mrr:g} puts it in the enterprise segment"
            if account.mrr is not None
            else "enterprise segment"
        )
    if d == "new_account":
        if account.created_at is None:
            return None
        age = now - to_utc(account.created_at)
        days = spec.param("days", segment)
        if timedelta(0) <= age <= timedelta(days=days):
            return f"account created {age.days} day{'s' if age.days != 1 else ''} ago (within {days})"
        return None
    if d == "renewal_soon":
        if account.renewal_date is None:
            return None
        left = (account.renewal_date - now.date()).days
        days = spec.param("days", segment)
        if 0 <= left <= days:
            return f"renews on {account.renewal_date.isoformat()} (in {left} day{'s' if left != 1 else ''})"
        return None
    if d == "at_risk":
        return "the account is flagged at risk" if account.at_risk else None
    if d == "cooling_period":
        if account.last_escalated_at is None:
            return None
        ago = now - to_utc(account.last_escalated_at)
        hours = spec.param("hours", segment)
        if timedelta(0) <= ago <= timedelta(hours=hours):
            h = ago.total_seconds() / 3600
            who = f", handled by {account.last_handler}" if account.last_handler else ""
            return f"last escalated {h:.1f} h ago{who}"
        return None
    return None


def _fire(spec: TriggerSpec, seg: str, evidence: list[Evidence]) -> FiredTrigger:
    return FiredTrigger(
        id=spec.id,
        family=spec.family,
        urgency=spec.urgency.get(seg),
        reason=spec.reason,
        category=spec.category,
        evidence=tuple(evidence[-3:]),  # the latest three are enough for a card and a timeline
    )


def _signal(
    spec: TriggerSpec,
    seg: str,
    conv: list[tuple[Message, MessageAnalysis]],
    customers: list[tuple[Message, MessageAnalysis]],
    hits: dict[str, list[tuple[Message, Hit]]],
) -> FiredTrigger | None:
    d = spec.detector
    ev: list[Evidence]
    if d in ("human_request", "phrases"):
        found = hits.get(spec.id)
        if not found:
            return None
        ev = [
            Evidence(
                quote=h.quote, message_ref=m.ref, detail=f"matched “{h.detail}”" if d == "phrases" else ""
            )
            for m, h in found
        ]
        return _fire(spec, seg, ev)
    if d == "profanity":
        need = spec.param("messages", seg)
        found = hits.get(spec.id)
        if not found:
            return None
        ev = [Evidence(quote=h.quote, message_ref=m.ref) for m, h in found]  # at most one hit per message
        if len(ev) >= need:
            n = len(ev)
            ev = [
                Evidence(
                    quote=e.quote,
                    message_ref=e.message_ref,
                    score=float(n),
                    threshold=float(need),
                    detail=f"profanity in {n} message{'s' if n != 1 else ''}",
                )
                for e in ev
            ]
            return _fire(spec, seg, ev)
        return None
    if d == "shouting":
        ratio, min_letters, need = (
            spec.param("ratio", seg),
            spec.param("min_letters", seg),
            spec.param("messages", seg),
        )
        loud = [(m, a) for m, a in customers if a.letters >= min_letters and a.shout >= ratio]
        if loud and len(loud) >= need:
            return _fire(
                spec,
                seg,
                [
                    Evidence(
                        quote=a.head,
                        message_ref=m.ref,
                        score=a.shout,
                        threshold=ratio,
                        detail=f"{len(loud)} message(s) in capitals",
                    )
                    for m, a in loud
                ],
            )
        return None
    if d == "sentiment":
        scored = [(m, a) for m, a in customers if a.sentiment is not None]
        window = scored[-spec.param("window", seg) :]
        if not window:
            return None
        ev = []
        mf = spec.param("message_floor", seg)
        worst_m, worst_a = min(window, key=lambda x: x[1].sentiment or 0.0)
        if (worst_a.sentiment or 0.0) <= mf:
            ev.append(
                Evidence(
                    quote=worst_a.head,
                    message_ref=worst_m.ref,
                    score=worst_a.sentiment,
                    threshold=mf,
                    detail=f"message compound {worst_a.sentiment:+.2f} <= {mf:+.2f}",
                )
            )
        scores = [a.sentiment or 0.0 for _, a in window]
        mean, fall = window_stats(scores)
        floor = spec.param("floor", seg)
        last_m, last_a = window[-1]
        if len(window) >= spec.param("min_turns", seg) and mean <= floor:
            ev.append(
                Evidence(
                    quote=last_a.head,
                    message_ref=last_m.ref,
                    score=mean,
                    threshold=floor,
                    detail=f"mean compound {mean:+.2f} over the last {len(window)} customer turns <= {floor:+.2f}",
                )
            )
        drop, below = spec.param("drop", seg), spec.param("worsening_below", seg)
        if len(window) >= 2 and fall >= drop and scores[-1] <= below:
            ev.append(
                Evidence(
                    quote=last_a.head,
                    message_ref=last_m.ref,
                    score=fall,
                    threshold=drop,
                    detail=f"worsening: compound fell {fall:.2f} ({scores[0]:+.2f} -> {scores[-1]:+.2f}) over {len(window)} turns",
                )
            )
        return _fire(spec, seg, ev) if ev else None
    if d == "repeated_question":
        times, sim, min_words = (
            spec.param("times", seg),
            spec.param("similarity", seg),
            spec.param("min_words", seg),
        )
        qs = [(m, a) for m, a in customers if a.words >= min_words]
        best_n, best_i = 1, -1
        prints = [a.fingerprint for _, a in qs]
        for i in range(1, len(qs)):
            # fingerprints are sorted words, so a plain ratio is the token-sort ratio; extract loops in C
            n = 1 + len(extract(prints[i], prints[:i], scorer=fuzz.ratio, score_cutoff=sim, limit=None))
            if n >= best_n and n > 1:
                best_n, best_i = n, i
        if best_i >= 0 and best_n >= times:
            m, a = qs[best_i]
            return _fire(
                spec,
                seg,
                [
                    Evidence(
                        quote=a.head,
                        message_ref=m.ref,
                        score=float(best_n),
                        threshold=float(times),
                        detail=f"asked {best_n} times",
                    )
                ],
            )
        return None
    if d == "turns_without_resolution":
        limit = spec.param("turns", seg)
        n = 0
        last: tuple[Message, MessageAnalysis] | None = None
        for m, a in conv:
            if a.role == "agent" or (a.role == "customer" and a.resolved):
                n = 0
            elif a.role == "customer":
                n += 1
                last = (m, a)
        if n > limit and last is not None:
            return _fire(
                spec,
                seg,
                [
                    Evidence(
                        quote=last[1].head,
                        message_ref=last[0].ref,
                        score=float(n),
                        threshold=float(limit),
                        detail=f"{n} customer turns without a resolution",
                    )
                ],
            )
        return None
    if d == "ai_confidence":
        threshold, low, need = (
            spec.param("threshold", seg),
            spec.param("low", seg),
            spec.param("in_a_row", seg),
        )
        ev = []
        run: list[tuple[Message, MessageAnalysis]] = []
        best_run: list[tuple[Message, MessageAnalysis]] = []
        for m, a in conv:
            if a.role != "ai" or a.confidence is None:
                continue
            if a.confidence < threshold:
                ev.append(
                    Evidence(
                        quote=_head(m.text),
                        message_ref=m.ref,
                        score=a.confidence,
                        threshold=threshold,
                        detail=f"AI confidence {a.confidence:.2f} < {threshold:.2f}",
                    )
                )
            if a.confidence < low:
                run.append((m, a))
                if len(run) >= len(best_run):
                    best_run = list(run)
            else:
                run = []
        if len(best_run) >= need:
            m, a = best_run[-1]
            confs = ", ".join(f"{x.confidence:.2f}" for _, x in best_run)
            ev.append(
                Evidence(
                    quote=_head(m.text),
                    message_ref=m.ref,
                    score=float(len(best_run)),
                    threshold=float(need),
                    detail=f"{len(best_run)} low-confidence answers in a row ({confs} < {low:.2f})",
                )
            )
        return _fire(spec, seg, ev) if ev else None
    return None


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
    # A human agent's reply answers what came before it: signals are read from the messages after it.
    last_agent = max((i for i, (_, a) in enumerate(conv) if a.role == "agent"), default=-1)
    conv = conv[last_agent + 1 :]
    customers = [(m, a) for m, a in conv if a.role == "customer"]
    hits: dict[str, list[tuple[Message, Hit]]] = {}
    for m, a in customers:
        for h in a.hits:
            hits.setdefault(h.trigger, []).append((m, h))
    segment = config.segment_of(account.tier, account.mrr)

    contexts: list[tuple[TriggerSpec, str]] = []
    for spec in config.triggers:
        if spec.enabled and spec.detector in BUSINESS_DETECTORS and spec.applies_to(segment):
            detail = _business(spec, account, segment, now)
            if detail is not None:
                contexts.append((spec, detail))
    shift = sum(spec.param("shift", segment) for spec, _ in contexts)
    effective = SEGMENT_ORDER[min(len(SEGMENT_ORDER) - 1, SEGMENT_ORDER.index(segment) + shift)]
    raise_urgency = any(spec.param("raise_urgency", segment) for spec, _ in contexts)

    signals: list[FiredTrigger] = []
    for spec in config.triggers:
        if (
            not spec.enabled
            or not spec.escalate
            or spec.detector in BUSINESS_DETECTORS
            or not spec.applies_to(segment)
        ):
            continue
        fired = _signal(spec, effective, conv, customers, hits)
        if fired is not None:
            signals.append(fired)
    order = {spec.id: spec.order for spec in config.triggers}
    signals.sort(key=lambda t: (_URGENCY_RANK[t.urgency], order[t.id]))

    notes = [f"segment: {segment}" + (f" (thresholds of {effective})" if effective != segment else "")]
    prefer = ""
    business: list[FiredTrigger] = []
    for spec, detail in contexts:
        if (
            spec.detector == "cooling_period"
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
        return Decision(escalate=False, category=category, prefer_agent=prefer, notes=tuple(notes))
    top: Urgency = (
        "immediate" if raise_urgency or any(t.urgency == "immediate" for t in signals) else "queued"
    )
    return Decision(
        escalate=True,
        category=category,
        urgency=top,
        triggers=tuple(signals) + tuple(business),
        prefer_agent=prefer,
        notes=tuple(notes),
    )


def evaluate(messages: Sequence[Message], account: Account, now: datetime, config: EngineConfig) -> Decision:
    """Convenience: analyse every message, then decide."""
    return decide([(m, analyse(m, config)) for m in messages], account, now, config)
