"""A real problem from an account whose business context matters (enterprise, renewing, at risk, new).

Fires (queued by default) when one of those contexts holds and a customer message scores at least
`threshold` on any problem label of the model (and more than on `routine`): a milder problem than the labels' own thresholds
need, so "our admins are locked out" from a $80k-MRR account reaches a human while the same words
from a self-serve account are left to the AI. The cooling period does not count as context here.
"""

from __future__ import annotations

from bot.domain.model import Evidence, FiredTrigger, Message
from bot.domain.nlu.api import Label
from bot.domain.triggers.analysis import LIKELY, MessageAnalysis
from bot.domain.triggers.detectors.base import ConversationView, Detector, fired
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind

PROBLEM_LABELS: tuple[str, ...] = tuple(
    str(x) for x in Label if x not in (Label.ROUTINE, Label.HUMAN_REQUEST)
)
ROUTINE = str(Label.ROUTINE)
CONTEXTS = frozenset(
    {DetectorKind.HIGH_VALUE, DetectorKind.NEW_ACCOUNT, DetectorKind.RENEWAL_SOON, DetectorKind.AT_RISK}
)


class ContextProblem(Detector):
    kind = DetectorKind.CONTEXT_PROBLEM
    family = Family.CONTEXTUAL
    context_only = True
    params = {"threshold": Param(ParamKind.FLOAT, LIKELY, 1, per_segment=True)}

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        contexts = [detail for ctx, detail in view.contexts if ctx.detector in CONTEXTS]
        if not contexts:
            return None
        threshold = spec.param("threshold", segment)
        best: tuple[float, str, Message, MessageAnalysis] | None = None
        for label in PROBLEM_LABELS:
            for m, a, p in view.labels.get(label, ()):
                # more problem than routine: "thanks, that was it" is not a problem, whatever else it scores
                if p >= threshold and p > a.score(ROUTINE) and (best is None or p > best[0]):
                    best = (p, label, m, a)
        if best is None:
            return None
        p, label, m, a = best
        ev = Evidence(
            quote=a.sentence(label) or a.head,
            message_ref=m.ref,
            score=p,
            threshold=threshold,
            detail=f"{label} {p:.2f} ≥ {threshold:.2f} with {'; '.join(contexts)}",
        )
        return fired(spec, segment, [ev])
