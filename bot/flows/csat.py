"""Customer satisfaction: after a resolution the customer is asked, in their thread and language, to
score the help from 1 to 5 (bot/domain/csat.py decides who is asked and when).

    resolve ──> queue_survey: CSAT_SURVEY in the outbox, due after the policy's delay (the outbox's
                due-time column; the sweep runs it), once per resolution (its dedup key names it)
    CSAT_SURVEY ──> the question and five buttons in the customer's thread (posted once across crashes),
                unless the escalation was reopened since that resolution (the next resolve queued its
                own) or was asked already: at most one survey per escalation
    click (from the customer's own organisation: a Slack Connect user) ──> answer: the score is stored
                once (conditional UPDATE), the card shows it, the survey becomes a thank-you, and a
                low score tells the team's manager with the card's link
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import cards, feedback_cards
from bot.deps import Deps
from bot.domain.csat import parse_score, survey_delay
from bot.flows import outbox, slack_post
from bot.flows.outbox import EffectKind, Handler, Job, unique
from bot.flows.slack_lookups import card_permalink
from storage import feedback_repo, repo
from storage.db import session_scope
from storage.models import RESOLVED, Escalation, TimelineKind


def queue_survey(session: Session, deps: Deps, esc: Escalation, now: datetime) -> bool:
    """Called in the resolve transaction. True when a survey was queued."""
    assert esc.id is not None
    if esc.claimed_at is None:
        return False  # nobody took it over: there was no human help to score
    conv = repo.escalation_with_conversation(session, esc.id)[1]
    if conv.source != "slack":
        return False  # helpdesk conversations have no Slack thread to ask in
    if esc.csat_asked_at is not None or esc.csat is not None:
        return False  # asked once already (before a reopen): at most one survey per escalation
    delay = survey_delay(deps.policy.csat, escalation_id=esc.id, team=esc.team, tier=esc.tier)
    if delay is None:
        return False
    # One item per resolution: a survey queued before a reopen must not keep this one out.
    resolved = now.isoformat()
    outbox.enqueue(
        session, esc.id, EffectKind.CSAT_SURVEY, now, key=f"csat:{resolved}", at=now + delay, resolved_at=resolved
    )
    return True


def _stale(esc: Escalation, job: Job) -> bool:
    """The survey of an earlier resolution: the escalation was reopened (and maybe resolved again) since."""
    queued_for = job.payload.get("resolved_at")
    if not queued_for:
        return False  # queued before surveys named their resolution
    return esc.resolved_at != datetime.fromisoformat(str(queued_for))


def _survey(deps: Deps, job: Job) -> None:
    with session_scope(deps.db) as session:
        esc, conv = repo.escalation_with_conversation(session, job.esc_id)
        if esc.csat_asked_at is not None or esc.csat is not None or esc.status != RESOLVED or _stale(esc, job):
            return
        question = deps.policy.messages.csat_question(esc.language)
        where = conv.channel, conv.thread_ts
    body = feedback_cards.survey_message(job.esc_id, question)
    channel, ts = slack_post.post_once(
        deps, job, kind=slack_post.MESSAGE, channel=where[0], thread_ts=where[1], **body
    )
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        job.finish_in(session, now)
        feedback_repo.mark_csat_asked(session, job.esc_id, now)
        repo.log(session, job.esc_id, now, TimelineKind.CSAT_ASKED, channel=channel, ts=ts)
        outbox.enqueue(session, job.esc_id, EffectKind.UPDATE_CARD, now, key=unique())


@dataclass(frozen=True)
class Answer:
    ok: bool
    message: str = ""  # said to the clicker (ephemeral) when not ok


FOR_THE_CUSTOMER = "This survey is for the customer: their score shows on the card once they answer."


def answer(deps: Deps, *, value: str, user: str, user_team: str, channel: str, message_ts: str) -> Answer:
    """A click on a survey button: `value` is "<escalation id>:<score>"."""
    esc_part, _, score_part = value.partition(":")
    score = parse_score(score_part)
    try:
        esc_id = int(esc_part)
    except ValueError:
        esc_id = 0
    if score is None or esc_id <= 0:
        return Answer(False, "That button is not part of a survey.")
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        if session.get(Escalation, esc_id) is None:
            return Answer(False, "This survey is no longer open.")
        _, conv = repo.escalation_with_conversation(session, esc_id)
        if channel and channel != conv.channel:
            return Answer(False, "That button is not part of a survey.")  # a value moved to another thread
        internal = user_team == deps.identity.team_id or not user_team
        if internal and user != conv.customer_id:
            return Answer(False, FOR_THE_CUSTOMER)
        if not feedback_repo.record_csat(session, esc_id, score, user, now):
            return Answer(False, "Thanks, we already have your answer.")
        repo.log(session, esc_id, now, TimelineKind.CSAT_ANSWERED, actor=user, score=score, team=user_team)
        outbox.enqueue(session, esc_id, EffectKind.UPDATE_CARD, now, key=unique())
        outbox.enqueue(
            session, esc_id, EffectKind.CSAT_THANKS, now, channel=channel, ts=message_ts, score=score
        )
        if deps.policy.csat.is_low(score):
            outbox.enqueue(session, esc_id, EffectKind.CSAT_LOW, now, score=score)
    outbox.run_for(deps, esc_id)
    return Answer(True)


def _thanks(deps: Deps, job: Job) -> None:
    payload = job.payload
    with session_scope(deps.db) as session:
        esc = session.get(Escalation, job.esc_id)
        language = esc.language if esc is not None else ""
    body = feedback_cards.survey_answered(deps.policy.messages.csat_thanks(language), int(payload["score"]))
    deps.slack.chat_update(channel=str(payload["channel"]), ts=str(payload["ts"]), **body)


def _low(deps: Deps, job: Job) -> None:
    """A low score: the team's manager (policy `teams.<team>.manager`), else the managers' channel."""
    score = int(job.payload.get("score", 0))
    link = card_permalink(deps, job.esc_id)
    with session_scope(deps.db) as session:
        esc, _ = repo.escalation_with_conversation(session, job.esc_id)
        team = deps.policy.teams.get(esc.team)
        account, handler = esc.account_id, esc.resolved_by or esc.claimed_by
    text = (
        f":warning: Low satisfaction: the customer of *{cards.escape(account)}* scored escalation #{job.esc_id}"
        f" {score}/5"
        + (f" (handled by <@{handler}>)" if handler else "")
        + (f". <{link}|Open the card>" if link else ".")
    )
    if team is not None and team.manager:  # posted at most once across crashes (the metadata marker)
        slack_post.post_dm_once(deps, job, user=team.manager, text=text, unfurl_links=False)
        target = team.manager
    elif deps.policy.managers_channel:
        target = deps.policy.managers_channel
        slack_post.post_once(deps, job, kind=slack_post.MESSAGE, channel=target, text=text, unfurl_links=False)
    else:
        target = ""
    with session_scope(deps.db) as session:
        job.finish_in(session, deps.clock.now())
        repo.log(
            session, job.esc_id, deps.clock.now(), TimelineKind.CSAT_LOW_NOTIFIED, target=target, score=score
        )


HANDLERS: dict[EffectKind, Handler] = {
    EffectKind.CSAT_SURVEY: _survey,
    EffectKind.CSAT_THANKS: _thanks,
    EffectKind.CSAT_LOW: _low,
}
