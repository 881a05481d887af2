"""Side effects, run from the outbox: at least once, retried with backoff, never silently dropped.

Each effect is leased (a conditional UPDATE) before it runs, so two workers never run the same one
at once; a crashed worker's lease runs out and the sweep picks the effect up again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import cards, customer_messages
from bot.deps import Deps
from bot.flows import render
from storage import repo
from storage.db import session_scope
from storage.models import Conversation, Escalation, OutboxItem

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
LOUD_AFTER = 12  # attempts: from then on a still-failing effect is logged as an error at every attempt
# Slack errors worth retrying; anything else is permanent (a wrong request will stay wrong).
RETRYABLE_SLACK = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""
    retry_after: float | None = None  # seconds; None with ok=False means permanent


class Permanent(Exception):
    """An effect that can never succeed as asked (recorded on the timeline, not retried)."""


MAX_BACKOFF_SECONDS = 900.0


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempt - 1, 0), MAX_BACKOFF_SECONDS))


def _slack_failure(exc: Exception, attempt: int) -> Outcome:
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        status = exc.response.status_code if exc.response is not None else 0
        if status == 429 or error in RETRYABLE_SLACK:
            header = exc.response.headers.get("Retry-After") if exc.response is not None else None
            wait = float(header) if header and str(header).isdigit() else backoff(attempt).total_seconds()
            return Outcome(False, error or f"HTTP {status}", wait)
        return Outcome(False, error or f"HTTP {status}")
    return Outcome(False, f"{type(exc).__name__}: {exc}", backoff(attempt).total_seconds())


# ---------------------------------------------------------------- the effects


def _post_card(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    # Slack and CRM calls run between short transactions, never inside one: SQLite's write lock would
    # stall every other request while Slack answers.
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        assert esc is not None
        if esc.card_ts:
            return  # already posted (a retried effect)
        conv = session.get(Conversation, esc.conversation_id)
        assert conv is not None
        conv_id, conv_channel, thread, link = conv.id, conv.channel, conv.thread_ts, conv.permalink
        wanted = deps.policy.teams[esc.team].channel if esc.team in deps.policy.teams else ""
    channel = internal_channel(deps, wanted)
    link = link or permalink(deps, conv_channel, thread)
    account = render.account_of(deps, esc_id)
    with session_scope(deps.db) as session:
        conv = session.get(Conversation, conv_id)
        assert conv is not None
        if link and not conv.permalink:
            conv.permalink = link
            session.add(conv)
        esc = session.get(Escalation, esc_id)
        assert esc is not None
        version = esc.card_version
        view = render.card_view(session, deps, esc, account)
    body = cards.build_card(view)
    resp = deps.slack.chat_postMessage(
        channel=channel, text=body["text"], blocks=body["blocks"], unfurl_links=False
    )
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        repo.mark_card_rendered(
            session, esc_id, now, version, channel=str(resp["channel"]), ts=str(resp["ts"])
        )
        repo.log(session, esc_id, now, "card_posted", channel=str(resp["channel"]), ts=str(resp["ts"]))


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


def _update_card(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    refresh_card(deps, esc_id)


CARD_GONE = frozenset({"message_not_found", "channel_not_found", "is_archived", "cant_update_message"})


def refresh_card(deps: Deps, esc_id: int) -> bool:
    """Re-render the card from stored state (chat.update). False when there is no card (any more)."""
    account = render.account_of(deps, esc_id)
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None or not esc.card_ts:
            return False
        version = esc.card_version
        view = render.card_view(session, deps, esc, account)
        channel, ts = esc.card_channel, esc.card_ts
    body = cards.build_card(view)
    try:
        deps.slack.chat_update(channel=channel, ts=ts, text=body["text"], blocks=body["blocks"])
    except SlackApiError as exc:
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        with session_scope(deps.db) as session:
            repo.card_render_failed(session, esc_id, deps.clock.now(), permanent=error in CARD_GONE)
            if error in CARD_GONE:
                repo.log(session, esc_id, deps.clock.now(), "card_lost", error=error)
        if error in CARD_GONE:
            log.error("the card of escalation %s cannot be updated any more: %s", esc_id, error)
            return False
        raise
    with session_scope(deps.db) as session:
        repo.mark_card_rendered(session, esc_id, deps.clock.now(), version)
    return True


def post_in_customer_thread(deps: Deps, esc_id: int, text: str, kind: str, **detail: Any) -> None:
    with session_scope(deps.db) as session:
        _, conv = repo.escalation_with_conversation(session, esc_id)
        channel, thread = conv.channel, conv.thread_ts
    deps.slack.chat_postMessage(channel=channel, thread_ts=thread, text=cards.cut(text, cards.FALLBACK_LIMIT))
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        if kind == "customer_notified":
            esc = session.get(Escalation, esc_id)
            assert esc is not None
            esc.customer_notified_at = esc.customer_notified_at or now
            session.add(esc)
        repo.log(session, esc_id, now, kind, text=text, **detail)


def _notify_customer(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    from bot.flows import wait

    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        assert esc is not None
        if esc.customer_notified_at is not None:
            return
        text = wait.transition_text(session, deps, esc)
    post_in_customer_thread(deps, esc_id, text, "customer_notified")


def _notify_claimed(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    name = user_name(deps, str(payload.get("user", "")))
    text = customer_messages.claimed(agent_name=name, team=str(payload.get("team", "support")))
    post_in_customer_thread(deps, esc_id, text, "customer_told_claimed", user=payload.get("user", ""))


def _notify_thread(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    post_in_customer_thread(deps, esc_id, str(payload["text"]), str(payload.get("log_kind", "customer_told")))


def _dm_previous_handler(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    """Cooling period: the agent who handled this account last gets the card in a DM, with Claim,
    when they are still an active member of the workspace and nobody has claimed yet."""
    user = str(payload.get("user", ""))
    account = render.account_of(deps, esc_id)
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        if esc is None or esc.status != "open" or not user:
            return
        view = render.card_view(session, deps, esc, account)
    try:
        active = not deps.slack.users_info(user=user)["user"].get("deleted")
    except SlackApiError as exc:
        if exc.response is None or exc.response.get("error") != "user_not_found":
            raise
        active = False
    if active:
        body = cards.build_card(view)
        dm = deps.slack.conversations_open(users=user)["channel"]["id"]
        text = f"You handled {cards.escape(view.account_name)} last time, and they are back. {body['text']}"
        deps.slack.chat_postMessage(
            channel=dm, text=cards.cut(text, cards.FALLBACK_LIMIT), blocks=body["blocks"], unfurl_links=False
        )
    with session_scope(deps.db) as session:
        kind = "previous_handler_dm" if active else "previous_handler_unavailable"
        repo.log(session, esc_id, deps.clock.now(), kind, user=user)


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


EFFECTS: dict[str, Callable[[Deps, int, dict[str, Any]], None]] = {
    "post_card": _post_card,
    "update_card": _update_card,
    "notify_customer": _notify_customer,
    "notify_claimed": _notify_claimed,
    "notify_thread": _notify_thread,
    "dm_previous_handler": _dm_previous_handler,
}


# ---------------------------------------------------------------- running them


def run_item(deps: Deps, item: OutboxItem) -> Outcome:
    now = deps.clock.now()
    assert item.id is not None
    with session_scope(deps.db) as session:
        if not repo.lease_outbox(session, item.id, now, LEASE):
            return Outcome(False, "leased elsewhere", 0)
    attempt = item.attempts + 1
    fn = EFFECTS.get(item.kind)
    try:
        if fn is None:
            raise Permanent(f"unknown effect {item.kind}")
        fn(deps, item.escalation_id or 0, dict(item.payload))
        outcome = Outcome(True)
    except Permanent as exc:
        outcome = Outcome(False, str(exc))
    except paging.Retry as exc:
        outcome = Outcome(
            False, str(exc), exc.after if exc.after is not None else backoff(attempt).total_seconds()
        )
    except Exception as exc:
        outcome = _slack_failure(exc, attempt)
    done_at = deps.clock.now()
    with session_scope(deps.db) as session:
        if outcome.ok:
            repo.finish_outbox(session, item.id, done_at, ok=True)
        else:
            retry_at = None
            if outcome.retry_after is not None:  # retryable: kept until accepted (backoff is capped)
                retry_at = done_at + timedelta(seconds=min(outcome.retry_after, MAX_BACKOFF_SECONDS))
            repo.finish_outbox(session, item.id, done_at, ok=False, error=outcome.error, retry_at=retry_at)
            if item.escalation_id:
                repo.log(
                    session,
                    item.escalation_id,
                    done_at,
                    "effect_failed",
                    effect=item.kind,
                    error=outcome.error,
                    attempt=attempt,
                    retry_at=retry_at.isoformat() if retry_at else None,
                )
            loud = retry_at is None or attempt >= LOUD_AFTER
            (log.error if loud else log.warning)(
                "effect %s for escalation %s failed: %s", item.kind, item.escalation_id, outcome.error
            )
    return outcome


def run_for(deps: Deps, esc_id: int) -> None:
    """Run the pending effects of one escalation now (the fast path after a commit)."""
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        items = repo.due_outbox(session, now, escalation_id=esc_id)
    for item in items:
        run_item(deps, item)


def run_due(deps: Deps, now: datetime | None = None) -> int:
    """Run every due effect (the sweep's safety net). Returns how many ran."""
    now = now or deps.clock.now()
    with session_scope(deps.db) as session:
        items = repo.due_outbox(session, now)
    for item in items:
        run_item(deps, item)
    return len(items)


from bot.flows import paging  # noqa: E402  (chain-step effects; paging imports this module lazily)

EFFECTS.update(paging.EFFECTS)
