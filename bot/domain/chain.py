"""Escalation chains: what happens, and when, while nobody has claimed an escalation.

Pure: the policy document comes in as plain data, times come in as arguments (aware UTC).

The policy section (defaults in bot/policies/paging.yaml, documented in docs/policy-paging.md)::

    chains:
      immediate:                 # urgency
        default:                 # every segment without its own chain
          - {after: 5m, action: remind}
          - {after: 10m, action: page}
          - {after: 20m, action: notify_manager}
        enterprise:              # optional: a segment's own chain
          - {after: 2m, action: page, repeat: 2, every: 10m}
      queued:
        - {after: 15m, action: remind}          # a bare list is the `default` chain
        - {after: 30m, action: page, business_hours_only: true}

A step runs `after` the chain started (the escalation opened, or was released back to the queue),
then `repeat` more times, `every` apart. The card is posted when the escalation opens; it is not a step.

When an escalation opens, `freeze` turns its chain into a JSON-safe snapshot stored on the row, so
later policy edits don't change running escalations. `plan` expands a snapshot into a flat,
ordered sequence of steps with due times; storage keeps `steps_done` and `next_step_at`
(= `next_deadline`) and claims each step exactly once with a conditional UPDATE.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.domain.errors import PolicyError
from bot.domain.hours import TeamHours, next_opening
from bot.domain.model import TIERS, URGENCIES

Action = Literal["remind", "page", "notify_manager"]
ACTIONS: tuple[str, ...] = ("remind", "page", "notify_manager")
ACTION_HELP = {
    "remind": "remind the team channel (@here or the team's user group)",
    "page": "DM the on-call person with a Claim button and page the pager",
    "notify_manager": "notify the team's manager",
}
STEP_KEYS: tuple[str, ...] = ("after", "action", "repeat", "every", "business_hours_only")
MAX_REPEAT = 100  # a chain that repeats more than this is a typo, not a policy
SNAPSHOT_VERSION = 1

# The built-in defaults, identical to bot/policies/paging.yaml (a test keeps them in step); used for
# an urgency the policy leaves out, so a policy file without `chains:` still escalates.
DEFAULT_CHAINS: dict[str, Any] = {
    "immediate": {
        "default": [
            {"after": "5m", "action": "remind"},
            {"after": "10m", "action": "page"},
            {"after": "20m", "action": "notify_manager"},
        ]
    },
    "queued": {
        "default": [
            {"after": "15m", "action": "remind"},
            {"after": "30m", "action": "page", "business_hours_only": True},
        ]
    },
}

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_ORDER = "dhms"


def parse_duration(text: str | int | float) -> timedelta:
    """'90s', '5m', '1h30m', '1d 2h' -> timedelta. Units d, h, m, s, largest first, each once.

    A bare 0 (or "0") is zero; any other bare number is refused, since "5" could mean seconds or
    minutes. Raises ValueError with a message that says what is allowed.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a duration like '90s', '5m' or '1h30m', got {text!r}")
    if isinstance(text, int | float):
        if text == 0:
            return timedelta(0)
        raise ValueError(f"a bare number is ambiguous: write '{text}s' or '{text}m'")
    if not isinstance(text, str):
        raise ValueError(f"expected a duration like '90s', '5m' or '1h30m', got {text!r}")
    s = text.strip().lower()
    if s == "0":
        return timedelta(0)
    if not s:
        raise ValueError("empty duration: write e.g. '90s', '5m' or '1h30m'")
    if re.fullmatch(r"\d+(\.\d+)?", s):
        raise ValueError(f"a bare number is ambiguous: write '{s}s' or '{s}m'")
    pos = 0
    seen = ""
    total = 0.0
    for m in _DURATION_RE.finditer(s):
        if s[pos : m.start()].strip():
            break
        unit = m.group(2)
        if unit in seen or (seen and _UNIT_ORDER.index(unit) < _UNIT_ORDER.index(seen[-1])):
            raise ValueError(f"bad duration {text!r}: units must go largest first, each once (e.g. '1h30m')")
        seen += unit
        total += float(m.group(1)) * _UNIT_SECONDS[unit]
        pos = m.end()
    if not seen or s[pos:].strip():
        raise ValueError(f"bad duration {text!r}: write e.g. '90s', '5m', '1h30m' (units d, h, m, s)")
    return timedelta(seconds=total)


def format_duration(td: timedelta) -> str:
    """The inverse of parse_duration for whole seconds: 5400s -> '1h30m', 0 -> '0s'."""
    secs = int(td.total_seconds())
    if secs <= 0:
        return "0s"
    out = ""
    for unit in _UNIT_ORDER:
        n, secs = divmod(secs, _UNIT_SECONDS[unit])
        if n:
            out += f"{n}{unit}"
    return out


