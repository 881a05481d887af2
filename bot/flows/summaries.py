"""Which summary the card shows, and redaction of everything the card and the transcript show.

The AI agent's own summary wins (the latest one it sent); then an LLM's, when one was written; then
Baton's own (bot.domain.summary.summarize), written from the stored messages and their analyses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.domain.model import Account, FiredTrigger
from bot.domain.summary import Summary, Turn, latest_agent_summary, summarize
from bot.domain.triggers.analysis import MessageAnalysis
from storage.models import Escalation, Message

Redact = Callable[[str], str]


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


def turns_of(msgs: Sequence[Message]) -> list[Turn]:
    return [
        Turn(
            role=m.role,
            text=m.text,
            analysis=MessageAnalysis.from_dict(m.analysis) if m.analysis else None,
            confidence=m.confidence,
        )
        for m in msgs
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
