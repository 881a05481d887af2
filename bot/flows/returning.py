"""A customer who writes again: after a resolve (within the cooling period their message goes to the person
who resolved it), or in a new thread while an escalation of theirs is open (the thread is linked to it:
the card says so, the claimer is told, the AI agent stands back). Called from the ingest flow inside its
transaction; the effects go through the outbox (docs/agent-actions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot import cards
from bot.deps import Deps
from bot.flows import outbox
from bot.flows.outbox import EffectKind, unique
from storage import actions_repo, repo
from storage.models import ACTIVE_STATUSES, Conversation, Escalation, TimelineKind

QUOTE_LIMIT = 1500


def came_back(
    session: Session, deps: Deps, past: Sequence[Escalation], text: str, handler: str, now: datetime
) -> int | None:
    """The customer wrote again in a resolved escalation's thread without it escalating again: within the
    cooling period (the engine names `handler`, who resolved it) the message goes to that person, with
    Reopen while the policy allows it. Returns the escalation told about, or None."""
    last = past[-1] if past else None
    if last is None or last.id is None or last.resolved_at is None or not handler:
        return None
    repo.log(session, last.id, now, TimelineKind.CAME_BACK, forwarded_to=handler, text=text[:QUOTE_LIMIT])
    outbox.enqueue(
        session, last.id, EffectKind.FORWARD_TO_HANDLER, now, key=unique(), user=handler, text=text[:QUOTE_LIMIT]
    )
    return last.id


def route(session: Session, deps: Deps, conv: Conversation, text: str, now: datetime) -> int | None:
    """A customer message in a conversation with no escalation of its own: the id of the customer's open
    escalation elsewhere it goes to (a new thread is linked to it; a linked one follows it), or None."""
    if conv.linked_escalation_id is not None:
        return to_linked(session, deps, conv, text, now)
    assert conv.id is not None
    if len(repo.messages_of(session, conv.id)) != 1:
        return None  # not a new thread: it has a history of its own with the AI agent
    return link_new_thread(session, deps, conv, text, now)


def link_new_thread(session: Session, deps: Deps, conv: Conversation, text: str, now: datetime) -> int | None:
    """A new thread of a customer whose escalation is open in another: link it there. Returns its id."""
    assert conv.id is not None
    esc = actions_repo.open_escalation_of_customer(session, conv.account_id, conv.customer_id, conv.id)
    if esc is None or esc.id is None:
        return None
    conv.linked_escalation_id = esc.id
    session.add(conv)
    repo.log(
        session,
        esc.id,
        now,
        TimelineKind.LINKED_THREAD,
        channel=conv.channel,
        thread_ts=conv.thread_ts,
        text=text[:QUOTE_LIMIT],
    )
    card = repo.lock_escalation(session, esc.id)
    repo.card_changed(card)
    session.add(card)
    outbox.enqueue(session, esc.id, EffectKind.UPDATE_CARD, now, key=unique())
    outbox.enqueue(
        session,
        esc.id,
        EffectKind.LINKED_NOTICE,
        now,
        key=unique(),
        text=text[:QUOTE_LIMIT],
        channel=conv.channel,
        thread=conv.thread_ts,
        first=True,
    )
    outbox.enqueue(
        session, esc.id, EffectKind.NOTIFY_LINKED, now, key=f"{conv.id}", channel=conv.channel, thread=conv.thread_ts
    )
    return esc.id


def to_linked(session: Session, deps: Deps, conv: Conversation, text: str, now: datetime) -> int | None:
    """A later message in a linked thread, while the escalation is open: onto the card's thread."""
    if conv.linked_escalation_id is None:
        return None
    esc = session.get(Escalation, conv.linked_escalation_id)
    if esc is None or esc.id is None or esc.status not in ACTIVE_STATUSES:
        return None  # resolved since: the thread is the customer's own again
    outbox.enqueue(
        session,
        esc.id,
        EffectKind.LINKED_NOTICE,
        now,
        key=unique(),
        text=text[:QUOTE_LIMIT],
        channel=conv.channel,
        thread=conv.thread_ts,
        first=False,
    )
    return esc.id


def notice_text(account: str, text: str, *, first: bool) -> str:
    head = (
        f":link: The customer of {cards.escape(account)} opened another thread while this escalation is open;"
        " it is linked here and the AI agent stands back there:"
        if first
        else ":link: The customer wrote again in their other thread:"
    )
    return f"{head}\n{cards.quote(text, QUOTE_LIMIT)}"
