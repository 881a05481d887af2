"""Customer satisfaction after an escalation (pure): the policy's `csat:` section, who is asked, when.

    csat:
      enabled: true        # default true
      delay: 10m           # after the resolution (default 10m; 0 = at once)
      sample: 1.0          # share of resolved escalations surveyed, 0..1 (default 1.0)
      low_score: 2         # a score at or below notifies the team's manager (default 2; 0 = never)
      teams:               # per team, any of enabled / delay / sample
        legal: {enabled: false}
      segments:            # per customer tier (enterprise, mid-market, self-serve); wins over the team
        enterprise: {sample: 1.0, delay: 30m}

Sampling is deterministic by escalation id (a hash, not a random draw): the same escalation is always
in or out of the sample, whichever instance decides and however often it is asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError
from bot.domain.model import TIERS

SCORES = (1, 2, 3, 4, 5)
KEYS = ("enabled", "delay", "sample", "low_score", "teams", "segments")
OVERRIDE_KEYS = ("enabled", "delay", "sample")
MAX_DELAY = timedelta(days=7)


@dataclass(frozen=True)
class SurveyRule:
    enabled: bool = True
    delay: timedelta = timedelta(minutes=10)
    sample: float = 1.0


@dataclass(frozen=True)
class CsatConfig:
    base: SurveyRule = SurveyRule()
    low_score: int = 2
    teams: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # team -> overrides
    segments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # tier -> overrides

    def rule_for(self, *, team: str, tier: str) -> SurveyRule:
        """The base rule, then the team's overrides, then the segment's (most specific last)."""
        rule = self.base
        for overrides in (self.teams.get(team), self.segments.get(tier)):
            if overrides:
                rule = replace(rule, **overrides)
        return rule

    def is_low(self, score: int) -> bool:
        return score <= self.low_score


DEFAULT_CSAT = CsatConfig()


def in_sample(escalation_id: int, share: float) -> bool:
    """Deterministic: the escalation's hash, as a fraction of [0, 1), below the share."""
    if share >= 1:
        return True
    if share <= 0:
        return False
    digest = hashlib.sha256(f"csat:{escalation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def survey_delay(config: CsatConfig, *, escalation_id: int, team: str, tier: str) -> timedelta | None:
    """How long after the resolution the customer is asked, or None when they are not asked."""
    rule = config.rule_for(team=team, tier=tier)
    if not rule.enabled or not in_sample(escalation_id, rule.sample):
        return None
    return rule.delay


def parse_score(value: Any) -> int | None:
    """A button's score ("1".."5"), or None when it is not one."""
    try:
        score = int(str(value))
    except (TypeError, ValueError):
        return None
    return score if score in SCORES else None


# ---------------------------------------------------------------- the policy section


def _overrides(raw: Any, path: tuple[str | int, ...], allowed: tuple[str, ...]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise PolicyError(path, "must be a mapping", "e.g. {enabled: false} or {sample: 0.5, delay: 30m}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise PolicyError((*path, key), f"unknown key '{key}'", "allowed: " + ", ".join(allowed))
        where = (*path, key)
        if key == "enabled":
            if not isinstance(value, bool):
                raise PolicyError(where, "must be true or false")
            out[key] = value
        elif key == "delay":
            try:
                delay = parse_duration(value)
            except ValueError as exc:
                raise PolicyError(where, str(exc), "e.g. 10m, 1h or 0") from None
            if delay < timedelta(0) or delay > MAX_DELAY:
                raise PolicyError(where, "must be between 0 and 7d", "e.g. 10m")
            out[key] = delay
        elif key == "sample":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise PolicyError(where, "must be a share between 0 and 1", "e.g. 0.25 asks one in four")
            out[key] = float(value)
    return out


def parse_csat(doc: Mapping[str, Any], teams: Mapping[str, Any]) -> CsatConfig:
    raw = doc.get("csat")
    if raw is None:
        return DEFAULT_CSAT
    if not isinstance(raw, Mapping):
        raise PolicyError(("csat",), "must be a mapping", "e.g. csat: {enabled: true, delay: 10m}")
    for key in raw:
        if key not in KEYS:
            raise PolicyError(("csat", key), f"unknown key '{key}'", "allowed: " + ", ".join(KEYS))
    base = replace(
        SurveyRule(), **_overrides({k: raw[k] for k in OVERRIDE_KEYS if k in raw}, ("csat",), OVERRIDE_KEYS)
    )
    low = raw.get("low_score", 2)
    if isinstance(low, bool) or not isinstance(low, int) or not 0 <= low <= 4:
        raise PolicyError(
            ("csat", "low_score"), "must be a whole number from 0 to 4", "2 notifies on 1 and 2; 0 never"
        )
    per_team: dict[str, Mapping[str, Any]] = {}
    raw_teams = raw.get("teams") or {}
    if not isinstance(raw_teams, Mapping):
        raise PolicyError(
            ("csat", "teams"), "must be a mapping of team to settings", "e.g. {legal: {enabled: false}}"
        )
    for name, body in raw_teams.items():
        if name not in teams:
            raise PolicyError(
                ("csat", "teams", name), f"no team named '{name}'", "teams: " + ", ".join(teams)
            )
        per_team[str(name)] = _overrides(body, ("csat", "teams", name), OVERRIDE_KEYS)
    per_segment: dict[str, Mapping[str, Any]] = {}
    raw_segments = raw.get("segments") or {}
    if not isinstance(raw_segments, Mapping):
        raise PolicyError(
            ("csat", "segments"), "must be a mapping of tier to settings", "e.g. {enterprise: {sample: 1.0}}"
        )
    for tier, body in raw_segments.items():
        if tier not in TIERS:
            raise PolicyError(
                ("csat", "segments", tier), f"'{tier}' is not a tier", "use " + " | ".join(TIERS)
            )
        per_segment[str(tier)] = _overrides(body, ("csat", "segments", tier), OVERRIDE_KEYS)
    return CsatConfig(base=base, low_score=low, teams=per_team, segments=per_segment)


# ---------------------------------------------------------------- the report's CSAT figures

# High-value accounts: what the policy calls high value when the escalation opens, the `high_value`
# trigger's definition (EngineConfig.is_high_value: the enterprise segment, by tier or by MRR at or
# above segments.enterprise.min_mrr), stored as escalations.high_value.
HIGH_VALUE = "high-value"
HIGH_VALUE_RULE = "the enterprise tier, or MRR at or above the policy's segments.enterprise.min_mrr"
MIN_ANSWERS_TO_COMPARE = 3


@dataclass(frozen=True)
class SegmentCsat:
    segment: str
    asked: int
    answered: int
    total: int  # sum of scores

    @property
    def average(self) -> float | None:
        return self.total / self.answered if self.answered else None

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "average": self.average,
            "answered": self.answered,
            "asked": self.asked,
            "response_rate": self.response_rate,
        }


    def plus(self, other: SegmentCsat) -> SegmentCsat:
        return SegmentCsat(
            self.segment, self.asked + other.asked, self.answered + other.answered, self.total + other.total
        )


@dataclass(frozen=True)
class CsatSummary:
    overall: SegmentCsat
    segments: tuple[SegmentCsat, ...]  # by tier
    high_value: SegmentCsat = SegmentCsat(HIGH_VALUE, 0, 0, 0)  # what the policy called high value

    @property
    def high_value_above_average(self) -> bool | None:
        """Do high-value accounts score above the average? None: too few answers to say."""
        hv = self.high_value
        if hv.answered < MIN_ANSWERS_TO_COMPARE or self.overall.answered < MIN_ANSWERS_TO_COMPARE:
            return None
        assert hv.average is not None and self.overall.average is not None
        return hv.average > self.overall.average

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.overall.to_dict(),
            "by_segment": [s.to_dict() for s in self.segments],
            "high_value": {**self.high_value.to_dict(), "rule": HIGH_VALUE_RULE},
            "high_value_above_average": self.high_value_above_average,
        }


def combine(parts: Iterable[tuple[str, bool, SegmentCsat]]) -> CsatSummary:
    """The summary from counts per (tier, high value?) — or per escalation."""
    tiers: dict[str, SegmentCsat] = {}
    high_value = SegmentCsat(HIGH_VALUE, 0, 0, 0)
    for tier, is_high_value, counts in parts:
        key = tier or "(none)"
        tiers[key] = tiers.get(key, SegmentCsat(key, 0, 0, 0)).plus(counts)
        if is_high_value:
            high_value = high_value.plus(counts)
    segments = tuple(sorted(tiers.values(), key=lambda s: s.segment))
    overall = SegmentCsat("all", 0, 0, 0)
    for s in segments:
        overall = overall.plus(s)
    return CsatSummary(overall, segments, high_value)


def summarise(rows: Sequence[tuple[str, bool, bool, int | None]]) -> CsatSummary:
    """From (tier, high value?, surveyed?, score or None) per escalation of the period."""
    return combine(
        (
            tier,
            high_value,
            SegmentCsat(
                tier, int(bool(asked) or score is not None), int(score is not None), score or 0
            ),
        )
        for tier, high_value, asked, score in rows
    )
