"""What a parsed trigger is: its detector kind, family, urgency per segment and parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.nlu.api import Label
from bot.domain.triggers.values import PerSegment, PhraseMatcher


class DetectorKind(StrEnum):
    """Every detector a trigger can name (`detector:` in the policy); each has one unit in detectors/."""

    HUMAN_REQUEST = "human_request"
    PHRASES = "phrases"
    PROFANITY = "profanity"
    SHOUTING = "shouting"
    SENTIMENT = "sentiment"
    REPEATED_QUESTION = "repeated_question"
    TURNS_WITHOUT_RESOLUTION = "turns_without_resolution"
    AI_CONFIDENCE = "ai_confidence"
    HIGH_VALUE = "high_value"
    NEW_ACCOUNT = "new_account"
    RENEWAL_SOON = "renewal_soon"
    AT_RISK = "at_risk"
    COOLING_PERIOD = "cooling_period"
    MODEL = "model"
    FRUSTRATION_TREND = "frustration_trend"
    FAILED_ATTEMPTS = "failed_attempts"
    CONTEXT_PROBLEM = "context_problem"


class Family(StrEnum):
    BEHAVIORAL = "behavioral"
    CONTEXTUAL = "contextual"
    SENTIMENT = "sentiment"
    AI_CONFIDENCE = "ai_confidence"
    BUSINESS = "business"


@dataclass(frozen=True)
class TriggerSpec:
    id: str
    family: Family
    detector: DetectorKind
    enabled: bool
    escalate: bool  # False: a category hint (contextual) that never escalates on its own
    urgency: PerSegment
    category: str | None
    segments: frozenset[str]
    reason: str
    negation: bool
    params: Mapping[str, PerSegment]
    matcher: PhraseMatcher | None = None
    order: int = 0
    label: Label | None = None  # `detector: model`: the model label this trigger reads

    def param(self, name: str, segment: str) -> Any:
        return self.params[name].get(segment)

    def applies_to(self, segment: str) -> bool:
        return segment in self.segments
