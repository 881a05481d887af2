"""The local judgment model (see api.py for the contract and docs/model.md for the model card)."""

from bot.domain.nlu.api import LANGUAGES, UNDETERMINED, Classifier, Label, Prediction

__all__ = ["LANGUAGES", "UNDETERMINED", "Classifier", "Label", "Prediction"]
