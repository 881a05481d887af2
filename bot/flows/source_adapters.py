"""The adapters of bot/flows/sources.py, one per Source, and the `source_update` effect.

- slack: the customer's thread (at most once, bot/flows/slack_post.py); the card is the record.
- api: a signed callback (docs/ingest-api.md) to BATON_API_CALLBACK_URL for every message the
  customer should read and every change of hands; `X-Baton-Delivery` is the outbox item, the same on
  every retry, so the receiver can drop duplicates.
- intercom, zendesk: bot/flows/helpdesk_adapters.py (replies and comments for the customer; on
  handoff an assignment or a ticket update with an internal note; claim, release, resolve and reopen
  move the assignee and the status there).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.domain.handoff import EVENT_TYPE as HANDOFF_EVENT
from bot.domain.handoff import HandoffState
from bot.flows import slack_post
from bot.flows.helpdesk_adapters import IntercomAdapter, ZendeskAdapter
from bot.flows.outbox import EffectKind, Handler, Job, Permanent, Retry
from bot.flows.slack_lookups import permalink, user_name
from bot.flows.sources import Change, ChangeView, Said, SourceAdapter, Thread, check, client, thread_of
from storage import repo
from storage.db import session_scope
from storage.models import Source, TimelineKind


class SlackAdapter:
    """Slack Connect: the customer's thread. The card shows every change, so nothing more to reflect."""

    def say(
        self, deps: Deps, job: Job, thread: Thread, text: str, *, said: Said, state: HandoffState | None
    ) -> None:
        slack_post.post_once(
            deps,
            job,
            kind=HANDOFF_EVENT if state is not None else slack_post.MESSAGE,
            payload={"state": state.value} if state is not None else None,
            channel=thread.channel,
            thread_ts=thread.thread,
            text=text,
        )

    def reflect(self, deps: Deps, job: Job, thread: Thread, view: ChangeView) -> None:
        return None


class ApiAdapter:
    """The ingest API's signed callback (integrations/ai_agent.py signs and sends it)."""

    SETTING = "BATON_API_CALLBACK_URL"

    def say(
        self, deps: Deps, job: Job, thread: Thread, text: str, *, said: Said, state: HandoffState | None
    ) -> None:
        self._send(
            deps,
            job,
            {
                "type": "message",
                "kind": said.value,
                "conversation_id": thread.external_id,
                "escalation_id": thread.escalation_id,
                "text": text,
                "state": state.value if state is not None else None,
                "occurred_at": deps.clock.now().isoformat(),
            },
        )

    def reflect(self, deps: Deps, job: Job, thread: Thread, view: ChangeView) -> None:
        self._send(
            deps,
            job,
            {
                "type": view.change.value,
                "conversation_id": thread.external_id,
                "escalation_id": view.escalation_id,
                "team": view.team,
                "urgency": view.urgency,
                "category": view.category,
                "agent": view.user_name,
                "note": view.note,
                "card_url": view.card_link,
                "occurred_at": view.occurred_at.isoformat(),
            },
        )

    def _send(self, deps: Deps, job: Job, body: dict[str, Any]) -> None:
        hook = client(deps, Source.API, self.SETTING)
        result = hook.deliver(
            body, delivery_id=f"baton-{job.id}", timestamp=int(deps.clock.now().timestamp())
        )
        check(result, "the ingest API callback")


ADAPTERS: Mapping[Source, SourceAdapter] = {
    Source.SLACK: SlackAdapter(),
    Source.API: ApiAdapter(),
    Source.INTERCOM: IntercomAdapter(),
    Source.ZENDESK: ZendeskAdapter(),
}


def adapter_for(source: str) -> SourceAdapter:
    try:
        return ADAPTERS[Source(source)]
    except (ValueError, KeyError):
        raise Permanent(f"no adapter for conversations from {source!r}") from None


NEXT_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "billing": (
        "Check the account's recent charges and disputes",
        "Confirm the outcome with the customer in writing",
    ),
    "technical": ("Reproduce the problem from the transcript", "Link or open a bug if it is one"),
    "account": ("Verify the requester's identity before changing the account",),
}
DEFAULT_ACTIONS = ("Read the transcript and the card", "Answer the customer, then resolve in Slack")
WAIT_FOR_CARD = 5  # attempts the handoff note waits for the card (and its link) before going without


def _view(deps: Deps, job: Job, change: Change) -> tuple[Thread, ChangeView]:
    payload = job.payload
    with session_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, job.esc_id)
        thread = thread_of(conv, job.esc_id)
        card = esc.card_channel, esc.card_ts
        reasons = tuple(reason_line(t) for t in esc.triggers[:5])
        base = {
            "team": esc.team,
            "urgency": esc.urgency,
            "category": esc.category,
            "language": esc.language,
            "account_id": esc.account_id,
            "note": esc.resolution_note if change == Change.RESOLVED else "",
        }
    if change == Change.HANDOFF and not card[1] and job.attempt <= WAIT_FOR_CARD:
        raise Retry("the card is not posted yet: the handoff note links to it")
    link = permalink(deps, *card) if card[1] else ""
    user = str(payload.get("user", ""))
    at = payload.get("at_iso")
    view = ChangeView(
        change=change,
        escalation_id=job.esc_id,
        occurred_at=datetime.fromisoformat(at) if isinstance(at, str) else deps.clock.now(),
        reasons=reasons,
        card_link=link,
        user=user,
        user_name=user_name(deps, user) if user else "",
        next_actions=NEXT_ACTIONS.get(str(base["category"]), DEFAULT_ACTIONS)
        if change == Change.HANDOFF
        else (),
        **base,  # type: ignore[arg-type]
    )
    return thread, view


def reason_line(trigger: Mapping[str, Any]) -> str:
    """A fired trigger's label and its first quoted evidence, for a helpdesk note or ticket."""
    label = str(trigger.get("reason") or trigger.get("id") or "trigger")
    evidence = trigger.get("evidence") or []
    quote = ""
    if isinstance(evidence, list) and evidence and isinstance(evidence[0], Mapping):
        quote = str(evidence[0].get("quote") or "")
    return f"{label}: \u201c{quote[:200]}\u201d" if quote else label


def _source_update(deps: Deps, job: Job) -> None:
    change = Change(str(job.payload.get("change")))
    thread, view = _view(deps, job, change)
    adapter_for(thread.source).reflect(deps, job, thread, view)
    with session_scope(deps.db) as session:
        job.finish_in(session, deps.clock.now())
        repo.log(
            session,
            job.esc_id,
            deps.clock.now(),
            TimelineKind.SOURCE_UPDATED,
            source=thread.source,
            change=change,
        )


HANDLERS: dict[EffectKind, Handler] = {EffectKind.SOURCE_UPDATE: _source_update}
