"""Typed settings, read from the environment (and a .env file) in the entry point, never at import."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Slack
    slack_bot_token: SecretStr = SecretStr("")
    slack_signing_secret: SecretStr = SecretStr("")
    slack_app_token: SecretStr = SecretStr("")  # xapp-..., Socket Mode only
    slack_api_url: str = "https://slack.com/api/"

    # Storage and policy
    database_url: str = "sqlite:///baton.db"
    baton_policy: str = ""  # path to the policy YAML; empty = the built-in default policy
    baton_model: bool = True  # BATON_MODEL=false: phrase rules only, the judgment model is not loaded

    # HTTP server
    host: str = Field(default="0.0.0.0", alias="BATON_HOST")
    port: int = Field(default=3000, alias="BATON_PORT", ge=1, le=65535)
    event_workers: int = Field(default=8, alias="BATON_EVENT_WORKERS")  # inbox workers for events
    interactive_workers: int = Field(default=4, alias="BATON_INTERACTIVE_WORKERS")  # clicks, commands
    inbox_lease_seconds: float = Field(default=30.0, alias="BATON_INBOX_LEASE_SECONDS")
    spool_dir: str = Field(default="baton-spool", alias="BATON_SPOOL_DIR")  # used while the database is down
    max_body_bytes: int = Field(default=1 << 20, alias="BATON_MAX_BODY_BYTES")
    # `baton serve` runs gunicorn: BATON_WORKERS processes x BATON_THREADS request threads each.
    workers: int = Field(default=2, ge=1, alias="BATON_WORKERS")
    threads: int = Field(default=16, ge=1, alias="BATON_THREADS")
    backlog: int = Field(default=2048, ge=128, alias="BATON_BACKLOG")  # the listen queue
    graceful_seconds: int = Field(default=25, ge=0, alias="BATON_GRACEFUL_SECONDS")  # SIGTERM: finish
    keepalive_seconds: int = Field(default=5, ge=0, alias="BATON_KEEPALIVE_SECONDS")
    sweep_seconds: float = Field(default=15.0, alias="BATON_SWEEP_SECONDS", gt=0)
    # The ingest API (docs/ingest-api.md): bearer tokens, comma-separated; requests a minute per token.
    ingest_token: SecretStr = Field(default=SecretStr(""), alias="BATON_INGEST_TOKEN")
    ingest_rate: int = Field(default=600, ge=0, alias="BATON_INGEST_RATE")  # 0: no limit
    # How Baton answers the customers of ingested conversations: a signed callback (docs/ingest-api.md).
    api_callback_url: str = Field(default="", alias="BATON_API_CALLBACK_URL")
    api_callback_secret: SecretStr = Field(default=SecretStr(""), alias="BATON_API_CALLBACK_SECRET")

    # Pagers
    pagerduty_routing_key: SecretStr = SecretStr("")
    pagerduty_api_token: SecretStr = SecretStr("")
    pagerduty_events_url: str = "https://events.pagerduty.com"
    pagerduty_api_url: str = "https://api.pagerduty.com"
    opsgenie_api_key: SecretStr = SecretStr("")
    opsgenie_api_url: str = "https://api.opsgenie.com"

    # The customer's AI agent: a signed webhook when a person takes a thread over and hands it back
    # (docs/ai-handoff.md). Optional: Slack message metadata tells the agent the same.
    ai_webhook_url: str = Field(default="", alias="BATON_AI_WEBHOOK_URL")
    ai_webhook_secret: SecretStr = Field(default=SecretStr(""), alias="BATON_AI_WEBHOOK_SECRET")

    # An optional LLM for the card's summary (docs/card.md): an OpenAI-compatible API. Off when empty.
    llm_url: str = Field(default="", alias="BATON_LLM_URL")  # base URL; Baton posts to /v1/chat/completions
    llm_api_key: SecretStr = Field(default=SecretStr(""), alias="BATON_LLM_API_KEY")
    llm_model: str = Field(default="", alias="BATON_LLM_MODEL")
    llm_deadline_seconds: float = Field(default=8.0, alias="BATON_LLM_DEADLINE_SECONDS", gt=0, le=60)

    # Helpdesks, both ways (docs/integrations.md): webhooks in, REST calls out.
    intercom_token: SecretStr = Field(default=SecretStr(""), alias="BATON_INTERCOM_TOKEN")
    intercom_client_secret: SecretStr = Field(default=SecretStr(""), alias="BATON_INTERCOM_CLIENT_SECRET")
    intercom_admin_id: str = Field(default="", alias="BATON_INTERCOM_ADMIN_ID")  # who Baton acts as
    intercom_teams: str = Field(default="", alias="BATON_INTERCOM_TEAMS")  # "billing=123,default=456"
    intercom_api_url: str = Field(default="https://api.intercom.io", alias="BATON_INTERCOM_API_URL")
    zendesk_api_url: str = Field(default="", alias="BATON_ZENDESK_API_URL")  # https://{sub}.zendesk.com
    zendesk_email: str = Field(default="", alias="BATON_ZENDESK_EMAIL")
    zendesk_token: SecretStr = Field(default=SecretStr(""), alias="BATON_ZENDESK_TOKEN")
    zendesk_webhook_secret: SecretStr = Field(default=SecretStr(""), alias="BATON_ZENDESK_WEBHOOK_SECRET")
    zendesk_groups: str = Field(default="", alias="BATON_ZENDESK_GROUPS")  # "billing=360001,default=360002"
    intercom_app_id: str = Field(default="", alias="BATON_INTERCOM_APP_ID")  # the workspace id, for links
    # Who a Slack user is in the helpdesk, for claim assignments: "U0ALICE=123,U0BOB=456" (else by email).
    intercom_admins: str = Field(default="", alias="BATON_INTERCOM_ADMINS")
    zendesk_agents: str = Field(default="", alias="BATON_ZENDESK_AGENTS")
    # Freshdesk, for async handoff tickets (docs/integrations.md): https://{domain}.freshdesk.com
    freshdesk_url: str = Field(default="", alias="BATON_FRESHDESK_URL")
    freshdesk_api_key: SecretStr = Field(default=SecretStr(""), alias="BATON_FRESHDESK_API_KEY")
    # Jira Cloud, the alternative bug tracker (a team's bugs: {tracker: jira}): https://{site}.atlassian.net
    jira_url: str = Field(default="", alias="BATON_JIRA_URL")
    jira_email: str = Field(default="", alias="BATON_JIRA_EMAIL")
    jira_api_token: SecretStr = Field(default=SecretStr(""), alias="BATON_JIRA_API_TOKEN")

    # Account enrichment
    hubspot_token: SecretStr = SecretStr("")
    hubspot_api_url: str = "https://api.hubapi.com"
    stripe_api_key: SecretStr = SecretStr("")
    stripe_api_url: str = "https://api.stripe.com"
    linear_api_key: SecretStr = SecretStr("")
    linear_api_url: str = "https://api.linear.app"
