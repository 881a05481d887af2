"""A request for a person: "can I talk to someone", "get me a human", with typos and negation."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.analysis import Hit
from bot.domain.triggers.detectors.base import ConversationView, Detector, MessageInput, fired
from bot.domain.triggers.phrases import find_human_request
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class HumanRequest(Detector):
    kind = DetectorKind.HUMAN_REQUEST
    family = Family.BEHAVIORAL
    params = {"fuzzy": Param(ParamKind.BOOL)}

    def scan(self, spec: TriggerSpec, msg: MessageInput) -> Iterable[Hit]:
        norm = msg.norm if spec.param("fuzzy", "self-serve") else msg.plain
        return [Hit(spec.id, h.quote, h.detail) for h in find_human_request(norm)[:1]]

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        found = view.hits.get(spec.id)
        if not found:
            return None
        return fired(spec, segment, [Evidence(quote=h.quote, message_ref=m.ref) for m, h in found])
