"""The same question asked again: `times` askings, by word overlap (fuzzily) or by meaning.

Two questions are the same when their sorted words are at least `similarity`% alike (rapidfuzz), or,
when the model scored both, the cosine of their meaning vectors is at least `semantic` ("how do I
export my invoices?" / "where can I download the bills?").

Incremental: only the latest customer question is compared, against at most LOOKBACK earlier ones,
so a new message costs the same at turn 300 as at turn 20 (an earlier repetition fired when it was
asked, as decide() runs after every message).
"""

from __future__ import annotations

from operator import mul

from rapidfuzz import fuzz

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.analysis import MessageAnalysis
from bot.domain.triggers.detectors.base import ConversationView, Detector, Turn, fired
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind

LOOKBACK = 20  # earlier customer questions compared with the latest one


def cosine(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Cosine of two L2-normalised vectors (0 when either is missing or they differ in size)."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(map(mul, a, b))


def _same(new: MessageAnalysis, old: MessageAnalysis, similarity: float, semantic: float) -> tuple[bool, str]:
    if fuzz.ratio(new.fingerprint, old.fingerprint, score_cutoff=similarity):
        return True, "words"
    if new.vector and cosine(new.vector, old.vector) >= semantic:
        return True, "meaning"
    return False, ""


class RepeatedQuestion(Detector):
    kind = DetectorKind.REPEATED_QUESTION
    family = Family.BEHAVIORAL
    params = {
        "times": Param(ParamKind.INT, 2, 100, per_segment=True),
        "similarity": Param(ParamKind.FLOAT, 50, 100, per_segment=True),
        "semantic": Param(ParamKind.FLOAT, 0.3, 1, per_segment=True),
        "min_words": Param(ParamKind.INT, 1, 50),
    }

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        times, sim, sem, min_words = (
            spec.param("times", segment),
            spec.param("similarity", segment),
            spec.param("semantic", segment),
            spec.param("min_words", segment),
        )
        qs: list[Turn] = []
        for m, a in reversed(view.customers):
            if a.words >= min_words:
                qs.append((m, a))
                if len(qs) > LOOKBACK:
                    break
        if len(qs) < 2:
            return None
        (m, a), earlier = qs[0], qs[1:]
        n, how = 1, set[str]()
        for _, old in earlier:
            same, by = _same(a, old, sim, sem)
            if same:
                n += 1
                how.add(by)
        if n < times:
            return None
        ev = Evidence(
            quote=a.head,
            message_ref=m.ref,
            score=float(n),
            threshold=float(times),
            detail=f"asked {n} times" + (" (the same in other words)" if "meaning" in how else ""),
        )
        return fired(spec, segment, [ev])
