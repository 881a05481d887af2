"""What the flows need from the outside world, built once in the entry point and passed in."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.policy import Policy


@dataclass
class Identity:
    """Who we are in Slack (from auth.test)."""

    team_id: str
    bot_user_id: str
    bot_id: str = ""


class ChannelCounter:
    """Messages seen per channel (thread-safe); `add` returns the channel's new count."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, channel: str) -> int:
        with self._lock:
            self._counts[channel] = self._counts.get(channel, 0) + 1
            return self._counts[channel]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


@dataclass
class Deps:
    db: Engine
    clock: Clock
    policy: Policy
    slack: WebClient
    identity: Identity
    accounts: Any = None  # integrations.accounts.AccountSource; None: facts from the policy only
    pagers: dict[str, Any] = field(default_factory=dict)  # provider -> integrations.pager.Pager
    oncall_sources: dict[str, Any] = field(
        default_factory=dict
    )  # provider -> PagerDutyOnCalls / OpsgenieAlerts
    ai_webhook: Any = None  # integrations.ai_agent.AiAgentWebhook; None: metadata in Slack only
    llm: Any = None  # integrations.llm.LlmSummarizer; None: the card's summary is written offline
    # storage.models.Source -> its client (the ingest API's signed callback, IntercomClient,
    # ZendeskClient): how Baton answers customers who are not in Slack (bot/flows/sources.py).
    sources: dict[str, Any] = field(default_factory=dict)
    bug_tracker: Any = None  # integrations.linear_issues.LinearIssues; None: no bug issues (bot/flows/bugs.py)
    jira: Any = None  # integrations.jira_issues.JiraIssues: teams whose bugs: say tracker: jira
    # bot.domain.tickets.Helpdesk -> integrations.helpdesk_tickets.TicketDesk (ZendeskTickets,
    # FreshdeskTickets): where async handoff tickets are made (bot/flows/tickets.py).
    ticket_desks: dict[str, Any] = field(default_factory=dict)
    sweep_seconds: float = 15.0  # the scheduler's interval (the watchdog calls a step late after two)
    account_deadline: float = 1.5  # seconds for CRM/billing/bugs enrichment
    card_min_interval: float = 3.0  # coalesce SLA-state card updates (chat.update is Tier 3: ~50/min)
    # EffectKind -> handler (bot/flows/registry.py): what the outbox runs for each kind of item.
    effects: Mapping[Any, Callable[..., None]] = field(default_factory=dict)
    # Asked for the moment a retry is due, so the runner wakes up then instead of at the next sweep.
    wake: Callable[[datetime], None] = field(default=lambda at: None)
    unmapped: ChannelCounter = field(default_factory=ChannelCounter)  # messages from unmapped channels
    _cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, key: str, ttl: float, make: Any, ttl_of: Any = None) -> Any:
        """A small TTL cache on the injected clock (user names, account facts); `ttl_of(value)` may shorten it."""
        now = self.clock.now().timestamp()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = make()
        keep = ttl_of(value) if ttl_of is not None else ttl
        with self._lock:
            self._cache[key] = (now + keep, value)
        return value
