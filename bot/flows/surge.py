"""A surge is one incident: many escalations of one team for the same cause within the policy's window.

When the `threshold`-th escalation for a cause opens (bot/domain/surge.py), a surge forms: every open
member's own chain stops (no reminders, pages or manager notes per member), one surge card lists the
affected accounts in the team's channel and is re-rendered as more join, on-call is paged once, and one
reminder follows `reminder_after` later. Escalations that join an open surge get no card of their own.
An account-specific issue (billing dispute, legal, safety, cancellation) never joins: it keeps its own
card and chain. From the card, one status update goes to every affected customer (a modal), and
"Claim all" claims the waiting members for the clicker.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import surge_cards
from bot.deps import Deps
from bot.domain import surge as domain
from bot.flows import claim, outbox, slack_post
from bot.flows.oncall import who_is_on_call
from bot.flows.outbox import EffectKind, Handler, Job, Retry, unique
from bot.flows.slack_lookups import internal_channel
from integrations.pager import PageRequest
from storage import repo, surge_repo
from storage.db import session_scope
from storage.models import OPEN, Escalation, Surge, TimelineKind

log = logging.getLogger(__name__)


def on_open(session: Session, deps: Deps, esc: Escalation, now: datetime) -> bool:
    """A new escalation (inserted): note its cause; join or form a surge. True when it is part of one
    (then it gets no card of its own: the surge card lists it)."""
    assert esc.id is not None
    cfg = deps.policy.surge
    texts = [m.text for m in repo.messages_of(session, esc.conversation_id) if m.role == "customer"]
    cause = domain.cause_of(
        texts[-5:],
        [str(t.get("id", "")) for t in esc.triggers],
        esc.category,
        [str(t.get("category") or "") for t in esc.triggers],
        cfg,
    )
    esc.cause = cause
    session.add(esc)
    if not cause:
        return False
    session.flush()
    surge = surge_repo.open_surge(session, esc.team, cause)
    if surge is not None and surge.id is not None and not _still_on(session, surge, now):
        surge_repo.close(session, surge.id)  # every member resolved, or long quiet: the incident is over
        session.flush()
        surge = None
    if surge is None:
        members = surge_repo.open_with_cause(session, esc.team, cause, now - cfg.window)
        if len(members) < cfg.threshold:
            return False
        surge = surge_repo.create(
            session, Surge(team=esc.team, cause=cause, opened_at=now, remind_at=now + cfg.reminder_after)
        )
        if surge is None:  # another instance formed it a moment ago
            surge = surge_repo.open_surge(session, esc.team, cause)
            if surge is None:
                return False
            members = [esc]
        assert surge.id is not None
        for m in members:
            _join(session, surge, m, now)
        # one page for all (attached to the escalation that formed the surge)
        outbox.enqueue(session, esc.id, EffectKind.SURGE_PAGE, now, key=f"surge:{surge.id}", surge=surge.id)
    else:
        _join(session, surge, esc, now)
    assert surge.id is not None
    outbox.enqueue(session, esc.id, EffectKind.SURGE_CARD, now, key=unique(), surge=surge.id)
    return True


QUIET = timedelta(hours=24)  # a surge nobody joined for this long is over, whatever its members' states


def _still_on(session: Session, surge: Surge, now: datetime) -> bool:
    """An open surge goes on while any of its members is not resolved (and one joined in the last day)."""
    assert surge.id is not None
    members = surge_repo.members(session, surge.id)
    if not members or max(e.opened_at for e in members) < now - QUIET:
        return False
    return any(e.status != "resolved" for e in members)


def _join(session: Session, surge: Surge, esc: Escalation, now: datetime) -> None:
    assert esc.id is not None and surge.id is not None
    esc.surge_id = surge.id
    esc.next_step_at = None  # the surge pages and reminds, once, for all
    esc.overtime_at = None
    esc.sla_note = f"part of surge #{surge.id} ({domain.describe(surge.cause)}): see the surge card"
    repo.card_changed(esc)
    session.add(esc)
    repo.log(session, esc.id, now, TimelineKind.SURGE_JOINED, surge=surge.id, cause=surge.cause)
    if esc.card_ts:
        outbox.enqueue(session, esc.id, EffectKind.UPDATE_CARD, now, key=unique())


def view_of(session: Session, deps: Deps, surge: Surge) -> surge_cards.SurgeView:
    assert surge.id is not None
    members = []
    for e in surge_repo.members(session, surge.id):
        conv = repo.escalation_with_conversation(session, e.id or 0)[1]
        members.append(surge_cards.SurgeMember(e.id or 0, e.account_id, e.status, e.claimed_by, conv.permalink))
    return surge_cards.SurgeView(
        surge_id=surge.id,
        team=surge.team,
        cause=domain.describe(surge.cause),
        opened_at=surge.opened_at,
        members=members,
        status_updates=surge.status_updates,
        paged=any(e.paged_at is not None for e in surge_repo.members(session, surge.id)),
        resolved_at=surge.resolved_at,
        resolved_by=surge.resolved_by,
        resolution_note=surge.resolution_note,
    )


# ---------------------------------------------------------------- effects


def surge_card(deps: Deps, job: Job) -> None:
    """Post the surge card in the team's channel, or re-render it from stored state."""
    surge_id = int(job.payload["surge"])
    with session_scope(deps.db) as session:
        surge = session.get(Surge, surge_id)
        if surge is None:
            return
        body = surge_cards.build_surge_card(view_of(session, deps, surge))
        channel, ts, team = surge.card_channel, surge.card_ts, deps.policy.teams.get(surge.team)
    if ts:
        deps.slack.chat_update(channel=channel, ts=ts, text=body["text"], blocks=body["blocks"])
        return
    where = internal_channel(deps, team.channel if team is not None else "")
    posted = slack_post.post_once(
        deps, job, kind=slack_post.CARD, channel=where, text=body["text"], blocks=body["blocks"], unfurl_links=False
    )
    with session_scope(deps.db) as session:
        surge_repo.set_card(session, surge_id, *posted)
    # members that joined while the card was on its way are shown by a re-render
    with session_scope(deps.db) as session:
        outbox.enqueue(session, job.esc_id, EffectKind.SURGE_CARD, deps.clock.now(), key=unique(), surge=surge_id)


