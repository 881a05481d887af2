"""Hashed word and character n-gram features, shared by training and inference (numpy only).

A text unit (a sentence, or a whole message) becomes a sparse TF-IDF vector in a space of `DIM`
buckets: words and word bigrams (accents folded, lower case) and character 2-5-grams of each word,
so that typos ("cancle", "refnd") and inflections ("cancelación", "cancelamento") share most of their
features. Hashing is zlib.crc32 (stable across processes and platforms; Python's `hash` is salted).

Language identification has features of its own: character 1-3-grams with accents kept, over the
whole message, in a smaller space (`LANG_DIM`).
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

DIM = 1 << 18
LANG_DIM = 1 << 16
MAX_TOKEN = 24  # longer "words" (hashes, URLs, hostile input) are cut
MAX_UNIT_CHARS = 2_000
MAX_LANG_CHARS = 600

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def _bucket(key: str, dim: int = DIM) -> int:
    return zlib.crc32(key.encode("utf-8")) & (dim - 1)


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case, apostrophes unified, accents removed ("Reembolsó" -> "reembolso")."""
    lowered = text.translate(_APOSTROPHES).lower()
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")


def tokens(text: str) -> list[str]:
    return [t[:MAX_TOKEN] for t in _WORD.findall(fold(text[:MAX_UNIT_CHARS]))]


# Negation scope: after one of these words (accents folded), the next NEGATION_SCOPE words, up to a
# punctuation mark, are read as negated ("not hacked", "n'a pas été piraté", "nicht gehackt"): they get
# features of their own, so "my account was not hacked" does not share its strongest features with "my
# account was hacked", and the model learns from the data what a negated word means ("wasn't me",
# "didn't make this charge" stay positive evidence).
NEGATORS = frozenset(
    [
        *("not", "no", "never", "nobody", "nothing", "cannot", "nor"),  # en (and "n't" endings)
        *("nunca", "nadie", "nada", "ni", "tampoco"),  # es (and "no")
        *("nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemand", "nichts"),  # de
        *("pas", "jamais", "rien", "aucun", "aucune"),  # fr ("ne" / "n'" come with "pas")
        *("nao", "nem", "ninguem"),  # pt (and "nunca", "nada")
        *("non", "mai", "nessuno", "niente", "nulla"),  # it
        *("niet", "geen", "nooit", "niemand", "niets"),  # nl
    ]
)
NEGATION_SCOPE = 3
_PUNCT = re.compile(r"[,.;:!?()\[\]\n]")


def negated_tokens(text: str) -> list[tuple[str, bool]]:
    """The tokens of `text`, each with whether it falls in a negation's scope."""
    folded = fold(text[:MAX_UNIT_CHARS])
    out: list[tuple[str, bool]] = []
    left = 0
    prev_end = 0
    for m in _WORD.finditer(folded):
        if left and _PUNCT.search(folded, prev_end, m.start()):
            left = 0
        tok = m.group(0)[:MAX_TOKEN]
        out.append((tok, left > 0))
        left = max(left - 1, 0)
        if tok in NEGATORS or tok.endswith("n't"):
            left = NEGATION_SCOPE
        prev_end = m.end()
    return out


@lru_cache(maxsize=200_000)
def _token_features(token: str) -> tuple[int, ...]:
    feats = [_bucket("w" + token)]
    padded = f"<{token}>"
    for n in (2, 3, 4, 5):
        feats.extend(_bucket(f"c{n}{padded[i : i + n]}") for i in range(len(padded) - n + 1))
    return tuple(feats)


@lru_cache(maxsize=200_000)
def _negated_features(token: str) -> tuple[int, ...]:
    feats = [_bucket("n" + token)]
    padded = f"<{token}>"
    for n in (3, 4):
        feats.extend(_bucket(f"m{n}{padded[i : i + n]}") for i in range(len(padded) - n + 1))
    return tuple(feats)


@lru_cache(maxsize=200_000)
def _pair_feature(a: str, b: str) -> int:
    return _bucket(f"b{a} {b}")


def unit_buckets(text: str, *, negation: bool = True) -> list[int]:
    """The (repeated) feature buckets of one text unit, before weighting. negation=False reads every
    word plainly (for what a text is about, as the knowledge-gap topics do, not what it says of it)."""
    marked = negated_tokens(text) if negation else [(tok, False) for tok in tokens(text)]
    toks = [tok for tok, _ in marked]
    out: list[int] = []
    for tok, negated in marked:
        out.extend(_negated_features(tok) if negated else _token_features(tok))
    out.extend(_pair_feature(a, b) for a, b in zip(toks, toks[1:], strict=False))
    if not toks:
        out.append(_bucket("<empty>"))
    return out


def tfidf(buckets: Iterable[int], idf: FloatArray) -> tuple[IntArray, FloatArray]:
    """Sparse L2-normalised TF-IDF (sublinear term frequency): (indices, values)."""
    arr = np.fromiter(buckets, dtype=np.int64)
    idx, counts = np.unique(arr, return_counts=True)
    vals = (1.0 + np.log(counts.astype(np.float32))) * idf[idx]
    norm = float(np.sqrt(np.dot(vals, vals)))
    if norm > 0:
        vals = vals / norm
    return idx, vals.astype(np.float32)


@lru_cache(maxsize=100_000)
def _lang_word_features(word: str) -> tuple[int, ...]:
    feats = [_bucket("w" + word, LANG_DIM)]
    padded = f" {word} "
    for n in (1, 2, 3):
        feats.extend(_bucket(f"{n}{padded[i : i + n]}", LANG_DIM) for i in range(len(padded) - n + 1))
    return tuple(feats)


def lang_buckets(text: str) -> list[int]:
    """Character 1-3-grams with accents kept, plus whole words, for language identification."""
    lowered = text[:MAX_LANG_CHARS].translate(_APOSTROPHES).lower()
    out: list[int] = []
    for w in _WORD.findall(lowered):
        if not w.isdigit():
            out.extend(_lang_word_features(w[:MAX_TOKEN]))
    return out


def lang_vector(text: str) -> tuple[IntArray, FloatArray]:
    arr = np.fromiter(lang_buckets(text), dtype=np.int64)
    if arr.size == 0:
        return arr, np.zeros(0, dtype=np.float32)
    idx, counts = np.unique(arr, return_counts=True)
    vals = np.log1p(counts.astype(np.float32))
    vals /= math.sqrt(float(np.dot(vals, vals)))
    return idx, vals.astype(np.float32)


def letters_share_latin(text: str) -> float:
    """Share of the letters of `text` in the Latin script (the seven languages are all Latin)."""
    letters = [ord(c) for c in text[:MAX_LANG_CHARS] if c.isalpha()]
    if not letters:
        return 0.0
    latin = sum(
        1 for o in letters if o < 0x250 or 0x1E00 <= o <= 0x1EFF
    )  # Basic Latin .. Extended-B, Additional
    return latin / len(letters)
