"""A customer-channel message comes in: record it once, decide, open or grow an escalation.

The database work happens in one transaction; Slack side effects are queued in the outbox in that
same transaction and run right after it commits (and again by the sweep if they fail): a message
is never recorded without its consequences, and a slow Slack never loses an escalation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import metrics
from bot.deps import Deps
from bot.domain import loop, model
from bot.domain.summary import parse_agent_summary
from bot.domain.triggers import MessageAnalysis, analyse, decide
from bot.flows import accounts, card_extras, escalate, outbox, returning, sla_clock
from bot.logs import log_context
from bot.policy import AccountEntry
from storage import repo
from storage.db import session_scope
from storage.models import OPEN, SNOOZED, Conversation, Message, Source

log = logging.getLogger(__name__)

# PLATFORM-FACTS, Bolt: customer content has no subtype, or thread_broadcast / file_share.
CONTENT_SUBTYPES = frozenset({"", "thread_broadcast", "file_share"})


@dataclass(frozen=True)
class Inbound:
    """A message from any source, reduced to what Baton needs."""

    source: str  # a storage.models.Source value
    channel: str
    ts: str
    user: str
    text: str
    thread_ts: str = ""  # empty for a top-level message
    user_team: str = ""
    bot_id: str = ""
    subtype: str = ""
    event_id: str = ""  # the delivery id, for dedup (Slack event_id)
    confidence: float | None = None
    # The AI agent's own summary of the conversation, as it sent it (a text, or {"wants", "tried",
    # "failed", "next"}): Slack message metadata `event_payload.summary`, or the ingest API's
    # `ai_summary`. Kept for `ai` messages only; the card shows the latest (bot.domain.summary).
    ai_summary: str | dict[str, Any] | None = None
    # Set by sources other than Slack (bot/flows/external.py), which say who wrote the message and
    # for which account: Slack's are worked out from the event (role_of, the policy's channels).
    role: str = ""  # customer | ai | agent
    account_id: str = ""
    sent_at: datetime | None = None  # when the source says it was written (never later than now)
    external_id: str = ""  # the conversation's id in its source
    permalink: str = ""  # a link to the conversation in its source
    language: str = ""  # ISO 639-1 when the source knows it: it wins over detection


@dataclass(frozen=True)
class IngestResult:
    recorded: bool
    why: str = ""
    escalation_id: int | None = None
    opened: bool = False


def role_of(deps: Deps, msg: Inbound) -> str | None:
    """customer | ai | agent, or None for messages Baton ignores (its own, other bots, non-content)."""
    me = deps.identity
    if msg.user == me.bot_user_id or (msg.bot_id and msg.bot_id == me.bot_id):
        return None
    if msg.user in deps.policy.ai_bot_users or (msg.bot_id and msg.bot_id in deps.policy.ai_bot_users):
        return "ai" if msg.subtype in CONTENT_SUBTYPES | {"bot_message"} else None
    if msg.bot_id or msg.subtype not in CONTENT_SUBTYPES:
        return None
    if msg.user_team and msg.user_team != me.team_id:
        return "customer"  # Slack Connect: a user of another organisation
    return "agent"


def ingest_message(deps: Deps, msg: Inbound) -> IngestResult:
    entry = _account_entry(deps, msg)
    if entry is None:
        _note_unmapped(deps, msg.channel)
        return IngestResult(False, "not a customer channel")
    role = msg.role or role_of(deps, msg)
    if role is None:
        return IngestResult(False, "ignored sender or subtype")
    now = deps.clock.now()
    at = min(msg.sent_at, now) if msg.sent_at is not None else now
    is_reply = bool(msg.thread_ts) and msg.thread_ts != msg.ts
    thread = msg.thread_ts if is_reply or msg.source != Source.SLACK else msg.ts
    account = accounts.facts_for(deps, entry)  # outside the transaction: it may call the CRM

    opened = False
    with session_scope(deps.db) as session:
        if msg.event_id and not repo.mark_inbound(session, f"{msg.source}-event:{msg.event_id}", now):
            return IngestResult(False, "duplicate delivery")
        conv = repo.find_conversation(session, msg.source, msg.channel, thread)
        if conv is None:
            if role != "customer" and msg.source == Source.SLACK:
                # Other sources say the conversation is a customer's (an AI agent often greets first).
                return IngestResult(False, "not part of a customer conversation")
            conv = repo.get_or_create_conversation(
                session,
                Conversation(
                    source=msg.source,
                    channel=msg.channel,
                    thread_ts=thread,
                    account_id=entry.id,
                    customer_id=msg.user if role == "customer" else "",
                    customer_team=msg.user_team,
                    external_id=msg.external_id,
                    permalink=msg.permalink,
                    created_at=now,
                    last_message_at=now,
                ),
            )
        assert conv.id is not None
        domain_msg = model.Message(
            role=role,  # type: ignore[arg-type]
            text=msg.text or "",
            ts=at,
            ref=msg.ts,
            author=msg.user,
            confidence=msg.confidence if role == "ai" else None,
        )
        analysis = analyse(domain_msg, deps.policy.engine)
        row = Message(
            conversation_id=conv.id,
            source=msg.source,
            channel=msg.channel,
            ts=msg.ts,
            role=role,
            author=msg.user,
            text=msg.text or "",
            sent_at=at,
            confidence=domain_msg.confidence,
            analysis=analysis.to_dict(),
            ai_summary=_agent_summary(msg) if role == "ai" else None,
        )
        if not repo.add_message(session, row):
            return IngestResult(False, "message already recorded")
        conv.last_message_at = now
        session.add(conv)

        active = repo.active_escalation(session, conv.id, lock=True)
        if active is not None and active.status == SNOOZED and role == "customer":
            card_extras.wake(session, deps, active, now, why="the customer wrote again")
            session.refresh(active)
        flagged = (
            role == "ai" and active is not None and escalate.ai_after_handoff(session, active, msg.ts, now)
        )
        if role == "agent":
            if active is not None and active.status in (OPEN, SNOOZED) and msg.source == Source.SLACK:
                assert active.id is not None
                escalate.claim_by_reply(session, deps, active, msg.user, now)
                sla_clock.on_message(session, deps, active, role, msg.user, now)
                esc_id = active.id
            elif active is not None:  # a human answered: the next-reply target is met
                sla_clock.on_message(session, deps, active, role, msg.user, now)
                return IngestResult(True, "agent reply")
            else:
                return IngestResult(True, "agent reply")
        else:
            if role == "customer" and active is not None:
                sla_clock.on_message(session, deps, active, role, msg.user, now)
            # A resolved escalation answered what came before it, as an agent's reply does: only what
            # the customer said since can open another one (a "thanks" must not reopen it).
            past = repo.escalations_of_conversation(session, conv.id) if active is None else []
            since = max((e.resolved_at for e in past if e.resolved_at is not None), default=None)
            history = [
                (_domain(m), MessageAnalysis.from_dict(m.analysis))
                for m in repo.messages_of(session, conv.id)
                if since is None or m.sent_at >= since
            ]
            account = accounts.with_history(session, account, conv.id)
            decision = decide(history, account, now, deps.policy.engine)
            if msg.language and decision.escalate:
                decision = replace(decision, language=msg.language)
            if not decision.escalate and active is None and not past:
                decision = loop.back_to_human(
                    decision, _previous(session, conv.id, account.id), account, now, deps.policy.engine
                )
            metrics.decision(escalate=decision.escalate, category=decision.category)
            if decision.escalate:
                esc_id, opened = escalate.open_or_grow(session, deps, conv, active, decision, account, now)
            elif flagged and active is not None and active.id is not None:
                esc_id = active.id  # the card shows the flag now
            elif (
                role == "customer"
                and active is None
                and (linked := returning.route(session, deps, conv, msg.text or "", now)) is not None
            ):
                # A thread of a customer whose escalation is open elsewhere, that would be left with the AI
                # agent: it goes to that escalation (a thread that escalates on its own gets its own card).
                esc_id = linked
            elif (
                role != "customer"
                or not past
                or (
                    back := returning.came_back(
                        session, deps, past, msg.text or "", decision.prefer_agent, now
                    )
                )
                is None
            ):
                return IngestResult(True, "no escalation")
            else:  # within the cooling period: the message goes to whoever resolved it
                esc_id = back
    with log_context(escalation_id=esc_id):
        log.info(
            "escalation %s %s from %s/%s", esc_id, "opened" if opened else "updated", msg.channel, msg.ts
        )
        outbox.run_for(deps, esc_id)
    return IngestResult(True, "escalated" if opened else "updated", esc_id, opened)


def _agent_summary(msg: Inbound) -> dict[str, Any] | None:
    summary = parse_agent_summary(msg.ai_summary)
    return summary.to_dict() if summary is not None else None


def _account_entry(deps: Deps, msg: Inbound) -> AccountEntry | None:
    """Slack: the policy's account of the channel. Other sources name the account themselves; the
    policy may describe it (an `accounts` entry with that id), else its facts come from the CRM."""
    if msg.source == Source.SLACK or not msg.account_id:
        return deps.policy.account_for_channel(msg.channel)
    return deps.policy.account_by_id(msg.account_id) or AccountEntry(channel="", id=msg.account_id)


def _note_unmapped(deps: Deps, channel: str) -> None:
    """Count messages from channels the policy does not map; say so once per channel (team channels,
    where Baton posts its cards, and DMs are expected and not counted)."""
    policy = deps.policy
    if channel.startswith("D") or channel == policy.managers_channel:
        return
    if any(team.channel == channel for team in policy.teams.values()):
        return
    if deps.unmapped.add(channel) == 1:
        log.info(
            "channel %s is not a customer channel in the policy (%s): its messages are ignored; "
            "to watch it, add `- {channel: %s, account: <id>}` under `accounts`",
            channel,
            policy.source,
            channel,
        )


def _previous(session: Session, conversation_id: int, account_id: str) -> loop.Previous | None:
    """The account's last escalation in another conversation (a customer coming back in a new thread)."""
    last = repo.last_escalation_of_account(session, account_id, exclude_conversation=conversation_id)
    if last is None or last.id is None:
        return None
    return loop.Previous(last.id, last.opened_at, last.resolved_at, last.resolved_by or last.claimed_by)


def _domain(m: Message) -> model.Message:
    return model.Message(
        role=m.role,  # type: ignore[arg-type]
        text=m.text,
        ts=m.sent_at,
        ref=m.ts,
        author=m.author,
        confidence=m.confidence,
    )
