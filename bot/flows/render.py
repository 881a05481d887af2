"""Build the card's view from stored state (re-render, don't patch)."""

from __future__ import annotations

from sqlmodel import Session

from bot.cards import CardView, SlaView, TranscriptLine
from bot.deps import Deps
from bot.domain.model import Account
from bot.flows import accounts, sla_clock, summaries
from bot.policy import AccountEntry
from storage import actions_repo, repo
from storage.db import read_scope
from storage.models import Conversation, Escalation, TimelineKind


def account_for(deps: Deps, channel: str, account_id: str) -> Account:
    """The account facts a card shows. May call the CRM: call it outside any database transaction."""
    entry = deps.policy.account_for_channel(channel) or deps.policy.account_by_id(account_id)
    if entry is None and ":" in channel:  # "api:…", "intercom:…": not Slack; the source named the account
        entry = AccountEntry(channel="", id=account_id)
    return accounts.facts_for(deps, entry) if entry is not None else Account(id=account_id)


def account_of(deps: Deps, esc_id: int) -> Account:
    """Read what is needed in a short transaction, then fetch the facts with none open."""
    with read_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, esc_id)
        channel, account_id = conv.channel, esc.account_id
    return account_for(deps, channel, account_id)


def card_view(session: Session, deps: Deps, esc: Escalation, account: Account | None = None) -> CardView:
    """The view of the card. Pass `account` (from account_of) so no outside call runs inside the transaction."""
    conv = session.get(Conversation, esc.conversation_id)
    assert conv is not None and esc.id is not None
    if account is None:
        account = account_for(deps, conv.channel, esc.account_id)
    msgs = repo.messages_of(session, conv.id or 0)
    sentiments = [m.analysis.get("sentiment") for m in msgs if m.role == "customer"]
    numeric = [s for s in sentiments if isinstance(s, int | float)]
    missing = account.extra.get("missing") or []
    handed_off, ended = esc.customer_notified_at, esc.resolved_at
    kept_answering = [
        m
        for m in msgs
        if m.role == "ai"
        and handed_off is not None
        and m.sent_at > handed_off
        and (ended is None or m.sent_at <= ended)
    ]
    book = deps.policy.messages.books.get(esc.language)
    redact = deps.policy.redactor
    triggers = summaries.stored_triggers(esc, redact)
    shown = actions_repo.card_events(session, esc.id)
    handoffs = [e for e in shown if e.kind == TimelineKind.HANDED_OFF]
    last_handoff = handoffs[-1] if handoffs else None
    return CardView(
        escalation_id=esc.id,
        status=esc.status,
        urgency=esc.urgency,
        category=esc.category,
        team=esc.team,
        account_id=esc.account_id,
        account_name=account.name or esc.account_id,
        customer=conv.customer_id,
        opened_at=esc.opened_at,
        triggers=triggers,
        transcript=[
            TranscriptLine(role=m.role, author=m.author, text=redact(m.text), at=m.sent_at) for m in msgs[-8:]
        ],
        total_messages=len(msgs),
        permalink=conv.permalink,
        tier=account.tier,
        mrr=account.mrr,
        renewal_date=account.renewal_date.isoformat() if account.renewal_date else "",
        owner=account.owner,
        at_risk=account.at_risk,
        extra={**account.extra, **({"bug": esc.bug} if esc.bug else {}), **({"ticket": esc.ticket} if esc.ticket else {})},
        missing=[str(m) for m in missing],
        sentiment=numeric[-1] if numeric else None,
        sentiments=numeric,
        summary=summaries.card_summary(esc, msgs, triggers, account, redact),
        claimed_by=esc.claimed_by,
        claimed_at=esc.claimed_at,
        resolved_by=esc.resolved_by,
        resolved_at=esc.resolved_at,
        resolution_note=redact(esc.resolution_note),
        sla_note=esc.sla_note,
        prefer_agent=esc.prefer_agent,
        language=book.name if book is not None else "",
        ai_after_handoff=len(kept_answering),
        csat=esc.csat,
        csat_asked=esc.csat_asked_at is not None,
        handed_from=str(last_handoff.detail.get("from_team", "")) if last_handoff else "",
        handed_by=last_handoff.actor if last_handoff else "",
        handoff_note=str(last_handoff.detail.get("note", "")) if last_handoff else "",
        snoozed_until=esc.snoozed_until,
        snoozed_by=esc.snoozed_by,
        notes=sum(1 for e in shown if e.kind == TimelineKind.NOTE_ADDED),
        linked_threads=sum(1 for e in shown if e.kind == TimelineKind.LINKED_THREAD),
        reopenable=esc.status == "resolved"
        and deps.policy.card_actions.can_reopen(esc.resolved_at, deps.clock.now()),
        route_stage=esc.route_stage,
        offered_to=[(str(o.get("user", "")), str(o.get("role", ""))) for o in esc.offered_to],
        offer_until=esc.offer_until,
        assigned_to=esc.assigned_to,
        sla=sla_view(deps, esc),
    )


def sla_view(deps: Deps, esc: Escalation) -> SlaView:
    now = deps.clock.now()
    return SlaView(
        target=esc.sla_target,
        due_at=esc.sla_due_at,
        left_seconds=sla_clock.time_left(deps, esc, now),
        target_seconds=sla_clock.target_seconds(deps, esc),
        breached_at=esc.breached_at,
        breached_by=esc.breached_by,
    )