def surge_page(deps: Deps, job: Job) -> None:
    """Page on-call once for the whole surge (dedup key per surge); without a pager, DM whoever is on call."""
    surge_id = int(job.payload["surge"])
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        surge = session.get(Surge, surge_id)
        if surge is None:
            return
        rows = surge_repo.members(session, surge_id)
        team = deps.policy.teams.get(surge.team) or deps.policy.teams[deps.policy.default_team]
        accounts = sorted({e.account_id for e in rows})
        summary = f"Surge: {len(rows)} escalations for team {surge.team}, {domain.describe(surge.cause)}"
        first = rows[0] if rows else None
    pager = deps.pagers.get(team.oncall.provider) if team.oncall is not None and team.oncall.has_pager else None
    if pager is not None and first is not None:
        result = pager.trigger(
            PageRequest(
                dedup_key=f"baton-surge-{surge_id}",
                summary=summary,
                urgency="immediate",
                custom_details={"accounts": accounts, "cause": surge.cause, "team": surge.team, "surge_id": surge_id},
                component="surge",
                group=surge.team,
                class_=surge.cause,
                timestamp=surge.opened_at,
            )
        )
        if not result.ok:
            if result.retryable:
                raise Retry(result.describe(), result.retry_after)
            log.warning("surge %s: page refused: %s", surge_id, result.describe())
            return
    else:
        answer = who_is_on_call(deps, team, now)
        for user in answer.users:
            slack_post.post_dm_once(deps, job, user=user, text=f":ocean: You're on call: {summary}. See the surge card.")
    with session_scope(deps.db) as session:
        for e in surge_repo.members(session, surge_id):
            if e.id is not None and e.status == OPEN:
                row = repo.lock_escalation(session, e.id)
                repo.mark_paged(row, now, f"baton-surge-{surge_id}")
                session.add(row)
                repo.log(session, e.id, now, TimelineKind.PAGED, dedup_key=f"baton-surge-{surge_id}", surge=surge_id)
        outbox.enqueue(session, job.esc_id, EffectKind.SURGE_CARD, now, key=unique(), surge=surge_id)


