"""Async handoff tickets (issue 10 §3; docs/integrations.md "Handoff tickets").

When an escalation opens and its team's `tickets:` policy wants one (bot/domain/tickets.py: queued,
after hours, or always), one HELPDESK_TICKET effect is queued in the transaction that opens it (one
per escalation: the outbox's dedup key). The effect, outside any transaction:

1. does nothing when the escalation already has its ticket or is resolved already;
2. waits a few attempts for the card, so the ticket links back to it;
3. a conversation that came from Zendesk or Intercom is its own ticket (`use_source: true`, the
   default): the card links the Zendesk ticket or the Intercom conversation, where the handoff note
   already carries the summary and next actions (bot/flows/source_adapters.py);
4. otherwise it looks the ticket up by Baton's key for the escalation (`baton-escalation-<id>`:
   Zendesk's external_id, Freshdesk's tag) — an earlier attempt may have made it and crashed, or lost
   the answer — and creates it only when none is found (Zendesk also gets the key as its
   `Idempotency-Key`). The ticket carries the summary, why Baton escalated, the account facts, the
   recommended next actions, the transcript (redacted as the policy says) and the card's link.

The ticket is recorded on the escalation (the first record wins), on the timeline, and the card is
re-rendered with a link to it. 429, 5xx and transport errors are retried by the outbox until the
helpdesk answers (nothing is lost); a validation or authentication error is put on the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.domain.model import Account
from bot.domain.tickets import TicketsConfig, TicketText, body, html, subject, wanted
from bot.flows import outbox, render, summaries
from bot.flows.outbox import EffectKind, Handler, Job, Permanent, Retry
from bot.flows.slack_lookups import card_permalink
from bot.flows.source_adapters import DEFAULT_ACTIONS, NEXT_ACTIONS, WAIT_FOR_CARD, reason_line
from integrations.accounts import ServiceFailure
from integrations.helpdesk_tickets import NewTicket, Ticket
from storage import repo, tickets_repo
from storage.db import read_scope, session_scope
from storage.models import RESOLVED, Escalation, Message, Source, TimelineKind

TRANSCRIPT_MESSAGES = 200  # the most recent messages written into a ticket


def key_for(esc_id: int) -> str:
    """Baton's key for the escalation's ticket: the same on every attempt, on every instance."""
    return f"baton-escalation-{esc_id}"


def config_for(deps: Deps, team: str) -> TicketsConfig | None:
    found = deps.policy.teams.get(team)
    return found.tickets if found is not None else None


def queue(session: Session, deps: Deps, esc: Escalation, now: datetime, *, after_hours: bool) -> None:
    """At the opening: queue the ticket when the team's policy wants one for this escalation."""
    if not wanted(config_for(deps, esc.team), urgency=esc.urgency, after_hours=after_hours):
        return
    assert esc.id is not None
    outbox.enqueue(session, esc.id, EffectKind.HELPDESK_TICKET, now, after_hours=after_hours)


def _fail(result: ServiceFailure) -> Exception:
    return Retry(result.describe()) if result.retryable else Permanent(result.describe())


def source_link(deps: Deps, source: str, external_id: str) -> str:
    """The agent's link to a Zendesk ticket or an Intercom conversation ("" when unknown)."""
    found = deps.sources.get(source)
    if found is None or not external_id:
        return ""
    link = getattr(found, "agent_link", None)
    return str(link(external_id)) if callable(link) else ""


def _facts(account: Account) -> list[tuple[str, str]]:
    return [
        ("Account", f"{account.name} ({account.id})" if account.name and account.name != account.id else account.id),
        ("Tier", account.tier),
        ("MRR", f"${account.mrr:,.0f}" if account.mrr is not None else ""),
        ("Renewal", account.renewal_date.isoformat() if account.renewal_date else ""),
        ("Owner", account.owner),
        ("At risk", "yes" if account.at_risk else ""),
    ]


