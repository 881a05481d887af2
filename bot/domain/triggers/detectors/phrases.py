"""A phrase/regex rule: fires on any of its phrases (or regexes) unless an `unless` phrase is there.

With `escalate: false` the rule never fires; its phrases only hint the conversation's category.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.analysis import Hit
from bot.domain.triggers.detectors.base import ConversationView, Detector, MessageInput, fired
from bot.domain.triggers.matching import phrase_hits
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec


class Phrases(Detector):
    kind = DetectorKind.PHRASES
    family = Family.CONTEXTUAL
    word_lists = True
    hints = True

    def scan(self, spec: TriggerSpec, msg: MessageInput) -> Iterable[Hit]:
        return phrase_hits(spec, msg.norm, msg.raw) if spec.escalate else ()

    def hint(self, spec: TriggerSpec, msg: MessageInput) -> int:
        if spec.escalate or spec.category is None or spec.matcher is None or spec.matcher.phrases is None:
            return 0
        if not phrase_hits(spec, msg.norm, msg.raw):
            return 0
        return len(spec.matcher.phrases.findall(msg.norm.text)) or 1

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        found = view.hits.get(spec.id)
        if not found:
            return None
        ev = [Evidence(quote=h.quote, message_ref=m.ref, detail=f"matched “{h.detail}”") for m, h in found]
        return fired(spec, segment, ev)
