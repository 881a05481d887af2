"""Chain-step effects: remind the team, page on-call (DM + pager), notify the manager, and the
after-hours and surge notices. Each runs from the outbox: retried until accepted, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot import cards, customer_messages
from bot.deps import Deps
from bot.flows import render
from bot.flows.oncall import who_is_on_call
from bot.flows.sla import find_team
from integrations.pager import Link, PageRequest
from storage import repo
from storage.db import session_scope
from storage.models import OPEN, Escalation, TimelineEvent

log = logging.getLogger(__name__)

SURGE_WINDOW = timedelta(minutes=10)
SURGE_THRESHOLD = 5  # this many open escalations for one team within the window page once, with the count


class Retry(Exception):
    """Try the effect again later (a pager answered 429/5xx, or could not be reached)."""

    def __init__(self, detail: str, after: float | None = None) -> None:
        super().__init__(detail)
        self.after = after


def _note(
    deps: Deps, esc_id: int, kind: str, note: str | None = None, actor: str = "", **detail: Any
) -> None:
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        repo.log(session, esc_id, now, kind, actor=actor, **detail)
        if note is not None:
            esc = session.get(Escalation, esc_id)
            if esc is not None:
                esc.sla_note = note[:300]
                repo.card_changed(esc)
                session.add(esc)


def internal_channel(deps: Deps, channel: str) -> str:
    """The shared-channel guard of the card, for every internal notice (effects imports this module)."""
    from bot.flows import effects

    return effects.internal_channel(deps, channel)


def _card_permalink(deps: Deps, esc_id: int) -> str:
    """A link to the card message itself (falls back to its channel). Asks Slack outside any transaction."""
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        channel, ts, fallback = esc.card_channel, esc.card_ts, _card_link(esc)
    if not (channel and ts):
        return fallback
    from bot.flows.effects import permalink

    return (
        str(deps.cached(f"permalink:{channel}:{ts}", 86400.0, lambda: permalink(deps, channel, ts)))
        or fallback
    )


def _card_link(esc: Escalation) -> str:
    return f"https://slack.com/app_redirect?channel={esc.card_channel}" if esc.card_channel else ""


def _local(deps: Deps, team: str, at: datetime) -> str:
    from bot.flows.sla import local_time

    return local_time(deps.policy, team, at)


# ---------------------------------------------------------------- remind


def remind(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            return
        waited = cards.fmt_duration((deps.clock.now() - esc.opened_at).total_seconds())
        team = find_team(deps.policy, esc.team)
        told = any(e.kind == "customer_told_waiting" for e in repo.timeline(session, esc_id))
        channel, ts = esc.card_channel, esc.card_ts
        text = f"{team.mention} still unclaimed after {waited}: {esc.urgency} {esc.category} escalation for {cards.escape(esc.account_id)}. Claim it on the card."
    if channel and ts:
        deps.slack.chat_postMessage(channel=channel, thread_ts=ts, reply_broadcast=True, text=text)
    else:
        deps.slack.chat_postMessage(channel=internal_channel(deps, team.channel), text=text)
    _note(deps, esc_id, "reminded", round=payload.get("round", 0))
    if not told:
        from bot.flows import effects, escalate, wait

        # Its own outbox item: if this note fails it is retried alone, never re-posting the reminder.
        with session_scope(deps.db) as session:
            esc, _ = repo.escalation_with_conversation(session, esc_id)
            message = customer_messages.still_on_it(wait=wait.wait_phrase(session, deps, esc))
            escalate.enqueue_effect(
                session,
                esc_id,
                "notify_thread",
                deps.clock.now(),
                key="still_on_it",
                text=message,
                log_kind="customer_told_waiting",
            )
        effects.run_for(deps, esc_id)


# ---------------------------------------------------------------- page: DM on-call + the pager


def page(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    """The page step: DM whoever is on call with a Claim button, and page the pager."""
    from bot.flows import escalate

    now = deps.clock.now()
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            repo.log(session, esc_id, now, "page_skipped", reason=f"already {esc.status}")
            return
        team = find_team(deps.policy, esc.team)
        history = repo.timeline(session, esc_id)
        first_chain_page = "index" in payload and not any(
            e.kind == "page_requested" and not e.detail.get("after_hours") for e in history
        )
        if first_chain_page and any(
            e.kind == "page_requested" and e.detail.get("after_hours") for e in history
        ):
            # After hours on-call was paged when the escalation opened: that was this step's page.
            repo.log(
                session, esc_id, now, "page_skipped", reason="on-call already paged at open (after hours)"
            )
            return
        repo.log(session, esc_id, now, "page_requested", after_hours=bool(payload.get("after_hours")))
        # One DM and one page per step, even if this step's effect runs again after a crash.
        started = esc.chain_started_at.isoformat() if esc.chain_started_at else ""
        key = f"{payload.get('index', 'after_hours')}:{payload.get('round', 0)}:{started}"
        escalate.enqueue_effect(session, esc_id, "dm_oncall", now, key=key)
        if team.oncall is not None and team.oncall.has_pager:
            escalate.enqueue_effect(session, esc_id, "page_pager", now, key=key)
    from bot.flows import effects

    effects.run_for(deps, esc_id)


def dm_oncall(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
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
        _note(deps, esc_id, "oncall_unknown", problem=answer.problem, provider=answer.provider)
        if answer.retryable:  # the lookup failed (pager down): ask again later, never drop the DM
            raise Retry(answer.problem)
        return
    body = cards.build_card(view)
    for user in answer.users:
        dm = deps.slack.conversations_open(users=user)["channel"]["id"]
        deps.slack.chat_postMessage(
            channel=dm, text=f"You're on call: {body['text']}", blocks=body["blocks"], unfurl_links=False
        )
    from bot.flows.effects import user_name

    names = ", ".join(user_name(deps, u) for u in answer.users)
    note = (
        None
        if team.oncall is not None and team.oncall.has_pager
        else f"paged {names} at {_local(deps, esc.team, now)}"
    )
    kind = "oncall_dm" if team.oncall is not None and team.oncall.has_pager else "paged"
    _note(deps, esc_id, kind, note, users=list(answer.users), provider=answer.provider, via="slack DM")


def _surge_key(session: Session, esc: Escalation, now: datetime) -> tuple[str, int, bool]:
    """A shared dedup key when the team is in a surge (an outage): one incident with the count.

    Returns (key, count, joined): `joined` when a surge incident for these escalations was already
    accepted by the pager, so this one only joins it. The escalations counted are the team's open
    ones opened from a window before this one's opening up to now (the page step runs minutes after
    the opening, so a window ending at `now` would miss the very surge it belongs to).
    """
    rows = session.exec(
        select(Escalation.id, Escalation.opened_at).where(
            Escalation.team == esc.team,
            Escalation.status == OPEN,
            col(Escalation.opened_at) >= esc.opened_at - SURGE_WINDOW,
            col(Escalation.opened_at) <= now,
        )
    ).all()
    ids = [r[0] for r in rows]
    joined_key = ""
    if ids:
        for event in session.exec(
            select(TimelineEvent)
            .where(TimelineEvent.kind == "paged", col(TimelineEvent.escalation_id).in_(ids))
            .order_by(col(TimelineEvent.id))
        ):
            key = str(event.detail.get("dedup_key") or "")
            if key.startswith("baton-surge-"):
                joined_key = key
    if joined_key:
        return joined_key, len(ids), True
    if len(ids) < SURGE_THRESHOLD:
        return f"baton-esc-{esc.id}", len(ids), False
    bucket = int(now.timestamp() // SURGE_WINDOW.total_seconds())
    return f"baton-surge-{esc.team}-{bucket}", len(ids), False


def page_pager(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    from bot.flows import escalate

    now = deps.clock.now()
    card_link = _card_permalink(deps, esc_id)
    with session_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            repo.log(session, esc_id, now, "page_skipped", reason=f"already {esc.status}")
            return
        team = find_team(deps.policy, esc.team)
        assert team.oncall is not None
        pager = deps.pagers.get(team.oncall.provider)
        if pager is None:
            repo.log(
                session,
                esc_id,
                now,
                "page_failed",
                error=f"{team.oncall.provider} is not connected (no API key)",
            )
            return
        dedup, count, joined = _surge_key(session, esc, now)
        reasons = [t.get("reason", t["id"]) for t in esc.triggers]
        if joined:  # the surge incident is already open: this escalation rides on it
            repo.log(
                session, esc_id, now, "paged", provider=team.oncall.provider, dedup_key=dedup, joined=True
            )
            esc.sla_note = f"paged on-call with the surge at {_local(deps, esc.team, now)}"
            repo.card_changed(esc)
            session.add(esc)
            return
        if dedup.startswith("baton-surge-"):
            summary = f"Surge: {count} escalations for team {esc.team} in the last {int(SURGE_WINDOW.total_seconds() // 60)} minutes"
            bucket = dedup.rsplit("-", 1)[1]
            escalate.enqueue_effect(
                session,
                esc_id,
                "surge_notice",
                now,
                key=f"{esc.team}:{bucket}",
                shared=True,
                team=esc.team,
                count=count,
                since=(esc.opened_at - SURGE_WINDOW).isoformat(),
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
        note = result.describe()  # "paging failed, retrying: ..." / "paging failed, not retrying: ..."
        _note(deps, esc_id, "page_failed", note, error=result.describe(), retryable=result.retryable)
        if result.retryable:
            raise Retry(result.describe(), result.retry_after)
        from bot.flows.effects import Permanent

        raise Permanent(result.describe())
    with session_scope(deps.db) as session:
        repo.log(session, esc_id, deps.clock.now(), "paged", provider=team.oncall.provider, dedup_key=dedup)
        session.flush()
        status = session.exec(
            select(Escalation.status).where(Escalation.id == esc_id).with_for_update()
        ).one()
        if status == OPEN:
            row = session.get(Escalation, esc_id)
            assert row is not None
            row.sla_note = f"paged on-call ({team.oncall.provider}) at {_local(deps, row.team, now)}"
            repo.card_changed(row)
            session.add(row)
        else:  # claimed or resolved while the page was on its way
            escalate.enqueue_effect(session, esc_id, "page_resolve", deps.clock.now(), key=f"late:{dedup}")


def page_resolve(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        keys = [
            str(e.detail.get("dedup_key"))
            for e in repo.timeline(session, esc_id)
            if e.kind == "paged" and e.detail.get("dedup_key")
        ]
        team = find_team(deps.policy, esc.team)
        if team.oncall is None:
            return
        if not keys:
            # A trigger that timed out may still have reached the pager: resolving an unknown key is harmless
            # (PagerDuty answers 202), leaving a real incident open is not.
            if not repo.outbox_items(session, esc_id, "page_pager", attempted=True):
                return
            keys = [f"baton-esc-{esc_id}"]
        pager = deps.pagers.get(team.oncall.provider)
        key = keys[-1]
        if key.startswith("baton-surge-"):
            # The surge incident stays open while any escalation paged under it is still unclaimed.
            open_ids = session.exec(
                select(Escalation.id).where(
                    Escalation.team == esc.team, Escalation.status == OPEN, Escalation.id != esc_id
                )
            ).all()
            riders = (
                session.exec(
                    select(TimelineEvent.escalation_id, TimelineEvent.detail).where(
                        TimelineEvent.kind == "paged", col(TimelineEvent.escalation_id).in_(list(open_ids))
                    )
                ).all()
                if open_ids
                else []
            )
            if any(detail.get("dedup_key") == key for _, detail in riders):
                return
    if pager is None:
        return
    result = pager.resolve(key)
    if not result.ok:
        _note(deps, esc_id, "page_resolve_failed", error=result.describe())
        if result.retryable:
            raise Retry(result.describe(), result.retry_after)
        return
    _note(deps, esc_id, "page_resolved", dedup_key=key)


# ---------------------------------------------------------------- manager, watchdog, notices


def notify_manager(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, esc_id)
        if esc.status != OPEN:
            return
        team = find_team(deps.policy, esc.team)
        waited = cards.fmt_duration((deps.clock.now() - esc.opened_at).total_seconds())
    text = (
        f":warning: An {esc.urgency} {esc.category} escalation for {cards.escape(esc.account_id)} has waited {waited} "
        f"and nobody on team {team.name} has claimed it."
        + (
            f" <{_card_link(esc)}|Open the card>"
            if esc.card_channel
            else " (Its card could not be posted yet.)"
        )
    )
    if team.manager:
        dm = deps.slack.conversations_open(users=team.manager)["channel"]["id"]
        deps.slack.chat_postMessage(channel=dm, text=text)
        target = team.manager
    elif deps.policy.managers_channel:
        deps.slack.chat_postMessage(channel=deps.policy.managers_channel, text=text)
        target = deps.policy.managers_channel
    else:
        target = ""
    _note(
        deps,
        esc_id,
        "manager_notified",
        f"manager notified at {_local(deps, esc.team, deps.clock.now())}",
        target=target,
    )


def watchdog_alert(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    if not deps.policy.managers_channel:
        return
    late = cards.fmt_duration(float(payload.get("late_seconds", 0)))
    deps.slack.chat_postMessage(
        channel=deps.policy.managers_channel,
        text=f":rotating_light: Baton watchdog: the '{payload.get('action')}' step of escalation #{esc_id} ran {late} late. "
        "Check that `baton serve` is running and its sweep keeps up.",
    )


def surge_notice(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    team = find_team(deps.policy, str(payload.get("team", "")))
    now = deps.clock.now()
    since = datetime.fromisoformat(str(payload["since"])) if payload.get("since") else now - SURGE_WINDOW
    with session_scope(deps.db) as session:
        rows = repo.open_escalations_of_team(session, team.name, since, now)
    lines = [f"• <{_card_link(e)}|#{e.id}> {cards.escape(e.account_id)} · {e.category}" for e in rows[:20]]
    deps.slack.chat_postMessage(
        channel=internal_channel(deps, team.channel),
        text=f":ocean: Surge: {len(rows)} escalations in the last {int(SURGE_WINDOW.total_seconds() // 60)} minutes "
        f"(likely one cause). On-call was paged once for all of them.\n" + "\n".join(lines),
    )


def opening_summary(deps: Deps, esc_id: int, payload: dict[str, Any]) -> None:
    """At the team's opening: what waited overnight."""
    team = find_team(deps.policy, str(payload.get("team", "")))
    since = datetime.fromisoformat(str(payload["closed_since"]))
    with session_scope(deps.db) as session:
        rows = repo.open_escalations_of_team(session, team.name, since)
    if not rows:
        return
    lines = [
        f"• <{_card_link(e)}|#{e.id}> {cards.escape(e.account_id)} · {e.urgency} · {e.category}"
        for e in rows[:30]
    ]
    deps.slack.chat_postMessage(
        channel=internal_channel(deps, team.channel),
        text=f":sunrise: Good morning {team.mention}: {len(rows)} escalation{'s' if len(rows) != 1 else ''} waited while "
        "the team was offline.\n" + "\n".join(lines),
    )
    for e in rows:
        if e.id is not None:
            _note(deps, e.id, "opening_summary_posted", team=team.name)


EFFECTS: dict[str, Callable[[Deps, int, dict[str, Any]], None]] = {
    "remind": remind,
    "page": page,
    "dm_oncall": dm_oncall,
    "page_pager": page_pager,
    "page_resolve": page_resolve,
    "notify_manager": notify_manager,
    "watchdog_alert": watchdog_alert,
    "surge_notice": surge_notice,
    "opening_summary": opening_summary,
}
