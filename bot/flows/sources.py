"""How Baton answers the customer of a conversation, and tells the conversation's source what happened.

One small adapter per `Source` (the registry `ADAPTERS`): `say` delivers what the customer reads (the
transition message, "someone joined", "resolved"); `reflect` tells the source of a change of hands
(handoff, claim, release, resolve). Slack's adapter is the thread itself: `say` posts in it (at most
once, bot/flows/slack_post.py) and the card already shows every change. The others call out through
the client in `deps.sources`. The adapters and their registry are in bot/flows/source_adapters.py; both run inside outbox effects, so a
source that is down delays the message and loses nothing: `Retry` comes back at the retry policy's
time, until the source accepts.

`queue_change` is called by the flows in the transaction that changes the escalation (it queues a
`source_update` effect for conversations that are not in Slack, and nothing for Slack ones).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlmodel import Session

from bot.deps import Deps
from bot.domain.handoff import HandoffState
from bot.flows import outbox
from bot.flows.outbox import EffectKind, Job, Permanent, Retry
from storage.models import Conversation, Escalation, Source, TimelineKind

log = logging.getLogger(__name__)


class Change(StrEnum):
    """What the source is told about."""

    HANDOFF = "handoff"  # an escalation opened: a person will take over
    CLAIMED = "claimed"
    RELEASED = "released"
    RESOLVED = "resolved"
    REOPENED = "reopened"  # a resolved escalation back to work (claimed by whoever reopened it)


class Said(StrEnum):
    """What kind of message the customer is sent (the callback's `kind`)."""

    TRANSITION = "transition"  # a person is taking over, with the expected wait
    JOINED = "joined"  # someone joined
    WAITING = "waiting"  # still waiting: a person is coming
    RESOLVED = "resolved"  # handed back
    NOTE = "note"  # any other message Baton sends the customer


SAID_BY_TIMELINE: Mapping[str, Said] = {
    TimelineKind.CUSTOMER_NOTIFIED: Said.TRANSITION,
    TimelineKind.CUSTOMER_TOLD_CLAIMED: Said.JOINED,
    TimelineKind.CUSTOMER_TOLD_WAITING: Said.WAITING,
    TimelineKind.CUSTOMER_TOLD_RESOLVED: Said.RESOLVED,
}


@dataclass(frozen=True)
class Thread:
    """Where a customer is answered."""

    source: Source
    channel: str
    thread: str
    external_id: str
    escalation_id: int


@dataclass(frozen=True)
class ChangeView:
    """What a source is told of a change: everything a helpdesk note or a callback needs."""

    change: Change
    escalation_id: int
    occurred_at: datetime
    team: str
    urgency: str
    category: str
    language: str
    account_id: str
    reasons: tuple[str, ...] = ()  # the fired triggers' labels with their evidence
    card_link: str = ""
    user: str = ""  # who claimed, released or resolved (a Slack user id)
    user_name: str = ""
    note: str = ""  # the resolution note
    next_actions: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """A plain-text summary for an internal note (helpdesks render it as is)."""
        lines = [
            f"Baton escalated this conversation to {self.team or 'support'} ({self.urgency}, {self.category})."
        ]
        lines += [f"- {r}" for r in self.reasons]
        if self.next_actions:
            lines.append("Recommended next actions:")
            lines += [f"- {a}" for a in self.next_actions]
        if self.card_link:
            lines.append(f"Card in Slack: {self.card_link}")
        return "\n".join(lines)


class SourceAdapter(Protocol):
    def say(
        self, deps: Deps, job: Job, thread: Thread, text: str, *, said: Said, state: HandoffState | None
    ) -> None:
        """Deliver `text` to the customer (raise Retry to be called again later, Permanent to give up)."""

    def reflect(self, deps: Deps, job: Job, thread: Thread, view: ChangeView) -> None:
        """Tell the source of a change of hands."""


def thread_of(conv: Conversation, esc_id: int) -> Thread:
    return Thread(
        Source(conv.source), conv.channel, conv.thread_ts, conv.external_id or conv.thread_ts, esc_id
    )


def client(deps: Deps, source: Source, setting: str) -> Any:
    """The source's client, or Permanent naming the setting that is missing."""
    found = deps.sources.get(source)
    if found is None:
        raise Permanent(f"cannot answer a {source} conversation: {setting} is not set")
    return found


def check(result: Any, what: str) -> None:
    """A Delivery (integrations/ai_agent.py) into the outbox's outcome: Retry, Permanent or done."""
    if result.ok:
        return
    if result.retry:
        raise Retry(f"{what}: {result.detail}", result.retry_after)
    raise Permanent(f"{what} refused: {result.detail}")


# ---------------------------------------------------------------- changes of hands


def queue_change(session: Session, esc: Escalation, change: Change, now: datetime, *, user: str = "") -> None:
    """Queue telling the conversation's source (not Slack: its card is the record) of `change`."""
    conv = session.get(Conversation, esc.conversation_id)
    if conv is None or conv.source == Source.SLACK or esc.id is None:
        return
    outbox.enqueue(
        session,
        esc.id,
        EffectKind.SOURCE_UPDATE,
        now,
        key=outbox.unique(),
        change=change.value,
        at_iso=now.isoformat(),
        user=user,
    )