@dataclass(frozen=True, slots=True)
class Step:
    after: timedelta  # from the chain's start
    action: str  # one of ACTIONS
    repeat: int = 0  # how many more times after the first run
    every: timedelta | None = None  # gap between runs; required when repeat > 0
    business_hours_only: bool = False  # outside the team's hours, wait for the next opening

    def to_dict(self) -> dict[str, Any]:
        return {
            "after_s": self.after.total_seconds(),
            "action": self.action,
            "repeat": self.repeat,
            "every_s": self.every.total_seconds() if self.every is not None else None,
            "business_hours_only": self.business_hours_only,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Step:
        every = d.get("every_s")
        return cls(
            after=timedelta(seconds=float(d["after_s"])),
            action=str(d["action"]),
            repeat=int(d.get("repeat", 0)),
            every=timedelta(seconds=float(every)) if every is not None else None,
            business_hours_only=bool(d.get("business_hours_only", False)),
        )


@dataclass(frozen=True, slots=True)
class ChainsConfig:
    # (urgency, segment or None for the default chain) -> steps in policy order
    chains: Mapping[tuple[str, str | None], tuple[Step, ...]]

    def steps_for(self, urgency: str, tier: str | None) -> tuple[Step, ...]:
        if urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {urgency!r}; expected one of {', '.join(URGENCIES)}")
        if tier is not None and (urgency, tier) in self.chains:
            return self.chains[(urgency, tier)]
        return self.chains.get((urgency, None), ())


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """One run of a step in the flat sequence: `index` counts runs from 0 (compare with steps_done)."""

    index: int
    action: str
    due_at: datetime  # aware UTC, after any business-hours deferral
    step: int  # which policy step (0-based)
    round: int  # 0 for the first run, 1.. for repeats
    rounds: int  # total runs of this step (repeat + 1)
    business_hours_only: bool = False
    deferred: bool = False  # moved to the team's next opening


def _parse_step(raw: Any, path: tuple[str | int, ...]) -> Step:
    if not isinstance(raw, Mapping):
        raise PolicyError(path, "a chain step must be a mapping", "e.g. {after: 5m, action: remind}")
    unknown = [k for k in raw if k not in STEP_KEYS]
    if unknown:
        raise PolicyError(
            path + (str(unknown[0]),), f"unknown step key {unknown[0]!r}", "allowed: " + ", ".join(STEP_KEYS)
        )
    if "after" not in raw:
        raise PolicyError(path, "a chain step needs `after`", "a duration from the chain's start, e.g. 5m")
    if "action" not in raw:
        raise PolicyError(path, "a chain step needs `action`", "one of: " + ", ".join(ACTIONS))
    try:
        after = parse_duration(raw["after"])
    except ValueError as e:
        raise PolicyError(path + ("after",), str(e), "e.g. 90s, 5m, 1h30m") from None
    action = raw["action"]
    if action not in ACTIONS:
        raise PolicyError(
            path + ("action",),
            f"unknown action {action!r}",
            "; ".join(f"{a}: {h}" for a, h in ACTION_HELP.items()),
        )
    repeat = raw.get("repeat", 0)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
        raise PolicyError(
            path + ("repeat",),
            f"repeat must be a whole number from 0 to {MAX_REPEAT}, got {repeat!r}",
            "how many more times after the first run",
        )
    every: timedelta | None = None
    if "every" in raw:
        try:
            every = parse_duration(raw["every"])
        except ValueError as e:
            raise PolicyError(path + ("every",), str(e), "e.g. 10m") from None
        if every <= timedelta(0):
            raise PolicyError(path + ("every",), "every must be longer than zero", "e.g. 10m")
    if repeat and every is None:
        raise PolicyError(path, "a repeating step needs `every`", "e.g. {repeat: 2, every: 10m}")
    if every is not None and not repeat:
        raise PolicyError(
            path + ("every",), "`every` without `repeat` does nothing", "add repeat: N or remove every"
        )
    bho = raw.get("business_hours_only", False)
    if not isinstance(bho, bool):
        raise PolicyError(path + ("business_hours_only",), f"expected true or false, got {bho!r}")
    return Step(after=after, action=action, repeat=repeat, every=every, business_hours_only=bho)


def _parse_steps(raw: Any, path: tuple[str | int, ...]) -> tuple[Step, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PolicyError(path, "a chain must be a list of steps", "e.g. [{after: 5m, action: remind}]")
    steps = tuple(_parse_step(item, path + (i,)) for i, item in enumerate(raw))
    for i in range(1, len(steps)):
        if steps[i].after < steps[i - 1].after:
            raise PolicyError(
                path + (i, "after"),
                f"steps must be listed in order of `after`: {format_duration(steps[i].after)} comes after "
                f"{format_duration(steps[i - 1].after)}",
                "sort the steps by `after`",
            )
    return steps


def _parse_urgency(
    raw: Any, urgency: str, path: tuple[str | int, ...]
) -> dict[tuple[str, str | None], tuple[Step, ...]]:
    out: dict[tuple[str, str | None], tuple[Step, ...]] = {}
    if isinstance(raw, list) or raw is None:
        out[(urgency, None)] = _parse_steps(raw, path)
        return out
    if not isinstance(raw, Mapping):
        raise PolicyError(
            path,
            "expected a list of steps, or a mapping of segment -> steps",
            "keys: default, " + ", ".join(TIERS),
        )
    for key, value in raw.items():
        if key == "default":
            out[(urgency, None)] = _parse_steps(value, path + (key,))
        elif key in TIERS:
            out[(urgency, key)] = _parse_steps(value, path + (key,))
        else:
            raise PolicyError(
                path + (str(key),), f"unknown segment {key!r}", "allowed: default, " + ", ".join(TIERS)
            )
    if (urgency, None) not in out:
        # segments without their own chain fall back to the built-in default of this urgency
        out[(urgency, None)] = _parse_steps(
            DEFAULT_CHAINS[urgency]["default"], ("chains", urgency, "default")
        )
    return out


def parse_chains(doc: Mapping[str, Any]) -> ChainsConfig:
    """Read `chains:` from the whole policy document; urgencies it leaves out get the defaults."""
    raw = doc.get("chains") if isinstance(doc, Mapping) else None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise PolicyError(
            ("chains",), "expected a mapping of urgency -> chain", "keys: " + ", ".join(URGENCIES)
        )
    chains: dict[tuple[str, str | None], tuple[Step, ...]] = {}
    for key in raw:
        if key not in URGENCIES:
            raise PolicyError(
                ("chains", str(key)), f"unknown urgency {key!r}", "allowed: " + ", ".join(URGENCIES)
            )
    for urgency in URGENCIES:
        if urgency in raw:
            chains.update(_parse_urgency(raw[urgency], urgency, ("chains", urgency)))
        else:
            chains.update(_parse_urgency(DEFAULT_CHAINS[urgency], urgency, ("chains", urgency)))
    return ChainsConfig(chains=chains)


def freeze(cfg: ChainsConfig, urgency: str, tier: str | None) -> list[dict[str, Any]]:
    """The JSON-safe snapshot of the chain for this urgency and segment, stored when an escalation opens."""
    return [dict(s.to_dict(), v=SNAPSHOT_VERSION) for s in cfg.steps_for(urgency, tier)]


def thaw(snapshot: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
    """Steps back from a snapshot (as read from JSON)."""
    return tuple(Step.from_dict(d) for d in snapshot)


def plan(
    snapshot: Sequence[Mapping[str, Any]],
    started_at: datetime,
    hours: TeamHours | None = None,
) -> list[PlannedStep]:
    """Every run of every step, in the order they run, with due times.

    `started_at` is when the chain (re)started: the open time, or the release time when an escalation is
    released back to the queue. `hours` (a hours.TeamHours, or None for "always open") moves
    business-hours-only steps outside hours to the next opening. Runs never overtake each other: a run is
    due no earlier than the one before it, so `steps_done` always counts a prefix of this list.
    """
    if started_at.tzinfo is None:
        raise ValueError("started_at must be timezone-aware")
    runs: list[tuple[timedelta, int, int, int, Step]] = []
    for si, step in enumerate(thaw(snapshot)):
        for r in range(step.repeat + 1):
            offset = step.after + (step.every * r if step.every is not None else timedelta(0))
            runs.append((offset, si, r, step.repeat + 1, step))
    runs.sort(key=lambda t: (t[0], t[1], t[2]))
    out: list[PlannedStep] = []
    floor: datetime | None = None
    for index, (offset, si, r, rounds, step) in enumerate(runs):
        due = started_at + offset
        deferred = False
        if step.business_hours_only and hours is not None:
            opening = next_opening(hours, due)
            deferred = opening > due
            due = opening
        if floor is not None and due < floor:
            due = floor
        floor = due
        out.append(PlannedStep(index, step.action, due, si, r, rounds, step.business_hours_only, deferred))
    return out


def due_steps(
    snapshot: Sequence[Mapping[str, Any]],
    started_at: datetime,
    done: int,
    now: datetime,
    hours: TeamHours | None = None,
) -> list[PlannedStep]:
    """The runs not yet done (index >= done) whose time has come (due_at <= now), in order."""
    return [p for p in plan(snapshot, started_at, hours)[done:] if p.due_at <= now]


def next_step(
    snapshot: Sequence[Mapping[str, Any]], started_at: datetime, done: int, hours: TeamHours | None = None
) -> PlannedStep | None:
    """The next run after `done` runs, or None when the chain is finished (for 'next: page in 3 min')."""
    p = plan(snapshot, started_at, hours)
    return p[done] if 0 <= done < len(p) else None


def next_deadline(
    snapshot: Sequence[Mapping[str, Any]], started_at: datetime, done: int, hours: TeamHours | None = None
) -> datetime | None:
    """When the next run is due (store it as `next_step_at`), or None when the chain is finished."""
    n = next_step(snapshot, started_at, done, hours)
    return n.due_at if n is not None else None
