"""What a message is about, as a small set of stemmed content words ("terms"), in seven languages.

`content_terms("How do I transfer my existing projects?", "en")` -> `("exist", "project", "transfer")`:
the words of the customer's own text (the caller passes `visible_text`), lower case, without the
function words of `stopwords.py`, each reduced to its Snowball stem in the message's language (en, es,
de, fr, pt, it, nl; English when the language is unknown), so "invoices"/"invoice",
"Rechnungsadresse"/"Rechnungsadressen", "suspended"/"suspend" are one term. Numbers are terms too
("the 15th" and "the 15th instead of the 1st" share `15`). At most MAX_TERMS terms, in order of first
appearance, then sorted.

`overlap(a, b)` is the overlap coefficient |a ∩ b| / min(|a|, |b|): 1.0 when one question's terms are
all in the other. It is a topic overlap, not a paraphrase detector: the repeated-question detector
uses it together with the dialogue's shape (an unconfident answer between, the customer saying they
ask again), see detectors/repeated_question.py and docs/model.md.

Stemming is cached per (language, word): the vocabulary of a support channel repeats, so after warm-up
a message costs a few dictionary look-ups per word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import import_module
from typing import Any

from bot.domain.triggers.stopwords import STOPWORDS

MAX_TERMS = 24
_ALGORITHMS = {
    "en": "english",
    "es": "spanish",
    "de": "german",
    "fr": "french",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
}
# Letters (any script, apostrophes inside words kept) or digits; "15th" gives "15" and "th".
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+")
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|dell|dall|nell|all|sull|un)['’]")
_MAX_CHARS = 4_000


@lru_cache(maxsize=len(_ALGORITHMS))
def _stemmer(language: str) -> Any:
    # Loaded on the first message, not at import: the package imports all its 36 stemmers (~10 ms),
    # which `baton --help` and `baton check` need not pay (as the model's weights, bot/domain/nlu).
    return import_module("snowballstemmer").stemmer(_ALGORITHMS.get(language, "english"))


@lru_cache(maxsize=50_000)
def stem(word: str, language: str) -> str:
    """The Snowball stem of a lower-case word in `language` (English for an unknown language)."""
    lang = language if language in _ALGORITHMS else "en"
    return str(_stemmer(lang).stemWord(word))


def content_terms(text: str, language: str) -> tuple[str, ...]:
    """The message's stemmed content words, sorted (see the module docstring)."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text[:_MAX_CHARS].lower()):
        token = _ELISION.sub("", token)  # l'accès -> accès, dell'azienda -> azienda
        if token.isdigit():
            seen.setdefault(token.lstrip("0") or "0", None)
        elif len(token) >= 3 and token not in STOPWORDS:
            seen.setdefault(stem(token, language), None)
        if len(seen) >= MAX_TERMS:
            break
    return tuple(sorted(seen))


def overlap(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """|a ∩ b| / min(|a|, |b|); 0.0 when either is empty."""
    if not a or not b:
        return 0.0
    shared = len(set(a).intersection(b))
    return shared / min(len(a), len(b))
