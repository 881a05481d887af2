"""Escalation loops (pure): a customer whose escalation was resolved and who comes back within the
cooling period goes straight back to a human (the previous handler when available), not into another
round with the AI agent.

The trigger engine decides on the conversation's own messages; a routine question in a new thread
does not escalate there. This rule looks at the account's previous escalation and, within the
`cooling_period` trigger's window (its `hours`, measured like the engine does: from when the account
was last escalated), turns a "no" into an escalation that names the cooling period as its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.model import Account, Decision, Evidence, FiredTrigger
from bot.domain.triggers.config import EngineConfig
from bot.domain.triggers.engine import to_utc

REASON = "Customer came back soon after a resolved escalation"


@dataclass(frozen=True)
class Previous:
    """The account's last escalation in another conversation."""

    escalation_id: int
    opened_at: datetime
    resolved_at: datetime | None  # None: still open or claimed (then this is not a loop)
    handler: str  # who resolved it (or claimed it), a Slack user id


def back_to_human(
    decision: Decision, previous: Previous | None, account: Account, now: datetime, config: EngineConfig
) -> Decision:
    """The decision for a new conversation, with the loop rule applied."""
    if decision.escalate or previous is None or previous.resolved_at is None:
        return decision
    try:
        spec = config.trigger("cooling_period")
    except KeyError:
        return decision
    segment = config.segment_of(account.tier, account.mrr)
    if not spec.enabled or not spec.applies_to(segment):
        return decision
    ago = to_utc(now) - to_utc(previous.opened_at)
    if not timedelta(0) <= ago <= timedelta(hours=spec.param("hours", segment)):
        return decision
    prefer = previous.handler if spec.param("route_to_last_handler", segment) else ""
    since = (to_utc(now) - to_utc(previous.resolved_at)).total_seconds() / 3600
    by = f" by {previous.handler}" if previous.handler else ""
    fired = FiredTrigger(
        id=spec.id,
        family="business",
        urgency="immediate" if spec.param("raise_urgency", segment) else "queued",
        reason=REASON,
        evidence=(
            Evidence(
                detail=f"escalation #{previous.escalation_id} was resolved{by} {since:.1f} h ago; "
                "back to a human, not another round with the AI"
            ),
        ),
    )
    return replace(
        decision,
        escalate=True,
        urgency=fired.urgency,
        triggers=(fired,),
        prefer_agent=prefer or decision.prefer_agent,
    )
