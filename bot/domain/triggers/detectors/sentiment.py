"""VADER sentiment over the last customer turns: one very negative message, a low mean, or a fall."""

from __future__ import annotations

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.detectors.base import ConversationView, Detector, fired
from bot.domain.triggers.sentiment import window_stats
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class Sentiment(Detector):
    kind = DetectorKind.SENTIMENT
    family = Family.SENTIMENT
    params = {
        "window": Param(ParamKind.INT, 1, 50),
        "min_turns": Param(ParamKind.INT, 1, 50),
        "floor": Param(ParamKind.FLOAT, -1, 1, per_segment=True),
        "message_floor": Param(ParamKind.FLOAT, -1, 1, per_segment=True),
        "drop": Param(ParamKind.FLOAT, 0, 2, per_segment=True),
        "worsening_below": Param(ParamKind.FLOAT, -1, 1, per_segment=True),
    }

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        size = spec.param("window", segment)
        window = []
        for m, a in reversed(view.customers):  # only the last `window` scored turns are read
            if a.sentiment is not None:
                window.append((m, a))
                if len(window) == size:
                    break
        window.reverse()
        if not window:
            return None
        ev = []
        mf = spec.param("message_floor", segment)
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
        floor = spec.param("floor", segment)
        last_m, last_a = window[-1]
        if len(window) >= spec.param("min_turns", segment) and mean <= floor:
            ev.append(
                Evidence(
                    quote=last_a.head,
                    message_ref=last_m.ref,
                    score=mean,
                    threshold=floor,
                    detail=f"mean compound {mean:+.2f} over the last {len(window)} customer turns <= {floor:+.2f}",
                )
            )
        drop, below = spec.param("drop", segment), spec.param("worsening_below", segment)
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
        return fired(spec, segment, ev) if ev else None
