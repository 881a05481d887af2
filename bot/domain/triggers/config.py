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

import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from bot.domain.errors import PolicyError
from bot.domain.model import CATEGORIES
from bot.domain.nlu.api import Classifier, Label
from bot.domain.triggers.defaults import DEFAULTS
from bot.domain.triggers.detectors import REGISTRY
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import (
    HIGH_VALUE_SEGMENT,
    SEGMENT_ORDER,
    ParamKind,
    Path,
    PerSegment,
    PhraseMatcher,
    anchors_of,
    check_keys,
    expect_mapping,
    number,
    per_segment,
    phrase_regex,
    regexes,
    str_list,
    type_name,
    urgency,
)

FAMILIES: tuple[str, ...] = tuple(Family)
BUSINESS_DETECTORS = frozenset(kind for kind, unit in REGISTRY.items() if unit.business)
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
    "label",
)
SEGMENT_KEYS = ("min_mrr", "label")


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
    fingerprint: str  # changes when the policy or the model changes: stored analyses older than it are stale
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The judgment model the engine is handed (None: rules only; `detector: model` triggers never fire).
    classifier: Classifier | None = field(default=None, compare=False, repr=False)
    policy_fingerprint: str = ""  # the policy's part of `fingerprint`

    @property
    def model_version(self) -> str:
        return self.classifier.version if self.classifier is not None else ""

    def with_classifier(self, classifier: Classifier | None) -> EngineConfig:
        """This configuration run with `classifier` (its version becomes part of the fingerprint)."""
        if classifier is self.classifier:
            return self
        policy_fp = self.policy_fingerprint or self.fingerprint
        if classifier is None:
            return replace(self, classifier=None, fingerprint=policy_fp, policy_fingerprint=policy_fp)
        fp = hashlib.sha256(f"{policy_fp}|{classifier.version}".encode()).hexdigest()[:16]
        return replace(self, classifier=classifier, fingerprint=fp, policy_fingerprint=policy_fp)

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

    def is_high_value(self, tier: str, mrr: float | None) -> bool:
        """What the policy calls high value, the `high_value` trigger's own test: the enterprise segment,
        by tier or by MRR at or above `segments.enterprise.min_mrr` (default 10000)."""
        return self.segment_of(tier, mrr) == HIGH_VALUE_SEGMENT


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


def _label(body: Mapping[str, Any], needed: bool, detector: str, path: Path) -> Label | None:
    labels = ", ".join(Label)
    if "label" not in body:
        if needed:
            raise PolicyError(path, f"detector {detector!r} needs a `label`", "allowed: " + labels)
        return None
    if not needed:
        raise PolicyError(
            (*path, "label"),
            f"detector {detector!r} takes no `label`",
            "use `detector: model` to read a label",
        )
    value = body["label"]
    if value not in tuple(Label):
        close = difflib.get_close_matches(str(value), list(Label), n=1)
        raise PolicyError(
            (*path, "label"),
            f"unknown label {value!r}",
            (f"did you mean {str(close[0])!r}? " if close else "") + "allowed: " + labels,
        )
    return Label(value)


