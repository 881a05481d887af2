"""A label of the judgment model: fires when a customer message scores at least `threshold` on it,
and more on it than on `routine` (the model's own "nothing to do here": "my account was not hacked, I
just want a stronger password" may score high on security, and higher still on routine).

The trigger names its label (`label: safety`); the evidence is the sentence that drove the score,
the probability and the threshold ("safety 0.91 ≥ 0.50"). Without a classifier nothing is scored and
the trigger never fires (the phrase rules still do).
"""

from __future__ import annotations

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.nlu.api import Label
from bot.domain.triggers.analysis import LIKELY
from bot.domain.triggers.detectors.base import ConversationView, Detector, fired
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind

ROUTINE = str(Label.ROUTINE)


class ModelLabel(Detector):
    kind = DetectorKind.MODEL
    family = Family.CONTEXTUAL
    params = {"threshold": Param(ParamKind.FLOAT, LIKELY, 1, per_segment=True)}
    needs_label = True

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        assert spec.label is not None
        label = str(spec.label)
        threshold = spec.param("threshold", segment)
        ev = []
        for m, a, p in view.labels.get(label, ()):
            if p >= threshold and (label == ROUTINE or p > a.score(ROUTINE)):
                ev.append(
                    Evidence(
                        quote=a.sentence(label) or a.head,
                        message_ref=m.ref,
                        score=p,
                        threshold=threshold,
                        detail=f"{label} {p:.2f} ≥ {threshold:.2f}",
                    )
                )
        return fired(spec, segment, ev) if ev else None
