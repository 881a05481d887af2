"""Who gets an escalation first: the routing policy of a team and the decisions it makes. Pure.

In order (docs/policy.md, "Routing to a person"):

1. **First offer.** The account owner and, within the cooling period, the agent who handled the
   account last get a DM with the card and Claim, and the escalation is reserved for them for
   `offer_window` (default 5 minutes) before the team is asked.
2. **Balanced assignment.** Then the team member with the fewest open claims who is present, within
   their cap and during their hours, is assigned it (a DM too), for `assign_window`.
3. **The channel**, as without routing: the team's chain (remind, page, notify the manager) starts.

Nobody available at a stage (away, deactivated, outside their hours, at their cap) moves on to the
next stage at once; every skip says why. Policy::

    team_defaults:
      routing: {offer_window: 5m}
    teams:
      support:
        routing:
          first_offer: [owner, previous_handler]     # the default; [] turns first offers off
          offer_window: 5m
          assign_window: 5m                          # default: the offer window
          max_open: 3                                # open claims per person (default 3)
          members:                                   # omit: no balanced assignment
            - U0ALICE
            - {user: U0BOB, max_open: 1, timezone: Europe/Berlin, hours: {mon-fri: "09:00-13:00"}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain import hours
from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError

DEFAULT_OFFER_WINDOW = timedelta(minutes=5)
DEFAULT_MAX_OPEN = 3
MAX_WINDOW = timedelta(hours=4)  # a longer reservation would hide a customer from the team for too long
# How long the routing decision itself (Slack lookups: presence, the owner's account) may take before
# the team is asked anyway: a Slack outage must never leave a customer reserved for nobody.
DECIDE_DEADLINE = timedelta(seconds=60)

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


class OfferRole(StrEnum):
    """Why a person is offered the escalation."""

    OWNER = "owner"
    PREVIOUS_HANDLER = "previous_handler"
    MEMBER = "member"  # balanced assignment


ROLE_TEXT = {
    OfferRole.OWNER: "the account owner",
    OfferRole.PREVIOUS_HANDLER: "who handled it last",
    OfferRole.MEMBER: "fewest open claims",
}
FIRST_OFFER_ROLES = (OfferRole.OWNER, OfferRole.PREVIOUS_HANDLER)


class RouteStage(StrEnum):
    """Where an escalation is in its routing (escalations.route_stage)."""

    NONE = ""  # no routing: the team's channel from the start (escalations from before routing, too)
    DECIDING_OFFER = "deciding_offer"  # the first offer is being decided (Slack lookups)
    OFFERED = "offered"  # reserved for the first-offer people until offer_until
    DECIDING_ASSIGN = "deciding_assign"  # balanced assignment is being decided
    ASSIGNED = "assigned"  # reserved for one member until offer_until
    CHANNEL = "channel"  # the team is asked: the chain runs


DECIDING = (RouteStage.DECIDING_OFFER, RouteStage.DECIDING_ASSIGN)
RESERVED = (RouteStage.OFFERED, RouteStage.ASSIGNED)


@dataclass(frozen=True)
class Member:
    user: str
    max_open: int
    hours: hours.TeamHours | None = None  # None: the team's hours


@dataclass(frozen=True)
class RoutingConfig:
    first_offer: tuple[OfferRole, ...] = FIRST_OFFER_ROLES
    offer_window: timedelta = DEFAULT_OFFER_WINDOW
    assign_window: timedelta = DEFAULT_OFFER_WINDOW
    max_open: int = DEFAULT_MAX_OPEN
    members: tuple[Member, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.first_offer or self.members) and self.offer_window > timedelta(0)

    def member(self, user: str) -> Member | None:
        return next((m for m in self.members if m.user == user), None)


DEFAULT_ROUTING = RoutingConfig()
ROUTING_KEYS = ("first_offer", "offer_window", "assign_window", "max_open", "members")
MEMBER_KEYS = ("user", "max_open", "timezone", "hours")


# ---------------------------------------------------------------- the policy


def _window(value: Any, path: tuple[str | int, ...]) -> timedelta:
    try:
        window = parse_duration(value)
    except ValueError as exc:
        raise PolicyError(path, str(exc), "e.g. 5m, 90s or 0s (no reservation)") from None
    if window > MAX_WINDOW:
        raise PolicyError(
            path, f"{value} is longer than {MAX_WINDOW}", "keep a reservation under 4h, e.g. 5m"
        )
    return window


def _cap(value: Any, path: tuple[str | int, ...]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PolicyError(path, f"must be a whole number of open claims, at least 1, not {value!r}", "e.g. 3")
    return value


def _user(value: Any, path: tuple[str | int, ...]) -> str:
    if not isinstance(value, str) or not USER_ID.fullmatch(value.strip()):
        raise PolicyError(
            path,
            f"{value!r} is not a Slack user id",
            "use the member id (U0123ABCD): in Slack open the profile, ⋮ → Copy member ID",
        )
    return value.strip()


def _mapping(
    value: Any, path: tuple[str | int, ...], allowed: tuple[str, ...], example: str
) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(path, f"must be a mapping, not {type(value).__name__}", example)
    for key in value:
        if key not in allowed:
            raise PolicyError((*path, key), f"unknown key '{key}'", "allowed: " + ", ".join(allowed))
    return value


def _member(
    raw: Any,
    path: tuple[str | int, ...],
    max_open: int,
    team_tz: Any,
    holidays: tuple[str | None, str | None],
) -> Member:
    if isinstance(raw, str):
        return Member(_user(raw, path), max_open)
    body = _mapping(raw, path, MEMBER_KEYS, "a user id, or {user: U0ALICE, max_open: 2}")
    if "user" not in body:
        raise PolicyError(path, "a member needs a user", "e.g. {user: U0ALICE, max_open: 2}")
    user = _user(body["user"], (*path, "user"))
    cap = _cap(body["max_open"], (*path, "max_open")) if "max_open" in body else max_open
    own_hours = None
    if "hours" in body or "timezone" in body:
        tz = hours.parse_timezone(body["timezone"], (*path, "timezone")) if "timezone" in body else team_tz
        windows = (
            hours.parse_hours_value(body["hours"], (*path, "hours"))
            if "hours" in body
            else hours.parse_hours_value(hours.DEFAULT_TEAM_SETTINGS["hours"], (*path, "hours"))
        )
        own_hours = hours.TeamHours(
            team=user, tz=tz, windows=windows, holiday_country=holidays[0], holiday_subdiv=holidays[1]
        )
    return Member(user, cap, own_hours)


def parse_routing(doc: Mapping[str, Any], team_name: str) -> RoutingConfig:
    """The team's routing: its own `routing:` keys over `team_defaults.routing` over the defaults."""
    example = "e.g. {offer_window: 5m, members: [U0ALICE, U0BOB]}"
    defaults_doc = doc.get("team_defaults")
    defaults = _mapping(
        defaults_doc.get("routing") if isinstance(defaults_doc, Mapping) else None,
        ("team_defaults", "routing"),
        ROUTING_KEYS,
        example,
    )
    teams = doc.get("teams")
    team = teams.get(team_name) if isinstance(teams, Mapping) else None
    own = _mapping(
        team.get("routing") if isinstance(team, Mapping) else None,
        ("teams", team_name, "routing"),
        ROUTING_KEYS,
        example,
    )

    def pick(key: str) -> tuple[Any, tuple[str | int, ...]] | None:
        if key in own:
            return own[key], ("teams", team_name, "routing", key)
        if key in defaults:
            return defaults[key], ("team_defaults", "routing", key)
        return None

    first = DEFAULT_ROUTING.first_offer
    if (got := pick("first_offer")) is not None:
        value, path = got
        if not isinstance(value, list):
            raise PolicyError(path, "must be a list", "e.g. [owner, previous_handler], or [] for none")
        roles = []
        for i, item in enumerate(value):
            if item not in FIRST_OFFER_ROLES:
                raise PolicyError((*path, i), f"'{item}' is not a first offer", "use owner, previous_handler")
            roles.append(OfferRole(item))
        first = tuple(dict.fromkeys(roles))
    offer_window = _window(*got) if (got := pick("offer_window")) is not None else DEFAULT_OFFER_WINDOW
    assign_window = _window(*got) if (got := pick("assign_window")) is not None else offer_window
    max_open = _cap(*got) if (got := pick("max_open")) is not None else DEFAULT_MAX_OPEN
    members: list[Member] = []
    if (got := pick("members")) is not None:
        value, path = got
        if not isinstance(value, list):
            raise PolicyError(path, "must be a list of Slack user ids", "e.g. [U0ALICE, U0BOB]")
        team_tz = hours.team_timezone(doc, team_name)
        hol_value, hol_path = hours.team_setting(doc, team_name, "holidays")
        holidays = hours.parse_holidays(hol_value, hol_path)
        for i, raw in enumerate(value):
            member = _member(raw, (*path, i), max_open, team_tz, holidays)
            if any(m.user == member.user for m in members):
                raise PolicyError((*path, i), f"{member.user} is listed twice", "list each member once")
            members.append(member)
    return RoutingConfig(first, offer_window, assign_window, max_open, tuple(members))


