"""Build Baton from settings: database, Slack client, policy, integrations, the Bolt app and its HTTP side."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from slack_bolt import App
from slack_sdk import WebClient

from bot import helpdesk_webhooks, ingest_api, metrics
from bot.app import create_app
from bot.clock import Clock, SystemClock
from bot.deps import Deps, Identity
from bot.domain.tickets import Helpdesk
from bot.flows import external
from bot.flows.registry import EFFECTS
from bot.inbox import Inbox, InboxConfig
from bot.policy import Policy, load_policy
from bot.probes import Probes
from bot.settings import Settings
from bot.slack_client import KeepAliveWebClient
from bot.spool import Spool
from bot.web import make_wsgi, slack_routes
from integrations.ai_agent import AiAgentWebhook
from integrations.helpdesk import IntercomClient, ZendeskClient, parse_mapping
from integrations.helpdesk_tickets import FreshdeskTickets, ZendeskTickets
from integrations.jira_issues import JiraIssues
from integrations.linear_issues import LinearIssues
from integrations.llm import LlmSummarizer
from storage.db import make_engine, migrate
from storage.models import Source

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    deps: Deps
    app: App
    wsgi: Any
    inbox: Inbox

    def close(self) -> None:
        self.inbox.stop()
        if self.deps.llm is not None:
            self.deps.llm.close()
        self.deps.db.dispose()


def identity_of(client: WebClient) -> Identity:
    auth = client.auth_test()
    return Identity(
        team_id=str(auth["team_id"]), bot_user_id=str(auth["user_id"]), bot_id=str(auth.get("bot_id") or "")
    )


def integrations_from_settings(settings: Settings) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The outside services that have credentials configured: CRM/billing/bugs, pagers, on-call lookups."""
    import httpx

    from integrations.accounts import CombinedAccountSource
    from integrations.hubspot import HubSpotClient
    from integrations.linear import LinearClient
    from integrations.opsgenie import OpsgenieAlerts
    from integrations.pagerduty import PagerDutyEvents, PagerDutyOnCalls
    from integrations.stripe import StripeClient

    http = httpx.Client(timeout=10.0)
    secret = lambda s: s.get_secret_value()  # noqa: E731
    crm = (
        HubSpotClient(http, token=secret(settings.hubspot_token), base_url=settings.hubspot_api_url)
        if secret(settings.hubspot_token)
        else None
    )
    billing = (
        StripeClient(http, api_key=secret(settings.stripe_api_key), base_url=settings.stripe_api_url)
        if secret(settings.stripe_api_key)
        else None
    )
    bugs = (
        LinearClient(http, api_key=secret(settings.linear_api_key), base_url=settings.linear_api_url)
        if secret(settings.linear_api_key)
        else None
    )
    accounts = CombinedAccountSource(crm, billing, bugs) if (crm or billing or bugs) else None
    pagers: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    if secret(settings.pagerduty_routing_key):
        pagers["pagerduty"] = PagerDutyEvents(
            http, secret(settings.pagerduty_routing_key), settings.pagerduty_events_url
        )
    if secret(settings.pagerduty_api_token):
        sources["pagerduty"] = PagerDutyOnCalls(
            http, secret(settings.pagerduty_api_token), settings.pagerduty_api_url
        )
    if secret(settings.opsgenie_api_key):
        og = OpsgenieAlerts(http, secret(settings.opsgenie_api_key), settings.opsgenie_api_url)
        pagers["opsgenie"] = og
        sources["opsgenie"] = og
    return accounts, pagers, sources


def ai_webhook_from_settings(settings: Settings) -> AiAgentWebhook | None:
    if not settings.ai_webhook_url:
        return None
    secret = settings.ai_webhook_secret.get_secret_value()
    if not secret:
        raise ValueError("BATON_AI_WEBHOOK_URL is set without BATON_AI_WEBHOOK_SECRET: the webhook is always signed")
    return AiAgentWebhook(httpx.Client(timeout=10.0), settings.ai_webhook_url, secret)


