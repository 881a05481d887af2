"""A small, deterministic stand-in for the judgment model, for unit tests of the engine.

It implements the real `Classifier` contract (bot/domain/nlu/api.py): a label scores its listed
probability when one of its cue words is in a sentence of the message (the highest wins; that
sentence is the evidence), the language comes from cue words, and the meaning vector is a bag of
concepts (synonyms share an axis), L2-normalised.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from bot.domain.nlu.api import Label, Prediction

# label -> (cue, probability)
CUES: Mapping[Label, tuple[tuple[str, float], ...]] = {
    Label.HUMAN_REQUEST: (
        ("real human", 0.97),
        ("somebody phone me", 0.9),
        ("con alguien", 0.93),
        ("a person", 0.4),
    ),
    Label.SAFETY: (("can't go on", 0.95), ("smoke", 0.9), ("passed away", 0.85)),
    Label.FRUSTRATION: (
        ("ridiculous", 0.6),
        ("annoying", 0.35),
        ("still waiting", 0.45),
        ("fed up", 0.75),
        ("hmm", 0.15),
    ),
    Label.SECURITY_INCIDENT: (("logged into my account", 0.9), ("locked out", 0.35)),
    Label.BILLING_DISPUTE: (("charged us twice", 0.88),),
    Label.LEGAL_THREAT: (("lawyer", 0.8),),
    Label.COMPLIANCE: (("soc 2", 0.9),),
    Label.ROUTINE: (("how do i", 0.8),),
}
LANGUAGE_CUES = {
    "es": ("alguien", "pasan", "factura"),
    "de": ("ich", "möchte"),
    "en": ("the", "my", "i", "how"),
}
CONCEPTS = {
    "invoice": 0,
    "invoices": 0,
    "bill": 0,
    "bills": 0,
    "receipt": 0,
    "export": 1,
    "download": 1,
    "get": 1,
    "password": 2,
    "login": 2,
    "reset": 3,
    "change": 3,
    "weather": 4,
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


class FakeClassifier:
    def __init__(self, version: str = "fake-1") -> None:
        self._version = version
        self.calls = 0

    @property
    def version(self) -> str:
        return self._version

    def predict(self, text: str) -> Prediction:
        self.calls += 1
        sentences = [s for s in _SENTENCE.split(text) if s.strip()] or [text]
        scores: dict[Label, float] = {label: 0.02 for label in Label}
        evidence: dict[Label, str] = {}
        for label, cues in CUES.items():
            for sentence in sentences:
                low = sentence.lower()
                for cue, p in cues:
                    if cue in low and p > scores[label]:
                        scores[label], evidence[label] = p, sentence.strip()
        words = re.findall(r"[a-zà-ÿ]+", text.lower())
        language = "und"
        for lang, cues_ in LANGUAGE_CUES.items():
            if any(w in cues_ for w in words):
                language = lang
                break
        vec = [0.0] * 5
        for w in words:
            if w in CONCEPTS:
                vec[CONCEPTS[w]] += 1.0
        norm = math.sqrt(sum(x * x for x in vec))
        vector = tuple(x / norm for x in vec) if norm else ()
        return Prediction(scores=scores, language=language, evidence=evidence, vector=vector)