# ---------------------------------------------------------------- the decisions


@dataclass(frozen=True)
class Candidate:
    """A person who could be offered the escalation, with what Slack and the database say of them."""

    user: str
    role: OfferRole
    found: bool = True  # an active member of the workspace (not deactivated, not unknown)
    present: bool = True  # users.getPresence said active
    open_claims: int = 0  # claimed and not resolved, plus open assignments waiting for them
    offered_first: bool = False  # the first offer was theirs and they let it run out
    problem: str = ""  # why we could not even ask (e.g. "no Slack user for dana@example.com")


@dataclass(frozen=True)
class Skip:
    user: str
    role: OfferRole
    why: str


@dataclass(frozen=True)
class Plan:
    """What routing does next: reserve for `offered` until `until`, or (stage CHANNEL) ask the team."""

    stage: RouteStage
    offered: tuple[Candidate, ...] = ()
    until: datetime | None = None
    skipped: tuple[Skip, ...] = field(default=())


def owner_hint(owner: str, owner_email: str) -> tuple[str, str]:
    """(Slack user id, email) to find the account owner by: the CRM names a person, Slack needs an id."""
    owner = owner.strip()
    if USER_ID.fullmatch(owner):
        return owner, ""
    return "", owner_email.strip()


def first_offer_people(
    config: RoutingConfig, owner: str, previous_handler: str
) -> list[tuple[str, OfferRole]]:
    """Who the first offer goes to, before asking Slack whether they are around (owner first)."""
    out: list[tuple[str, OfferRole]] = []
    for role in config.first_offer:
        user = owner if role == OfferRole.OWNER else previous_handler
        if user and all(u != user for u, _ in out):
            out.append((user, role))
    return out


