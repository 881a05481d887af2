"""Fit the judgment model: one-vs-rest logistic regression, Platt calibration, a language classifier.

Needs the `train` extra (scikit-learn, scipy). Inference never imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bot.domain.nlu.api import LANGUAGES, Label
from bot.domain.nlu.features import DIM, LANG_DIM, FloatArray, lang_buckets, unit_buckets
from bot.domain.nlu.model import OTHER_LANGUAGE, Weights, aggregate, message_units, raw_scores
from bot.domain.nlu.preprocess import visible_text
from bot.training.data import OTHER, Example

BASE_VERSION = "baton-nlu-2026.12.3"
LABELS: tuple[Label, ...] = tuple(Label)
C = 8.0  # inverse regularisation of the label models (chosen on the held-out split, see docs/model.md)
LANG_C = 20.0
VECTOR_MIX = 0.35


def _rows(texts: Sequence[str], dim: int, buckets_of: Callable[[str], list[int]]) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for text in texts:
        idx, counts = np.unique(np.fromiter(buckets_of(text), dtype=np.int64), return_counts=True)
        indices.extend(idx.tolist())
        data.extend(counts.tolist())
        indptr.append(len(indices))
    return sparse.csr_matrix((np.array(data, dtype=np.float64), indices, indptr), shape=(len(texts), dim))


def _tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    x = counts.copy()
    x.data = 1.0 + np.log(x.data)
    x = x.multiply(idf.reshape(1, -1)).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ x


def _idf(counts: sparse.csr_matrix) -> np.ndarray:
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def _targets(examples: Sequence[Example]) -> np.ndarray:
    return np.array([[label in ex.labels for label in LABELS] for ex in examples], dtype=np.int8)


def _used_columns(x: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Only the hash buckets that occur: the solvers' cost grows with the number of columns."""
    used = np.unique(x.indices)
    return x[:, used].tocsr(), used


def _fit_labels(x_full: sparse.csr_matrix, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    x, used = _used_columns(x_full)
    coef = np.zeros((x_full.shape[1], y.shape[1]), dtype=np.float32)
    intercept = np.zeros(y.shape[1], dtype=np.float32)
    for k in range(y.shape[1]):
        if y[:, k].min() == y[:, k].max():  # a label with no positives in a tiny sample
            intercept[k] = 8.0 if y[0, k] else -8.0
            continue
        lr = LogisticRegression(
            C=c, solver="liblinear", class_weight="balanced", max_iter=2000, random_state=0
        )
        lr.fit(x, y[:, k])
        coef[used, k] = lr.coef_[0]
        intercept[k] = lr.intercept_[0]
    return coef, intercept


def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if y.min() == y.max():
        return 1.0, 0.0
    lr = LogisticRegression(C=100.0, solver="lbfgs", max_iter=1000)
    lr.fit(raw.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _partial_weights(idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> Weights:
    n = len(LABELS)
    return Weights(
        labels=LABELS,
        idf=idf,
        coef=coef,
        intercept=intercept,
        platt_a=np.ones(n, dtype=np.float32),
        platt_b=np.zeros(n, dtype=np.float32),
        languages=(*LANGUAGES, OTHER_LANGUAGE),
        lang_coef=np.zeros((LANG_DIM, len(LANGUAGES) + 1), dtype=np.float32),
        lang_intercept=np.zeros(len(LANGUAGES) + 1, dtype=np.float32),
        vector_mix=VECTOR_MIX,
        base_version=BASE_VERSION,
    )


def message_raw(weights: Weights, texts: Sequence[str]) -> FloatArray:
    """Message-level raw scores exactly as inference computes them (sentences + whole, aggregated)."""
    out = np.zeros((len(texts), len(weights.labels)), dtype=np.float32)
    for i, text in enumerate(texts):
        visible = visible_text(text) or text
        out[i], _ = aggregate(weights, raw_scores(weights, message_units(visible)))
    return out


def fit(examples: Sequence[Example], *, c: float = C, folds: int = 3) -> Weights:
    """Train on `examples` (already augmented); calibrate on out-of-fold message-level scores."""
    labelled = [ex for ex in examples if ex.language != OTHER]
    texts = [visible_text(ex.text) or ex.text for ex in labelled]
    y = _targets(labelled)
    counts = _rows(texts, DIM, unit_buckets)
    idf = _idf(counts)
    x = _tfidf(counts, idf)

    # Out-of-fold raw scores for calibration (folds stratified on the rarest label of each example).
    raw = np.zeros(y.shape, dtype=np.float32)
    strata = np.array([int(np.flatnonzero(row)[0]) if row.any() else 0 for row in y])
    n_folds = max(2, min(folds, int(np.bincount(strata).min()) if len(set(strata)) > 1 else 2))
    if len(labelled) >= 4 * n_folds:
        for tr, te in StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=0).split(x, strata):
            coef_f, icpt_f = _fit_labels(x[tr], y[tr], c)
            raw[te] = message_raw(_partial_weights(idf, coef_f, icpt_f), [texts[i] for i in te])
    coef, intercept = _fit_labels(x, y, c)
    if not raw.any():
        raw = message_raw(_partial_weights(idf, coef, intercept), texts)
    platt = [_platt(raw[:, k], y[:, k]) for k in range(len(LABELS))]

    lang_coef, lang_intercept, languages = _fit_languages(examples)
    return Weights(
        labels=LABELS,
        idf=idf,
        coef=coef,
        intercept=intercept,
        platt_a=np.array([a for a, _ in platt], dtype=np.float32),
        platt_b=np.array([b for _, b in platt], dtype=np.float32),
        languages=languages,
        lang_coef=lang_coef,
        lang_intercept=lang_intercept,
        vector_mix=VECTOR_MIX,
        base_version=BASE_VERSION,
    )


def _fit_languages(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    languages = (*LANGUAGES, OTHER_LANGUAGE)
    code = {lang: i for i, lang in enumerate(languages)}
    texts = [ex.text for ex in examples]
    y = np.array([code[OTHER_LANGUAGE if ex.language == OTHER else ex.language] for ex in examples])
    counts = _rows(texts, LANG_DIM, lang_buckets)
    x = counts.copy()
    x.data = np.log1p(x.data)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x, used = _used_columns((sparse.diags(1.0 / norms) @ x).tocsr())
    coef = np.zeros((LANG_DIM, len(languages)), dtype=np.float32)
    intercept = np.zeros(len(languages), dtype=np.float32)
    present = sorted(set(y.tolist()))
    if len(present) < 2:
        return coef, intercept, languages
    lr = LogisticRegression(C=LANG_C, solver="lbfgs", max_iter=3000)
    lr.fit(x, y)
    for j, cls in enumerate(lr.classes_):
        coef[used, cls] = lr.coef_[j] if len(lr.classes_) > 2 else (lr.coef_[0] if j == 1 else -lr.coef_[0])
        intercept[cls] = (
            lr.intercept_[j] if len(lr.classes_) > 2 else (lr.intercept_[0] if j == 1 else -lr.intercept_[0])
        )
    missing = [i for i in range(len(languages)) if i not in present]
    intercept[missing] = -30.0
    return coef, intercept, languages
