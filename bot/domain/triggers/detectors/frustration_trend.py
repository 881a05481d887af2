"""Frustration building over turns, from the model's `frustration` probability per customer turn.

Fires when, over the last `window` scored customer turns (at least `min_turns`), the mean
probability reaches `mean`, or it rose by at least `rise` to a last turn of at least `rising_to`.
Each message alone may stay under the `frustration` label's own threshold: this reads the trend.
A turn where the customer says the problem is solved (resolved.py, seven languages) counts as no
frustration, and when it is the latest turn nothing fires.
Bounded: only the last `window` turns are read.
"""

from __future__ import annotations

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.nlu.api import Label
from bot.domain.triggers.detectors.base import ConversationView, Detector, Turn, fired
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind

LABEL = str(Label.FRUSTRATION)


class FrustrationTrend(Detector):
    kind = DetectorKind.FRUSTRATION_TREND
    family = Family.SENTIMENT
    params = {
        "window": Param(ParamKind.INT, 2, 20),
        "min_turns": Param(ParamKind.INT, 2, 20),
        "mean": Param(ParamKind.FLOAT, 0.01, 1, per_segment=True),
        "rise": Param(ParamKind.FLOAT, 0.01, 1, per_segment=True),
        "rising_to": Param(ParamKind.FLOAT, 0.01, 1, per_segment=True),
    }

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        size = spec.param("window", segment)
        window: list[Turn] = []
        for m, a in reversed(view.customers):
            if a.model:
                window.append((m, a))
                if len(window) == size:
                    break
        window.reverse()
        if len(window) < spec.param("min_turns", segment):
            return None
        if window[-1][1].resolved:
            return None  # "thanks, that worked" / "c'est fait": whatever else it scores, it is a closing
        # a closing turn earlier in the window is no frustration either ("Super, c'est fait." scores 0.7)
        probs = [0.0 if a.resolved else a.score(LABEL) for _, a in window]
        mean = sum(probs) / len(probs)
        trail = " → ".join(f"{p:.2f}" for p in probs)
        last_m, last_a = max(window, key=lambda t: t[1].score(LABEL))
        quote = last_a.sentence(LABEL) or last_a.head
        need_mean = spec.param("mean", segment)
        if mean >= need_mean:
            detail = f"frustration mean {mean:.2f} ≥ {need_mean:.2f} over {len(probs)} turns ({trail})"
            ev = Evidence(quote=quote, message_ref=last_m.ref, score=mean, threshold=need_mean, detail=detail)
            return fired(spec, segment, [ev])
        rise, rising_to = spec.param("rise", segment), spec.param("rising_to", segment)
        gain = probs[-1] - min(probs[:-1])
        if gain >= rise and probs[-1] >= rising_to:
            m, a = window[-1]
            detail = f"frustration rose {gain:.2f} over {len(probs)} turns ({trail})"
            ev = Evidence(
                quote=a.sentence(LABEL) or a.head,
                message_ref=m.ref,
                score=gain,
                threshold=rise,
                detail=detail,
            )
            return fired(spec, segment, [ev])
        return None
