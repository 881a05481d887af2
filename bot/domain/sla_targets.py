"""SLA targets per team (pure): how soon an escalation should be picked up, by urgency.

    teams:
      support:
        sla:
          pickup: {immediate: 15m, queued: 4h}   # one duration for both, or one per urgency
          business_hours: true                   # count only the team's opening hours

Defaults (docs/policy.md): immediate 15m, queued 4h, business hours counted. `team_defaults: {sla: ...}`
sets them for every team. Reports measure SLA attainment against these targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError
from bot.domain.model import URGENCIES

DEFAULT_PICKUP: dict[str, timedelta] = {"immediate": timedelta(minutes=15), "queued": timedelta(hours=4)}
SLA_KEYS = ("pickup", "business_hours")


@dataclass(frozen=True, slots=True)
class SlaTargets:
    pickup: tuple[tuple[str, timedelta], ...]
    business_hours: bool = True

    def pickup_for(self, urgency: str) -> timedelta:
        for name, value in self.pickup:
            if name == urgency:
                return value
        return DEFAULT_PICKUP.get(urgency, DEFAULT_PICKUP["queued"])


DEFAULT_SLA = SlaTargets(tuple(DEFAULT_PICKUP.items()), True)


def _duration(value: Any, path: tuple[str | int, ...]) -> timedelta:
    try:
        d = parse_duration(value)
    except ValueError as exc:
        raise PolicyError(path, str(exc), "e.g. 15m or 4h") from None
    if d <= timedelta(0):
        raise PolicyError(path, "a pickup target must be longer than zero", "e.g. 15m")
    return d


def parse_sla(value: Any, path: tuple[str | int, ...]) -> SlaTargets:
    if value is None:
        return DEFAULT_SLA
    if not isinstance(value, Mapping):
        raise PolicyError(path, "sla must be a mapping", "e.g. sla: {pickup: {immediate: 15m, queued: 4h}}")
    for key in value:
        if key not in SLA_KEYS:
            raise PolicyError((*path, key), f"unknown key {key!r}", "use " + ", ".join(SLA_KEYS))
    pickup = dict(DEFAULT_PICKUP)
    raw = value.get("pickup")
    if isinstance(raw, Mapping):
        for urgency, d in raw.items():
            if urgency not in URGENCIES:
                raise PolicyError(
                    (*path, "pickup", urgency), f"{urgency!r} is not an urgency", "use immediate or queued"
                )
            pickup[str(urgency)] = _duration(d, (*path, "pickup", urgency))
    elif raw is not None:
        one = _duration(raw, (*path, "pickup"))
        pickup = {u: one for u in URGENCIES}
    business = value.get("business_hours", True)
    if not isinstance(business, bool):
        raise PolicyError((*path, "business_hours"), "must be true or false", "business_hours: true")
    return SlaTargets(tuple(pickup.items()), business)