def _parse_trigger(
    tid: str, body: Mapping[str, Any], path: Path, order: int, defaults: Mapping[str, Any] | None
) -> TriggerSpec:
    check_keys(body, TRIGGER_KEYS, path, f"trigger {tid!r}")
    if not re.fullmatch(r"[a-z][a-z0-9_\-]{0,63}", tid):
        raise PolicyError(
            path, f"bad trigger id {tid!r}", "lower-case letters, digits, _ and -, starting with a letter"
        )
    raw_detector = body.get("detector", "phrases")
    if raw_detector not in REGISTRY:
        close = difflib.get_close_matches(str(raw_detector), list(REGISTRY), n=1)
        raise PolicyError(
            (*path, "detector"),
            f"unknown detector {raw_detector!r}",
            (f"did you mean {str(close[0])!r}? " if close else "") + "allowed: " + ", ".join(REGISTRY),
        )
    detector = DetectorKind(raw_detector)
    unit = REGISTRY[detector]
    raw_family = body.get("family", str(unit.family))
    if raw_family not in FAMILIES:
        raise PolicyError(
            (*path, "family"), f"unknown family {raw_family!r}", "allowed: " + ", ".join(FAMILIES)
        )
    family = Family(raw_family)
    if unit.business != (family is Family.BUSINESS):
        raise PolicyError(
            (*path, "family"),
            f"detector {str(detector)!r} does not belong to family {str(family)!r}",
            "business detectors: " + ", ".join(sorted(str(k) for k in BUSINESS_DETECTORS)),
        )
    flags = {}
    for key, dflt in (("enabled", True), ("escalate", True), ("negation", True)):
        v = body.get(key, dflt)
        if not isinstance(v, bool):
            raise PolicyError((*path, key), f"must be true or false, got {type_name(v)}")
        flags[key] = v
    urgencies = urgency(body.get("urgency", "queued"), (*path, "urgency"))
    category = body.get("category")
    if category is not None and category not in CATEGORIES:
        raise PolicyError(
            (*path, "category"),
            f"unknown category {category!r}",
            "allowed: " + ", ".join(CATEGORIES) + ", or null for the conversation's category",
        )
    if not flags["escalate"] and category is None and unit.hints:
        raise PolicyError(
            (*path, "category"),
            "a rule with `escalate: false` only hints a category, so it needs one",
            "allowed: " + ", ".join(CATEGORIES),
        )
    seg_value = body.get("segments", ["all"])
    segs = str_list(seg_value, (*path, "segments"), "segments")
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
            f"must be non-empty text, got {type_name(reason)}",
            "a plain-language sentence for the card",
        )
    if len(reason) > 150:
        raise PolicyError(
            (*path, "reason"), f"is {len(reason)} characters long", "at most 150: it goes on the card"
        )

    label = _label(body, unit.needs_label, str(detector), path)
    params_raw = expect_mapping(body.get("params", {}), (*path, "params"), "params")
    allowed = unit.params
    check_keys(
        params_raw,
        list(allowed) or ["(none for this detector)"],
        (*path, "params"),
        f"params of detector {str(detector)!r}",
    )
    default_params = (defaults or {}).get("params") or {}
    params: dict[str, PerSegment] = {}
    for name, spec in allowed.items():
        if name in params_raw:
            params[name] = per_segment(params_raw[name], spec, (*path, "params", name))
        elif name in default_params:
            params[name] = per_segment(default_params[name], spec, (*path, "params", name))
        elif spec.default is not None:
            params[name] = per_segment(spec.default, spec, (*path, "params", name))
        else:
            raise PolicyError(
                (*path, "params", name),
                f"missing parameter {name!r} for detector {str(detector)!r}",
                "required: " + ", ".join(allowed),
            )

    matcher = None
    has_lists = any(k in body for k in ("phrases", "regex", "unless"))
    if unit.word_lists:
        phrases = str_list(body.get("phrases", []), (*path, "phrases"), "phrases")
        compiled = regexes(body.get("regex", []), (*path, "regex"))
        unless = str_list(body.get("unless", []), (*path, "unless"), "unless")
        if not phrases and not compiled:
            raise PolicyError(
                path,
                f"trigger {tid!r} has neither `phrases` nor `regex`",
                "give at least one phrase or regular expression",
            )
        matcher = PhraseMatcher(
            phrases=phrase_regex(phrases, (*path, "phrases")),
            regexes=compiled,
            unless=phrase_regex(unless, (*path, "unless")),
            anchors=anchors_of(phrases),
        )
    elif has_lists:
        key = next(k for k in ("phrases", "regex", "unless") if k in body)
        raise PolicyError(
            (*path, key),
            f"detector {str(detector)!r} takes no `{key}`",
            "only "
            + " and ".join(f"`{k}`" for k, u in REGISTRY.items() if u.word_lists)
            + " rules take word lists",
        )

    return TriggerSpec(
        id=tid,
        family=family,
        detector=detector,
        enabled=flags["enabled"],
        escalate=flags["escalate"] and not unit.business,
        urgency=urgencies,
        category=category,
        segments=segments,
        reason=reason.strip(),
        negation=flags["negation"],
        params=params,
        matcher=matcher,
        order=order,
        label=label,
    )


def _parse_segments(raw: Any, path: Path) -> tuple[SegmentSpec, ...]:
    raw = expect_mapping(raw, path, "segments")
    check_keys(raw, SEGMENT_ORDER, path, "segments")
    out = []
    for name in SEGMENT_ORDER:
        body = raw.get(name) or {}
        body = expect_mapping(body, (*path, name), f"segment {name!r}")
        check_keys(body, SEGMENT_KEYS, (*path, name), f"segment {name!r}")
        min_mrr = body.get("min_mrr")
        if min_mrr is not None:
            min_mrr = number(min_mrr, ParamKind.FLOAT, 0, None, (*path, name, "min_mrr"))
        label = body.get("label", name)
        if not isinstance(label, str):
            raise PolicyError((*path, name, "label"), f"must be text, got {type_name(label)}")
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
        body = expect_mapping(body, path, f"trigger {tid!r}")
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
        policy_fingerprint=fp,
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


def parse_engine_config(doc: Mapping[str, Any], classifier: Classifier | None = None) -> EngineConfig:
    """Parse the `triggers:` and `segments:` sections of a whole policy document.

    A missing section takes the built-in defaults; a given `triggers:` section overrides the defaults
    per trigger id (see the module docstring). `classifier` is the judgment model the engine runs
    (None: phrase rules only). Raises PolicyError(path, message, hint).
    """
    return _parse(doc).with_classifier(classifier)


def _parse(doc: Mapping[str, Any]) -> EngineConfig:
    if not isinstance(doc, Mapping):
        raise PolicyError((), f"the policy must be a mapping, got {type_name(doc)}")
    defaults = _default_doc()
    user_triggers = doc.get("triggers")
    user_segments = doc.get("segments")
    if user_triggers is None and user_segments is None:
        return default_engine_config()
    if user_triggers is not None:
        user_triggers = expect_mapping(user_triggers, ("triggers",), "triggers")
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
        user_segments = expect_mapping(user_segments, ("segments",), "segments")
        for name, body in user_segments.items():
            if name not in SEGMENT_ORDER:
                raise PolicyError(
                    ("segments", name), f"unknown segment {name!r}", "allowed: " + ", ".join(SEGMENT_ORDER)
                )
            if body is not None and not isinstance(body, Mapping):
                raise PolicyError(
                    ("segments", name), f"segment {name!r} must be a mapping, got {type_name(body)}"
                )
            segments_doc[name] = {**(segments_doc.get(name) or {}), **(body or {})}
    return _build(triggers, segments_doc, defaults["triggers"])