def bug_tracker_from_settings(settings: Settings) -> LinearIssues | None:
    """Linear issues for bug reports: with the same API key as the open-bugs lookup."""
    key = settings.linear_api_key.get_secret_value()
    if not key:
        return None
    return LinearIssues(httpx.Client(timeout=10.0), api_key=key, base_url=settings.linear_api_url)


def jira_from_settings(settings: Settings) -> JiraIssues | None:
    token = settings.jira_api_token.get_secret_value()
    if not (token or settings.jira_url or settings.jira_email):
        return None
    if not (token and settings.jira_url and settings.jira_email):
        raise ValueError("Jira needs BATON_JIRA_URL, BATON_JIRA_EMAIL and BATON_JIRA_API_TOKEN together")
    return JiraIssues(httpx.Client(timeout=10.0), base_url=settings.jira_url, email=settings.jira_email, api_token=token)


def llm_from_settings(settings: Settings) -> LlmSummarizer | None:
    if not settings.llm_url:
        return None
    if not settings.llm_model:
        raise ValueError("BATON_LLM_URL is set without BATON_LLM_MODEL: name the model to ask (e.g. gpt-4o-mini)")
    return LlmSummarizer(
        httpx.Client(),
        base_url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value(),
        deadline=settings.llm_deadline_seconds,
    )


def sources_from_settings(settings: Settings) -> dict[str, Any]:
    """The clients that answer customers outside Slack (bot/flows/sources.py), when configured."""
    http = httpx.Client(timeout=10.0)
    out: dict[str, Any] = {}
    if settings.api_callback_url:
        secret = settings.api_callback_secret.get_secret_value()
        if not secret:
            raise ValueError(
                "BATON_API_CALLBACK_URL is set without BATON_API_CALLBACK_SECRET: callbacks are always signed"
            )
        out[Source.API] = AiAgentWebhook(http, settings.api_callback_url, secret)
    if settings.intercom_token.get_secret_value():
        if not settings.intercom_admin_id:
            raise ValueError(
                "BATON_INTERCOM_TOKEN is set without BATON_INTERCOM_ADMIN_ID (the admin Baton acts as)"
            )
        out[Source.INTERCOM] = IntercomClient(
            http,
            token=settings.intercom_token.get_secret_value(),
            admin_id=settings.intercom_admin_id,
            base_url=settings.intercom_api_url,
            teams=parse_mapping(settings.intercom_teams, what="BATON_INTERCOM_TEAMS"),
            app_id=settings.intercom_app_id,
            admins=parse_mapping(settings.intercom_admins, what="BATON_INTERCOM_ADMINS"),
        )
    if settings.zendesk_token.get_secret_value():
        if not settings.zendesk_api_url or not settings.zendesk_email:
            raise ValueError("BATON_ZENDESK_TOKEN needs BATON_ZENDESK_API_URL and BATON_ZENDESK_EMAIL too")
        groups = parse_mapping(settings.zendesk_groups, what="BATON_ZENDESK_GROUPS")
        if any(not g.isdigit() for g in groups.values()):
            raise ValueError("BATON_ZENDESK_GROUPS: group ids are numbers (e.g. billing=360001)")
        agents = parse_mapping(settings.zendesk_agents, what="BATON_ZENDESK_AGENTS")
        if any(not a.isdigit() for a in agents.values()):
            raise ValueError("BATON_ZENDESK_AGENTS: agent ids are numbers (e.g. U0ALICE=90001)")
        out[Source.ZENDESK] = ZendeskClient(
            http,
            base_url=settings.zendesk_api_url,
            email=settings.zendesk_email,
            token=settings.zendesk_token.get_secret_value(),
            groups={team: int(g) for team, g in groups.items()},
            agents={user: int(a) for user, a in agents.items()},
        )
    return out


