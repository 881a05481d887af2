"""Too many customer turns since the last human reply or the customer's last "thanks, that worked"."""

from __future__ import annotations

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.detectors.base import ConversationView, Detector, Turn, fired
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class TurnsWithoutResolution(Detector):
    kind = DetectorKind.TURNS_WITHOUT_RESOLUTION
    family = Family.BEHAVIORAL
    params = {"turns": Param(ParamKind.INT, 1, 1000, per_segment=True)}

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        limit = spec.param("turns", segment)
        n = 0
        last: Turn | None = None
        for m, a in reversed(view.conv):  # back to the last reset
            if a.role == "agent" or (a.role == "customer" and a.resolved):
                break
            if a.role == "customer":
                n += 1
                last = last or (m, a)
        if n <= limit or last is None:
            return None
        ev = Evidence(
            quote=last[1].head,
            message_ref=last[0].ref,
            score=float(n),
            threshold=float(limit),
            detail=f"{n} customer turns without a resolution",
        )
        return fired(spec, segment, [ev])
