"""The policy file: load YAML, keep line numbers, validate every section, give one typed Policy.

The loader owns the file format and the sections about *where things go* (workspace, accounts, teams,
routing). The trigger engine and the paging core parse their own sections (pure functions raising
PolicyError with a path); this module turns that path into `file:line`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.customer_messages import DEFAULT as DEFAULT_MESSAGES
from bot.customer_messages import CustomerMessages, parse_customer_messages
from bot.domain.bugs import BugsConfig, parse_bugs
from bot.domain.card_actions import DEFAULT as DEFAULT_CARD_ACTIONS
from bot.domain.card_actions import CardActions, parse_card_actions
from bot.domain.csat import DEFAULT_CSAT, CsatConfig, parse_csat
from bot.domain.drift import DEFAULT_DRIFT, DriftConfig, parse_drift
from bot.domain.errors import PolicyError
from bot.domain.model import CATEGORIES, TIERS
from bot.domain.nlu import Classifier, load_classifier
from bot.domain.redact import DEFAULT_REDACTOR, Redactor, parse_redaction
from bot.domain.review import DEFAULT_REVIEW, ReviewConfig, parse_review
from bot.domain.routing import DEFAULT_ROUTING, RoutingConfig, parse_routing
from bot.domain.sla_targets import DEFAULT_SLA, SlaTargets, parse_sla
from bot.domain.surge import DEFAULT_SURGE, SurgeConfig, parse_surge
from bot.domain.tickets import TicketsConfig, parse_tickets

TOP_LEVEL_KEYS = (
    "version",
    "workspace",
    "accounts",
    "teams",
    "routing",
    "triggers",
    "segments",
    "chains",
    "team_defaults",
    "customer_messages",
    "safety",
    "redaction",
    "csat",
    "review",
    "drift",
    "card_actions",
    "surge",
)


class PolicyFileError(Exception):
    """A policy file is wrong; the message names the file, the line, what is wrong and what is allowed."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class AccountEntry:
    """A customer account as the policy names it: its Slack channel, plus optional facts for installs without a CRM."""

    channel: str
    id: str
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Team:
    name: str
    channel: str
    categories: tuple[str, ...] = ()
    mention: str = "<!here>"
    manager: str = ""
    hours: Any = None  # bot.domain.hours.TeamHours
    oncall: Any = None  # bot.domain.oncall.OnCallConfig
    sla: SlaTargets = DEFAULT_SLA
    routing: RoutingConfig = DEFAULT_ROUTING  # who gets the first offer (bot/domain/routing.py)
    bugs: BugsConfig | None = None  # Linear issues for bug reports (bot/domain/bugs.py); None: off
    tickets: TicketsConfig | None = None  # async handoff tickets (bot/domain/tickets.py); None: off


@dataclass(frozen=True)
class Policy:
    source: str
    doc: Mapping[str, Any]
    ai_bot_users: frozenset[str]
    managers_channel: str
    accounts: Mapping[str, AccountEntry]  # by channel id
    teams: Mapping[str, Team]
    routes: Mapping[str, str]  # category -> team name
    default_team: str
    engine: Any  # bot.domain.triggers.EngineConfig
    chains: Any = None  # bot.domain.chain.ChainsConfig
    messages: CustomerMessages = DEFAULT_MESSAGES  # what the customer reads, per language
    redactor: Redactor = DEFAULT_REDACTOR  # what is masked on cards, transcripts and exports
    csat: CsatConfig = DEFAULT_CSAT  # the survey after a resolution (bot/domain/csat.py)
    review: ReviewConfig = DEFAULT_REVIEW  # the monthly false-positive review (bot/domain/review.py)
    drift: DriftConfig = DEFAULT_DRIFT  # the daily escalation-rate check (bot/domain/drift.py)
    card_actions: CardActions = DEFAULT_CARD_ACTIONS  # reopen window, longest snooze
    surge: SurgeConfig = DEFAULT_SURGE  # when many escalations for one cause are one incident

    def team_for(self, category: str) -> Team:
        return self.teams[self.routes.get(category, self.default_team)]

    def account_for_channel(self, channel: str) -> AccountEntry | None:
        return self.accounts.get(channel)

    def account_by_id(self, account_id: str) -> AccountEntry | None:
        """The policy's entry for an account named by id (conversations that are not in Slack)."""
        return next((a for a in self.accounts.values() if a.id == account_id), None)

    def with_classifier(self, classifier: Classifier | None) -> Policy:
        """A copy whose trigger engine runs `classifier` (the judgment model) beside the rules."""
        return replace(self, engine=self.engine.with_classifier(classifier))

    def with_model(self) -> Policy:
        """A copy running the packaged judgment model (loaded once, on first use)."""
        return self.with_classifier(load_classifier())

    def with_accounts(self, accounts: Mapping[str, AccountEntry]) -> Policy:
        """A copy watching other customer channels (used by `baton simulate`)."""
        return replace(self, accounts=dict(accounts))


