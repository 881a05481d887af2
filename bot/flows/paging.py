"""The page step: DM whoever is on call (with Claim) and page the pager; resolve the page on a claim.

Each part is its own outbox item, retried until accepted and never lost. PagerDuty's dedup key
(one per escalation, or one per surge) keeps a retried or doubled trigger to one incident.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot import cards
from bot.deps import Deps
from bot.domain.surge import DEFAULT_SURGE, SurgeConfig
from bot.flows import outbox, render
from bot.flows.oncall import who_is_on_call
from bot.flows.outbox import EffectKind, Handler, Job, Permanent, Retry
from bot.flows.sla import find_team, local_time, note
from bot.flows.slack_lookups import card_permalink, user_name
from bot.flows.slack_post import post_dm_once
from integrations.pager import Link, PageRequest
from storage import repo
from storage.db import session_scope
from storage.models import OPEN, Escalation, TimelineKind

log = logging.getLogger(__name__)

SURGE_WINDOW = DEFAULT_SURGE.window  # the defaults; the policy's `surge:` section decides (docs/policy-paging.md)
SURGE_PREFIX = "baton-surge-"


def page(deps: Deps, job: Job) -> None:
    """The page step: queue the DM to whoever is on call and the pager's page (the runner runs them next)."""
    esc_id, payload = job.esc_id, job.payload
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            repo.log(session, esc_id, now, TimelineKind.PAGE_SKIPPED, reason=f"already {esc.status}")
            return
        team = find_team(deps.policy, esc.team)
        first_chain_page = "index" in payload and not esc.chain_page_requested
        if first_chain_page and esc.after_hours_page_requested:
            # After hours on-call was paged when the escalation opened: that was this step's page.
            repo.log(
                session,
                esc_id,
                now,
                TimelineKind.PAGE_SKIPPED,
                reason="on-call already paged at open (after hours)",
            )
            return
        after_hours = bool(payload.get("after_hours"))
        repo.log(session, esc_id, now, TimelineKind.PAGE_REQUESTED, after_hours=after_hours)
        if after_hours:
            esc.after_hours_page_requested = True
        else:
            esc.chain_page_requested = True
        session.add(esc)
        # One DM and one page per step, even if this step's effect runs again after a crash.
        started = esc.chain_started_at.isoformat() if esc.chain_started_at else ""
        key = f"{payload.get('index', 'after_hours')}:{payload.get('round', 0)}:{started}"
        outbox.enqueue(session, esc_id, EffectKind.DM_ONCALL, now, key=key)
        if team.oncall is not None and team.oncall.has_pager:
            outbox.enqueue(session, esc_id, EffectKind.PAGE_PAGER, now, key=key)


def dm_oncall(deps: Deps, job: Job) -> None:
    esc_id = job.esc_id
    now = deps.clock.now()
    account = render.account_of(deps, esc_id)
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            return
        team = find_team(deps.policy, esc.team)
        view = render.card_view(session, deps, esc, account)
    answer = who_is_on_call(deps, team, now)
    if not answer.users:
        note(deps, esc_id, TimelineKind.ONCALL_UNKNOWN, problem=answer.problem, provider=answer.provider)
        if answer.retryable:  # the lookup failed (pager down): ask again later, never drop the DM
            raise Retry(answer.problem)
        return
    body = cards.build_card(view)
    for user in answer.users:  # at most once each, even if this effect runs again after a crash
        post_dm_once(
            deps, job, user=user, text=f"You're on call: {body['text']}", blocks=body["blocks"], unfurl_links=False
        )
    names = ", ".join(user_name(deps, u) for u in answer.users)
    has_pager = team.oncall is not None and team.oncall.has_pager
    sla_note = None if has_pager else f"paged {names} at {local_time(deps.policy, esc.team, now)}"
    if has_pager:
        note(
            deps,
            esc_id,
            TimelineKind.ONCALL_DM,
            users=list(answer.users),
            provider=answer.provider,
            via="slack DM",
        )
        return
    with session_scope(deps.db) as session:  # no pager: the DM is the page
        repo.log(
            session,
            esc_id,
            now,
            TimelineKind.PAGED,
            users=list(answer.users),
            provider=answer.provider,
            via="slack DM",
        )
        row = repo.lock_escalation(session, esc_id)
        row.sla_note = (sla_note or "")[:300]
        repo.mark_paged(row, now)
        repo.card_changed(row)
        session.add(row)