def surge_remind(deps: Deps, job: Job) -> None:
    surge_id = int(job.payload["surge"])
    with session_scope(deps.db) as session:
        surge = session.get(Surge, surge_id)
        if surge is None or not surge.card_ts:
            return
        waiting = [e for e in surge_repo.members(session, surge_id) if e.status == OPEN]
        team = deps.policy.teams.get(surge.team)
        mention = team.mention if team is not None else "<!here>"
        channel, ts = surge.card_channel, surge.card_ts
    if not waiting:
        return
    slack_post.post_once(
        deps,
        job,
        kind=slack_post.MESSAGE,
        channel=channel,
        thread_ts=ts,
        reply_broadcast=True,
        text=f"{mention} the surge still has {len(waiting)} unclaimed escalation{'s' if len(waiting) != 1 else ''}. "
        "Claim them on the surge card, and send the affected customers a status update from it.",
    )


def run_due(deps: Deps, now: datetime) -> int:
    """The surges' one reminder, when due (taken once: a conditional UPDATE)."""
    done = 0
    with session_scope(deps.db) as session:
        for surge in surge_repo.due_reminders(session, now):
            assert surge.id is not None and surge.remind_at is not None
            if not surge_repo.take_reminder(session, surge.id, surge.remind_at):
                continue
            anchor = next(iter(surge_repo.members(session, surge.id)), None)
            if anchor is None or anchor.id is None:
                continue
            outbox.enqueue(session, anchor.id, EffectKind.SURGE_REMIND, now, key=f"surge:{surge.id}", surge=surge.id)
            done += 1
    return done


# ---------------------------------------------------------------- clicks


def claim_all(deps: Deps, surge_id: int, user: str, user_team: str) -> claim.ClickResult:
    with session_scope(deps.db) as session:
        surge = session.get(Surge, surge_id)
        if surge is None:
            return claim.ClickResult(False, "This surge no longer exists.")
        waiting = [e.id for e in surge_repo.members(session, surge_id) if e.status == OPEN and e.id is not None]
        anchor = surge_repo.members(session, surge_id)[0].id
    if not waiting:
        return claim.ClickResult(False, "Every escalation of this surge is claimed already.")
    won = 0
    for esc_id in waiting:
        result = claim.claim(deps, esc_id, user, user_team)
        if not result.ok and result.message == claim.REFUSAL:
            return result
        won += result.ok
    with session_scope(deps.db) as session:
        outbox.enqueue(session, anchor or waiting[0], EffectKind.SURGE_CARD, deps.clock.now(), key=unique(), surge=surge_id)
    outbox.run_for(deps, anchor or waiting[0])
    return claim.ClickResult(True, f"You claimed {won} escalation{'s' if won != 1 else ''} of the surge.")


def status_modal(deps: Deps, surge_id: int, user_team: str) -> tuple[claim.ClickResult, dict | None]:
    if not claim.is_internal(deps, user_team):
        return claim.ClickResult(False, claim.REFUSAL), None
    with session_scope(deps.db) as session:
        rows = surge_repo.members(session, surge_id)
    if not rows:
        return claim.ClickResult(False, "This surge no longer exists."), None
    return claim.ClickResult(True), surge_cards.build_status_modal(surge_id, len(rows))


def send_status(deps: Deps, surge_id: int, user: str, user_team: str, text: str, *, view_id: str) -> claim.ClickResult:
    """One status update to every affected customer, in their threads (once per submitted form)."""
    if not claim.is_internal(deps, user_team):
        return claim.ClickResult(False, claim.REFUSAL)
    body = text.strip()
    if not body:
        return claim.ClickResult(False, "Write the status update first.")
    now = deps.clock.now()
    sent: list[int] = []
    with session_scope(deps.db) as session:
        surge = session.get(Surge, surge_id)
        if surge is None:
            return claim.ClickResult(False, "This surge no longer exists.")
        for e in surge_repo.members(session, surge_id):
            if e.id is None or e.status == "resolved":
                continue
            outbox.enqueue(
                session,
                e.id,
                EffectKind.NOTIFY_THREAD,
                now,
                key=f"surge-status:{view_id}",
                text=body,
                log_kind=TimelineKind.SURGE_STATUS_SENT,
            )
            sent.append(e.id)
        if sent:
            surge.status_updates += 1
            session.add(surge)
            outbox.enqueue(session, sent[0], EffectKind.SURGE_CARD, now, key=unique(), surge=surge_id)
    for esc_id in sent:
        outbox.run_for(deps, esc_id)
    return claim.ClickResult(True, f"Sent to {len(sent)} customer{'s' if len(sent) != 1 else ''}.")


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.SURGE_CARD: surge_card,
    EffectKind.SURGE_PAGE: surge_page,
    EffectKind.SURGE_REMIND: surge_remind,
}
