"""The `triggers:` and `segments:` policy sections: parsing, validation, defaults.

A user's `triggers:` section overrides the built-in one per trigger id and per key: giving
`triggers: {negative_sentiment: {params: {window: 4}}}` changes that one number and keeps the rest;
`enabled: false` switches a trigger off; a new id adds a rule (a phrase/regex rule unless it names
another detector). Lists (phrases, regex, unless, segments) replace the default list.

Numbers that differ by segment may be given as one value or as a mapping per segment,
e.g. `turns: {enterprise: 4, mid-market: 6, self-serve: 8}` (a missing segment takes `default`).

Every error is a PolicyError with the path into the policy document and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.domain.errors import PolicyError
from bot.domain.model import CATEGORIES, TIERS, URGENCIES
from bot.domain.triggers.defaults import DEFAULTS
from bot.domain.triggers.text import normalise

FAMILIES = ("behavioral", "contextual", "sentiment", "ai_confidence", "business")
# Segments from the least to the most sensitive: a business context moves an account up this scale.
SEGMENT_ORDER: tuple[str, ...] = ("self-serve", "mid-market", "enterprise")
assert set(SEGMENT_ORDER) == set(TIERS)

Path = tuple[str | int, ...]

# detector -> {param: (kind, min, max, per_segment_allowed)}; kind: int | float | bool
_NUM = tuple[str, float | None, float | None, bool]
DETECTORS: dict[str, dict[str, _NUM]] = {
    "human_request": {"fuzzy": ("bool", None, None, False)},
    "phrases": {},
    "repeated_question": {
        "times": ("int", 2, 100, True),
        "similarity": ("float", 50, 100, True),
        "min_words": ("int", 1, 50, False),
    },
    "turns_without_resolution": {"turns": ("int", 1, 1000, True)},
    "sentiment": {
        "window": ("int", 1, 50, False),
        "min_turns": ("int", 1, 50, False),
        "floor": ("float", -1, 1, True),
        "message_floor": ("float", -1, 1, True),
        "drop": ("float", 0, 2, True),
        "worsening_below": ("float", -1, 1, True),
    },
    "profanity": {"messages": ("int", 1, 1000, True)},
    "shouting": {
        "ratio": ("float", 0.5, 1, False),
        "min_letters": ("int", 1, 10000, False),
        "messages": ("int", 1, 1000, True),
    },
    "ai_confidence": {
        "threshold": ("float", 0, 1, True),
        "low": ("float", 0, 1, True),
        "in_a_row": ("int", 1, 100, True),
    },
    "high_value": {"shift": ("int", 0, 2, False), "raise_urgency": ("bool", None, None, False)},
    "new_account": {
        "days": ("int", 1, 3650, False),
        "shift": ("int", 0, 2, False),
        "raise_urgency": ("bool", None, None, False),
    },
    "renewal_soon": {
        "days": ("int", 0, 3650, False),
        "shift": ("int", 0, 2, False),
        "raise_urgency": ("bool", None, None, False),
    },
    "at_risk": {"shift": ("int", 0, 2, False), "raise_urgency": ("bool", None, None, False)},
    "cooling_period": {
        "hours": ("float", 0, 24 * 365, False),
        "shift": ("int", 0, 2, False),
        "raise_urgency": ("bool", None, None, False),
        "route_to_last_handler": ("bool", None, None, False),
    },
}
BUSINESS_DETECTORS = frozenset({"high_value", "new_account", "renewal_soon", "at_risk", "cooling_period"})
# Detectors that take word lists (phrases/regex/unless/words).
LIST_KEYS = {"phrases": ("phrases",), "profanity": ("phrases",)}
TRIGGER_KEYS = (
    "family",
    "detector",
    "enabled",
    "escalate",
    "urgency",
    "category",
    "segments",
    "reason",
    "negation",
    "phrases",
    "regex",
    "unless",
    "params",
)
SEGMENT_KEYS = ("min_mrr", "label")


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


@dataclass(frozen=True)
class TriggerSpec:
    id: str
    family: str
    detector: str
    enabled: bool
    escalate: bool  # False: a category hint (contextual) that never escalates on its own
    urgency: PerSegment
    category: str | None
    segments: frozenset[str]
    reason: str
    negation: bool
    params: Mapping[str, PerSegment]
    matcher: PhraseMatcher | None = None
    order: int = 0

    def param(self, name: str, segment: str) -> Any:
        return self.params[name].get(segment)

    def applies_to(self, segment: str) -> bool:
        return segment in self.segments


@dataclass(frozen=True)
class SegmentSpec:
    name: str
    min_mrr: float | None = None
    label: str = ""


@dataclass(frozen=True)
class EngineConfig:
    """The parsed `triggers:` and `segments:` sections, ready to run."""

    triggers: tuple[TriggerSpec, ...]
    segments: tuple[SegmentSpec, ...]
    fingerprint: str  # changes when the effective policy changes: stored analyses older than it are stale
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def trigger(self, trigger_id: str) -> TriggerSpec:
        for t in self.triggers:
            if t.id == trigger_id:
                return t
        raise KeyError(trigger_id)

    def segment_of(self, tier: str, mrr: float | None) -> str:
        """The account's segment: its tier, promoted by MRR when a segment sets `min_mrr`."""
        base = tier if tier in SEGMENT_ORDER else "self-serve"
        best = SEGMENT_ORDER.index(base)
        if mrr is not None:
            for spec in self.segments:
                if spec.min_mrr is not None and mrr >= spec.min_mrr:
                    best = max(best, SEGMENT_ORDER.index(spec.name))
        return SEGMENT_ORDER[best]


