"""Which summary the card shows, and redaction of everything the card and the transcript show.

The AI agent's own summary wins (the latest one it sent); then an LLM's, when one was written; then
Baton's own (bot.domain.summary.summarize), written from the stored messages and their analyses.

The LLM (optional, integrations/llm.py) runs as an outbox effect queued when the escalation opens,
after the card is posted: never in a Slack request, never holding a database transaction. It reads
the transcript masked as the team's policy says (nothing unmasked leaves for the LLM), and on any
failure the card simply keeps Baton's own summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.deps import Deps
from bot.domain.model import Account, FiredTrigger
from bot.domain.summary import Summary, Turn, latest_agent_summary, summarize
from bot.domain.triggers.analysis import MessageAnalysis
from bot.flows import outbox
from bot.flows.outbox import EffectKind, Handler, Job
from storage import repo
from storage.db import read_scope, session_scope
from storage.models import RESOLVED, Conversation, Escalation, Message

log = logging.getLogger(__name__)

Redact = Callable[[str], str]
SPEAKER = {"customer": "Customer", "ai": "AI agent", "agent": "Agent"}


def account_notes(account: Account) -> list[str]:
    """Facts on the account worth acting on, for "what to do next"."""
    extra = account.extra
    notes = []
    charges = extra.get("recent_charges")
    charges = charges if isinstance(charges, list) else []
    disputed = [c for c in charges if isinstance(c, dict) and c.get("disputed") is True]
    if disputed:
        notes.append(
            f"{len(disputed)} disputed charge{'s are' if len(disputed) > 1 else ' is'} on the account."
        )
    if extra.get("subscription_canceling") is True:
        notes.append("The subscription is already set to cancel.")
    bugs = extra.get("open_bugs")
    bugs = bugs if isinstance(bugs, list) else []
    if bugs:
        notes.append(f"{len(bugs)} open bug{'s' if len(bugs) > 1 else ''} on the account (below).")
    return notes


MAX_TURNS = 200  # a summary reads the opening and the latest turns: a card re-render stays cheap


def turns_of(msgs: Sequence[Message]) -> list[Turn]:
    """The turns a summary reads (the first message and the latest ones), with the customer's stored
    analyses (the AI agent's confidence is on its row)."""
    kept = list(msgs) if len(msgs) <= MAX_TURNS else [msgs[0], *msgs[-(MAX_TURNS - 1) :]]
    return [
        Turn(
            role=m.role,
            text=m.text,
            analysis=MessageAnalysis.from_dict(m.analysis) if m.analysis and m.role == "customer" else None,
            confidence=m.confidence,
        )
        for m in kept
    ]


def offline_summary(
    msgs: Sequence[Message], triggers: Sequence[FiredTrigger], category: str, account: Account
) -> Summary:
    return summarize(
        turns_of(msgs), triggers=triggers, category=category, account_notes=account_notes(account)
    )


def card_summary(
    esc: Escalation,
    msgs: Sequence[Message],
    triggers: Sequence[FiredTrigger],
    account: Account,
    redact: Redact,
) -> Summary:
    """The summary for the card, redacted as the team's policy says."""
    chosen = latest_agent_summary([m.ai_summary for m in msgs if m.role == "ai"])
    if chosen is None and esc.llm_summary:
        chosen = Summary.from_dict(esc.llm_summary)
    if chosen is None:
        chosen = offline_summary(msgs, triggers, esc.category, account)
    return redact_summary(chosen, redact)


def redact_summary(summary: Summary, redact: Redact) -> Summary:
    return replace(
        summary,
        wants=redact(summary.wants),
        tried=redact(summary.tried),
        failed=redact(summary.failed),
        next=redact(summary.next),
        text=redact(summary.text),
    )


def redact_trigger(trigger: FiredTrigger, redact: Redact) -> FiredTrigger:
    """A trigger's evidence quotes the customer: masked like the transcript."""
    evidence = tuple(replace(e, quote=redact(e.quote), detail=redact(e.detail)) for e in trigger.evidence)
    return replace(trigger, reason=redact(trigger.reason), evidence=evidence)


def stored_triggers(esc: Escalation, redact: Redact) -> list[FiredTrigger]:
    return [redact_trigger(FiredTrigger.from_dict(t), redact) for t in esc.triggers]


# ---------------------------------------------------------------- the optional LLM


def _llm_summary(deps: Deps, job: Job) -> None:
    esc_id = job.esc_id
    redact = deps.policy.redactor
    with read_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        conv = session.get(Conversation, esc.conversation_id) if esc is not None else None
        msgs = repo.messages_of(session, conv.id) if conv is not None and conv.id is not None else []
        skip = (
            deps.llm is None
            or esc is None
            or esc.status == RESOLVED
            or bool(esc.llm_summary)
            or latest_agent_summary([m.ai_summary for m in msgs if m.role == "ai"]) is not None
        )
        lines = [(SPEAKER.get(m.role, m.role), redact(m.text)) for m in msgs]
    if skip or not lines:
        return  # the AI agent's own summary wins; nothing to do for a resolved one
    result = deps.llm.summarize(lines)
    now = deps.clock.now()
    if result.summary is None:
        log.info("escalation %s: no LLM summary (%s); the card keeps Baton's own", esc_id, result.detail)
        return
    with session_scope(deps.db) as session:
        repo.set_llm_summary(session, esc_id, result.summary.to_dict())
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=outbox.unique())
        job.finish_in(session, now)


HANDLERS: dict[EffectKind, Handler] = {EffectKind.LLM_SUMMARY: _llm_summary}
