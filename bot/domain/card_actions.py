"""What agents may do on a card beyond claiming, as the policy sets it (pure).

    card_actions:
      reopen_within: 7d     # a resolved escalation can be reopened this long after it was resolved
      snooze_at_most: 14d   # the furthest a queued escalation can be snoozed

Defaults (docs/agent-actions.md): reopen within 7 days, snooze at most 14 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.chain import format_duration, parse_duration
from bot.domain.errors import PolicyError

KEYS = ("reopen_within", "snooze_at_most")
MIN_SNOOZE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CardActions:
    reopen_within: timedelta = timedelta(days=7)
    snooze_at_most: timedelta = timedelta(days=14)

    def can_reopen(self, resolved_at: datetime | None, now: datetime) -> bool:
        return resolved_at is not None and timedelta(0) <= now - resolved_at <= self.reopen_within

    def snooze_problem(self, until: datetime, now: datetime) -> str:
        """Why `until` is not a time to snooze to ("" when it is)."""
        if until - now < MIN_SNOOZE:
            return "Pick a time in the future."
        if until - now > self.snooze_at_most:
            return f"Snooze for at most {format_duration(self.snooze_at_most)} (the policy's snooze_at_most)."
        return ""


DEFAULT = CardActions()


def _duration(raw: Mapping[str, Any], key: str, default: timedelta) -> timedelta:
    if key not in raw:
        return default
    try:
        value = parse_duration(raw[key])
    except ValueError as exc:
        raise PolicyError(("card_actions", key), str(exc), "e.g. 7d or 12h") from None
    if value <= timedelta(0):
        raise PolicyError(("card_actions", key), "must be longer than zero", "e.g. 7d")
    return value


def parse_card_actions(doc: Mapping[str, Any]) -> CardActions:
    raw = doc.get("card_actions")
    if raw is None:
        return DEFAULT
    if not isinstance(raw, Mapping):
        raise PolicyError(("card_actions",), "must be a mapping", "e.g. card_actions: {reopen_within: 7d}")
    for key in raw:
        if key not in KEYS:
            raise PolicyError(("card_actions", str(key)), f"unknown key '{key}'", "allowed: " + ", ".join(KEYS))
    return CardActions(
        reopen_within=_duration(raw, "reopen_within", DEFAULT.reopen_within),
        snooze_at_most=_duration(raw, "snooze_at_most", DEFAULT.snooze_at_most),
    )