# ---------------------------------------------------------------- helpers


def _type_name(value: Any) -> str:
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


def _expect_mapping(value: Any, path: Path, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(
            path, f"{what} must be a mapping, got {_type_name(value)}", "write `key: value` lines under it"
        )
    for key in value:
        if not isinstance(key, str):
            raise PolicyError((*path, str(key)), f"keys must be text, got {_type_name(key)}")
    return value


def _check_keys(
    value: Mapping[str, Any], allowed: tuple[str, ...] | list[str], path: Path, what: str
) -> None:
    for key in value:
        if key not in allowed:
            raise PolicyError(
                (*path, key), f"unknown key {key!r} in {what}", "allowed: " + ", ".join(allowed)
            )


def _number(value: Any, kind: str, lo: float | None, hi: float | None, path: Path) -> Any:
    if kind == "bool":
        if not isinstance(value, bool):
            raise PolicyError(path, f"must be true or false, got {_type_name(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(
            path, f"must be {'a whole number' if kind == 'int' else 'a number'}, got {_type_name(value)}"
        )
    if kind == "int" and not float(value).is_integer():
        raise PolicyError(path, f"must be a whole number, got {value}")
    if value != value:  # NaN
        raise PolicyError(path, "must be a number, got NaN")
    rng = f"from {lo:g} to {hi:g}" if lo is not None and hi is not None else ""
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise PolicyError(path, f"{value} is out of range", f"allowed: {rng}")
    return int(value) if kind == "int" else float(value)


def _per_segment(value: Any, spec: _NUM, path: Path) -> PerSegment:
    kind, lo, hi, per_seg = spec
    if isinstance(value, Mapping):
        if not per_seg:
            raise PolicyError(path, "this value cannot differ by segment", "give one value")
        allowed = (*SEGMENT_ORDER, "default")
        _check_keys(_expect_mapping(value, path, "a per-segment value"), allowed, path, "a per-segment value")
        default = value.get("default")
        if default is not None:
            default = _number(default, kind, lo, hi, (*path, "default"))
        out = []
        for seg in SEGMENT_ORDER:
            if seg in value:
                out.append((seg, _number(value[seg], kind, lo, hi, (*path, seg))))
            elif default is not None:
                out.append((seg, default))
            else:
                raise PolicyError(path, f"no value for segment {seg!r}", "give every segment or a `default`")
        return PerSegment(tuple(out))
    v = _number(value, kind, lo, hi, path)
    return PerSegment(tuple((seg, v) for seg in SEGMENT_ORDER))


def _urgency(value: Any, path: Path) -> PerSegment:
    def one(v: Any, p: Path) -> str:
        if v not in URGENCIES:
            raise PolicyError(p, f"unknown urgency {v!r}", "allowed: " + " | ".join(URGENCIES))
        return str(v)

    if isinstance(value, Mapping):
        _check_keys(value, (*SEGMENT_ORDER, "default"), path, "a per-segment urgency")
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


def _str_list(value: Any, path: Path, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise PolicyError(path, f"{what} must be a list of text, got {_type_name(value)}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise PolicyError(
                (*path, i), f"each entry of {what} must be non-empty text, got {_type_name(item)}"
            )
        out.append(item)
    return out


def _phrase_regex(phrases: list[str], path: Path) -> re.Pattern[str] | None:
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


def _anchors(phrases: list[str]) -> frozenset[str] | None:
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


def _regexes(value: Any, path: Path) -> tuple[re.Pattern[str], ...]:
    out = []
    for i, pattern in enumerate(_str_list(value, path, "regex")):
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


# ---------------------------------------------------------------- parsing


def _merge(base: Mapping[str, Any] | None, over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base or {})
    for key, value in over.items():
        if key == "params" and isinstance(value, Mapping) and isinstance(out.get("params"), Mapping):
            merged = dict(out["params"])
            merged.update(value)
            out["params"] = merged
        else:
            out[key] = value
    return out


def _parse_trigger(
    tid: str, body: Mapping[str, Any], path: Path, order: int, defaults: Mapping[str, Any] | None
) -> TriggerSpec:
    _check_keys(body, TRIGGER_KEYS, path, f"trigger {tid!r}")
    if not re.fullmatch(r"[a-z][a-z0-9_\-]{0,63}", tid):
        raise PolicyError(
            path, f"bad trigger id {tid!r}", "lower-case letters, digits, _ and -, starting with a letter"
        )
    detector = body.get("detector", "phrases")
    if detector not in DETECTORS:
        raise PolicyError(
            (*path, "detector"), f"unknown detector {detector!r}", "allowed: " + ", ".join(DETECTORS)
        )
    family = body.get("family", "business" if detector in BUSINESS_DETECTORS else "contextual")
    if family not in FAMILIES:
        raise PolicyError((*path, "family"), f"unknown family {family!r}", "allowed: " + ", ".join(FAMILIES))
    if (detector in BUSINESS_DETECTORS) != (family == "business"):
        raise PolicyError(
            (*path, "family"),
            f"detector {detector!r} does not belong to family {family!r}",
            "business detectors: " + ", ".join(sorted(BUSINESS_DETECTORS)),
        )
    flags = {}
    for key, dflt in (("enabled", True), ("escalate", True), ("negation", True)):
        v = body.get(key, dflt)
        if not isinstance(v, bool):
            raise PolicyError((*path, key), f"must be true or false, got {_type_name(v)}")
        flags[key] = v
    urgency = _urgency(body.get("urgency", "queued"), (*path, "urgency"))
    category = body.get("category")
    if category is not None and category not in CATEGORIES:
        raise PolicyError(
            (*path, "category"),
            f"unknown category {category!r}",
            "allowed: " + ", ".join(CATEGORIES) + ", or null for the conversation's category",
        )
    if not flags["escalate"] and category is None and detector == "phrases":
        raise PolicyError(
            (*path, "category"),
            "a rule with `escalate: false` only hints a category, so it needs one",
            "allowed: " + ", ".join(CATEGORIES),
        )
    seg_value = body.get("segments", ["all"])
    segs = _str_list(seg_value, (*path, "segments"), "segments")
    for i, s in enumerate(segs):
        if s != "all" and s not in SEGMENT_ORDER:
            raise PolicyError(
                (*path, "segments", i), f"unknown segment {s!r}", "allowed: all, " + ", ".join(SEGMENT_ORDER)
            )
    segments = frozenset(SEGMENT_ORDER) if "all" in segs else frozenset(segs)
    reason = body.get("reason", tid.replace("_", " ").capitalize())
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError(
            (*path, "reason"),
            f"must be non-empty text, got {_type_name(reason)}",
            "a plain-language sentence for the card",
        )
    if len(reason) > 150:
        raise PolicyError(
            (*path, "reason"), f"is {len(reason)} characters long", "at most 150: it goes on the card"
        )

    params_raw = _expect_mapping(body.get("params", {}), (*path, "params"), "params")
    allowed = DETECTORS[detector]
    _check_keys(
        params_raw,
        list(allowed) or ["(none for this detector)"],
        (*path, "params"),
        f"params of detector {detector!r}",
    )
    default_params = (defaults or {}).get("params") or {}
    params: dict[str, PerSegment] = {}
    for name, spec in allowed.items():
        if name in params_raw:
            params[name] = _per_segment(params_raw[name], spec, (*path, "params", name))
        elif name in default_params:
            params[name] = _per_segment(default_params[name], spec, (*path, "params", name))
        else:
            raise PolicyError(
                (*path, "params", name),
                f"missing parameter {name!r} for detector {detector!r}",
                "required: " + ", ".join(allowed),
            )

    matcher = None
    has_lists = any(k in body for k in ("phrases", "regex", "unless"))
    if detector in ("phrases", "profanity"):
        phrases = _str_list(body.get("phrases", []), (*path, "phrases"), "phrases")
        regexes = _regexes(body.get("regex", []), (*path, "regex"))
        unless = _str_list(body.get("unless", []), (*path, "unless"), "unless")
        if not phrases and not regexes:
            raise PolicyError(
                path,
                f"trigger {tid!r} has neither `phrases` nor `regex`",
                "give at least one phrase or regular expression",
            )
        matcher = PhraseMatcher(
            phrases=_phrase_regex(phrases, (*path, "phrases")),
            regexes=regexes,
            unless=_phrase_regex(unless, (*path, "unless")),
            anchors=_anchors(phrases),
        )
    elif has_lists:
        key = next(k for k in ("phrases", "regex", "unless") if k in body)
        raise PolicyError(
            (*path, key),
            f"detector {detector!r} takes no `{key}`",
            "only `phrases` and `profanity` rules take word lists",
        )

    return TriggerSpec(
        id=tid,
        family=family,
        detector=detector,
        enabled=flags["enabled"],
        escalate=flags["escalate"] and detector not in BUSINESS_DETECTORS,
        urgency=urgency,
        category=category,
        segments=segments,
        reason=reason.strip(),
        negation=flags["negation"],
        params=params,
        matcher=matcher,
        order=order,
    )


def _parse_segments(raw: Any, path: Path) -> tuple[SegmentSpec, ...]:
    raw = _expect_mapping(raw, path, "segments")
    _check_keys(raw, SEGMENT_ORDER, path, "segments")
    out = []
    for name in SEGMENT_ORDER:
        body = raw.get(name) or {}
        body = _expect_mapping(body, (*path, name), f"segment {name!r}")
        _check_keys(body, SEGMENT_KEYS, (*path, name), f"segment {name!r}")
        min_mrr = body.get("min_mrr")
        if min_mrr is not None:
            min_mrr = _number(min_mrr, "float", 0, None, (*path, name, "min_mrr"))
        label = body.get("label", name)
        if not isinstance(label, str):
            raise PolicyError((*path, name, "label"), f"must be text, got {_type_name(label)}")
        out.append(SegmentSpec(name=name, min_mrr=min_mrr, label=label))
    return tuple(out)


def _build(
    triggers_doc: Mapping[str, Any], segments_doc: Any, defaults: Mapping[str, Any] | None
) -> EngineConfig:
    specs = []
    merged_doc: dict[str, Any] = {}
    for order, (tid, body) in enumerate(triggers_doc.items()):
        path: Path = ("triggers", tid)
        if body is None:
            body = {}
        body = _expect_mapping(body, path, f"trigger {tid!r}")
        base = (defaults or {}).get(tid)
        merged = _merge(base, body)
        merged_doc[tid] = merged
        specs.append(_parse_trigger(tid, merged, path, order, base))
    segments = _parse_segments(segments_doc if segments_doc is not None else {}, ("segments",))
    canon = json.dumps({"triggers": merged_doc, "segments": segments_doc}, sort_keys=True, default=str)
    fp = hashlib.sha256(canon.encode()).hexdigest()[:16]
    return EngineConfig(
        triggers=tuple(specs),
        segments=segments,
        fingerprint=fp,
        raw={"triggers": merged_doc, "segments": segments_doc},
    )


def _default_doc() -> dict[str, Any]:
    return DEFAULTS


def default_document() -> dict[str, Any]:
    """A copy of the built-in `triggers:` and `segments:` sections (plain data)."""
    return json.loads(json.dumps(_default_doc()))


@lru_cache(maxsize=1)
def default_engine_config() -> EngineConfig:
    """The built-in trigger matrix (bot/policies/triggers.yaml), parsed once."""
    doc = _default_doc()
    return _build(doc["triggers"], doc["segments"], None)


def parse_engine_config(doc: Mapping[str, Any]) -> EngineConfig:
    """Parse the `triggers:` and `segments:` sections of a whole policy document.

    A missing section takes the built-in defaults; a given `triggers:` section overrides the defaults
    per trigger id (see the module docstring). Raises PolicyError(path, message, hint).
    """
    if not isinstance(doc, Mapping):
        raise PolicyError((), f"the policy must be a mapping, got {_type_name(doc)}")
    defaults = _default_doc()
    user_triggers = doc.get("triggers")
    user_segments = doc.get("segments")
    if user_triggers is None and user_segments is None:
        return default_engine_config()
    if user_triggers is not None:
        user_triggers = _expect_mapping(user_triggers, ("triggers",), "triggers")
    triggers: dict[str, Any] = dict(defaults["triggers"])  # built-in order first, new ids after
    for tid, body in (user_triggers or {}).items():
        if body is None:
            raise PolicyError(
                ("triggers", tid),
                f"trigger {tid!r} is empty",
                "give its keys, or `enabled: false` to switch it off",
            )
        triggers[tid] = body
    segments_doc: Any = dict(defaults["segments"])
    if user_segments is not None:
        user_segments = _expect_mapping(user_segments, ("segments",), "segments")
        for name, body in user_segments.items():
            if name not in SEGMENT_ORDER:
                raise PolicyError(
                    ("segments", name), f"unknown segment {name!r}", "allowed: " + ", ".join(SEGMENT_ORDER)
                )
            if body is not None and not isinstance(body, Mapping):
                raise PolicyError(
                    ("segments", name), f"segment {name!r} must be a mapping, got {_type_name(body)}"
                )
            segments_doc[name] = {**(segments_doc.get(name) or {}), **(body or {})}
    return _build(triggers, segments_doc, defaults["triggers"])