def _transcript(msgs: Sequence[Message], redact: Any) -> list[tuple[str, str, str]]:
    return [
        (m.sent_at.strftime("%Y-%m-%d %H:%M UTC"), f"{m.role} {m.author}".strip(), redact(m.text))
        for m in msgs[-TRANSCRIPT_MESSAGES:]
    ]


def ticket_text(deps: Deps, esc_id: int, *, link: str) -> tuple[TicketText, Account]:
    account = render.account_of(deps, esc_id)  # may ask the CRM: outside any transaction
    redact = deps.policy.redactor
    with read_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, esc_id)
        msgs = repo.messages_of(session, conv.id or 0)
        found = summaries.card_summary(esc, msgs, summaries.stored_triggers(esc, redact), account, redact)
        reasons = tuple(redact(reason_line(t)) for t in esc.triggers[:5])
        transcript = _transcript(msgs, redact)
        team, urgency, category = esc.team, esc.urgency, esc.category
    actions = list(NEXT_ACTIONS.get(category, DEFAULT_ACTIONS))
    if found.next:
        actions.insert(0, found.next)
    summary = [
        ("What the customer wants", found.wants),
        ("What the AI tried", found.tried),
        ("What failed", found.failed),
        ("Summary", found.text),
    ]
    text = TicketText(
        escalation_id=esc_id,
        account=account.name or account.id,
        team=team,
        urgency=urgency,
        category=category,
        summary=[(label, value) for label, value in summary if value],
        facts=_facts(account),
        next_actions=actions,
        transcript=transcript,
        card_link=link,
        reasons=reasons,
    )
    return text, account


def _helpdesk_ticket(deps: Deps, job: Job) -> None:
    with read_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, job.esc_id)
        if esc.ticket is not None or esc.status == RESOLVED:
            return
        config = config_for(deps, esc.team)
        source, external_id, has_card = conv.source, conv.external_id or conv.thread_ts, bool(esc.card_ts)
    if config is None:
        return  # the policy changed since: no ticket wanted any more
    if not has_card and job.attempt <= WAIT_FOR_CARD:
        raise Retry("the card is not posted yet: the ticket links to it")
    if config.use_source and source in (Source.ZENDESK, Source.INTERCOM):
        _record(deps, job, {"helpdesk": source, "id": external_id, "url": source_link(deps, source, external_id), "created": False})
        return
    desk = deps.ticket_desks.get(config.helpdesk)
    if desk is None:
        raise Permanent(f"tickets go to {config.helpdesk}, which is not configured (docs/integrations.md)")
    key = key_for(job.esc_id)
    found = desk.find(key)  # an earlier attempt may have made it, then crashed or lost the answer
    if isinstance(found, ServiceFailure):
        raise _fail(found)
    if found is None:
        text, account = ticket_text(deps, job.esc_id, link=card_permalink(deps, job.esc_id))
        plain = body(text)
        made = desk.create(
            NewTicket(
                key=key,
                subject=subject(text),
                body=plain,
                html=html(plain),
                urgency=text.urgency,
                tags=("baton", f"baton_{text.category}", f"baton_{text.urgency}", *config.tags),
                group_id=config.group_id,
                requester_email=config.requester_email,
                requester_name=account.name or account.id,
            )
        )
        if isinstance(made, ServiceFailure):
            raise _fail(made)
        found = made
    _record(deps, job, _as_dict(config.helpdesk, found))


def _as_dict(helpdesk: str, ticket: Ticket) -> dict[str, Any]:
    return {"helpdesk": str(helpdesk), "id": ticket.id, "url": ticket.url, "created": True}


def _record(deps: Deps, job: Job, ticket: Mapping[str, Any]) -> None:
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        if tickets_repo.set_ticket(session, job.esc_id, dict(ticket)):
            repo.log(session, job.esc_id, now, TimelineKind.TICKET_LINKED, **ticket)
            outbox.enqueue(session, job.esc_id, EffectKind.UPDATE_CARD, now, key=outbox.unique())
        job.finish_in(session, now)


HANDLERS: dict[EffectKind, Handler] = {EffectKind.HELPDESK_TICKET: _helpdesk_ticket}
