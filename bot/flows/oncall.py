"""Who is on call for a team now: the built-in rotation, PagerDuty's /oncalls or Opsgenie, mapped to Slack users."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain import oncall
from bot.policy import Team

log = logging.getLogger(__name__)

ONCALL_TTL = 120.0  # seconds: ask the pager at most every two minutes per team


@dataclass(frozen=True)
class OnCallAnswer:
    users: tuple[str, ...]  # Slack user ids
    provider: str
    problem: str = ""  # why nobody could be named (shown to managers, never hidden)
    retryable: bool = False  # the lookup itself failed (pager unreachable): asking again later can help


def slack_user_for_email(deps: Deps, email: str) -> str | None:
    def fetch() -> str:
        try:
            return str(deps.slack.users_lookupByEmail(email=email)["user"]["id"])
        except SlackApiError as exc:
            log.warning(
                "no Slack user for on-call email %s: %s",
                email,
                exc.response.get("error") if exc.response else exc,
            )
            return ""

    found = str(deps.cached(f"email:{email}", 3600.0, fetch))
    return found or None


def who_is_on_call(deps: Deps, team: Team, now: datetime) -> OnCallAnswer:
    cfg = team.oncall
    if cfg is None or cfg.provider == "none":
        return OnCallAnswer((), "none", "no on-call configured for this team")
    if cfg.provider == "rotation":
        return OnCallAnswer((oncall.rotation_oncall(cfg, now),), "rotation")
    source = deps.oncall_sources.get(cfg.provider)
    if source is None:
        return OnCallAnswer((), cfg.provider, f"{cfg.provider} is not connected (no API key)")

    def lookup() -> OnCallAnswer:
        try:
            if cfg.provider == "pagerduty":
                found = source.oncalls(
                    schedule_ids=[cfg.schedule_id] if cfg.schedule_id else [],
                    escalation_policy_ids=[cfg.escalation_policy_id] if cfg.escalation_policy_id else [],
                )
                lowest = min((o.escalation_level for o in found), default=1)
                emails = [o.email for o in found if o.escalation_level == lowest]
            else:
                emails = source.on_call_emails(cfg.schedule or team.name)
        except Exception as exc:  # the lookup failing must not stop the page itself
            return OnCallAnswer((), cfg.provider, f"on-call lookup failed: {exc}", retryable=True)
        users = tuple(dict.fromkeys(u for u in (slack_user_for_email(deps, e) for e in emails) if u))
        problem = "" if users else "nobody on call could be matched to a Slack user"
        return OnCallAnswer(users, cfg.provider, problem)

    answer: OnCallAnswer = deps.cached(f"oncall:{team.name}", ONCALL_TTL, lookup)
    return answer
