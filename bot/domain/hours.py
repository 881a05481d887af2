"""Business hours per team: time zone, weekly windows and public holidays, correct across DST.

Pure: stdlib (zoneinfo) plus the `holidays` library (a pure computation library, allowed in the core).

Policy (a team's own value wins over `team_defaults`, which wins over the built-in default)::

    team_defaults:
      timezone: UTC
      hours: {mon-fri: "09:00-17:00"}
    teams:
      billing:
        timezone: America/New_York
        hours:
          mon-thu: "09:00-17:00"
          fri: ["09:00-12:00", "13:00-16:00"]   # several windows in a day
          sat: closed                            # days not listed are closed too
        holidays: {country: US, subdiv: NY}      # or `none`

`hours` may also be `always` (open around the clock). Windows are wall-clock times in the team's time
zone, "HH:MM-HH:MM" with the end after the start ("24:00" ends at midnight); a shift past midnight is
two windows: `mon: "22:00-24:00"` and `tue: "00:00-06:00"`.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from bot.domain.errors import PolicyError

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_SEARCH_DAYS = 400  # more than a year: enough for any calendar of closed days and holidays

# Built-in team defaults, identical to `team_defaults` in bot/policies/paging.yaml (a test keeps them in
# step). Used for a key that neither the team nor the policy's team_defaults sets.
DEFAULT_TEAM_SETTINGS: dict[str, Any] = {
    "timezone": "UTC",
    "hours": {"mon-fri": "09:00-17:00"},
    "holidays": "none",
    "oncall": "none",
    "expected_wait": "15m",
}


def team_setting(doc: Mapping[str, Any], team_name: str, key: str) -> tuple[Any, tuple[str | int, ...]]:
    """A team's setting with its fallbacks, and the path it came from (for errors)."""
    teams = doc.get("teams") if isinstance(doc, Mapping) else None
    if not isinstance(teams, Mapping) or team_name not in teams:
        raise PolicyError(("teams", team_name), f"unknown team {team_name!r}", "define it under `teams:`")
    team = teams[team_name]
    if team is None:
        team = {}
    if not isinstance(team, Mapping):
        raise PolicyError(
            ("teams", team_name), "a team must be a mapping", "e.g. {channel: C0123, timezone: UTC}"
        )
    if key in team:
        return team[key], ("teams", team_name, key)
    defaults = doc.get("team_defaults")
    if defaults is not None and not isinstance(defaults, Mapping):
        raise PolicyError(("team_defaults",), "team_defaults must be a mapping", "e.g. {timezone: UTC}")
    if defaults and key in defaults:
        return defaults[key], ("team_defaults", key)
    return DEFAULT_TEAM_SETTINGS[key], ("team_defaults", key)


def parse_timezone(value: Any, path: tuple[str | int, ...]) -> ZoneInfo:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(
            path,
            f"expected an IANA time zone name, got {value!r}",
            "e.g. America/New_York, Europe/Paris, UTC",
        )
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(
            path,
            f"unknown time zone {value!r}",
            "use an IANA name such as America/New_York, Europe/Paris, UTC",
        ) from None


def team_timezone(doc: Mapping[str, Any], team_name: str) -> ZoneInfo:
    value, path = team_setting(doc, team_name, "timezone")
    return parse_timezone(value, path)