def ticket_desks_from_settings(settings: Settings) -> dict[str, Any]:
    """Where async handoff tickets can be made (bot/flows/tickets.py): Zendesk with the same
    credentials as the webhooks' replies, Freshdesk with its own."""
    http = httpx.Client(timeout=10.0)
    out: dict[str, Any] = {}
    if settings.zendesk_token.get_secret_value() and settings.zendesk_api_url and settings.zendesk_email:
        out[Helpdesk.ZENDESK] = ZendeskTickets(
            http,
            base_url=settings.zendesk_api_url,
            email=settings.zendesk_email,
            token=settings.zendesk_token.get_secret_value(),
        )
    key = settings.freshdesk_api_key.get_secret_value()
    if bool(key) != bool(settings.freshdesk_url):
        raise ValueError("Freshdesk needs both BATON_FRESHDESK_URL and BATON_FRESHDESK_API_KEY")
    if key:
        out[Helpdesk.FRESHDESK] = FreshdeskTickets(http, base_url=settings.freshdesk_url, api_key=key)
    return out


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    policy: Policy | None = None,
    slack: WebClient | None = None,
    accounts: Any = None,
    pagers: dict[str, Any] | None = None,
    oncall_sources: dict[str, Any] | None = None,
    bug_tracker: Any = None,
    run_migrations: bool = True,
) -> Runtime:
    if run_migrations:
        migrate(settings.database_url)
    db = make_engine(settings.database_url)
    client = slack or KeepAliveWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    if not any(isinstance(h, metrics.CountRateLimits) for h in client.retry_handlers):
        client.retry_handlers.append(metrics.CountRateLimits())
    policy = policy or load_policy(settings.baton_policy or None)
    if settings.baton_model and policy.engine.classifier is None:
        policy = policy.with_model()  # the judgment model beside the rules (BATON_MODEL=false: rules only)
    deps = Deps(
        db=db,
        clock=clock or SystemClock(),
        policy=policy,
        slack=client,
        identity=identity_of(client),
        accounts=accounts,
        pagers=pagers if pagers is not None else {},
        oncall_sources=oncall_sources if oncall_sources is not None else {},
        sweep_seconds=settings.sweep_seconds,
        ai_webhook=ai_webhook_from_settings(settings),
        llm=llm_from_settings(settings),
        sources=sources_from_settings(settings),
        bug_tracker=bug_tracker if bug_tracker is not None else bug_tracker_from_settings(settings),
        ticket_desks=ticket_desks_from_settings(settings),
        jira=jira_from_settings(settings),
        effects=EFFECTS,
    )
    app = create_app(deps)
    inbox = Inbox(
        db=db,
        clock=deps.clock,
        app=app,
        spool=Spool(settings.spool_dir),
        config=InboxConfig(
            event_workers=settings.event_workers,
            interactive_workers=settings.interactive_workers,
            lease=timedelta(seconds=settings.inbox_lease_seconds),
        ),
        external=lambda body: external.process(deps, body),
        external_type=external.CONTENT_TYPE,
    ).start()
    routes = slack_routes(
        inbox, db, settings.slack_signing_secret.get_secret_value(), max_body=settings.max_body_bytes
    )
    routes.update(
        helpdesk_webhooks.routes(
            inbox,
            intercom_secret=settings.intercom_client_secret.get_secret_value(),
            intercom_admin=settings.intercom_admin_id,
            zendesk_secret=settings.zendesk_webhook_secret.get_secret_value(),
            max_body=settings.max_body_bytes,
        )
    )
    routes.update(
        ingest_api.routes(
            inbox,
            ingest_api.parse_tokens(settings.ingest_token.get_secret_value()),
            rate_per_minute=settings.ingest_rate,
            max_body=settings.max_body_bytes,
        )
    )
    probes = Probes(db=db, clock=deps.clock, sweep_seconds=settings.sweep_seconds)
    routes.update(probes.routes())  # GET /readyz, GET /metrics
    wsgi = metrics.instrument(make_wsgi(routes), {path for _, path in routes})
    return Runtime(deps=deps, app=app, wsgi=wsgi, inbox=inbox)
