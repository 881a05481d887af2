"""The local judgment model (see api.py for the contract and docs/model.md for the model card).

`load_classifier()` reads the packaged weights once (numpy is imported then, not when this package
is), so importing the contract costs nothing and `baton --help` never loads the model.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module, resources

from bot.domain.nlu.api import LANGUAGES, UNDETERMINED, Classifier, Label, Prediction
from bot.domain.nlu.preprocess import sentences, visible_text

WEIGHTS_PACKAGE = "bot.domain.nlu"
WEIGHTS_FILE = "weights/model.npz"


def weights_bytes() -> bytes:
    """The packaged weights file (the one read the pure core allows itself)."""
    return (resources.files(WEIGHTS_PACKAGE) / WEIGHTS_FILE).read_bytes()


@cache
def load_classifier() -> Classifier:
    """The packaged classifier, loaded on first use and shared (it is immutable and thread-safe)."""
    # Imported here on purpose: numpy and the weights load only when a model is wanted.
    model = import_module("bot.domain.nlu.model")
    data = weights_bytes()
    classifier: Classifier = model.LinearClassifier(
        model.Weights.from_bytes(data), digest=model.weights_digest(data)
    )
    return classifier


__all__ = [
    "LANGUAGES",
    "UNDETERMINED",
    "Classifier",
    "Label",
    "Prediction",
    "load_classifier",
    "sentences",
    "visible_text",
    "weights_bytes",
]
