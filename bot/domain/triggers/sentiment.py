"""Per-message sentiment (VADER compound score, -1..1) and the window statistics over customer turns."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    """VADER's compound score of a message, rounded to 4 places (stable across platforms)."""
    if not text.strip():
        return 0.0
    # VADER reads at most what a human would: a very long paste is scored on its start and end.
    if len(text) > 4000:
        text = text[:2000] + " " + text[-2000:]
    analyzer = _analyzer()
    if text.isascii():
        # VADER scores only words of its lexicon; a message with none of them scores exactly 0.
        lexicon = analyzer.lexicon
        if not any(w in lexicon or w.strip(_PUNCT) in lexicon for w in text.lower().split()):
            return 0.0
    return round(float(analyzer.polarity_scores(text)["compound"]), 4)


def window_stats(scores: Sequence[float]) -> tuple[float, float]:
    """(mean, first-to-last fall) of a window of scores; the fall is positive when things got worse."""
    if not scores:
        return 0.0, 0.0
    mean = sum(scores) / len(scores)
    return round(mean, 4), round(scores[0] - scores[-1], 4)
