"""Effects of what agents do on the card (take over, hand off, notes, snooze), run from the outbox:
retried until Slack accepts them, never lost (docs/agent-actions.md).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from slack_sdk.errors import SlackApiError

from bot import card_modals, cards
from bot.deps import Deps
from bot.domain.handoff import HandoffState
from bot.flows import render, returning, slack_post
from bot.flows.effects import post_in_customer_thread
from bot.flows.outbox import EffectKind, Handler, Job, Retry
from bot.flows.slack_lookups import card_permalink
from storage import repo
from storage.db import session_scope
from storage.models import Escalation, TimelineKind

log = logging.getLogger(__name__)


def tell_user(deps: Deps, user: str, channel: str, text: str) -> None:
    """Say something to one person only: an ephemeral message where the card is, else a DM. Best effort:
    the answer to a click whose modal has no response_url (a refusal after a submission)."""
    try:
        if channel:
            try:
                deps.slack.chat_postEphemeral(channel=channel, user=user, text=cards.cut(text, cards.FALLBACK_LIMIT))
                return
            except SlackApiError as exc:
                if exc.response is None or exc.response.get("error") not in ("user_not_in_channel", "channel_not_found"):
                    raise
        dm = deps.slack.conversations_open(users=user)["channel"]["id"]
        deps.slack.chat_postMessage(channel=dm, text=cards.cut(text, cards.FALLBACK_LIMIT))
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", user, exc.response.get("error") if exc.response is not None else exc)


def _dm_previous_claimer(deps: Deps, job: Job) -> None:
    """The person a claim was taken over from hears it from Baton, not by surprise."""
    previous, by = str(job.payload.get("previous", "")), str(job.payload.get("by", ""))
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None or not previous:
            return
        account = esc.account_id
    link = card_permalink(deps, job.esc_id)
    text = f"<@{by}> took over the escalation for {cards.escape(account)} from you." + (
        f" <{link}|Open the card>" if link else ""
    )
    slack_post.post_dm_once(deps, job, user=previous, text=text)
    with session_scope(deps.db) as session:
        job.finish_in(session, deps.clock.now())
        repo.log(session, job.esc_id, deps.clock.now(), TimelineKind.PREVIOUS_CLAIMER_TOLD, user=previous, by=by)


def _retire_card(deps: Deps, job: Job) -> None:
    """The old team's card, re-rendered one last time: where the escalation went, by whom, no buttons."""
    p = job.payload
    channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
    if not (channel and ts):
        return  # the old card was never posted
    account = render.account_of(deps, job.esc_id)
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        assert esc is not None
        view = render.card_view(session, deps, esc, account)
    view = replace(
        view,
        team=str(p.get("from_team", "")),
        handed_to=str(p.get("to_team", "")),
        handed_by=str(p.get("by", "")),
        handoff_note=str(p.get("note", "")),
        handed_from="",
    )
    body = cards.build_card(view)
    try:
        deps.slack.chat_update(channel=channel, ts=ts, text=body["text"], blocks=body["blocks"])
    except SlackApiError as exc:
        if exc.response is not None and exc.response.get("error") in ("message_not_found", "channel_not_found"):
            return  # deleted meanwhile: nothing left to say it on
        raise


def _notify_handed_off(deps: Deps, job: Job) -> None:
    """The customer hears that another team takes over (in their language). Not before they were told a
    person is coming: then that first message names the new team already."""
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None or esc.customer_notified_at is None:
            return
        team = deps.policy.teams.get(str(job.payload.get("team", "")))
        category = team.categories[0] if team is not None and team.categories else "general"
        text = deps.policy.messages.handed_off(esc.language, category=category)
    post_in_customer_thread(
        deps, job, text, TimelineKind.CUSTOMER_TOLD_HANDED_OFF, state=HandoffState.HUMAN, team=job.payload.get("team", "")
    )


def _card_thread_reply(deps: Deps, job: Job) -> None:
    """A reply in the card's thread (an internal note, a snooze ending); waits for the card to be posted."""
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None:
            return
        channel, ts = esc.card_channel, esc.card_ts
    if not ts:
        raise Retry("the card is not posted yet", after=5.0)
    slack_post.post_once(
        deps, job, kind=slack_post.MESSAGE, channel=channel, thread_ts=ts, text=str(job.payload.get("text", ""))
    )


def _forward_to_handler(deps: Deps, job: Job) -> None:
    """The customer wrote again after the resolve: the person who resolved it hears it first."""
    user, text = str(job.payload.get("user", "")), str(job.payload.get("text", ""))
    with session_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, job.esc_id)
        assert esc.id is not None
        reopenable = esc.status == "resolved" and deps.policy.card_actions.can_reopen(esc.resolved_at, deps.clock.now())
        esc_id, team, account, link = esc.id, esc.team, esc.account_id, conv.permalink
    body = card_modals.build_came_back(esc_id, team=team, account=account, text=text, link=link, reopenable=reopenable)
    slack_post.post_dm_once(deps, job, user=user, text=body["text"], blocks=body["blocks"], unfurl_links=False)


def _linked_notice(deps: Deps, job: Job) -> None:
    """A message in the customer's other thread: a reply in the card's thread, and the claimer's DM."""
    p = job.payload
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None:
            return
        channel, ts, claimer, account = esc.card_channel, esc.card_ts, esc.claimed_by, esc.account_id
    text = returning.notice_text(account, str(p.get("text", "")), first=bool(p.get("first")))
    if claimer:
        link = card_permalink(deps, job.esc_id)
        dm = text + (f"\n<{link}|Open the card>" if link else "")
        slack_post.post_dm_once(deps, job, user=claimer, text=cards.cut(dm, cards.FALLBACK_LIMIT))
    elif not ts:
        raise Retry("the card is not posted yet", after=5.0)
    else:
        slack_post.post_once(
            deps, job, kind=slack_post.MESSAGE, channel=channel, thread_ts=ts, text=cards.cut(text, cards.FALLBACK_LIMIT)
        )


def _notify_linked(deps: Deps, job: Job) -> None:
    """In the customer's new thread: it was added to their open request (the AI agent stands back there)."""
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None:
            return
        text = deps.policy.messages.linked(esc.language, category=esc.category)
    where = str(job.payload.get("channel", "")), str(job.payload.get("thread", ""))
    post_in_customer_thread(deps, job, text, TimelineKind.CUSTOMER_TOLD_LINKED, state=HandoffState.HUMAN, where=where)


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.FORWARD_TO_HANDLER: _forward_to_handler,
    EffectKind.LINKED_NOTICE: _linked_notice,
    EffectKind.NOTIFY_LINKED: _notify_linked,
    EffectKind.DM_PREVIOUS_CLAIMER: _dm_previous_claimer,
    EffectKind.RETIRE_CARD: _retire_card,
    EffectKind.NOTIFY_HANDED_OFF: _notify_handed_off,
    EffectKind.CARD_THREAD_REPLY: _card_thread_reply,
}