@dataclass(frozen=True, slots=True)
class TeamHours:
    team: str
    tz: ZoneInfo
    # per weekday (0 = Monday): sorted, non-overlapping (start, end) in minutes after local midnight
    windows: tuple[tuple[tuple[int, int], ...], ...]
    holiday_country: str | None = None
    holiday_subdiv: str | None = None

    @property
    def tz_name(self) -> str:
        return self.tz.key

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on this local date, or None."""
        if self.holiday_country is None:
            return None
        with _CALENDAR_LOCK:  # the library fills in years lazily: keep sweeps on several threads safe
            name = _calendar(self.holiday_country, self.holiday_subdiv).get(day)
        return str(name) if name else None


_CALENDAR_LOCK = threading.Lock()


@functools.lru_cache(maxsize=64)
def _calendar(country: str, subdiv: str | None) -> holidays_lib.HolidayBase:
    return holidays_lib.country_holidays(country, subdiv=subdiv)


def always_open(team: str = "", tz: str = "UTC") -> TeamHours:
    return TeamHours(team=team, tz=ZoneInfo(tz), windows=tuple(((0, 1440),) for _ in DAYS))


def _day_keys(key: Any, path: tuple[str | int, ...]) -> list[int]:
    allowed = "mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, or daily"
    if not isinstance(key, str):
        raise PolicyError(path, f"unknown day {key!r}", allowed)
    k = key.strip().lower()
    if k in ("daily", "every day", "mon-sun"):
        return list(range(7))
    if "-" in k:
        a, _, b = k.partition("-")
        a, b = a.strip(), b.strip()
        if a not in DAYS or b not in DAYS:
            raise PolicyError(path, f"unknown day range {key!r}", allowed)
        i, j = DAYS.index(a), DAYS.index(b)
        if i == j:
            return [i]
        return [(i + n) % 7 for n in range(((j - i) % 7) + 1)]  # fri-mon wraps over the weekend
    if k not in DAYS:
        raise PolicyError(path, f"unknown day {key!r}", allowed)
    return [DAYS.index(k)]


def _parse_window(text: Any, path: tuple[str | int, ...]) -> tuple[int, int]:
    hint = 'write "HH:MM-HH:MM" with the end after the start, e.g. "09:00-17:00", "closed" or "24h"'
    if not isinstance(text, str):
        raise PolicyError(path, f"expected a time window, got {text!r}", hint)
    t = text.strip().lower()
    if t in ("24h", "all day"):
        return (0, 1440)
    m = _WINDOW_RE.match(t)
    if not m:
        raise PolicyError(path, f"bad time window {text!r}", hint)
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    for h, mi in ((h1, m1), (h2, m2)):
        if h > 24 or mi > 59 or (h == 24 and mi != 0):
            raise PolicyError(
                path, f"bad time in {text!r}: hours 00-23 (24:00 only as an end), minutes 00-59", hint
            )
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == 1440:
        raise PolicyError(path, f"{text!r} starts at 24:00", hint)
    if end <= start:
        raise PolicyError(
            path,
            f"window {text!r} ends before it starts",
            'for a shift past midnight use two days, e.g. mon: "22:00-24:00" and tue: "00:00-06:00"',
        )
    return (start, end)


def _fmt_minutes(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def parse_hours_value(value: Any, path: tuple[str | int, ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The weekly windows of one `hours:` value (see the module docstring)."""
    if isinstance(value, str) and value.strip().lower() in ("always", "24/7"):
        return tuple(((0, 1440),) for _ in DAYS)
    if not isinstance(value, Mapping):
        raise PolicyError(
            path,
            "hours must be a mapping of day -> window(s), or `always`",
            'e.g. {mon-fri: "09:00-17:00", sat: closed}',
        )
    per_day: list[list[tuple[int, int]] | None] = [None] * 7
    for key, raw in value.items():
        kpath = path + (str(key),)
        days = _day_keys(key, kpath)
        if raw is None or (isinstance(raw, str) and raw.strip().lower() == "closed") or raw is False:
            windows: list[tuple[int, int]] = []
        elif isinstance(raw, list):
            windows = [_parse_window(w, kpath + (i,)) for i, w in enumerate(raw)]
        else:
            windows = [_parse_window(raw, kpath)]
        windows.sort()
        for a, b in zip(windows, windows[1:], strict=False):
            if b[0] < a[1]:
                raise PolicyError(
                    kpath,
                    f"windows {_fmt_minutes(a[0])}-{_fmt_minutes(a[1])} and {_fmt_minutes(b[0])}-{_fmt_minutes(b[1])} overlap",
                    "merge them into one window",
                )
        for d in days:
            if per_day[d] is not None:
                raise PolicyError(
                    kpath, f"{DAYS[d]} is given more than once", "list each day in one key only"
                )
            per_day[d] = list(windows)
    result = tuple(tuple(ws or ()) for ws in per_day)
    if not any(result):
        raise PolicyError(
            path,
            "the team is never open",
            'give at least one window, e.g. {mon-fri: "09:00-17:00"}, or `always`',
        )
    return result


def parse_holidays(value: Any, path: tuple[str | int, ...]) -> tuple[str | None, str | None]:
    """`none`, a country code, or {country: US, subdiv: NY} -> (country, subdiv), validated."""
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in ("none", "")):
        return None, None
    if isinstance(value, str):
        value = {"country": value}
    if not isinstance(value, Mapping):
        raise PolicyError(
            path, "holidays must be `none` or {country: CC, subdiv: XX}", "e.g. {country: US, subdiv: NY}"
        )
    unknown = [k for k in value if k not in ("country", "subdiv")]
    if unknown:
        raise PolicyError(
            path + (str(unknown[0]),), f"unknown key {unknown[0]!r}", "allowed: country, subdiv"
        )
    country = value.get("country")
    if not isinstance(country, str) or not country.strip():
        raise PolicyError(
            path + ("country",), "holidays need a country", "an ISO 3166 code such as US, GB, DE, FR"
        )
    country = country.strip().upper()
    if country not in holidays_lib.list_supported_countries():
        raise PolicyError(
            path + ("country",),
            f"no public holiday calendar for country {country!r}",
            "use an ISO 3166 alpha-2 code such as US, GB, DE, FR",
        )
    subdiv = value.get("subdiv")
    if subdiv is not None:
        if not isinstance(subdiv, str | int) or isinstance(subdiv, bool):
            raise PolicyError(path + ("subdiv",), f"bad subdivision {subdiv!r}", "e.g. NY for US, BY for DE")
        subdiv = str(subdiv).strip().upper()
        known = holidays_lib.country_holidays(country).subdivisions
        if subdiv not in known:
            shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            raise PolicyError(
                path + ("subdiv",),
                f"{country} has no subdivision {subdiv!r}",
                f"known: {shown}" if known else f"{country} has no subdivisions: remove subdiv",
            )
    return country, subdiv


