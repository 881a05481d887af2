"""The detector registry: one unit per DetectorKind (see base.py for what a unit defines).

Adding a detector: a DetectorKind member, a module here with its Detector subclass, one line below,
and a test in tests/domain/.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.triggers.detectors.ai_confidence import AiConfidence
from bot.domain.triggers.detectors.at_risk import AtRisk
from bot.domain.triggers.detectors.base import ConversationView, Detector, MessageInput
from bot.domain.triggers.detectors.context_problem import ContextProblem
from bot.domain.triggers.detectors.cooling_period import CoolingPeriod
from bot.domain.triggers.detectors.failed_attempts import FailedAttempts
from bot.domain.triggers.detectors.frustration_trend import FrustrationTrend
from bot.domain.triggers.detectors.high_value import HighValue
from bot.domain.triggers.detectors.human_request import HumanRequest
from bot.domain.triggers.detectors.model_label import ModelLabel
from bot.domain.triggers.detectors.new_account import NewAccount
from bot.domain.triggers.detectors.phrases import Phrases
from bot.domain.triggers.detectors.profanity import Profanity
from bot.domain.triggers.detectors.renewal_soon import RenewalSoon
from bot.domain.triggers.detectors.repeated_question import RepeatedQuestion
from bot.domain.triggers.detectors.sentiment import Sentiment
from bot.domain.triggers.detectors.shouting import Shouting
from bot.domain.triggers.detectors.turns_without_resolution import TurnsWithoutResolution
from bot.domain.triggers.spec import DetectorKind

_UNITS: tuple[Detector, ...] = (
    HumanRequest(),
    Phrases(),
    Profanity(),
    Shouting(),
    Sentiment(),
    RepeatedQuestion(),
    TurnsWithoutResolution(),
    AiConfidence(),
    HighValue(),
    NewAccount(),
    RenewalSoon(),
    AtRisk(),
    CoolingPeriod(),
    ModelLabel(),
    FrustrationTrend(),
    FailedAttempts(),
    ContextProblem(),
)

REGISTRY: Mapping[DetectorKind, Detector] = {unit.kind: unit for unit in _UNITS}
assert set(REGISTRY) == set(DetectorKind), "every DetectorKind needs exactly one unit"

__all__ = ["REGISTRY", "ConversationView", "Detector", "MessageInput"]