# ---------------------------------------------------------------- YAML with line numbers


class _LineLoader(yaml.SafeLoader):
    pass


def _to_data(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int], source: str
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _LineLoader(  # construct the key as YAML would (so `1:` is 1, `on:` is True...)
                ""
            ).construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise PolicyFileError(
                    source,
                    key_node.start_mark.line + 1,
                    f"'{key}' appears twice in the same mapping (keep one)",
                )
            out[key] = _to_data(value_node, (*path, key), lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(v, (*path, i), lines, source) for i, v in enumerate(node.value)]
    return _LineLoader("").construct_object(node)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyFileError(source, line, f"not valid YAML: {exc.problem or exc}") from None
    if node is None:
        return {}, {}
    lines: dict[tuple[str | int, ...], int] = {}
    return _to_data(node, (), lines, source), lines


def line_of(lines: Mapping[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


# ---------------------------------------------------------------- sections owned here


def _expect_mapping(value: Any, path: tuple[str | int, ...]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PolicyError(path, f"must be a mapping (key: value), not {type(value).__name__}")
    return value


def _check_keys(value: Mapping[str, Any], allowed: tuple[str, ...], path: tuple[str | int, ...]) -> None:
    for key in value:
        if key not in allowed:
            raise PolicyError((*path, key), f"unknown key '{key}'", "allowed: " + ", ".join(allowed))


def _string(value: Any, path: tuple[str | int, ...], *, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise PolicyError(path, "is required")
        return ""
    if not isinstance(value, str | int):
        raise PolicyError(path, f"must be a string, not {type(value).__name__}")
    return str(value)


CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def _channel_id(value: Any, path: tuple[str | int, ...], *, required: bool = True) -> str:
    """A Slack channel id (C... or G...): events name channels by id, so a name would never match."""
    channel = _string(value, path, required=required)
    if channel and not CHANNEL_ID.fullmatch(channel):
        raise PolicyError(
            path,
            f"'{channel}' is not a channel id: Baton needs the id (C... or G...), not the name",
            "in Slack open the channel's details: the id, e.g. C0123ABCD, is at the bottom of the About tab",
        )
    return channel


def _parse_workspace(doc: Mapping[str, Any]) -> tuple[frozenset[str], str]:
    ws = _expect_mapping(doc.get("workspace"), ("workspace",))
    _check_keys(ws, ("ai_bot_users", "managers_channel"), ("workspace",))
    bots = ws.get("ai_bot_users") or []
    if not isinstance(bots, list):
        raise PolicyError(
            ("workspace", "ai_bot_users"), "must be a list of Slack user ids", "e.g. [U0AIAGENT]"
        )
    ids = frozenset(_string(b, ("workspace", "ai_bot_users", i)) for i, b in enumerate(bots))
    return ids, _channel_id(ws.get("managers_channel"), ("workspace", "managers_channel"), required=False)


ACCOUNT_FACT_KEYS = ("name", "tier", "mrr", "renewal_date", "owner", "created_at", "at_risk")


def _parse_accounts(doc: Mapping[str, Any]) -> dict[str, AccountEntry]:
    raw = doc.get("accounts") or []
    if not isinstance(raw, list):
        raise PolicyError(("accounts",), "must be a list", "e.g. - {channel: C0ACME, account: acme}")
    out: dict[str, AccountEntry] = {}
    for i, item in enumerate(raw):
        path: tuple[str | int, ...] = ("accounts", i)
        item = _expect_mapping(item, path)
        _check_keys(item, ("channel", "account", *ACCOUNT_FACT_KEYS), path)
        channel = _channel_id(item.get("channel"), (*path, "channel"))
        account = _string(item.get("account"), (*path, "account"))
        if channel in out:
            raise PolicyError(
                (*path, "channel"), f"channel {channel} is already mapped to account {out[channel].id}"
            )
        tier = item.get("tier")
        if tier is not None and tier not in TIERS:
            raise PolicyError((*path, "tier"), f"'{tier}' is not a tier", "use " + " | ".join(TIERS))
        facts = {k: item[k] for k in ACCOUNT_FACT_KEYS if k in item}
        out[channel] = AccountEntry(channel=channel, id=account, facts=facts)
    return out


TEAM_KEYS = (
    "channel",
    "categories",
    "mention",
    "manager",
    "timezone",
    "hours",
    "holidays",
    "oncall",
    "expected_wait",
    "sla",
    "routing",
    "bugs",
    "tickets",
)


def _parse_teams(doc: Mapping[str, Any]) -> dict[str, Team]:
    raw = _expect_mapping(doc.get("teams"), ("teams",))
    if not raw:
        raise PolicyError(
            ("teams",), "at least one team is required", "e.g. teams: {support: {channel: C0SUPPORT}}"
        )
    teams: dict[str, Team] = {}
    for name, body in raw.items():
        path: tuple[str | int, ...] = ("teams", name)
        body = _expect_mapping(body, path)
        _check_keys(body, TEAM_KEYS, path)
        cats = body.get("categories") or []
        if not isinstance(cats, list):
            raise PolicyError(
                (*path, "categories"), "must be a list of categories", "e.g. [billing, cancellation]"
            )
        for j, cat in enumerate(cats):
            if cat not in CATEGORIES:
                raise PolicyError(
                    (*path, "categories", j), f"'{cat}' is not a category", "use " + ", ".join(CATEGORIES)
                )
        teams[name] = Team(
            name=name,
            channel=_channel_id(body.get("channel"), (*path, "channel")),
            categories=tuple(cats),
            mention=_string(body.get("mention"), (*path, "mention"), required=False) or "<!here>",
            manager=_string(body.get("manager"), (*path, "manager"), required=False),
            hours=_team_hours(doc, name),
            oncall=_team_oncall(doc, name),
            sla=_team_sla(doc, body, path),
            routing=parse_routing(doc, name),
            bugs=parse_bugs(body.get("bugs"), (*path, "bugs"), categories=CATEGORIES),
            tickets=_team_tickets(doc, body, path),
        )
    return teams


def _team_sla(doc: Mapping[str, Any], body: Mapping[str, Any], path: tuple[str | int, ...]) -> SlaTargets:
    if "sla" in body:
        return parse_sla(body["sla"], (*path, "sla"))
    defaults = doc.get("team_defaults")
    if isinstance(defaults, Mapping) and "sla" in defaults:
        return parse_sla(defaults["sla"], ("team_defaults", "sla"))
    return DEFAULT_SLA


def _team_tickets(
    doc: Mapping[str, Any], body: Mapping[str, Any], path: tuple[str | int, ...]
) -> TicketsConfig | None:
    if "tickets" in body:
        return parse_tickets(body["tickets"], (*path, "tickets"))
    defaults = doc.get("team_defaults")
    if isinstance(defaults, Mapping) and "tickets" in defaults:
        return parse_tickets(defaults["tickets"], ("team_defaults", "tickets"))
    return None


def _team_hours(doc: Mapping[str, Any], team: str) -> Any:
    try:
        from bot.domain import hours
    except ImportError:  # pragma: no cover - the paging core is part of the package
        return None
    return hours.parse_team_hours(doc, team)


def _team_oncall(doc: Mapping[str, Any], team: str) -> Any:
    try:
        from bot.domain import oncall
    except ImportError:  # pragma: no cover
        return None
    return oncall.parse_oncall(doc, team)


def _parse_routing(doc: Mapping[str, Any], teams: Mapping[str, Team]) -> tuple[dict[str, str], str]:
    raw = _expect_mapping(doc.get("routing"), ("routing",))
    _check_keys(raw, ("default_team", "categories"), ("routing",))
    default = _string(raw.get("default_team") or next(iter(teams)), ("routing", "default_team"))
    if default not in teams:
        raise PolicyError(
            ("routing", "default_team"), f"no team named '{default}'", "teams: " + ", ".join(teams)
        )
    routes: dict[str, str] = {}
    for team in teams.values():  # a team's own `categories` route to it
        for cat in team.categories:
            routes[cat] = team.name
    cats = _expect_mapping(raw.get("categories"), ("routing", "categories"))
    for cat, team_name in cats.items():
        if cat not in CATEGORIES:
            raise PolicyError(
                ("routing", "categories", cat), f"'{cat}' is not a category", "use " + ", ".join(CATEGORIES)
            )
        if team_name not in teams:
            raise PolicyError(
                ("routing", "categories", cat), f"no team named '{team_name}'", "teams: " + ", ".join(teams)
            )
        routes[cat] = str(team_name)
    return routes, default


def _parse_engine(doc: Mapping[str, Any]) -> Any:
    from bot.domain.triggers import parse_engine_config

    return parse_engine_config(doc)


def _parse_chains(doc: Mapping[str, Any]) -> Any:
    try:
        from bot.domain import chain
    except ImportError:  # pragma: no cover
        return None
    return chain.parse_chains(doc)


# ---------------------------------------------------------------- entry points


def build_policy(doc: Any, source: str) -> Policy:
    """Validate a parsed document (raises PolicyError with a path)."""
    doc = _expect_mapping(doc, ())
    _check_keys(doc, TOP_LEVEL_KEYS, ())
    version = doc.get("version", 1)
    if version != 1:
        raise PolicyError(
            ("version",), f"version {version!r} is not supported", "this Baton reads version: 1"
        )
    bots, managers = _parse_workspace(doc)
    teams = _parse_teams(doc)
    routes, default = _parse_routing(doc, teams)
    return Policy(
        source=source,
        doc=doc,
        ai_bot_users=bots,
        managers_channel=managers,
        accounts=_parse_accounts(doc),
        teams=teams,
        routes=routes,
        default_team=default,
        engine=_parse_engine(doc),
        chains=_parse_chains(doc),
        messages=parse_customer_messages(doc),
        redactor=parse_redaction(doc),
        csat=parse_csat(doc, teams),
        review=parse_review(doc),
        drift=parse_drift(doc),
        card_actions=parse_card_actions(doc),
        surge=parse_surge(doc),
    )


def load_policy_text(text: str, source: str = "<policy>") -> Policy:
    doc, lines = parse_yaml(text, source)
    try:
        return build_policy(doc, source)
    except PolicyError as exc:
        raise PolicyFileError(source, line_of(lines, exc.path), exc.describe()) from None


DEFAULT_POLICY_NAME = "built-in default policy"


def default_policy_text() -> str:
    return resources.files("bot.policies").joinpath("default.yaml").read_text(encoding="utf-8")


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a policy file, or the built-in default when `path` is empty."""
    if not path:
        return load_policy_text(default_policy_text(), DEFAULT_POLICY_NAME)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyFileError(str(p), None, f"cannot read the policy file: {exc.strerror}") from None
    return load_policy_text(text, str(p))
