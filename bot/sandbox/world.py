"""A whole Baton installation on loopback: the real app and HTTP endpoint, a database, and stand-ins
for Slack, the CRM and the pagers. `baton demo`, `baton simulate`, the tests and the benchmarks use it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from slack_sdk import WebClient

from bot.clock import Clock, VirtualClock
from bot.flows.sweep import SweepReport, sweep
from bot.policy import AccountEntry, Policy, load_policy
from bot.sandbox.crm import CrmSandbox
from bot.sandbox.driver import SlackDriver
from bot.sandbox.slack import FakeSlack
from bot.settings import Settings
from bot.web import Server
from bot.wiring import Runtime, build

SIGNING_SECRET = "sandbox-signing-secret"
AI_AGENT = "U0AIAGENT"


@dataclass(frozen=True)
class AgentSpec:
    id: str
    name: str
    email: str = ""


@dataclass
class Customer:
    account: str
    channel: str
    user: str
    team: str


class World:
    """Start with `with World(...) as w:`; everything is torn down on exit."""

    def __init__(
        self,
        *,
        clock: Clock,
        accounts: Sequence[Mapping[str, Any]] = (),
        agents: Iterable[AgentSpec] = (),
        policy: Policy | None = None,
        database_url: str = "",
        slack_log: str | Path | None = None,
        pager_log: str | Path | None = None,
        crm: bool = True,
    ) -> None:
        self.clock = clock
        self.pager_log = pager_log
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if not database_url:
            self._tmp = tempfile.TemporaryDirectory(prefix="baton-world-")
            database_url = f"sqlite:///{self._tmp.name}/baton.db"
        self.database_url = database_url
        self.slack = FakeSlack(clock=clock)
        self.crm = CrmSandbox() if crm else None
        self._accounts = list(accounts)
        self._agents = list(agents)
        base = policy or load_policy(None)
        if not base.ai_bot_users:
            base = replace(base, ai_bot_users=frozenset({AI_AGENT}))
        self.ai_user = sorted(base.ai_bot_users)[0]
        entries = dict(base.accounts)
        for raw in self._accounts:
            channel = str(raw["channel"])
            entries[channel] = AccountEntry(
                channel=channel, id=str(raw.get("id") or raw.get("account")), facts=dict(raw)
            )
        self.policy = base.with_accounts(entries)
        self.customers: dict[str, Customer] = {}
        self.runtime: Runtime | None = None
        self.server: Server | None = None
        self.driver: SlackDriver | None = None
        self._http = httpx.Client(timeout=5.0)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> World:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> World:
        fake = self.slack.start()
        for t in self.policy.teams.values():
            fake.add_channel(t.channel, f"team-{t.name}")
        if self.policy.managers_channel:
            fake.add_channel(self.policy.managers_channel, "support-managers")
        for agent in self._agents:
            fake.add_user(agent.id, agent.name, email=agent.email or f"{agent.name.lower()}@ourteam.example")
        for ai in self.policy.ai_bot_users:
            fake.add_user(ai, "ai-agent", real_name="AI agent")
        for i, raw in enumerate(self._accounts, start=1):
            account = str(raw.get("id") or raw.get("account"))
            team = f"T0EXT{i:03d}"
            user = f"U0CUST{i:03d}"
            fake.add_team(team, str(raw.get("name") or account))
            fake.add_user(
                user, f"{account}-customer", team, real_name=f"{raw.get('name') or account} customer"
            )
            fake.add_channel(
                str(raw["channel"]), f"ext-{account}", ext_shared=True, shared_team_ids=[fake.team_id, team]
            )
            self.customers[account] = Customer(
                account=account, channel=str(raw["channel"]), user=user, team=team
            )
        accounts_source = None
        if self.crm is not None:
            self.crm.start()
            self.crm.load_accounts(self._accounts, now=self.clock.now())
            accounts_source = self.crm.account_source(self._http)
        settings = Settings(
            database_url=self.database_url,
            slack_bot_token=fake.bot_token,  # type: ignore[arg-type]
            slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
            slack_api_url=fake.base_url,
        )
        client = WebClient(token=fake.bot_token, base_url=fake.base_url)
        self.runtime = build(
            settings, clock=self.clock, policy=self.policy, slack=client, accounts=accounts_source
        )
        self.server = Server(self.runtime.wsgi).start()
        self.driver = SlackDriver(f"{self.server.url}/slack/events", SIGNING_SECRET, fake, self.clock)
        return self

    def stop(self) -> None:
        if self.driver is not None:
            self.driver.close()
        if self.server is not None:
            self.server.stop()
        if self.runtime is not None:
            self.runtime.close()
        if self.crm is not None:
            self.crm.stop()
        self.slack.stop()
        self._http.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # ------------------------------------------------------------------ acting

    @property
    def deps(self) -> Any:
        assert self.runtime is not None
        return self.runtime.deps

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the app has finished what it was handed (listeners run after the ack)."""
        assert self.runtime is not None
        if not self.runtime.executor.wait_idle(timeout):
            raise TimeoutError("Baton's listeners did not finish in time")

    def sweep(self) -> SweepReport:
        self.settle()
        return sweep(self.deps, self.clock.now())

    def advance_to(self, when: Any, tick: float = 15.0) -> None:
        """Move a virtual clock forward, sweeping every `tick` seconds on the way (as the scheduler would)."""
        from datetime import timedelta

        assert isinstance(self.clock, VirtualClock)
        while self.clock.now() + timedelta(seconds=tick) <= when:
            self.clock.advance(timedelta(seconds=tick))
            self.sweep()
        if self.clock.now() < when:
            self.clock.set(when)
            self.sweep()

    def write_pager_log(self) -> None:
        """Every request Baton sent to a pager, one JSON object per line (`--pager-log`)."""
        if self.pager_log:
            Path(self.pager_log).write_text("", encoding="utf-8")
