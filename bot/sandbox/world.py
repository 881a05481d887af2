"""A whole Baton installation on loopback: the real app and HTTP endpoint, a database, and stand-ins
for Slack, the CRM and the pagers. `baton demo`, `baton simulate`, the tests and the benchmarks use it.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from bot.clock import Clock, VirtualClock
from bot.flows import outbox
from bot.flows.sweep import SweepReport, sweep
from bot.policy import AccountEntry, Policy, load_policy
from bot.sandbox.crm import CrmSandbox
from bot.sandbox.driver import SlackDriver
from bot.sandbox.helpdesks import (
    FRESHDESK_KEY,
    INTERCOM_ADMIN,
    INTERCOM_SECRET,
    INTERCOM_TOKEN,
    ZENDESK_EMAIL,
    ZENDESK_SECRET,
    ZENDESK_TOKEN,
    FreshdeskStandIn,
    IntercomStandIn,
    ZendeskStandIn,
)
from bot.sandbox.helpdesks import write_log as write_helpdesk_requests
from bot.sandbox.jira import JIRA_EMAIL, JIRA_TOKEN, JiraStandIn
from bot.sandbox.opsgenie import API_KEY as OG_API_KEY
from bot.sandbox.opsgenie import OpsgenieStandIn
from bot.sandbox.pagerduty import API_TOKEN as PD_API_TOKEN
from bot.sandbox.pagerduty import ROUTING_KEY as PD_ROUTING_KEY
from bot.sandbox.pagerduty import PagerDutyStandIn
from bot.sandbox.slack import FakeSlack
from bot.settings import Settings
from bot.slack_client import KeepAliveWebClient
from bot.web import Server
from bot.wiring import Runtime, build
from integrations.opsgenie import OpsgenieAlerts
from integrations.pagerduty import PagerDutyEvents, PagerDutyOnCalls
from storage import repo
from storage.db import session_scope

SIGNING_SECRET = "sandbox-signing-secret"
AI_AGENT = "U0AIAGENT"


@dataclass(frozen=True)
class AgentSpec:
    id: str
    name: str
    email: str = ""
    teams: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        return self.email or f"{self.name.lower()}@ourteam.example"


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
        ai_webhook: tuple[str, str] | None = None,  # (url, secret) of the AI agent's handoff webhook
        llm: tuple[str, str, str, float] | None = None,  # (base url, model, key, deadline) of an LLM for summaries
        ingest_tokens: Sequence[str] = (),  # bearer tokens of the ingest API (POST /api/v1/messages)
        api_callback: tuple[str, str] | None = None,  # (url, secret): the ingest API's signed callback
        extra_settings: Mapping[str, Any] | None = None,  # more BATON_* settings (helpdesks, limits)
        helpdesks: bool = False,  # start the Intercom and Zendesk stand-ins and connect Baton to them
        helpdesk_log: str | Path | None = None,  # every request sent to them, one JSON line each
        jira: bool = False,  # start the Jira Cloud stand-in (project ENG) and connect Baton to it
    ) -> None:
        self.ai_webhook = ai_webhook
        self.llm = llm
        self.ingest_tokens = tuple(ingest_tokens)
        self.api_callback = api_callback
        self.extra_settings = dict(extra_settings or {})
        self.helpdesk_log = helpdesk_log
        self.intercom: IntercomStandIn | None = IntercomStandIn() if helpdesks or helpdesk_log else None
        self.zendesk: ZendeskStandIn | None = ZendeskStandIn() if helpdesks or helpdesk_log else None
        self.freshdesk: FreshdeskStandIn | None = FreshdeskStandIn() if helpdesks or helpdesk_log else None
        self.jira: JiraStandIn | None = JiraStandIn() if jira else None
        self.clock = clock
        self.pager_log = pager_log
        self._tmp = tempfile.TemporaryDirectory(prefix="baton-world-")  # the database file, the spool
        if not database_url:
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
        self.pagerduty: PagerDutyStandIn | None = None
        self.opsgenie: OpsgenieStandIn | None = None
        self.runtime: Runtime | None = None
        self.server: Server | None = None
        self.driver: SlackDriver | None = None
        self._http = httpx.Client(timeout=5.0)
        self._slack_client: KeepAliveWebClient | None = None
        self._wakes: list[datetime] = []  # retry wake-ups the outbox asked for (bot/scheduler.py's Waker)

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
            fake.add_user(agent.id, agent.name, email=agent.address)
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
        pagers, oncall_sources = self._start_pagers()
        self.extra_settings.update(self._start_helpdesks())
        if self.jira is not None:
            self.jira.start()
            self.jira.add_project("ENG")
            self.extra_settings.update(
                {"BATON_JIRA_URL": self.jira.url, "BATON_JIRA_EMAIL": JIRA_EMAIL, "BATON_JIRA_API_TOKEN": SecretStr(JIRA_TOKEN)}
            )
        settings = Settings(
            database_url=self.database_url,
            slack_bot_token=fake.bot_token,  # type: ignore[arg-type]
            slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
            slack_api_url=fake.base_url,
            BATON_AI_WEBHOOK_URL=self.ai_webhook[0] if self.ai_webhook else "",
            BATON_AI_WEBHOOK_SECRET=SecretStr(self.ai_webhook[1] if self.ai_webhook else ""),
            BATON_SPOOL_DIR=f"{self._tmp.name}/spool",
            BATON_LLM_URL=self.llm[0] if self.llm else "",
            BATON_LLM_MODEL=self.llm[1] if self.llm else "",
            BATON_LLM_API_KEY=SecretStr(self.llm[2] if self.llm else ""),
            BATON_LLM_DEADLINE_SECONDS=self.llm[3] if self.llm else 8.0,
            BATON_INGEST_TOKEN=SecretStr(",".join(self.ingest_tokens)),
            BATON_API_CALLBACK_URL=self.api_callback[0] if self.api_callback else "",
            BATON_API_CALLBACK_SECRET=SecretStr(self.api_callback[1] if self.api_callback else ""),
            **self.extra_settings,
        )
        client = KeepAliveWebClient(token=fake.bot_token, base_url=fake.base_url)
        self._slack_client = client
        self.runtime = build(
            settings,
            clock=self.clock,
            policy=self.policy,
            slack=client,
            accounts=accounts_source,
            pagers=pagers,
            oncall_sources=oncall_sources,
            bug_tracker=self.crm.linear_issues(self._http) if self.crm is not None else None,
        )
        self.runtime.deps.wake = self._wakes.append
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
        for standin in (self.pagerduty, self.opsgenie, self.intercom, self.zendesk, self.freshdesk, self.jira):
            if standin is not None:
                standin.stop()
        self.slack.stop()
        if self._slack_client is not None:
            self._slack_client.close()
        self._http.close()
        self._tmp.cleanup()

    # ------------------------------------------------------------------ acting

    @property
    def deps(self) -> Any:
        assert self.runtime is not None
        return self.runtime.deps

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the app has finished what it was handed (listeners run after the ack)."""
        assert self.runtime is not None
        if not self.runtime.inbox.wait_idle(timeout):
            raise TimeoutError("Baton's listeners did not finish in time")

    def sweep(self) -> SweepReport:
        self.settle()
        return sweep(self.deps, self.clock.now())

    def advance_to(self, when: datetime, tick: float = 15.0) -> None:
        """Move a virtual clock forward as the scheduler would: a sweep every `tick` seconds, and the
        outbox run at each retry wake-up it asked for (a Retry-After, a backoff) in between.

        Ticks with nothing due are skipped (a sweep then does nothing), so a simulated night costs
        only the sweeps that have work.
        """
        assert isinstance(self.clock, VirtualClock)
        step = timedelta(seconds=tick)
        while True:
            now = self.clock.now()
            with session_scope(self.deps.db) as session:
                due = repo.next_due(session, now)
            if due is None:  # nothing will be due: skip to the last tick before `when`
                ticks = max(1, (when - now) // step)
            else:
                ticks = 1 if due <= now + step else math.ceil((due - now) / step)
            target = now + ticks * step
            wake = min(self._wakes, default=None)
            if wake is not None and wake <= min(target, when):
                self._wakes = [w for w in self._wakes if w > wake]
                self.clock.set(max(wake, now))
                self.settle()
                outbox.run_due(self.deps)
                continue
            if target > when:
                break
            self.clock.set(target)
            self.sweep()
        if self.clock.now() < when:
            self.clock.set(when)
            self.sweep()

    def _start_pagers(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Stand-ins for the pagers the policy's teams use; each team's first agent is on call for it."""
        providers = {t.oncall.provider for t in self.policy.teams.values() if t.oncall is not None}
        pagers: dict[str, Any] = {}
        sources: dict[str, Any] = {}
        if "pagerduty" in providers:
            self.pagerduty = PagerDutyStandIn(clock=self.clock)
            self.pagerduty.start()
            for t in self.policy.teams.values():
                if t.oncall is None or t.oncall.provider != "pagerduty":
                    continue
                agent = self._first_agent(t.name)
                if agent is not None:
                    self.pagerduty.add_oncall(
                        {"id": f"P{agent.id[1:]}", "name": agent.name, "email": agent.address},
                        escalation_policy_id=t.oncall.escalation_policy_id or f"EP{t.name.upper()}",
                        schedule_id=t.oncall.schedule_id,
                    )
            pagers["pagerduty"] = PagerDutyEvents(
                self._http, PD_ROUTING_KEY, self.pagerduty.url, clock=self.clock
            )
            sources["pagerduty"] = PagerDutyOnCalls(self._http, PD_API_TOKEN, self.pagerduty.url)
        if "opsgenie" in providers:
            self.opsgenie = OpsgenieStandIn()
            self.opsgenie.start()
            for t in self.policy.teams.values():
                agent = self._first_agent(t.name)
                if t.oncall is not None and t.oncall.provider == "opsgenie" and agent is not None:
                    self.opsgenie.set_schedule(t.oncall.schedule or t.name, [agent.address])
            og = OpsgenieAlerts(self._http, OG_API_KEY, self.opsgenie.url)
            pagers["opsgenie"] = og
            sources["opsgenie"] = og
        return pagers, sources

    def _start_helpdesks(self) -> dict[str, Any]:
        """Intercom and Zendesk stand-ins; each policy team maps to an Intercom team and a Zendesk group."""
        if self.intercom is None or self.zendesk is None or self.freshdesk is None:
            return {}
        self.intercom.start()
        self.zendesk.start()
        self.freshdesk.start()
        for agent in self._agents:  # the same people in the helpdesks, found by their email
            self.intercom.add_admin(f"ic-{agent.id}", agent.name, agent.address)
            self.zendesk.add_agent(agent.address, 90000 + len(self.zendesk.agents))
        names = sorted(self.policy.teams)
        return {
            "BATON_INTERCOM_TOKEN": SecretStr(INTERCOM_TOKEN),
            "BATON_INTERCOM_CLIENT_SECRET": SecretStr(INTERCOM_SECRET),
            "BATON_INTERCOM_ADMIN_ID": INTERCOM_ADMIN,
            "BATON_INTERCOM_API_URL": self.intercom.url,
            "BATON_INTERCOM_TEAMS": ",".join(f"{n}=team-{n}" for n in names),
            "BATON_ZENDESK_API_URL": self.zendesk.url,
            "BATON_ZENDESK_EMAIL": ZENDESK_EMAIL,
            "BATON_ZENDESK_TOKEN": SecretStr(ZENDESK_TOKEN),
            "BATON_ZENDESK_WEBHOOK_SECRET": SecretStr(ZENDESK_SECRET),
            "BATON_ZENDESK_GROUPS": ",".join(f"{n}={360000 + i}" for i, n in enumerate(names, start=1)),
            "BATON_INTERCOM_APP_ID": "sandbox-app",
            "BATON_FRESHDESK_URL": self.freshdesk.url,
            "BATON_FRESHDESK_API_KEY": SecretStr(FRESHDESK_KEY),
        }

    def write_helpdesk_log(self) -> None:
        """Every request Baton sent to Intercom and Zendesk, one JSON object per line (`--helpdesk-log`)."""
        if self.helpdesk_log and self.intercom is not None and self.zendesk is not None:
            more = (self.freshdesk,) if self.freshdesk is not None else ()
            write_helpdesk_requests(str(self.helpdesk_log), self.intercom, self.zendesk, *more)

    def _first_agent(self, team: str) -> AgentSpec | None:
        return next((a for a in self._agents if team in a.teams), None)

    def pager_requests(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for standin in (self.pagerduty, self.opsgenie):
            if standin is not None:
                out += standin.pager_log()
        return out

    def write_pager_log(self) -> None:
        """Every request Baton sent to a pager, one JSON object per line (`--pager-log`)."""
        if self.pager_log:
            lines = [json.dumps(entry, sort_keys=True) for entry in self.pager_requests()]
            Path(self.pager_log).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