def _skip(c: Candidate, why: str) -> Skip:
    return Skip(c.user, c.role, why)


def limits(
    config: RoutingConfig, user: str, team_hours: hours.TeamHours | None
) -> tuple[int, hours.TeamHours | None]:
    """A person's cap and hours: their own in `members`, else the team's `max_open` and hours."""
    member = config.member(user)
    cap = member.max_open if member is not None else config.max_open
    own_hours = member.hours if member is not None and member.hours is not None else team_hours
    return cap, own_hours


def choose_first_offer(
    candidates: Sequence[Candidate],
    config: RoutingConfig = DEFAULT_ROUTING,
    team_hours: hours.TeamHours | None = None,
    now: datetime | None = None,
) -> tuple[list[Candidate], list[Skip]]:
    """Everyone of the first offer who is an active, present member, in their hours and under their cap,
    gets it (first to claim wins). An owner or previous handler listed in `members` has that entry's cap
    and hours (its own, else the team's); one who is not has the team's `max_open` and no hours check
    (Baton does not know their hours: presence decides). `now` None: hours are not checked."""
    chosen, skipped = [], []
    for c in candidates:
        cap, own_hours = limits(config, c.user, team_hours)
        if config.member(c.user) is None:
            own_hours = None
        if c.problem:
            skipped.append(_skip(c, c.problem))
        elif not c.found:
            skipped.append(_skip(c, "not an active member of the workspace"))
        elif now is not None and own_hours is not None and not hours.is_open(own_hours, now):
            skipped.append(_skip(c, "outside their hours"))
        elif not c.present:
            skipped.append(_skip(c, "away"))
        elif c.open_claims >= cap:
            skipped.append(_skip(c, f"at their cap ({c.open_claims} open, max {cap})"))
        else:
            chosen.append(c)
    return chosen, skipped


