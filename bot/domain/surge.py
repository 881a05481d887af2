"""A surge is one incident (pure): many escalations opened for the same cause within a window.

    surge:
      window: 10m          # escalations of one team for the same cause opened this close together...
      threshold: 5         # ...this many of them make a surge
      words: [outage, down, "not loading", ...]   # outage words (the cause `outage`)
      labels: [model_outage]                      # trigger ids that mean an outage too
      account_specific: [billing, legal, safety, cancellation, privacy]  # categories that keep their own card
      reminder_after: 15m  # the surge's one reminder, this long after it formed

The cause of an escalation is the same error when its customer quotes an error code ("error 502",
"ERR_CONNECTION_RESET", "E4012"), else `outage` when an outage word or label is there, else none.
An account-specific issue (its category is in `account_specific`) never joins a surge: it keeps its
own card and chain whatever else is going on. Defaults: docs/policy-paging.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError

SURGE_KEYS = ("window", "threshold", "words", "labels", "account_specific", "reminder_after")
DEFAULT_WORDS = (
    "outage",
    "is down",
    "are down",
    "site down",
    "not loading",
    "won't load",
    "can't log in",
    "cannot log in",
    "can't login",
    "service unavailable",
    "everything is broken",
    "not working for anyone",
)
DEFAULT_ACCOUNT_SPECIFIC = ("billing", "legal", "safety", "cancellation", "privacy")
MAX_THRESHOLD = 1000
# "error 502", "error code: 4012", "HTTP 503", "ERR_CONNECTION_RESET", "E4012"
_ERROR = re.compile(
    r"\b(?:error|err|code|http|status)[\s:#-]*(?:code[\s:#-]*)?([0-9]{3,5}|[A-Z][A-Z0-9_]{3,40})\b"
    r"|\b(ERR_[A-Z0-9_]{3,40})\b|\b(E[0-9]{3,5})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SurgeConfig:
    window: timedelta = timedelta(minutes=10)
    threshold: int = 5
    words: tuple[str, ...] = DEFAULT_WORDS
    labels: tuple[str, ...] = ()
    account_specific: tuple[str, ...] = DEFAULT_ACCOUNT_SPECIFIC
    reminder_after: timedelta = timedelta(minutes=15)


DEFAULT_SURGE = SurgeConfig()


def error_code(text: str) -> str | None:
    """The error a customer quotes, normalised ("error 502" -> "502", "err_conn_reset" -> "ERR_CONN_RESET")."""
    for m in _ERROR.finditer(text):
        after_word, err, e_code = m.groups()
        if err or e_code:
            return (err or e_code).upper()
        if after_word and (after_word.isdigit() or after_word.isupper()):  # "error: TIMEOUT_42", not "error happened"
            return after_word.upper()
    return None


def cause_of(
    texts: Sequence[str], trigger_ids: Sequence[str], category: str, trigger_categories: Sequence[str], cfg: SurgeConfig
) -> str:
    """`error:<code>`, `outage`, or "" (no shared cause, or an account-specific issue)."""
    if category in cfg.account_specific or any(c in cfg.account_specific for c in trigger_categories if c):
        return ""
    for text in texts:
        code = error_code(text)
        if code:
            return f"error:{code}"[:64]
    lowered = [t.lower() for t in texts]
    if any(w in t for t in lowered for w in cfg.words) or any(t in cfg.labels for t in trigger_ids):
        return "outage"
    return ""


def describe(cause: str) -> str:
    """For people: 'the same error (502)' or 'an outage'."""
    if cause.startswith("error:"):
        return f"the same error ({cause.removeprefix('error:')})"
    return "an outage" if cause == "outage" else cause


def _strings(value: Any, path: tuple[str | int, ...], example: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PolicyError(path, "must be a list of non-empty strings", f"e.g. {example}")
    return tuple(v.strip().lower() if path[-1] == "words" else v.strip() for v in value)


def _duration(value: Any, path: tuple[str | int, ...]) -> timedelta:
    try:
        d = parse_duration(value)
    except ValueError as exc:
        raise PolicyError(path, str(exc), "e.g. 10m") from None
    if d <= timedelta(0):
        raise PolicyError(path, "must be longer than zero", "e.g. 10m")
    return d


def parse_surge(doc: Mapping[str, Any]) -> SurgeConfig:
    raw = doc.get("surge") if isinstance(doc, Mapping) else None
    if raw is None:
        return DEFAULT_SURGE
    path: tuple[str | int, ...] = ("surge",)
    if not isinstance(raw, Mapping):
        raise PolicyError(path, "surge must be a mapping", "e.g. surge: {window: 10m, threshold: 5}")
    for key in raw:
        if key not in SURGE_KEYS:
            raise PolicyError((*path, key), f"unknown key {key!r}", "use " + ", ".join(SURGE_KEYS))
    threshold = raw.get("threshold", DEFAULT_SURGE.threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 2 <= threshold <= MAX_THRESHOLD:
        raise PolicyError(
            (*path, "threshold"),
            f"threshold must be a whole number from 2 to {MAX_THRESHOLD}, got {threshold!r}",
            "how many escalations for one cause in the window make a surge, e.g. threshold: 5",
        )
    return SurgeConfig(
        window=_duration(raw["window"], (*path, "window")) if "window" in raw else DEFAULT_SURGE.window,
        threshold=threshold,
        words=_strings(raw["words"], (*path, "words"), "[outage, not loading]") if "words" in raw else DEFAULT_WORDS,
        labels=_strings(raw["labels"], (*path, "labels"), "[model_outage]") if "labels" in raw else (),
        account_specific=_strings(raw["account_specific"], (*path, "account_specific"), "[billing, legal]")
        if "account_specific" in raw
        else DEFAULT_ACCOUNT_SPECIFIC,
        reminder_after=_duration(raw["reminder_after"], (*path, "reminder_after"))
        if "reminder_after" in raw
        else DEFAULT_SURGE.reminder_after,
    )
