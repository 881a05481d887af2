"""Small cached questions to Slack that several effects ask: where a card may go, links, names."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.flows.outbox import Permanent
from storage import repo
from storage.db import session_scope
from storage.models import Escalation

log = logging.getLogger(__name__)


def permalink(deps: Deps, channel: str, ts: str) -> str:
    try:
        return str(deps.slack.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as exc:
        log.warning("no permalink for %s/%s: %s", channel, ts, exc)
        return ""


def _is_ext_shared(deps: Deps, channel: str) -> bool:
    def fetch() -> bool:
        info = deps.slack.conversations_info(channel=channel)["channel"]
        return bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared"))

    return bool(deps.cached(f"ext:{channel}", 600.0, fetch))


def internal_channel(deps: Deps, wanted: str) -> str:
    """Internal cards never go into an externally shared channel: fall back to the default team's channel."""
    if wanted and not _is_ext_shared(deps, wanted):
        return wanted
    fallback = deps.policy.teams[deps.policy.default_team].channel
    if fallback != wanted and not _is_ext_shared(deps, fallback):
        log.error(
            "team channel %s is shared with another organisation; posting the card to %s", wanted, fallback
        )
        return fallback
    raise Permanent(
        f"channel {wanted} is shared with another organisation: an internal card never goes there"
    )


def user_name(deps: Deps, user: str) -> str:
    """A person's display name (users.info, cached); the id itself when Slack cannot tell."""

    def fetch() -> str:
        try:
            info = deps.slack.users_info(user=user)["user"]
        except SlackApiError:
            return user
        profile = info.get("profile") or {}
        return str(
            profile.get("display_name")
            or profile.get("real_name")
            or info.get("real_name")
            or info.get("name")
            or user
        )

    return str(deps.cached(f"user:{user}", 3600.0, fetch))


def card_link(esc: Escalation) -> str:
    return f"https://slack.com/app_redirect?channel={esc.card_channel}" if esc.card_channel else ""


def card_permalink(deps: Deps, esc_id: int) -> str:
    """A link to the card message itself (falls back to its channel). Asks Slack outside any transaction."""
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        channel, ts, fallback = esc.card_channel, esc.card_ts, card_link(esc)
    if not (channel and ts):
        return fallback
    return (
        str(deps.cached(f"permalink:{channel}:{ts}", 86400.0, lambda: permalink(deps, channel, ts)))
        or fallback
    )
