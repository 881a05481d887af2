"""Scenario files for `baton simulate`: parse and validate, naming the line of anything wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.chain import parse_duration
from bot.domain.errors import PolicyError
from bot.policy import PolicyFileError, line_of, parse_yaml
from integrations.accounts import AccountSpec, parse_account_dict

TOP_KEYS = ("start", "policy", "accounts", "agents", "timeline", "expect", "run_until", "name", "description")
ACCOUNT_SOURCES = ("slack", "api", "intercom", "zendesk")
CLICKS = ("claim", "release", "resolve", "take_over", "hand_off", "note", "reopen", "snooze")
CLICK_KEYS = ("at", "click", "by", "conversation", "note", "needed", "team", "text", "until")
# Keys only some clicks take, and the clicks that need them.
CLICK_ONLY = {"needed": ("resolve",), "team": ("hand_off",), "text": ("note",), "until": ("snooze",)}
CLICK_NEEDS = {"hand_off": ("team",), "note": ("text",), "snooze": ("until",)}
DEFAULT_NOTES = {"resolve": "Resolved in the simulation.", "hand_off": "Handed over in the simulation."}
NEEDED = ("yes", "no", "partly")  # "Was a human needed?" on resolve
EXPECT_KEYS = (
    "conversation",
    "escalated",
    "escalated_by",
    "trigger",
    "urgency",
    "category",
    "channel",
    "claimed_by",
    "pickup_max",
    "customer_notified",
    "paged",
    "paged_by",
    "page_resolved",
    "reminded_by",
    "team",
    "customer_told_resolved",
    "cards",
    "breached",
    "breached_by",
    "assigned_to",
    "offered_to",
    "surge",
)
OFFSET_KEYS = ("escalated_by", "pickup_max", "paged_by", "reminded_by")
BOOL_KEYS = ("escalated", "customer_notified", "paged", "page_resolved", "customer_told_resolved", "breached", "surge")
SLA_TARGETS = ("pickup", "next_reply")  # breached_by: which SLA target the first breach was


class ScenarioError(PolicyFileError):
    """A scenario file is wrong: file, line, what and what is allowed."""


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    teams: tuple[str, ...] = ()
    email: str = ""


@dataclass(frozen=True)
class Step:
    at: timedelta
    kind: str  # customer | ai | agent | click | presence
    conversation: str
    text: str = ""
    account: str = ""
    user: str = ""  # agent id, or the clicking user
    click: str = ""  # one of CLICKS
    confidence: float | None = None
    note: str = ""  # resolve: the resolution note; hand_off: the note for the new team; note: the note
    needed: str = "yes"  # resolve: the answer to "Was a human needed?" (yes | no | partly)
    team: str = ""  # hand_off: the team it goes to
    until: timedelta | None = None  # snooze: until this offset from the start
    presence: str = ""  # presence step: away | active (what users.getPresence says of `user` from then on)
    line: int | None = None


@dataclass(frozen=True)
class Expectation:
    raw: Mapping[str, Any]
    conversation: str
    line: int | None = None


@dataclass(frozen=True)
class Scenario:
    source: str
    start: datetime
    policy_path: Path | None
    accounts: tuple[AccountSpec, ...]
    agents: tuple[Agent, ...]
    steps: tuple[Step, ...]
    expectations: tuple[Expectation, ...]
    run_until: timedelta
    name: str = ""
    raw_accounts: tuple[Mapping[str, Any], ...] = field(default=())
    # account id -> where its conversations happen (slack | api | intercom | zendesk): `source: api`
    # sends its messages through POST /api/v1/messages, intercom/zendesk through their signed webhooks.
    sources: Mapping[str, str] = field(default_factory=dict)


def _fail(path: tuple[str | int, ...], msg: str, hint: str = "") -> PolicyError:
    return PolicyError(path, msg, hint)


def _offset(value: Any, path: tuple[str | int, ...], start: datetime) -> timedelta:
    """An offset from the start (90s, 5m, 1h30m) or an ISO time."""
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return when - start
    text = str(value).strip()
    if "T" in text and ":" in text:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _fail(path, f"'{text}' is not an ISO time", "e.g. 2026-11-23T10:05:00-05:00") from None
        if when.tzinfo is None:
            raise _fail(path, "an ISO time needs a UTC offset", "e.g. 2026-11-23T10:05:00-05:00")
        return when - start
    try:
        return parse_duration(value)
    except (PolicyError, ValueError):
        raise _fail(
            path, f"'{text}' is not a time", "an offset like 90s, 5m, 1h30m, or an ISO time"
        ) from None


def _keys(item: Mapping[str, Any], allowed: tuple[str, ...], path: tuple[str | int, ...]) -> None:
    for key in item:
        if key not in allowed:
            raise _fail((*path, key), f"unknown key '{key}'", "allowed: " + ", ".join(allowed))


def _str(item: Mapping[str, Any], key: str, path: tuple[str | int, ...], required: bool = True) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise _fail((*path, key), "is required")
        return ""
    if not isinstance(value, str | int | float):
        raise _fail((*path, key), "must be a string")
    return str(value)


def _parse_start(doc: Mapping[str, Any]) -> datetime:
    raw = doc.get("start")
    if raw is None:
        raise _fail(("start",), "is required", 'the virtual clock start, e.g. "2026-11-23T10:00:00-05:00"')
    if isinstance(raw, datetime):
        start = raw
    else:
        try:
            start = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise _fail(
                ("start",), f"'{raw}' is not an ISO time", 'e.g. "2026-11-23T10:00:00-05:00"'
            ) from None
    if start.tzinfo is None:
        raise _fail(("start",), "needs a UTC offset", 'e.g. "2026-11-23T10:00:00-05:00"')
    return start.astimezone(UTC)


def _parse_agents(doc: Mapping[str, Any]) -> tuple[Agent, ...]:
    raw = doc.get("agents") or []
    if not isinstance(raw, list):
        raise _fail(("agents",), "must be a list", "e.g. - {id: U0ALICE, name: alice, teams: [billing]}")
    out = []
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("agents", i)
        if not isinstance(item, dict):
            raise _fail(path, "must be a mapping", "e.g. {id: U0ALICE, name: alice, teams: [billing]}")
        _keys(item, ("id", "name", "teams", "email"), path)
        teams = item.get("teams") or []
        if not isinstance(teams, list):
            raise _fail((*path, "teams"), "must be a list of team names")
        agent_id = _str(item, "id", path)
        out.append(
            Agent(
                id=agent_id,
                name=_str(item, "name", path, required=False) or agent_id,
                teams=tuple(str(t) for t in teams),
                email=_str(item, "email", path, required=False),
            )
        )
    return tuple(out)


def _parse_steps(
    doc: Mapping[str, Any], start: datetime, accounts: set[str], agents: set[str]
) -> tuple[Step, ...]:
    raw = doc.get("timeline")
    if not isinstance(raw, list) or not raw:
        raise _fail(("timeline",), "must be a non-empty list", "e.g. - {at: 0s, customer: acme, says: Hello}")
    steps = []
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("timeline", i)
        if not isinstance(item, dict):
            raise _fail(path, "must be a mapping", "e.g. {at: 0s, customer: acme, says: Hello}")
        kinds = [k for k in ("customer", "ai", "agent", "click", "presence") if k in item]
        if len(kinds) != 1:
            raise _fail(
                path,
                "needs exactly one of customer, ai, agent, click or presence",
                "e.g. {at: 2m, customer: acme, says: ...}",
            )
        kind = kinds[0]
        at = _offset(item.get("at", "0s"), (*path, "at"), start)
        if at < timedelta(0):
            raise _fail((*path, "at"), "is before the scenario's start")
        if kind in ("customer", "ai"):
            _keys(item, ("at", kind, "says", "conversation", "confidence"), path)
            account = _str(item, kind, path)
            if account not in accounts:
                raise _fail(
                    (*path, kind), f"no account '{account}'", "accounts: " + ", ".join(sorted(accounts))
                )
            conf = item.get("confidence")
            if conf is not None:
                if kind != "ai":
                    raise _fail((*path, "confidence"), "only AI answers carry a confidence")
                if not isinstance(conf, int | float) or not 0 <= conf <= 1:
                    raise _fail((*path, "confidence"), "must be a number from 0 to 1")
            steps.append(
                Step(
                    at=at,
                    kind=kind,
                    account=account,
                    conversation=_str(item, "conversation", path, required=False) or account,
                    text=_str(item, "says", path),
                    confidence=float(conf) if conf is not None else None,
                    line=None,
                )
            )
        elif kind == "presence":
            steps.append(_presence_step(item, path, at, agents))
        elif kind == "agent":
            _keys(item, ("at", "agent", "says", "conversation"), path)
            user = _str(item, "agent", path)
            if user not in agents:
                raise _fail((*path, "agent"), f"no agent '{user}'", "agents: " + ", ".join(sorted(agents)))
            steps.append(
                Step(
                    at=at,
                    kind="agent",
                    user=user,
                    conversation=_str(item, "conversation", path),
                    text=_str(item, "says", path),
                )
            )
        else:
            _keys(item, CLICK_KEYS, path)
            click = _str(item, "click", path)
            if click not in CLICKS:
                raise _fail((*path, "click"), f"'{click}' is not a button", " | ".join(CLICKS))
            for key, clicks in CLICK_ONLY.items():
                if key in item and click not in clicks:
                    raise _fail((*path, key), f"only {' and '.join(clicks)} takes {key}", f"remove {key}")
            for key in CLICK_NEEDS.get(click, ()):
                if key not in item:
                    raise _fail(path, f"{click} needs {key}", f"e.g. {key}: {_EXAMPLES[key]}")
            if "note" in item and click not in ("resolve", "hand_off"):
                raise _fail(
                    (*path, "note"), "only resolve and hand_off take a note", "a note click writes text:"
                )
            needed = _str(item, "needed", path, required=False) or "yes"
            if needed not in NEEDED:
                raise _fail((*path, "needed"), f"'{needed}' is not an answer", "yes | no | partly")
            until = _offset(item["until"], (*path, "until"), start) if "until" in item else None
            note = _str(item, "text" if click == "note" else "note", path, required=False)
            steps.append(
                Step(
                    at=at,
                    kind="click",
                    click=click,
                    user=_str(item, "by", path),
                    conversation=_str(item, "conversation", path),
                    note=note or DEFAULT_NOTES.get(click, ""),
                    needed=needed,
                    team=_str(item, "team", path, required=False),
                    until=until,
                )
            )
    return tuple(steps)


_EXAMPLES = {"team": "billing", "text": "Customer is on the old plan", "until": "2h"}
PRESENCE = ("away", "active")


def _presence_step(item: Mapping[str, Any], path: tuple[str | int, ...], at: timedelta, agents: set[str]) -> Step:
    """`{at: 1m, presence: away, user: U0DANA}`: from then on Slack says the agent is away (or active)."""
    _keys(item, ("at", "presence", "user"), path)
    presence = _str(item, "presence", path)
    if presence not in PRESENCE:
        raise _fail((*path, "presence"), f"'{presence}' is not a presence", "away | active")
    user = _str(item, "user", path)
    if user not in agents:
        raise _fail((*path, "user"), f"no agent '{user}'", "agents: " + ", ".join(sorted(agents)))
    return Step(at=at, kind="presence", conversation="", user=user, presence=presence)


def _check_people(item: Mapping[str, Any], path: tuple[str | int, ...]) -> None:
    if "assigned_to" in item and not isinstance(item["assigned_to"], str):
        raise _fail((*path, "assigned_to"), "must be a user id", "e.g. assigned_to: U0BOB")
    if "offered_to" in item:
        value = item["offered_to"]
        if not isinstance(value, str) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _fail((*path, "offered_to"), "must be a user id or a list of them", "e.g. offered_to: U0DANA, or [] for nobody")


def _parse_expect(
    doc: Mapping[str, Any], start: datetime, conversations: set[str]
) -> tuple[Expectation, ...]:
    raw = doc.get("expect") or []
    if not isinstance(raw, list):
        raise _fail(("expect",), "must be a list", "e.g. - {conversation: acme, escalated: true}")
    out = []
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("expect", i)
        if not isinstance(item, dict):
            raise _fail(path, "must be a mapping", "e.g. {conversation: acme, escalated: true}")
        _keys(item, EXPECT_KEYS, path)
        conv = _str(item, "conversation", path)
        if conv not in conversations:
            raise _fail(
                (*path, "conversation"),
                f"no conversation '{conv}' in the timeline",
                "known: " + ", ".join(sorted(conversations)),
            )
        if len(item) == 1:
            raise _fail(path, "expects nothing", "add e.g. escalated: true")
        for key in BOOL_KEYS:
            if key in item and not isinstance(item[key], bool):
                raise _fail((*path, key), "must be true or false")
        for key in OFFSET_KEYS:
            if key in item:
                _offset(item[key], (*path, key), start)
        cards = item.get("cards")
        if "cards" in item and (isinstance(cards, bool) or not isinstance(cards, int) or cards < 0):
            raise _fail(
                (*path, "cards"), "must be a whole number, 0 or more", "e.g. cards: 2 after a hand-off"
            )
        if "breached_by" in item and item["breached_by"] not in SLA_TARGETS:
            raise _fail(
                (*path, "breached_by"),
                f"{item['breached_by']!r} is not an SLA target",
                " | ".join(SLA_TARGETS),
            )
        _check_people(item, path)
        if "urgency" in item and item["urgency"] not in ("immediate", "queued"):
            raise _fail((*path, "urgency"), f"'{item['urgency']}' is not an urgency", "immediate | queued")
        out.append(Expectation(raw=dict(item), conversation=conv))
    return tuple(out)


def parse_scenario_text(text: str, source: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    doc, lines = parse_yaml(text, source)
    try:
        if not isinstance(doc, dict):
            raise _fail((), "a scenario is a mapping with start, accounts, agents, timeline and expect")
        _keys(doc, TOP_KEYS, ())
        start = _parse_start(doc)
        raw_accounts = doc.get("accounts") or []
        if not isinstance(raw_accounts, list) or not raw_accounts:
            raise _fail(
                ("accounts",),
                "must be a non-empty list",
                "e.g. - {id: acme, name: Acme Corp, tier: enterprise, channel: C0ACME}",
            )
        specs = []
        sources: dict[str, str] = {}
        plain: list[Any] = []
        for i, item in enumerate(raw_accounts):
            if isinstance(item, dict) and "source" in item:
                item = dict(item)
                where = item.pop("source")
                if where not in ACCOUNT_SOURCES:
                    raise _fail(("accounts", i, "source"), f"unknown source {where!r}", " | ".join(ACCOUNT_SOURCES))
                if where != "slack":  # not in Slack: a channel of its own in the stand-in, never posted in
                    item.setdefault("channel", f"C0SRC{i:03d}")
                sources[str(item.get("id") or item.get("account"))] = str(where)
            plain.append(item)
            spec = parse_account_dict(item, ("accounts", i))
            if not spec.channel:
                raise _fail(
                    ("accounts", i),
                    "needs a channel (the customer's Slack Connect channel id)",
                    "e.g. channel: C0ACME",
                )
            specs.append(spec)
        agents = _parse_agents(doc)
        steps = _parse_steps(doc, start, {s.account.id for s in specs}, {a.id for a in agents})
        conversations = {s.conversation for s in steps}
        expectations = _parse_expect(doc, start, conversations)
        last = max(s.at for s in steps)
        run_until = (
            _offset(doc["run_until"], ("run_until",), start)
            if "run_until" in doc
            else last + timedelta(hours=1)
        )
        policy_path = None
        if doc.get("policy"):
            policy_path = (base_dir or Path(".")) / str(doc["policy"])
    except PolicyError as exc:
        raise ScenarioError(source, line_of(lines, exc.path), exc.describe()) from None
    # Line numbers for steps and expectations, for readable reports.
    steps = tuple(
        Step(**{**s.__dict__, "line": line_of(lines, ("timeline", i))}) for i, s in enumerate(steps)
    )
    expectations = tuple(
        Expectation(raw=e.raw, conversation=e.conversation, line=line_of(lines, ("expect", i)))
        for i, e in enumerate(expectations)
    )
    return Scenario(
        source=source,
        start=start,
        policy_path=policy_path,
        accounts=tuple(specs),
        agents=agents,
        steps=tuple(sorted(steps, key=lambda s: s.at)),
        expectations=expectations,
        run_until=max(run_until, last),
        name=str(doc.get("name") or ""),
        raw_accounts=tuple(dict(a) for a in plain),
        sources=sources,
    )


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(p), None, f"cannot read the scenario: {exc.strerror}") from None
    return parse_scenario_text(text, str(p), p.parent)
