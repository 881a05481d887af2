"""The monthly false-positive review: a sample of a period's escalations, stratified by trigger
(bot/domain/review.py), posted to the managers' channel with "Needed" / "Not needed" on each; the
verdicts are feedback (the same `needed` column as the resolve modal, with who and when), and the
summary suggests which triggers to tighten or loosen with their measured precision.

    /escalations review [last month|this month|30d]  ──> REVIEW in the outbox (posted once)
    sweep ──> enqueue_due: on the policy's day and hour, REVIEW for last month under the shared key
              review:<YYYY-MM> — the outbox's unique dedup key makes it one post however many
              instances sweep (the schedule's state is that row)
    Needed / Not needed ──> verdict ──> REVIEW_UPDATE re-renders the post from stored state
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.domain.report import Needed, Period, parse_period
from bot.domain.review import advise, due_at, previous_month_key, stratified_sample
from bot.feedback_cards import ReviewItem, review_message
from bot.flows import outbox, slack_post
from bot.flows.gaps import knowledge_gaps
from bot.flows.outbox import EffectKind, Handler, Job
from bot.flows.slack_lookups import card_link
from bot.policy import Policy
from storage import feedback_repo, repo
from storage.db import read_scope, session_scope
from storage.models import Escalation, TimelineKind

log = logging.getLogger(__name__)

REVIEWED = "review"  # needed_via of a verdict given in a review
VERDICTS = {"needed": Needed.YES.value, "not_needed": Needed.NO.value}


def report_tz(policy: Policy) -> ZoneInfo:
    """Months and days in the default team's time zone (UTC without hours)."""
    team = policy.teams.get(policy.default_team)
    return team.hours.tz if team is not None and team.hours is not None else ZoneInfo("UTC")


def _payload(period: Period, key: str, channel: str, *, scheduled: bool = False) -> dict[str, Any]:
    return {
        "scheduled": scheduled,
        "review_key": key,
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "channel": channel,
    }


def request(deps: Deps, *, args: str, channel: str) -> tuple[Period, str]:
    """`/escalations review [period]`: queue a review now. Returns the period and where it goes."""
    now = deps.clock.now()
    period = parse_period(args or "last month", now, report_tz(deps.policy))
    target = deps.policy.managers_channel or channel
    key = uuid.uuid4().hex
    with session_scope(deps.db) as session:
        outbox.enqueue(
            session,
            None,
            EffectKind.REVIEW,
            now,
            key=f"review:{key}",
            shared=True,
            **_payload(period, key, target),
        )
    outbox.run_due(deps)
    return period, target


def enqueue_due(deps: Deps, now: datetime) -> bool:
    """The scheduled run: once the policy's day and hour have come this month, last month's review is
    queued under a key of its own (review:YYYY-MM). True when it is due (queued now or before)."""
    config = deps.policy.review
    tz = report_tz(deps.policy)
    at = due_at(now, config, tz)
    if at is None or now < at or not deps.policy.managers_channel:
        return False
    key = previous_month_key(now, tz)
    period = parse_period("last month", now, tz)
    outbox.enqueue_once(
        deps,
        EffectKind.REVIEW,
        f"review:{key}",
        now,
        **_payload(period, key, deps.policy.managers_channel, scheduled=True),
    )
    return True


def _items(deps: Deps, ids: list[int]) -> list[ReviewItem]:
    with read_scope(deps.db) as session:
        rows = feedback_repo.escalations_by_id(session, ids)
        return [
            ReviewItem(
                escalation_id=e.id or 0,
                trigger=e.primary_trigger,
                category=e.category,
                account=e.account_id,
                opened_at=e.opened_at,
                quote=feedback_repo.first_customer_text(session, e.conversation_id, e.opened_at),
                needed=e.needed,
                needed_by=e.needed_by,
                needed_via=e.needed_via,
                link=card_link(e),
            )
            for e in rows
        ]


