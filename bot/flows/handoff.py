"""Telling the customer's AI agent to stand back, and that it may answer again (docs/ai-handoff.md).

Slack message metadata on Baton's own messages in the thread does it for every install; the signed
webhook is optional (BATON_AI_WEBHOOK_URL and BATON_AI_WEBHOOK_SECRET). Webhooks go through the outbox:
queued in the transaction that opens or resolves the escalation, retried until the receiver accepts.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.deps import Deps
from bot.domain.handoff import HandoffState, webhook_body
from bot.flows import outbox
from bot.flows.outbox import EffectKind, Handler, Job, Retry
from storage import repo
from storage.db import session_scope
from storage.models import RESOLVED, Conversation, Escalation, TimelineKind

log = logging.getLogger(__name__)


def queue_webhook(session: Session, deps: Deps, esc: Escalation, state: HandoffState, now: datetime) -> None:
    """Queue the webhook for this change of hands (once per escalation and state), when one is configured."""
    if deps.ai_webhook is None:
        return
    assert esc.id is not None
    conv = session.get(Conversation, esc.conversation_id)
    assert conv is not None
    body = webhook_body(
        escalation_id=esc.id,
        state=state,
        channel=conv.channel,
        thread_ts=conv.thread_ts,
        occurred_at=now.isoformat(),
        language=esc.language,
        category=esc.category,
        urgency=esc.urgency,
    )
    outbox.enqueue(session, esc.id, EffectKind.AI_WEBHOOK, now, key=state.value, body=body)


def _send_webhook(deps: Deps, job: Job) -> None:
    hook, esc_id = deps.ai_webhook, job.esc_id
    body = dict(job.payload["body"])
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, esc_id)
        stale = esc is None or (body.get("state") == HandoffState.HUMAN and esc.status == RESOLVED)
    if hook is None or stale:
        # Nothing to tell any more: "a person has it" after it was handed back would silence the AI.
        with session_scope(deps.db) as session:
            repo.log(
                session, esc_id, deps.clock.now(), TimelineKind.AI_WEBHOOK_SKIPPED, state=body.get("state")
            )
        return
    now = deps.clock.now()
    result = hook.deliver(
        body, delivery_id=f"baton-{esc_id}-{body.get('state')}", timestamp=int(now.timestamp())
    )
    if result.retry:
        raise Retry(f"AI agent webhook: {result.detail}", result.retry_after)
    # Delivered, or refused for good (4xx: the same request would be refused again): either way on the
    # timeline, and a refusal in the log as an error.
    kind = TimelineKind.AI_WEBHOOK_DELIVERED if result.ok else TimelineKind.AI_WEBHOOK_REFUSED
    if not result.ok:
        log.error("the AI agent refused the handoff webhook of escalation %s: %s", esc_id, result.detail)
    with session_scope(deps.db) as session:
        repo.log(session, esc_id, deps.clock.now(), kind, state=body.get("state"), detail=result.detail)


HANDLERS: dict[EffectKind, Handler] = {EffectKind.AI_WEBHOOK: _send_webhook}
