"""A bug report on the card: link the account's open Linear bug, or create one (docs/integrations.md).

When an escalation of a category the team's `bugs:` policy covers (default: technical) opens and
Linear is configured, one BUG_ISSUE effect is queued with a UUID chosen then (stored in the outbox
item, in the transaction that opens the escalation). The effect, outside any transaction:

1. does nothing when the customer's messages carry no bug signature (bot/domain/bugs.py);
2. on a retry, first looks the issue up by that UUID: an earlier run may have created it and crashed
   (or lost Linear's answer) before recording it;
3. links the account's most recently updated open bug (asked now, not from cached facts), if any;
4. otherwise, when the policy says `create: true`, creates the issue with `issueCreate` (id = the
   UUID, so Linear itself refuses a second one), labelled `customer:<account>` so the next
   escalation of the account finds it, with Baton's summary and the card's link.

The bug is recorded on the escalation (the first record wins), on the timeline, and the card is
re-rendered. 5xx, 429 and transport errors are retried by the outbox; a validation or
authentication error is not (the outbox puts it on the timeline).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.domain.bugs import BugsConfig, Tracker, bug_signature, bug_title
from bot.flows import outbox, render, summaries
from bot.flows.outbox import EffectKind, Handler, Job, Permanent, Retry
from bot.flows.slack_lookups import card_permalink
from integrations.accounts import ServiceFailure
from storage import bugs_repo, repo
from storage.db import read_scope, session_scope
from storage.models import RESOLVED, Conversation, Escalation, TimelineKind

log = logging.getLogger(__name__)

MARKER = "Created by Baton for escalation"


def tracker_for(deps: Deps, config: BugsConfig) -> Any:
    """The team's tracker: Linear (deps.bug_tracker) or Jira Cloud (deps.jira); None when not configured."""
    return deps.jira if config.tracker == Tracker.JIRA else deps.bug_tracker


def queue(session: Session, deps: Deps, esc: Escalation, now: datetime) -> None:
    """At the opening: queue the bug effect when the team's policy and the category ask for it."""
    team = deps.policy.teams.get(esc.team)
    config = team.bugs if team is not None else None
    if config is None or tracker_for(deps, config) is None or esc.category not in config.categories:
        return
    assert esc.id is not None
    outbox.enqueue(session, esc.id, EffectKind.BUG_ISSUE, now, issue_id=str(uuid.uuid4()))


def _fail(result: ServiceFailure) -> Exception:
    return Retry(result.describe()) if result.retryable else Permanent(result.describe())


def description(*, summary: str, link: str, esc_id: int, account: str, quote: str) -> str:
    """The issue's Markdown body: what the customer reported, Baton's summary, the way back."""
    parts = [
        f"**Customer:** {account}",
        f"**Reported:** {quote}" if quote else "",
        summary,
        f"[Open the escalation in Slack]({link})" if link else "",
        f"_{MARKER} #{esc_id}._",
    ]
    return "\n\n".join(p for p in parts if p)


def _summary_text(deps: Deps, esc_id: int) -> str:
    account = render.account_of(deps, esc_id)
    redact = deps.policy.redactor
    with read_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, esc_id)
        msgs = repo.messages_of(session, conv.id or 0)
        found = summaries.card_summary(esc, msgs, summaries.stored_triggers(esc, redact), account, redact)
    lines = [
        ("What the customer wants", found.wants),
        ("What the AI tried", found.tried),
        ("What failed", found.failed),
        ("What to do next", found.next),
    ]
    text = "\n".join(f"- **{label}:** {value}" for label, value in lines if value)
    return "\n\n".join(p for p in (found.text, text) if p)


def _bug_issue(deps: Deps, job: Job) -> None:
    with read_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        conv = session.get(Conversation, esc.conversation_id) if esc is not None else None
        if esc is None or conv is None or esc.bug is not None or esc.status == RESOLVED:
            return
        texts = [m.text for m in repo.messages_of(session, conv.id or 0) if m.role == "customer"]
        team = deps.policy.teams.get(esc.team)
        account_id, account_name = esc.account_id, esc.account_id
    config = team.bugs if team is not None else None
    signal = bug_signature(texts)
    tracker = tracker_for(deps, config) if config is not None else None
    if config is None or signal is None or tracker is None:
        return
    issue_id = str(job.payload.get("issue_id") or "")
    if job.attempt > 1 and issue_id:  # an earlier run may have created it before it could record it
        found = tracker.find(issue_id)
        if isinstance(found, ServiceFailure):
            raise _fail(found)
        if found is not None:
            _record(deps, job, _bug(found.id, found.identifier, found.title, found.url, created=True))
            return
    open_bugs = tracker.open_bugs(account_id)
    if isinstance(open_bugs, ServiceFailure):
        raise _fail(open_bugs)  # never create blind: it could duplicate a bug the account has
    if open_bugs:
        first = open_bugs[0]
        _record(deps, job, _bug(first.id, first.identifier, first.title, first.url, created=False))
        return
    if not config.create or not issue_id:
        return
    label = tracker.customer_label(account_id)
    if isinstance(label, ServiceFailure):
        raise _fail(label)
    redact = deps.policy.redactor
    extra = {"issue_type": config.issue_type} if config.tracker == Tracker.JIRA else {}
    created = tracker.create(
        issue_id=issue_id,
        team_id=config.project,
        title=redact(bug_title(texts, account_name=account_name)),
        description=description(
            summary=_summary_text(deps, job.esc_id),
            link=card_permalink(deps, job.esc_id),
            esc_id=job.esc_id,
            account=account_name,
            quote=redact(signal.quote),
        ),
        label_ids=(label, *config.labels),
        **extra,
    )
    if isinstance(created, ServiceFailure):
        raise _fail(created)
    _record(deps, job, _bug(created.id, created.identifier, created.title, created.url, created=True))


def _bug(issue_id: str, identifier: str, title: str, url: str, *, created: bool) -> dict[str, Any]:
    return {"id": issue_id, "identifier": identifier, "title": title, "url": url, "created": created}


def _record(deps: Deps, job: Job, bug: dict[str, Any]) -> None:
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        if bugs_repo.set_bug(session, job.esc_id, bug):
            repo.log(
                session,
                job.esc_id,
                now,
                TimelineKind.BUG_LINKED,
                identifier=bug["identifier"],
                url=bug["url"],
                created=bug["created"],
            )
            outbox.enqueue(session, job.esc_id, EffectKind.UPDATE_CARD, now, key=outbox.unique())
        job.finish_in(session, now)


HANDLERS: dict[EffectKind, Handler] = {EffectKind.BUG_ISSUE: _bug_issue}
