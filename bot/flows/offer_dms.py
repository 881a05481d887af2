"""Offer DMs once the offer is over: claimed (by them or anyone else), run out and sent on to the team, or
handed to another team. Each DM posted for an offer (the `offer_dm` timeline event holds its channel and
ts) is re-rendered with `chat.update` from the escalation's stored state, through the outbox: retried
until Slack accepts it, and recorded once per outcome (`offer_dm_updated`), however often it runs.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import offer_cards
from bot.deps import Deps
from bot.flows import outbox, render
from bot.flows.outbox import EffectKind, Handler, Job, Retry
from bot.flows.slack_lookups import card_permalink
from storage import repo
from storage.db import read_scope, session_scope
from storage.models import Escalation, TimelineKind

GONE = ("message_not_found", "channel_not_found", "cant_update_message", "is_archived")


def queue_update(session: Session, esc_id: int, now: datetime) -> None:
    """Queue the re-render of the escalation's offer DMs (nothing to do when it was never offered)."""
    if repo.outbox_items(session, esc_id, EffectKind.OFFER_DM):
        outbox.enqueue(session, esc_id, EffectKind.OFFER_DM_UPDATE, now, key=outbox.unique())


def _now_state(esc: Escalation) -> offer_cards.EscalationNow:
    return offer_cards.EscalationNow(
        status=esc.status,
        claimed_by=esc.claimed_by,
        team=esc.team,
        route_stage=esc.route_stage,
        route_step=esc.route_step,
        offered_to=tuple(str(o.get("user", "")) for o in esc.offered_to),
    )


def _update(deps: Deps, job: Job) -> None:
    with read_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        if esc is None:
            return
        pending = [i for i in repo.outbox_items(session, job.esc_id, EffectKind.OFFER_DM) if i.status == "pending"]
        if pending:  # a DM may still be posted (it checks the state first): look again once it has run
            raise Retry("an offer DM is still on its way", after=5.0)
        state, account = _now_state(esc), esc.account_id
        events = repo.timeline(session, job.esc_id)
    done = {
        (str(e.detail.get("ts", "")), str(e.detail.get("state", "")))
        for e in events
        if e.kind == TimelineKind.OFFER_DM_UPDATED
    }
    todo = []
    for e in events:
        if e.kind != TimelineKind.OFFER_DM or not e.detail.get("ts"):
            continue
        user, ts, channel = str(e.detail.get("user", "")), str(e.detail["ts"]), str(e.detail.get("channel", ""))
        step = e.detail.get("step")
        now_says = offer_cards.offer_outcome(
            state, user=user, step=int(step) if step is not None else None, team=str(e.detail.get("team", ""))
        )
        if now_says is not None and (ts, now_says.key) not in done:
            todo.append((user, channel, ts, now_says))
    if not todo:
        return
    name = render.account_of(deps, job.esc_id).name or account
    link = card_permalink(deps, job.esc_id)
    at = deps.clock.now()
    for user, channel, ts, now_says in todo:
        body = offer_cards.build_offer_closed(now_says, user=user, account=name, at=at, link=link)
        gone = ""
        try:
            deps.slack.chat_update(channel=channel, ts=ts, text=body["text"], blocks=body["blocks"])
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error not in GONE:
                raise
            gone = error  # deleted or closed meanwhile: nothing left to update
        with session_scope(deps.db) as session:
            repo.log(
                session,
                job.esc_id,
                at,
                TimelineKind.OFFER_DM_UPDATED,
                user=user,
                ts=ts,
                state=now_says.key,
                outcome=now_says.outcome.value,
                who=now_says.who,
                **({"gone": gone} if gone else {}),
            )


HANDLERS: dict[EffectKind, Handler] = {EffectKind.OFFER_DM_UPDATE: _update}