def choose_member(
    config: RoutingConfig, candidates: Sequence[Candidate], team_hours: hours.TeamHours | None, now: datetime
) -> tuple[Candidate | None, list[Skip]]:
    """Balanced assignment: of the members who are present, in their hours and under their cap, the one
    with the fewest open claims (ties: the order of `members` in the policy)."""
    eligible: list[tuple[int, int, Candidate]] = []
    skipped = []
    for order, c in enumerate(candidates):
        cap, own_hours = limits(config, c.user, team_hours)
        if c.problem:
            skipped.append(_skip(c, c.problem))
        elif c.offered_first:
            skipped.append(_skip(c, "had the first offer and did not claim it"))
        elif not c.found:
            skipped.append(_skip(c, "not an active member of the workspace"))
        elif own_hours is not None and not hours.is_open(own_hours, now):
            skipped.append(_skip(c, "outside their hours"))
        elif not c.present:
            skipped.append(_skip(c, "away"))
        elif c.open_claims >= cap:
            skipped.append(_skip(c, f"at their cap ({c.open_claims} open, max {cap})"))
        else:
            eligible.append((c.open_claims, order, c))
    if not eligible:
        return None, skipped
    return min(eligible, key=lambda e: (e[0], e[1]))[2], skipped


def plan_first_offer(
    config: RoutingConfig,
    candidates: Sequence[Candidate],
    now: datetime,
    team_hours: hours.TeamHours | None = None,
) -> tuple[Plan | None, list[Skip]]:
    chosen, skipped = choose_first_offer(candidates, config, team_hours, now)
    if not chosen:
        return None, skipped
    return Plan(RouteStage.OFFERED, tuple(chosen), now + config.offer_window, tuple(skipped)), skipped


def plan_assignment(
    config: RoutingConfig,
    candidates: Sequence[Candidate],
    team_hours: hours.TeamHours | None,
    now: datetime,
    earlier: Sequence[Skip] = (),
) -> Plan:
    """Balanced assignment, or the channel when no member can take it (`earlier`: skips of the first offer)."""
    picked, skipped = choose_member(config, candidates, team_hours, now)
    every = (*earlier, *skipped)
    if picked is None or config.assign_window <= timedelta(0):
        return Plan(RouteStage.CHANNEL, skipped=every)
    return Plan(RouteStage.ASSIGNED, (picked,), now + config.assign_window, every)


def channel_reason(plan: Plan, members: bool) -> str:
    """Why the team is asked now (for the timeline)."""
    if not plan.skipped:
        return "no one to offer it to first" if not members else "no member could take it"
    return "nobody available: " + "; ".join(f"{s.user} ({s.why})" for s in plan.skipped)
