"""The packaged judgment model: one-vs-rest logistic regression on hashed n-grams, Platt-calibrated.

Inference only (numpy). The weights are one `.npz` file inside the package (`weights/model.npz`),
rebuilt by `baton train-model`; docs/model.md is the model card.

A message is judged as the customer's own words (`visible_text`), sentence by sentence and whole:
a label's raw score is the highest any unit gets (for `routine`, the lowest: one alarming sentence
makes the message not routine), then calibrated; its evidence is the sentence that scored highest.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from bot.domain.nlu.api import UNDETERMINED, Label, Prediction
from bot.domain.nlu.features import (
    LANG_DIM,
    FloatArray,
    IntArray,
    lang_vector,
    letters_share_latin,
    tfidf,
    unit_buckets,
)
from bot.domain.nlu.preprocess import sentences, visible_text

VECTOR_DIM = 256  # the lexical part of `Prediction.vector` (signed hashing of the TF-IDF features)
OTHER_LANGUAGE = "other"  # the language classifier's class for "none of the seven"
MIN_LANGUAGE_PROBABILITY = 0.55
MIN_LANGUAGE_LETTERS = 3


@dataclass(frozen=True)
class Weights:
    labels: tuple[Label, ...]
    idf: FloatArray  # (DIM,)
    coef: FloatArray  # (DIM, labels)
    intercept: FloatArray  # (labels,)
    platt_a: FloatArray  # calibration: p = sigmoid(a * raw + b)
    platt_b: FloatArray
    languages: tuple[str, ...]  # the language classifier's classes (the seven and OTHER_LANGUAGE)
    lang_coef: FloatArray  # (LANG_DIM, languages)
    lang_intercept: FloatArray
    vector_mix: float  # weight of the label probabilities in `vector`, beside the lexical part
    base_version: str  # "baton-nlu-YYYY.MM.N"

    def to_bytes(self) -> bytes:
        meta = {
            "labels": [str(label) for label in self.labels],
            "languages": list(self.languages),
            "vector_mix": self.vector_mix,
            "base_version": self.base_version,
        }
        nz = np.flatnonzero(np.any(self.coef != 0, axis=1))  # most hash buckets were never seen
        return _npz_bytes(
            meta=np.array(json.dumps(meta, sort_keys=True)),
            idf=self.idf.astype(np.float32),
            coef_rows=nz.astype(np.int32),
            coef=self.coef[nz].astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            platt_a=self.platt_a.astype(np.float32),
            platt_b=self.platt_b.astype(np.float32),
            lang_coef=self.lang_coef.astype(np.float32),
            lang_intercept=self.lang_intercept.astype(np.float32),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Weights:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            meta: dict[str, Any] = json.loads(str(z["meta"].reshape(-1)[0]))
            idf = z["idf"].astype(np.float32)
            coef = np.zeros((idf.shape[0], len(meta["labels"])), dtype=np.float32)
            coef[z["coef_rows"]] = z["coef"]
            return cls(
                labels=tuple(Label(v) for v in meta["labels"]),
                idf=idf,
                coef=coef,
                intercept=z["intercept"],
                platt_a=z["platt_a"],
                platt_b=z["platt_b"],
                languages=tuple(meta["languages"]),
                lang_coef=z["lang_coef"],
                lang_intercept=z["lang_intercept"],
                vector_mix=float(meta["vector_mix"]),
                base_version=str(meta["base_version"]),
            )


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    """A compressed .npz with fixed timestamps, so equal weights give equal bytes (and digest)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def weights_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0))), dtype=np.float32)


def unit_vectors(units: list[str], idf: FloatArray) -> list[tuple[IntArray, FloatArray]]:
    """TF-IDF of each unit; the whole message (the last unit, when there are several) reuses the
    sentences' features instead of hashing the text again."""
    per_sentence = [unit_buckets(u) for u in (units[:-1] if len(units) > 1 else units)]
    vectors = [tfidf(b, idf) for b in per_sentence]
    if len(units) > 1:
        vectors.append(tfidf([x for b in per_sentence for x in b], idf))
    return vectors


def raw_scores(weights: Weights, units: list[str]) -> FloatArray:
    """Uncalibrated scores, one row per text unit (decision function of each one-vs-rest model)."""
    return _rows(weights, unit_vectors(units, weights.idf))


