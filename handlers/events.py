"""Events API listeners, run by inbox workers from the stored event: customer-channel messages go to
the ingest flow; the rest is acknowledged."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.flows.home import publish_home
from bot.flows.ingest import Inbound, ingest_message
from bot.logs import log_context

log = logging.getLogger(__name__)


def inbound_from_event(event: dict[str, Any], body: dict[str, Any]) -> Inbound:
    """Parse a `message` event (Slack Connect aware: the sender's org is `user_team`)."""
    files = event.get("files") or []
    text = event.get("text") or ""
    if not text and files:
        text = " ".join(str(f.get("name", "")) for f in files if isinstance(f, dict))
    return Inbound(
        source="slack",
        channel=str(event.get("channel", "")),
        ts=str(event.get("ts", "")),
        thread_ts=str(event.get("thread_ts", "") or ""),
        user=str(event.get("user", "") or ""),
        user_team=str(event.get("user_team") or event.get("team") or ""),
        text=str(text),
        bot_id=str(event.get("bot_id", "") or ""),
        subtype=str(event.get("subtype", "") or ""),
        event_id=str(body.get("event_id", "") or ""),
        confidence=_confidence(event),
        ai_summary=_summary(event),
    )


def _confidence(event: dict[str, Any]) -> float | None:
    """The AI agent's confidence, when its bot posts it as message metadata (event_payload.confidence)."""
    payload = (event.get("metadata") or {}).get("event_payload") or {}
    value = payload.get("confidence") if isinstance(payload, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return None


def _summary(event: dict[str, Any]) -> str | dict[str, Any] | None:
    """The AI agent's own summary, when its bot posts one as message metadata (event_payload.summary:
    a text, or {"wants", "tried", "failed", "next"}); bot.domain.summary checks it."""
    payload = (event.get("metadata") or {}).get("event_payload") or {}
    value = payload.get("summary") if isinstance(payload, dict) else None
    return value if isinstance(value, str | dict) else None


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        msg = inbound_from_event(event, body)
        if not msg.ts or not msg.channel:
            return
        with log_context(event_id=msg.event_id):
            result = ingest_message(deps, msg)  # a database error: the inbox retries the event
            log.debug("message %s/%s: %s", msg.channel, msg.ts, result.why)

    # The same user message can also arrive as app_mention: the message listener already takes it
    # (dedup on channel + ts makes the pair harmless). Ack the rest so Slack never sees a 404.
    @app.event("app_mention")
    def on_mention() -> None:
        return None

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab") == "home" and event.get("user"):
            publish_home(deps, str(event["user"]))

    @app.event("channel_id_changed")
    def on_channel_id_changed(event: dict[str, Any]) -> None:
        log.warning(
            "channel %s is now %s: update the policy's accounts to the new id",
            event.get("old_channel_id"),
            event.get("new_channel_id"),
        )
