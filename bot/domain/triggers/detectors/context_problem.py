"""A real problem from an account whose business context matters (enterprise, renewing, at risk, new).

Fires (queued by default) when one of those contexts holds and a customer message reports a real
problem, by either of two readings:

- the model: the message scores at least `threshold` on a problem label (every label but `routine`
  and `human_request`) and more on it than on `routine` — a milder problem than the labels' own
  thresholds need;
- the words (`words: true`, problem_report.py): the message says something is not working, in any of
  the seven languages ("our admins are locked out", "varios usuarios no pueden exportar los
  informes", "onze beheerders kunnen niet meer inloggen", "the numbers don't match our CRM",
  "notifications have been delayed"), which a how-to question ("how do I export a report?") does not,
  and it reaches more than one person or has lasted ("our admins", "varios usuarios", "since the
  update", "all week", "again"), or it is still there after an AI answer. One person's first
  "my teammate can't see the shared folder" is left to the AI.

So "our admins are locked out" from a $80k-MRR account reaches a human while the same words from a
self-serve account are left to the AI. The cooling period does not count as context here, and a
message that also says the problem is solved ("that fixed it, thanks") does not count.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.model import Evidence, FiredTrigger, Message
from bot.domain.nlu.api import Label
from bot.domain.triggers.analysis import LIKELY, Hit, MessageAnalysis
from bot.domain.triggers.detectors.base import ConversationView, Detector, MessageInput, fired, head
from bot.domain.triggers.detectors.problem_report import says_problem, says_reach
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind

PROBLEM_LABELS: tuple[str, ...] = tuple(
    str(x) for x in Label if x not in (Label.ROUTINE, Label.HUMAN_REQUEST)
)
ROUTINE = str(Label.ROUTINE)
REACH_MARK = " · "  # a problem report's words, then what says it reaches further or has lasted
CONTEXTS = frozenset(
    {DetectorKind.HIGH_VALUE, DetectorKind.NEW_ACCOUNT, DetectorKind.RENEWAL_SOON, DetectorKind.AT_RISK}
)


class ContextProblem(Detector):
    kind = DetectorKind.CONTEXT_PROBLEM
    family = Family.CONTEXTUAL
    context_only = True
    params = {
        "threshold": Param(ParamKind.FLOAT, LIKELY, 1, per_segment=True),
        "words": Param(ParamKind.BOOL, per_segment=True, default=True),
    }

    def scan(self, spec: TriggerSpec, msg: MessageInput) -> Iterable[Hit]:
        words = says_problem(msg.raw)
        if not words:
            return ()
        reach = says_reach(msg.raw)
        return [Hit(spec.id, head(msg.raw), f"{words}{REACH_MARK}{reach}" if reach else words)]

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        contexts = [detail for ctx, detail in view.contexts if ctx.detector in CONTEXTS]
        if not contexts:
            return None
        threshold = spec.param("threshold", segment)
        best: tuple[float, str, Message, MessageAnalysis] | None = None
        for label in PROBLEM_LABELS:
            for m, a, p in view.labels.get(label, ()):
                # more problem than routine: "thanks, that was it" is not a problem, whatever else it scores
                if (
                    p >= threshold
                    and p > a.score(ROUTINE)
                    and not a.resolved
                    and (best is None or p > best[0])
                ):
                    best = (p, label, m, a)
        if best is not None:
            p, label, m, a = best
            ev = Evidence(
                quote=a.sentence(label) or a.head,
                message_ref=m.ref,
                score=p,
                threshold=threshold,
                detail=f"{label} {p:.2f} ≥ {threshold:.2f} with {'; '.join(contexts)}",
            )
            return fired(spec, segment, [ev])
        if not spec.param("words", segment):
            return None
        resolved = {m.ref for m, a in view.customers if a.resolved}
        first_answer = next((i for i, (_, a) in enumerate(view.conv) if a.role == "ai"), len(view.conv))
        after_an_answer = {m.ref for m, _ in view.conv[first_answer:]}
        # one person's snag on first mention is the AI's to try; more people, a time ("since the
        # update", "all week", "again") or a problem still there after an answer is a human's
        reports = [
            (m, h)
            for m, h in view.hits.get(spec.id, ())
            if m.ref not in resolved and (REACH_MARK in h.detail or m.ref in after_an_answer)
        ]
        if not reports:
            return None
        m, h = reports[-1]
        ev = Evidence(
            quote=h.quote,
            message_ref=m.ref,
            detail=f"a problem report (“{h.detail}”) with {'; '.join(contexts)}",
        )
        return fired(spec, segment, [ev])
