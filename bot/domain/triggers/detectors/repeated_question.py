"""The same question asked again (word overlap, fuzzily): `times` askings within the conversation.

Incremental: only the latest customer question is compared, against at most `lookback` earlier ones,
so a new message costs the same at turn 300 as at turn 20 (an earlier repetition fired when it was
asked).
"""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.process import extract

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.detectors.base import ConversationView, Detector, Turn, fired
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind

LOOKBACK = 30  # earlier customer questions compared with the latest one


class RepeatedQuestion(Detector):
    kind = DetectorKind.REPEATED_QUESTION
    family = Family.BEHAVIORAL
    params = {
        "times": Param(ParamKind.INT, 2, 100, per_segment=True),
        "similarity": Param(ParamKind.FLOAT, 50, 100, per_segment=True),
        "min_words": Param(ParamKind.INT, 1, 50),
    }

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        times, sim, min_words = (
            spec.param("times", segment),
            spec.param("similarity", segment),
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
        (m, a), earlier = qs[0], [x.fingerprint for _, x in qs[1:]]
        # fingerprints are sorted words, so a plain ratio is the token-sort ratio; extract loops in C
        n = 1 + len(extract(a.fingerprint, earlier, scorer=fuzz.ratio, score_cutoff=sim, limit=None))
        if n < times:
            return None
        ev = Evidence(
            quote=a.head,
            message_ref=m.ref,
            score=float(n),
            threshold=float(times),
            detail=f"asked {n} times",
        )
        return fired(spec, segment, [ev])
