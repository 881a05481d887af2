"""chat.postMessage at most once per outbox item, even when the process dies between Slack's answer
and the database write that records it.

Every message an effect posts carries Slack message metadata naming the escalation and the outbox
item ({"event_type": "baton_card" | "baton_message", "event_payload": {"escalation_id", "effect"}}).
The first attempt just posts. A later attempt of the same item (the lease ran out, or the last
attempt failed after or without posting) first looks for its own marker with conversations.history
(top-level messages) or conversations.replies (thread replies), include_all_metadata=true and
oldest = when the item was queued, and takes the message it finds instead of posting again.
Direct messages (the on-call DM, the previous handler's, the manager's) do the same in the DM
channel that conversations.open returns (conversations.history there needs `im:history`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.flows.outbox import Job

log = logging.getLogger(__name__)

CARD = "baton_card"
MESSAGE = "baton_message"
SKEW = timedelta(minutes=5)  # our clock against Slack's: look this much further back than the item's age
PAGE = 200
MAX_PAGES = 5  # a busy team channel: the marker is within the 1,000 newest messages since the item


def marker(kind: str, job: Job, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The message's metadata: `payload` adds fields of its own (the handoff's state, docs/ai-handoff.md)."""
    return {
        "event_type": kind,
        "event_payload": {"escalation_id": job.esc_id, "effect": job.id, **(payload or {})},
    }


def post_once(
    deps: Deps,
    job: Job,
    *,
    kind: str,
    channel: str,
    thread_ts: str | None = None,
    payload: Mapping[str, Any] | None = None,
    **message: Any,
) -> tuple[str, str]:
    """Post the message (unless an earlier attempt of `job` already did); returns its (channel, ts)."""
    if job.attempt > 1:
        found = find_posted(deps, job, kind=kind, channel=channel, thread_ts=thread_ts, payload=payload)
        if found is not None:
            log.info("effect %s (%s) was posted before the crash: %s/%s", job.id, job.kind, *found)
            return found
    if thread_ts:
        message["thread_ts"] = thread_ts
    resp = deps.slack.chat_postMessage(channel=channel, metadata=marker(kind, job, payload), **message)
    return str(resp["channel"]), str(resp["ts"])


def post_dm_once(deps: Deps, job: Job, *, user: str, **message: Any) -> tuple[str, str]:
    """`post_once` in the DM with `user` (conversations.open gives the same channel every time)."""
    dm = str(deps.slack.conversations_open(users=user)["channel"]["id"])
    return post_once(deps, job, kind=MESSAGE, channel=dm, **message)


def find_posted(
    deps: Deps,
    job: Job,
    *,
    kind: str,
    channel: str,
    thread_ts: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> tuple[str, str] | None:
    """The message an earlier attempt of `job` posted, if Slack has it."""
    oldest = f"{(job.created_at - SKEW).timestamp():.6f}" if job.created_at else "0"
    want = marker(kind, job, payload)
    cursor = ""
    try:
        for _ in range(MAX_PAGES):
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": PAGE,
            }
            if cursor:
                args["cursor"] = cursor
            if thread_ts:
                page = deps.slack.conversations_replies(ts=thread_ts, **args)
            else:
                page = deps.slack.conversations_history(**args)
            for m in page.get("messages") or []:
                meta = m.get("metadata") or {}
                same = (meta.get("event_type"), meta.get("event_payload")) == tuple(want.values())
                if same and _ours(deps, m):
                    return channel, str(m["ts"])
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not page.get("has_more") or not cursor:
                return None
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else ""
        if error in ("ratelimited", "rate_limited"):
            raise  # try the whole effect again later, lookup first
        # Not being able to look must not stop the message: at least once beats never.
        log.warning("could not look for an earlier post of effect %s in %s: %s", job.id, channel, error)
    return None


def _ours(deps: Deps, message: dict[str, Any]) -> bool:
    bot_id = deps.identity.bot_id
    return not bot_id or message.get("bot_id") == bot_id