def _surge_key(session: Session, esc: Escalation, now: datetime, cfg: SurgeConfig) -> tuple[str, int, bool]:
    """A shared dedup key when the team is in a surge (an outage): one incident with the count.

    Returns (key, count, joined): `joined` when a surge incident for these escalations was already
    accepted by the pager, so this one only joins it. The escalations counted are the team's open
    ones opened from a window before this one's opening up to now (the page step runs minutes after
    the opening, so a window ending at `now` would miss the very surge it belongs to).
    """
    if esc.category in cfg.account_specific:  # a billing dispute, legal, safety...: never swallowed by a surge
        return f"baton-esc-{esc.id}", 1, False
    window = cfg.window
    since = esc.opened_at - window
    ids = repo.open_escalation_ids_of_team(session, esc.team, since, now)
    joined_key = repo.surge_key_among(session, esc.team, since, now, SURGE_PREFIX)
    if joined_key:
        return joined_key, len(ids), True
    if len(ids) < cfg.threshold:
        return f"baton-esc-{esc.id}", len(ids), False
    bucket = int(now.timestamp() // window.total_seconds())
    return f"{SURGE_PREFIX}{esc.team}-{bucket}", len(ids), False


def page_pager(deps: Deps, job: Job) -> None:
    esc_id = job.esc_id
    now = deps.clock.now()
    card_link = card_permalink(deps, esc_id)
    with session_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            repo.log(session, esc_id, now, TimelineKind.PAGE_SKIPPED, reason=f"already {esc.status}")
            return
        team = find_team(deps.policy, esc.team)
        assert team.oncall is not None
        pager = deps.pagers.get(team.oncall.provider)
        if pager is None:
            repo.log(
                session,
                esc_id,
                now,
                TimelineKind.PAGE_FAILED,
                error=f"{team.oncall.provider} is not connected (no API key)",
            )
            return
        dedup, count, joined = _surge_key(session, esc, now, deps.policy.surge)
        reasons = [t.get("reason", t["id"]) for t in esc.triggers]
        if joined:  # the surge incident is already open: this escalation rides on it
            repo.log(
                session,
                esc_id,
                now,
                TimelineKind.PAGED,
                provider=team.oncall.provider,
                dedup_key=dedup,
                joined=True,
            )
            esc.sla_note = f"paged on-call with the surge at {local_time(deps.policy, esc.team, now)}"
            repo.mark_paged(esc, now, dedup)
            repo.card_changed(esc)
            session.add(esc)
            return
        if dedup.startswith(SURGE_PREFIX):
            minutes = int(deps.policy.surge.window.total_seconds() // 60)
            summary = f"Surge: {count} escalations for team {esc.team} in the last {minutes} minutes"
            bucket = dedup.rsplit("-", 1)[1]
            outbox.enqueue(
                session,
                esc_id,
                EffectKind.SURGE_NOTICE,
                now,
                key=f"{esc.team}:{bucket}",
                shared=True,
                team=esc.team,
                count=count,
                since=(esc.opened_at - deps.policy.surge.window).isoformat(),
            )
        else:
            summary = f"[{esc.urgency}] {esc.category} escalation for {esc.account_id} unclaimed: {reasons[0] if reasons else ''}"
        request = PageRequest(
            dedup_key=dedup,
            summary=summary,
            urgency=esc.urgency,
            links=tuple(
                Link(href=h, text=t)
                for h, t in (
                    (card_link, "Escalation card in Slack"),
                    (conv.permalink, "Customer conversation"),
                )
                if h
            ),
            custom_details={
                "account": esc.account_id,
                "tier": esc.tier,
                "category": esc.category,
                "team": esc.team,
                "triggers": [t["id"] for t in esc.triggers],
                "opened_at": esc.opened_at.isoformat(),
                "escalation_id": esc.id,
            },
            component=esc.category,
            group=esc.team,
            class_=esc.triggers[0]["id"] if esc.triggers else "",
            timestamp=esc.opened_at,
            responders=({"type": "team", "name": team.oncall.opsgenie_team},)
            if team.oncall.opsgenie_team
            else (),
        )
    result = pager.trigger(request)
    if not result.ok:
        text = result.describe()  # "paging failed, retrying: ..." / "paging failed, not retrying: ..."
        note(deps, esc_id, TimelineKind.PAGE_FAILED, text, error=text, retryable=result.retryable)
        if result.retryable:
            raise Retry(text, result.retry_after)
        raise Permanent(text)
    with session_scope(deps.db) as session:
        repo.log(
            session,
            esc_id,
            deps.clock.now(),
            TimelineKind.PAGED,
            provider=team.oncall.provider,
            dedup_key=dedup,
        )
        session.flush()
        row = repo.lock_escalation(session, esc_id)
        repo.mark_paged(row, now, dedup)
        if row.status == OPEN:
            row.sla_note = (
                f"paged on-call ({team.oncall.provider}) at {local_time(deps.policy, row.team, now)}"
            )
            repo.card_changed(row)
            session.add(row)
        else:  # claimed or resolved while the page was on its way
            outbox.enqueue(session, esc_id, EffectKind.PAGE_RESOLVE, deps.clock.now(), key=f"late:{dedup}")


def page_resolve(deps: Deps, job: Job) -> None:
    esc_id = job.esc_id
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        # A hand-off to another team resolves the old team's page: its team and key come in the payload.
        key = str(job.payload.get("page_key", esc.page_key))
        team_name = str(job.payload.get("team") or esc.team)
        team = find_team(deps.policy, team_name)
        if team.oncall is None:
            return
        if not key:
            # A trigger that timed out may still have reached the pager: resolving an unknown key is harmless
            # (PagerDuty answers 202), leaving a real incident open is not.
            if not repo.outbox_items(session, esc_id, EffectKind.PAGE_PAGER, attempted=True):
                return
            key = f"baton-esc-{esc_id}"
        pager = deps.pagers.get(team.oncall.provider)
        # The surge incident stays open while any escalation paged under it is still unclaimed.
        if key.startswith(SURGE_PREFIX) and repo.others_on_page(session, team_name, key, exclude=esc_id):
            return
    if pager is None:
        return
    result = pager.resolve(key)
    if not result.ok:
        note(deps, esc_id, TimelineKind.PAGE_RESOLVE_FAILED, error=result.describe())
        if result.retryable:
            raise Retry(result.describe(), result.retry_after)
        return
    note(deps, esc_id, TimelineKind.PAGE_RESOLVED, dedup_key=key)


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.PAGE: page,
    EffectKind.DM_ONCALL: dm_oncall,
    EffectKind.PAGE_PAGER: page_pager,
    EffectKind.PAGE_RESOLVE: page_resolve,
}