def _rows(weights: Weights, vectors: list[tuple[IntArray, FloatArray]]) -> FloatArray:
    rows = [vals @ weights.coef[idx] + weights.intercept for idx, vals in vectors]
    return np.vstack(rows).astype(np.float32)


def message_units(visible: str) -> list[str]:
    """The units a message is judged by: its sentences, and the whole when it has several."""
    parts = sentences(visible)
    if len(parts) > 1:
        return [*parts, visible]
    return parts or [visible]


def aggregate(weights: Weights, rows: FloatArray) -> tuple[FloatArray, IntArray]:
    """Message-level raw score per label and the unit that decided it (max; min for routine)."""
    best = np.argmax(rows, axis=0)
    if Label.ROUTINE in weights.labels:
        r = weights.labels.index(Label.ROUTINE)
        best[r] = int(np.argmin(rows[:, r]))
    return rows[best, np.arange(rows.shape[1])], best


def calibrate(weights: Weights, raw: FloatArray) -> FloatArray:
    return _sigmoid(weights.platt_a * raw + weights.platt_b)


class LinearClassifier:
    """`Classifier` (api.py) over packaged `Weights`. Thread-safe: it holds no mutable state."""

    def __init__(self, weights: Weights, *, digest: str) -> None:
        self.weights = weights
        self._version = f"{weights.base_version}+{digest}"
        self._predict = lru_cache(maxsize=8192)(self._predict_uncached)

    @property
    def version(self) -> str:
        return self._version

    def predict(self, text: str) -> Prediction:
        return self._predict(text)

    def language(self, text: str) -> str:
        w = self.weights
        letters = sum(1 for c in text[:200] if c.isalpha())
        if letters < MIN_LANGUAGE_LETTERS or letters_share_latin(text) < 0.5:
            return UNDETERMINED
        idx, vals = lang_vector(text)
        if idx.size == 0:
            return UNDETERMINED
        logits = vals @ w.lang_coef[idx % LANG_DIM] + w.lang_intercept
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        k = int(np.argmax(probs))
        code = w.languages[k]
        if code == OTHER_LANGUAGE or probs[k] < MIN_LANGUAGE_PROBABILITY:
            return UNDETERMINED
        return code

    def vector(self, whole: tuple[IntArray, FloatArray], probs: FloatArray) -> tuple[float, ...]:
        idx, vals = whole
        lexical = np.zeros(VECTOR_DIM, dtype=np.float32)
        signs = np.where((idx // VECTOR_DIM) % 2 == 0, 1.0, -1.0).astype(np.float32)
        np.add.at(lexical, idx % VECTOR_DIM, signs * vals)
        lexical /= max(float(np.linalg.norm(lexical)), 1e-9)
        semantic = probs / max(float(np.linalg.norm(probs)), 1e-9)
        mix = self.weights.vector_mix
        full = np.concatenate([lexical * (1.0 - mix) ** 0.5, semantic * mix**0.5])
        full /= max(float(np.linalg.norm(full)), 1e-9)
        return tuple(full.round(6).tolist())

    def _predict_uncached(self, text: str) -> Prediction:
        w = self.weights
        visible = visible_text(text)
        if not visible:
            scores: Mapping[Label, float] = {
                label: (1.0 if label is Label.ROUTINE else 0.0) for label in w.labels
            }
            return Prediction(scores=scores, language=UNDETERMINED, evidence={}, vector=())
        units = message_units(visible)
        vectors = unit_vectors(units, w.idf)
        rows = _rows(w, vectors)
        raw, _ = aggregate(w, rows)
        probs = calibrate(w, raw)
        scores = {label: round(float(p), 4) for label, p in zip(w.labels, probs, strict=True)}
        # Evidence is a sentence, never the whole message (the last unit when there are several).
        _, best = aggregate(w, rows[:-1] if len(units) > 1 else rows)
        evidence = {label: _trim(units[int(b)]) for label, b in zip(w.labels, best, strict=True)}
        return Prediction(
            scores=scores,
            language=self.language(visible),
            evidence=evidence,
            vector=self.vector(vectors[-1], probs),
        )


def _trim(sentence: str, limit: int = 200) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "\u2026"