def parse_team_hours(doc: Mapping[str, Any], team_name: str) -> TeamHours:
    tz_value, tz_path = team_setting(doc, team_name, "timezone")
    tz = parse_timezone(tz_value, tz_path)
    hours_value, hours_path = team_setting(doc, team_name, "hours")
    windows = parse_hours_value(hours_value, hours_path)
    hol_value, hol_path = team_setting(doc, team_name, "holidays")
    country, subdiv = parse_holidays(hol_value, hol_path)
    return TeamHours(team=team_name, tz=tz, windows=windows, holiday_country=country, holiday_subdiv=subdiv)


def _check_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("expected a timezone-aware datetime")


def is_open(h: TeamHours, at: datetime) -> bool:
    """Is the team open at this instant (by the wall clock in its time zone, holidays closed)?"""
    _check_aware(at)
    local = at.astimezone(h.tz)
    if h.holiday_name(local.date()):
        return False
    minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    return any(start <= minute < end for start, end in h.windows[local.weekday()])


def _local_to_utc(h: TeamHours, day: date, minutes: int) -> datetime:
    """The first instant whose local wall time on `day` is at or after `minutes` past midnight.

    Ambiguous times (DST fall-back) give the first occurrence; times skipped by a spring-forward gap
    give the instant the clocks jump (e.g. 02:30 on a US spring-forward day -> 03:00 EDT).
    """
    if minutes >= 1440:
        return _local_to_utc(h, day + timedelta(days=1), minutes - 1440)
    naive = datetime.combine(day, time(minutes // 60, minutes % 60))
    first = naive.replace(tzinfo=h.tz, fold=0).astimezone(UTC)
    if first.astimezone(h.tz).replace(tzinfo=None) == naive:
        return first
    # in a gap: fold=1 reads the wall time with the post-gap offset and lands before the jump
    lo = naive.replace(tzinfo=h.tz, fold=1).astimezone(UTC)
    hi = first
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(h.tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi


def next_opening(h: TeamHours, at: datetime) -> datetime:
    """`at` (as aware UTC) when open; otherwise the next instant the team opens (skipping closed days
    and holidays). Raises ValueError if it finds no opening within a year."""
    _check_aware(at)
    at = at.astimezone(UTC)
    if is_open(h, at):
        return at
    day = at.astimezone(h.tz).date()
    for _ in range(_SEARCH_DAYS):
        if not h.holiday_name(day):
            for start, _end in h.windows[day.weekday()]:
                candidate = _local_to_utc(h, day, start)
                if candidate > at and is_open(h, candidate):
                    return candidate
        day += timedelta(days=1)
    raise ValueError(f"team {h.team!r} has no opening within {_SEARCH_DAYS} days")


def tz_label(h: TeamHours, at: datetime) -> str:
    """The zone's abbreviation at that instant ('EST', 'CEST'); numeric ones become 'UTC+03'."""
    name = at.astimezone(h.tz).tzname() or h.tz_name
    return f"UTC{name}" if name[:1] in "+-" else name


def describe_next_opening(h: TeamHours, at: datetime) -> str:
    """When the team is next open, for telling a customer honestly: 'now', 'today at 14:00 EST',
    'tomorrow at 09:00 EST', 'Monday at 09:00 EST', or 'Monday 4 January at 09:00 EST' beyond a week."""
    opening = next_opening(h, at)
    if opening == at.astimezone(UTC):
        return "now"
    local = opening.astimezone(h.tz)
    today = at.astimezone(h.tz).date()
    clock = f"{local:%H:%M} {tz_label(h, opening)}"
    days = (local.date() - today).days
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"{DAY_NAMES[local.weekday()]} at {clock}"
    return f"{DAY_NAMES[local.weekday()]} {local.day} {local:%B} at {clock}"
