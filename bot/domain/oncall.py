"""Who is on call for a team: which pager to ask, or the built-in rotation kept in the policy file.

Pure. Policy (per team, or in `team_defaults`)::

    oncall: {provider: pagerduty, schedule_id: P123ABC}          # or escalation_policy_id: PABC123
    oncall: {provider: opsgenie, schedule: billing_schedule, team: billing-ops}   # both optional
    oncall: {provider: rotation, start: "2026-11-02T09:00:00-05:00", handoff: weekly, users: [U0BOB, U0CAROL]}
    oncall: none

The rotation hands over every `handoff` (weekly, daily, or a duration like 12h) from `start`. Weekly and
daily handoffs keep the wall-clock time of `start` in the team's time zone across DST changes
(09:00 stays 09:00); a duration handoff counts elapsed time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError
from bot.domain.hours import parse_timezone, team_setting

PROVIDERS: tuple[str, ...] = ("pagerduty", "opsgenie", "rotation", "none")
_KEYS = {
    "pagerduty": ("provider", "schedule_id", "escalation_policy_id"),
    "opsgenie": ("provider", "schedule", "team"),
    "rotation": ("provider", "start", "handoff", "users"),
    "none": ("provider",),
}
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True, slots=True)
class OnCallConfig:
    team: str
    provider: str  # one of PROVIDERS
    schedule_id: str | None = None  # pagerduty
    escalation_policy_id: str | None = None  # pagerduty
    schedule: str | None = None  # opsgenie schedule name (who is on call)
    opsgenie_team: str | None = None  # opsgenie responder team name
    start: datetime | None = None  # rotation, aware UTC
    handoff: str = "weekly"  # rotation: weekly | daily | a duration
    handoff_every: timedelta = timedelta(weeks=1)
    calendar_handoff: bool = True  # weekly/daily: keep local wall-clock time across DST
    users: tuple[str, ...] = ()  # rotation: Slack user ids in order
    timezone: str = "UTC"  # the team's, for calendar handoffs

    @property
    def has_pager(self) -> bool:
        return self.provider in ("pagerduty", "opsgenie")


def parse_oncall(doc: Mapping[str, Any], team_name: str) -> OnCallConfig:
    value, path = team_setting(doc, team_name, "oncall")
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() == "none"):
        return OnCallConfig(team=team_name, provider="none")
    if not isinstance(value, Mapping):
        raise PolicyError(
            path,
            "oncall must be `none` or a mapping with `provider`",
            "e.g. {provider: pagerduty, schedule_id: P123ABC}",
        )
    provider = value.get("provider")
    if provider not in PROVIDERS:
        raise PolicyError(
            path + ("provider",), f"unknown on-call provider {provider!r}", "one of: " + ", ".join(PROVIDERS)
        )
    allowed = _KEYS[provider]
    for key in value:
        if key not in allowed:
            raise PolicyError(
                path + (str(key),),
                f"unknown key {key!r} for provider {provider}",
                "allowed: " + ", ".join(allowed),
            )

    def _id(key: str) -> str | None:
        v = value.get(key)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            raise PolicyError(path + (key,), f"{key} must be a non-empty string, got {v!r}")
        return v.strip()

    if provider == "none":
        return OnCallConfig(team=team_name, provider="none")
    if provider == "pagerduty":
        sched, ep = _id("schedule_id"), _id("escalation_policy_id")
        if (sched is None) == (ep is None):
            raise PolicyError(
                path,
                "pagerduty on-call needs exactly one of schedule_id or escalation_policy_id",
                "the ids look like P123ABC, from the PagerDuty web app's URL",
            )
        return OnCallConfig(team=team_name, provider="pagerduty", schedule_id=sched, escalation_policy_id=ep)
    if provider == "opsgenie":
        return OnCallConfig(
            team=team_name, provider="opsgenie", schedule=_id("schedule"), opsgenie_team=_id("team")
        )

    # rotation
    tz_value, tz_path = team_setting(doc, team_name, "timezone")
    tz = parse_timezone(tz_value, tz_path)
    raw_start = value.get("start")
    if isinstance(raw_start, datetime):  # YAML may hand over a datetime already
        start = raw_start
    elif isinstance(raw_start, str):
        try:
            start = datetime.fromisoformat(raw_start.strip())
        except ValueError:
            raise PolicyError(
                path + ("start",),
                f"bad start time {raw_start!r}",
                'an ISO 8601 time with its offset, e.g. "2026-11-02T09:00:00-05:00"',
            ) from None
    elif raw_start is None:
        raise PolicyError(
            path + ("start",),
            "a rotation needs `start`",
            'an ISO 8601 time with its offset, e.g. "2026-11-02T09:00:00-05:00"',
        )
    else:
        raise PolicyError(
            path + ("start",),
            f"bad start time {raw_start!r}: a date alone has no handoff time",
            'an ISO 8601 time with its offset, e.g. "2026-11-02T09:00:00-05:00"',
        )
    if start.tzinfo is None:
        raise PolicyError(
            path + ("start",),
            f"start {raw_start!r} has no UTC offset",
            'add it, e.g. "2026-11-02T09:00:00-05:00"',
        )
    handoff = value.get("handoff", "weekly")
    if handoff == "weekly":
        every, calendar = timedelta(weeks=1), True
    elif handoff == "daily":
        every, calendar = timedelta(days=1), True
    else:
        try:
            every = parse_duration(handoff)
        except ValueError as e:
            raise PolicyError(
                path + ("handoff",), str(e), "weekly, daily, or a duration such as 12h"
            ) from None
        if every < timedelta(minutes=1):
            raise PolicyError(
                path + ("handoff",), "handoff must be at least 1m", "weekly, daily, or a duration such as 12h"
            )
        calendar = False
    users = value.get("users")
    if not isinstance(users, list) or not users:
        raise PolicyError(
            path + ("users",), "a rotation needs a non-empty list of Slack user ids", "e.g. [U0BOB, U0CAROL]"
        )
    for i, u in enumerate(users):
        if not isinstance(u, str) or not _SLACK_USER.match(u):
            raise PolicyError(
                path + ("users", i), f"{u!r} is not a Slack user id", "ids look like U0123ABCD or W0123ABCD"
            )
    return OnCallConfig(
        team=team_name,
        provider="rotation",
        start=start.astimezone(UTC),
        handoff=str(handoff),
        handoff_every=every,
        calendar_handoff=calendar,
        users=tuple(users),
        timezone=tz.key,
    )


def rotation_shift(cfg: OnCallConfig, at: datetime) -> int:
    """How many handoffs since the rotation's start (negative before it: the rotation extends backwards)."""
    if cfg.provider != "rotation" or cfg.start is None or not cfg.users:
        raise ValueError(f"team {cfg.team!r} has no built-in rotation")
    if at.tzinfo is None:
        raise ValueError("expected a timezone-aware datetime")
    if cfg.calendar_handoff:
        tz = ZoneInfo(cfg.timezone)
        # compare wall-clock times in the team's zone: a weekly 09:00 handoff stays at 09:00 across DST
        elapsed = at.astimezone(tz).replace(tzinfo=None) - cfg.start.astimezone(tz).replace(tzinfo=None)
    else:
        elapsed = at.astimezone(UTC) - cfg.start
    return elapsed // cfg.handoff_every


def rotation_oncall(cfg: OnCallConfig, at: datetime) -> str:
    """The Slack user id on call at `at` in the built-in rotation."""
    return cfg.users[rotation_shift(cfg, at) % len(cfg.users)]


def next_handoff(cfg: OnCallConfig, at: datetime) -> datetime:
    """When the current shift ends (aware UTC), for '/escalations oncall'."""
    n = rotation_shift(cfg, at) + 1
    assert cfg.start is not None  # rotation_shift checked it
    if not cfg.calendar_handoff:
        return cfg.start + cfg.handoff_every * n
    tz = ZoneInfo(cfg.timezone)
    wall = cfg.start.astimezone(tz).replace(tzinfo=None) + cfg.handoff_every * n
    return wall.replace(tzinfo=tz).astimezone(UTC)
