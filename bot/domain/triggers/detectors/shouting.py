"""Messages mostly in capitals (share of upper-case letters over a minimum of letters)."""

from __future__ import annotations

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.detectors.base import ConversationView, Detector, fired
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class Shouting(Detector):
    kind = DetectorKind.SHOUTING
    family = Family.SENTIMENT
    params = {
        "ratio": Param(ParamKind.FLOAT, 0.5, 1),
        "min_letters": Param(ParamKind.INT, 1, 10000),
        "messages": Param(ParamKind.INT, 1, 1000, per_segment=True),
    }

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        ratio, min_letters, need = (
            spec.param("ratio", segment),
            spec.param("min_letters", segment),
            spec.param("messages", segment),
        )
        loud = [(m, a) for m, a in view.customers if a.letters >= min_letters and a.shout >= ratio]
        if not loud or len(loud) < need:
            return None
        ev = [
            Evidence(
                quote=a.head,
                message_ref=m.ref,
                score=a.shout,
                threshold=ratio,
                detail=f"{len(loud)} message(s) in capitals",
            )
            for m, a in loud
        ]
        return fired(spec, segment, ev)
