"""Typed values of the policy's trigger section: per-segment numbers, urgencies, word lists, regexes.

Each parser takes the raw YAML value and its path in the policy document, and raises PolicyError
(path, what is wrong, what is allowed) on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.errors import PolicyError
from bot.domain.model import TIERS, URGENCIES
from bot.domain.triggers.text import normalise

# Segments from the least to the most sensitive: a business context moves an account up this scale.
SEGMENT_ORDER: tuple[str, ...] = ("self-serve", "mid-market", "enterprise")
assert set(SEGMENT_ORDER) == set(TIERS)
# What the policy calls high value: the top segment, by tier or promoted there by MRR (segments.<name>.min_mrr).
# The `high_value` trigger fires for it; the report compares its CSAT with the average.
HIGH_VALUE_SEGMENT = SEGMENT_ORDER[-1]

Path = tuple[str | int, ...]


class ParamKind(StrEnum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"


@dataclass(frozen=True)
class Param:
    """One detector parameter: its kind, its allowed range and whether it may differ by segment."""

    kind: ParamKind
    lo: float | None = None
    hi: float | None = None
    per_segment: bool = False
    # used when neither the policy nor the built-in trigger of the same id gives one (a parameter added
    # to a detector later, so a policy's own trigger written before it keeps working)
    default: Any = None


@dataclass(frozen=True)
class PerSegment:
    """A number (or flag) that may differ by segment."""

    values: tuple[tuple[str, Any], ...]

    def get(self, segment: str) -> Any:
        for name, value in self.values:
            if name == segment:
                return value
        raise KeyError(segment)


@dataclass(frozen=True)
class PhraseMatcher:
    """Compiled phrase, regex and `unless` rules of one trigger."""

    phrases: re.Pattern[str] | None
    regexes: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None
    # A phrase can only match when one of its anchor words is among the message's tokens; None when a
    # phrase is all wildcards (then the regex always runs).
    anchors: frozenset[str] | None = None


# ---------------------------------------------------------------- helpers


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def expect_mapping(value: Any, path: Path, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(
            path, f"{what} must be a mapping, got {type_name(value)}", "write `key: value` lines under it"
        )
    for key in value:
        if not isinstance(key, str):
            raise PolicyError((*path, str(key)), f"keys must be text, got {type_name(key)}")
    return value


def check_keys(value: Mapping[str, Any], allowed: tuple[str, ...] | list[str], path: Path, what: str) -> None:
    for key in value:
        if key not in allowed:
            raise PolicyError(
                (*path, key), f"unknown key {key!r} in {what}", "allowed: " + ", ".join(allowed)
            )


def number(value: Any, kind: ParamKind, lo: float | None, hi: float | None, path: Path) -> Any:
    if kind is ParamKind.BOOL:
        if not isinstance(value, bool):
            raise PolicyError(path, f"must be true or false, got {type_name(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(
            path,
            f"must be {'a whole number' if kind is ParamKind.INT else 'a number'}, got {type_name(value)}",
        )
    if kind is ParamKind.INT and not float(value).is_integer():
        raise PolicyError(path, f"must be a whole number, got {value}")
    if value != value:  # NaN
        raise PolicyError(path, "must be a number, got NaN")
    rng = f"from {lo:g} to {hi:g}" if lo is not None and hi is not None else ""
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise PolicyError(path, f"{value} is out of range", f"allowed: {rng}")
    return int(value) if kind is ParamKind.INT else float(value)


def per_segment(value: Any, spec: Param, path: Path) -> PerSegment:
    kind, lo, hi, per_seg = spec.kind, spec.lo, spec.hi, spec.per_segment
    if isinstance(value, Mapping):
        if not per_seg:
            raise PolicyError(path, "this value cannot differ by segment", "give one value")
        allowed = (*SEGMENT_ORDER, "default")
        check_keys(expect_mapping(value, path, "a per-segment value"), allowed, path, "a per-segment value")
        default = value.get("default")
        if default is not None:
            default = number(default, kind, lo, hi, (*path, "default"))
        out = []
        for seg in SEGMENT_ORDER:
            if seg in value:
                out.append((seg, number(value[seg], kind, lo, hi, (*path, seg))))
            elif default is not None:
                out.append((seg, default))
            else:
                raise PolicyError(path, f"no value for segment {seg!r}", "give every segment or a `default`")
        return PerSegment(tuple(out))
    v = number(value, kind, lo, hi, path)
    return PerSegment(tuple((seg, v) for seg in SEGMENT_ORDER))


def urgency(value: Any, path: Path) -> PerSegment:
    def one(v: Any, p: Path) -> str:
        if v not in URGENCIES:
            raise PolicyError(p, f"unknown urgency {v!r}", "allowed: " + " | ".join(URGENCIES))
        return str(v)

    if isinstance(value, Mapping):
        check_keys(value, (*SEGMENT_ORDER, "default"), path, "a per-segment urgency")
        out = []
        for seg in SEGMENT_ORDER:
            if seg in value:
                out.append((seg, one(value[seg], (*path, seg))))
            elif "default" in value:
                out.append((seg, one(value["default"], (*path, "default"))))
            else:
                raise PolicyError(
                    path, f"no urgency for segment {seg!r}", "give every segment or a `default`"
                )
        return PerSegment(tuple(out))
    u = one(value, path)
    return PerSegment(tuple((seg, u) for seg in SEGMENT_ORDER))


def str_list(value: Any, path: Path, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise PolicyError(path, f"{what} must be a list of text, got {type_name(value)}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise PolicyError(
                (*path, i), f"each entry of {what} must be non-empty text, got {type_name(item)}"
            )
        out.append(item)
    return out


def phrase_regex(phrases: list[str], path: Path) -> re.Pattern[str] | None:
    """One regex over normalised text; a trailing `*` on a word matches any ending ("refund*")."""
    if not phrases:
        return None
    alts = []
    for i, phrase in enumerate(phrases):
        words = []
        for raw in phrase.split():
            star = raw.endswith("*")
            toks = normalise(raw.rstrip("*"), fuzzy=False).tokens
            toks = tuple(t for t in toks if t not in ".,!?;:")
            if not toks:
                continue
            part = " ".join(re.escape(t) for t in toks)
            words.append(part + (r"[a-z0-9]*" if star else ""))
        if not words:
            raise PolicyError((*path, i), f"phrase {phrase!r} has no words", "use letters or digits")
        alts.append(" ".join(words))
    alts.sort(key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alts) + r")(?![a-z0-9])")


def anchors_of(phrases: list[str]) -> frozenset[str] | None:
    """One exact word per phrase (its longest word without a wildcard); None if a phrase has none."""
    out = set()
    for phrase in phrases:
        words = [
            t
            for raw in phrase.split()
            if not raw.endswith("*")
            for t in normalise(raw, fuzzy=False).tokens
            if t not in ".,!?;:"
        ]
        if not words:
            return None
        out.add(max(words, key=len))
    return frozenset(out)


def regexes(value: Any, path: Path) -> tuple[re.Pattern[str], ...]:
    out = []
    for i, pattern in enumerate(str_list(value, path, "regex")):
        try:
            out.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            pos = f" at position {exc.pos}" if exc.pos is not None else ""
            raise PolicyError(
                (*path, i),
                f"bad regular expression {pattern!r}: {exc.msg}{pos}",
                "Python `re` syntax; quote it in single quotes in YAML",
            ) from None
    return tuple(out)
