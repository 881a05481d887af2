"""The AI agent is unsure: an answer below `threshold`, or `in_a_row` answers below `low`."""

from __future__ import annotations

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.detectors.base import ConversationView, Detector, Turn, fired, head
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class AiConfidence(Detector):
    kind = DetectorKind.AI_CONFIDENCE
    family = Family.AI_CONFIDENCE
    params = {
        "threshold": Param(ParamKind.FLOAT, 0, 1, per_segment=True),
        "low": Param(ParamKind.FLOAT, 0, 1, per_segment=True),
        "in_a_row": Param(ParamKind.INT, 1, 100, per_segment=True),
    }

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        threshold, low, need = (
            spec.param("threshold", segment),
            spec.param("low", segment),
            spec.param("in_a_row", segment),
        )
        ev = []
        run: list[Turn] = []
        best_run: list[Turn] = []
        for m, a in view.conv:
            if a.role != "ai" or a.confidence is None:
                continue
            if a.confidence < threshold:
                ev.append(
                    Evidence(
                        quote=head(m.text),
                        message_ref=m.ref,
                        score=a.confidence,
                        threshold=threshold,
                        detail=f"AI confidence {a.confidence:.2f} < {threshold:.2f}",
                    )
                )
                ev = ev[-3:]  # only the latest are shown
            if a.confidence < low:
                run.append((m, a))
                if len(run) >= len(best_run):
                    best_run = run  # the same list while the run goes on: no copy per answer
            else:
                run = []
        if len(best_run) >= need:
            m, a = best_run[-1]
            confs = ", ".join(f"{x.confidence:.2f}" for _, x in best_run)
            ev.append(
                Evidence(
                    quote=head(m.text),
                    message_ref=m.ref,
                    score=float(len(best_run)),
                    threshold=float(need),
                    detail=f"{len(best_run)} low-confidence answers in a row ({confs} < {low:.2f})",
                )
            )
        return fired(spec, segment, ev) if ev else None
