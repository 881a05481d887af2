"""Swearing in at least `messages` customer messages (a word list, per segment)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.analysis import Hit
from bot.domain.triggers.detectors.base import ConversationView, Detector, MessageInput, fired
from bot.domain.triggers.matching import phrase_hits
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind


class Profanity(Detector):
    kind = DetectorKind.PROFANITY
    family = Family.SENTIMENT
    params = {"messages": Param(ParamKind.INT, 1, 1000, per_segment=True)}
    word_lists = True

    def scan(self, spec: TriggerSpec, msg: MessageInput) -> Iterable[Hit]:
        return phrase_hits(spec, msg.norm, msg.raw)

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        need = spec.param("messages", segment)
        found = view.hits.get(spec.id)
        if not found or len(found) < need:  # at most one hit per message
            return None
        n = len(found)
        ev = [
            Evidence(
                quote=h.quote,
                message_ref=m.ref,
                score=float(n),
                threshold=float(need),
                detail=f"profanity in {n} message{'s' if n != 1 else ''}",
            )
            for m, h in found
        ]
        return fired(spec, segment, ev)
