"""The judgment model's contract: what the trigger engine may ask of it.

The engine never imports a concrete model; it is handed a `Classifier` (pure: inference only, the
weights are read once from the package). `bot.domain.nlu.load_classifier()` returns the packaged
one, loaded lazily and cached, so `baton --help` never pays for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Label(StrEnum):
    """What the model recognises in one customer message (multi-label)."""

    HUMAN_REQUEST = "human_request"
    FRUSTRATION = "frustration"
    BILLING_DISPUTE = "billing_dispute"
    CANCELLATION = "cancellation"
    DATA_DELETION = "data_deletion"
    SECURITY_INCIDENT = "security_incident"
    SAFETY = "safety"  # self-harm, danger to life or property, severe distress, bereavement
    LEGAL_THREAT = "legal_threat"
    COMPLIANCE = "compliance"
    OUTAGE = "outage"
    ROUTINE = "routine"


# Languages the model and the customer templates support (ISO 639-1); "und" when unsure.
LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr", "pt", "it", "nl")
UNDETERMINED = "und"


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's view of one customer message.

    scores: calibrated probability per label, independent (multi-label; they need not sum to 1).
    evidence: per label, the sentence of the message that drove its score (verbatim, trimmed).
    language: ISO 639-1 code from LANGUAGES, or UNDETERMINED.
    vector: an L2-normalised representation of what the message asks; the cosine of two vectors
        is high when two messages ask the same thing in other words (repeated-question check).
    """

    scores: Mapping[Label, float]
    language: str = UNDETERMINED
    evidence: Mapping[Label, str] = field(default_factory=dict)
    vector: tuple[float, ...] = ()

    def score(self, label: Label) -> float:
        return float(self.scores.get(label, 0.0))


class Classifier(Protocol):
    """A model that reads customer messages. `version` is recorded on every escalation it decides."""

    @property
    def version(self) -> str: ...

    def predict(self, text: str) -> Prediction: ...