def _render(deps: Deps, review_id: int, label: str, start: datetime, end: datetime) -> dict[str, Any]:
    with read_scope(deps.db) as session:
        post = feedback_repo.review_post(session, review_id)
        assert post is not None
        ids = list(post.escalation_ids)
        verdicts = feedback_repo.verdict_rows(session, start, end)
        missed = len(feedback_repo.missed_between(session, start, end))
    advice = advise(verdicts, missed=missed, min_answers=deps.policy.review.min_answers)
    return review_message(
        review_id=review_id,
        period=label,
        items=_items(deps, ids),
        advice=advice,
        missed=missed,
        gaps=_gaps(deps, Period(start, end, label)),
    )


def _gaps(deps: Deps, period: Period) -> dict[str, Any] | None:
    """The period's knowledge gaps as one section (bot/flows/gaps.py); none when they cannot be read."""
    try:
        return knowledge_gaps(db=deps.db, policy=deps.policy, period=period).section()
    except Exception:  # the review goes out without the section: degrade, never drop
        log.exception("review: the knowledge gaps could not be computed")
        return None


def _review(deps: Deps, job: Job) -> None:
    p = job.payload
    start, end = datetime.fromisoformat(str(p["start"])), datetime.fromisoformat(str(p["end"]))
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        post = feedback_repo.review_by_key(session, str(p["review_key"]))
        if post is None:
            population = feedback_repo.review_population(session, start, end)
            ids = stratified_sample(population, deps.policy.review.sample_size, str(p["review_key"]))
            if not ids and p.get("scheduled"):
                log.info("review %s: no escalations, nothing posted", p["label"])
                return
            review_id = feedback_repo.add_review_post(
                session,
                key=str(p["review_key"]),
                label=str(p["label"]),
                start=start,
                end=end,
                ids=ids,
                now=now,
            )
        else:
            review_id = post.id or 0
            if post.ts:
                return  # posted already
    body = _render(deps, review_id, str(p["label"]), start, end)
    channel, ts = slack_post.post_once(
        deps, job, kind=slack_post.MESSAGE, channel=str(p["channel"]), payload={"review": review_id}, **body
    )
    with session_scope(deps.db) as session:
        feedback_repo.set_review_message(session, review_id, channel, ts)
        job.finish_in(session, deps.clock.now())
    log.info("review %s posted to %s", p["label"], channel)


def _update(deps: Deps, job: Job) -> None:
    review_id = int(job.payload["review"])
    with read_scope(deps.db) as session:
        post = feedback_repo.review_post(session, review_id)
        if post is None or not post.ts:
            return
        channel, ts, label, start, end = post.channel, post.ts, post.label, post.start, post.end
    assert start is not None and end is not None
    body = _render(deps, review_id, label, start, end)
    deps.slack.chat_update(channel=channel, ts=ts, **body)


@dataclass(frozen=True)
class VerdictResult:
    ok: bool
    message: str = ""


def verdict(deps: Deps, *, value: str, needed: str, user: str, user_team: str) -> VerdictResult:
    """A reviewer's "Needed" / "Not needed": value is "<review id>:<escalation id>"."""
    if user_team and user_team != deps.identity.team_id:
        return VerdictResult(False, "Only the support team reviews escalations.")
    try:
        review_part, esc_part = value.split(":", 1)
        review_id, esc_id = int(review_part), int(esc_part)
    except ValueError:
        return VerdictResult(False, "That button is not part of a review.")
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        post = feedback_repo.review_post(session, review_id)
        if post is None or esc_id not in post.escalation_ids or session.get(Escalation, esc_id) is None:
            return VerdictResult(False, "That escalation is not part of this review.")
        feedback_repo.record_verdict(session, esc_id, needed, user, now, via=REVIEWED)
        repo.log(
            session,
            esc_id,
            now,
            TimelineKind.FEEDBACK,
            actor=user,
            needed=needed,
            via=REVIEWED,
            review=review_id,
        )
        outbox.enqueue(
            session,
            None,
            EffectKind.REVIEW_UPDATE,
            now,
            key=f"review_update:{uuid.uuid4().hex}",
            shared=True,
            review=review_id,
        )
    outbox.run_due(deps)
    return VerdictResult(True)


HANDLERS: dict[EffectKind, Handler] = {EffectKind.REVIEW: _review, EffectKind.REVIEW_UPDATE: _update}
