"""Card and customer-thread effects, run from the outbox (bot/flows/outbox.py): one handler per kind.

Slack and CRM calls run between short transactions, never inside one: SQLite's write lock would
stall every other request while Slack answers.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import cards
from bot.deps import Deps
from bot.domain.handoff import HandoffState
from bot.flows import render, slack_post, wait
from bot.flows.outbox import EffectKind, Handler, Job
from bot.flows.slack_lookups import internal_channel, permalink, user_name
from bot.flows.source_adapters import adapter_for
from bot.flows.sources import SAID_BY_TIMELINE, Said, Thread, thread_of
from storage import repo
from storage.db import read_scope, session_scope
from storage.models import RESOLVED, Escalation, Source, TimelineKind

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the effects


def _post_card(deps: Deps, job: Job) -> None:
    esc_id = job.esc_id
    # Three short transactions: read, render (both read-only: no write lock on SQLite), record (with
    # the item's completion). Slack and the CRM are asked between them.
    with read_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, esc_id)
        if esc.card_ts:
            return  # already posted (a retried effect)
        conv_id, conv_channel, thread, link = conv.id, conv.channel, conv.thread_ts, conv.permalink
        account_id = esc.account_id
        wanted = deps.policy.teams[esc.team].channel if esc.team in deps.policy.teams else ""
    channel = internal_channel(deps, wanted)
    new_link = "" if link or ":" in conv_channel else permalink(deps, conv_channel, thread)  # ":": not Slack
    account = render.account_for(deps, conv_channel, account_id)
    with read_scope(deps.db) as session:
        row = session.get(Escalation, esc_id)
        assert row is not None
        version = row.card_version
        view = render.card_view(session, deps, row, account)
        if new_link:
            view = replace(view, permalink=new_link)
    body = cards.build_card(view)
    posted_in, ts = slack_post.post_once(
        deps,
        job,
        kind=slack_post.CARD,
        channel=channel,
        text=body["text"],
        blocks=body["blocks"],
        unfurl_links=False,
    )
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        if new_link:
            repo.set_permalink(session, conv_id or 0, new_link)
        job.finish_in(session, now)
        repo.mark_card_rendered(session, esc_id, now, version, channel=posted_in, ts=ts)
        repo.log(session, esc_id, now, TimelineKind.CARD_POSTED, channel=posted_in, ts=ts)


def _update_card(deps: Deps, job: Job) -> None:
    refresh_card(deps, job.esc_id)


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
                repo.log(session, esc_id, deps.clock.now(), TimelineKind.CARD_LOST, error=error)
        if error in CARD_GONE:
            log.error("the card of escalation %s cannot be updated any more: %s", esc_id, error)
            return False
        raise
    with session_scope(deps.db) as session:
        repo.mark_card_rendered(session, esc_id, deps.clock.now(), version)
    return True


def post_in_customer_thread(
    deps: Deps,
    job: Job,
    text: str,
    kind: TimelineKind,
    state: HandoffState | None = None,
    *,
    where: Thread | tuple[str, str] | None = None,
    **detail: Any,
) -> None:
    """Say `text` to the customer through the conversation's source (`where` when the caller has read
    it; bot/flows/source_adapters.py) and record it, with the item's completion, in one transaction.
    In Slack, with `state`, the message's metadata is the handoff for the AI agent ({"event_type":
    "baton_handoff", "event_payload": {"escalation_id", "state", "effect"}}, docs/ai-handoff.md); it
    doubles as the at-most-once marker of slack_post."""
    esc_id = job.esc_id
    if where is None:
        with session_scope(deps.db) as session:
            _, conv = repo.escalation_with_conversation(session, esc_id)
            where = thread_of(conv, esc_id)
    elif isinstance(where, tuple):  # (channel, thread ts): a Slack thread
        where = Thread(Source.SLACK, where[0], where[1], "", esc_id)
    said = SAID_BY_TIMELINE.get(kind, Said.NOTE)
    adapter_for(where.source).say(deps, job, where, cards.cut(text, cards.FALLBACK_LIMIT), said=said, state=state)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        job.finish_in(session, now)
        if kind == TimelineKind.CUSTOMER_NOTIFIED:
            esc = session.get(Escalation, esc_id)
            assert esc is not None
            esc.customer_notified_at = esc.customer_notified_at or now
            session.add(esc)
        repo.log(session, esc_id, now, kind, text=text, **detail)


def _notify_customer(deps: Deps, job: Job) -> None:
    esc_id = job.esc_id
    with read_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, esc_id)
        if esc.customer_notified_at is not None or esc.status == RESOLVED:
            return  # told already, or resolved before Slack took the message: nothing to announce
        text = wait.transition_text(session, deps, esc)
        where = thread_of(conv, esc_id)
    post_in_customer_thread(
        deps, job, text, TimelineKind.CUSTOMER_NOTIFIED, state=HandoffState.HUMAN, where=where
    )


def _notify_claimed(deps: Deps, job: Job) -> None:
    payload = job.payload
    name = user_name(deps, str(payload.get("user", "")))
    with read_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        language = esc.language if esc is not None else ""
    text = deps.policy.messages.claimed(language, agent=name, team=str(payload.get("team", "support")))
    post_in_customer_thread(
        deps,
        job,
        text,
        TimelineKind.CUSTOMER_TOLD_CLAIMED,
        state=HandoffState.HUMAN,
        user=payload.get("user", ""),
    )


def _notify_thread(deps: Deps, job: Job) -> None:
    payload = job.payload
    kind = TimelineKind(str(payload.get("log_kind", TimelineKind.CUSTOMER_TOLD)))
    state = HandoffState(payload["state"]) if payload.get("state") else None
    post_in_customer_thread(deps, job, str(payload["text"]), kind, state=state)


def _notify_resolved(deps: Deps, job: Job) -> None:
    """Resolved: the customer is told, and the message hands the thread back to the AI agent."""
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None or esc.customer_notified_at is None:
            return  # the customer (and the AI agent) were never told a person took over
        text = deps.policy.messages.resolved(esc.language)
    post_in_customer_thread(deps, job, text, TimelineKind.CUSTOMER_TOLD_RESOLVED, state=HandoffState.AI)


def _dm_previous_handler(deps: Deps, job: Job) -> None:
    """Cooling period: the agent who handled this account last gets the card in a DM, with Claim,
    when they are still an active member of the workspace and nobody has claimed yet."""
    esc_id, payload = job.esc_id, job.payload
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
        text = f"You handled {cards.escape(view.account_name)} last time, and they are back. {body['text']}"
        slack_post.post_dm_once(
            deps, job, user=user, text=cards.cut(text, cards.FALLBACK_LIMIT), blocks=body["blocks"], unfurl_links=False
        )
    with session_scope(deps.db) as session:
        kind = TimelineKind.PREVIOUS_HANDLER_DM if active else TimelineKind.PREVIOUS_HANDLER_UNAVAILABLE
        repo.log(session, esc_id, deps.clock.now(), kind, user=user)


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.POST_CARD: _post_card,
    EffectKind.UPDATE_CARD: _update_card,
    EffectKind.NOTIFY_CUSTOMER: _notify_customer,
    EffectKind.NOTIFY_CLAIMED: _notify_claimed,
    EffectKind.NOTIFY_THREAD: _notify_thread,
    EffectKind.NOTIFY_RESOLVED: _notify_resolved,
    EffectKind.DM_PREVIOUS_HANDLER: _dm_previous_handler,
}
