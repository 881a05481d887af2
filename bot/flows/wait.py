"""What we tell the customer about the wait: honest numbers from recent pickups, or the documented default."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot import customer_messages
from bot.deps import Deps
from bot.domain import hours, wait
from bot.flows.sla import team_hours
from storage import repo
from storage.models import Escalation

HISTORY = timedelta(days=7)


def expected_wait(session: Session, deps: Deps, esc: Escalation) -> timedelta:
    """Median pickup over the last 7 days for this team at this hour of the day (team time); else the default."""
    h = team_hours(deps.policy, esc.team)
    tz = h.tz if h is not None else None
    hour = esc.opened_at.astimezone(tz).hour if tz else esc.opened_at.hour
    rows = repo.pickups_of_team(session, esc.team, esc.opened_at - HISTORY, exclude=esc.id)
    pickups = [
        (claimed - opened).total_seconds()
        for opened, claimed in rows
        if (opened.astimezone(tz).hour if tz else opened.hour) == hour
    ]
    return wait.expected_wait(pickups, wait.default_wait(deps.policy.doc, esc.team))


WAIT_TTL = 300.0  # seconds the median is reused for a team and hour


def cached_wait(session: Session, deps: Deps, esc: Escalation) -> timedelta:
    hour = esc.opened_at.replace(minute=0, second=0, microsecond=0).isoformat()
    seconds = deps.cached(
        f"wait:{esc.team}:{hour}", WAIT_TTL, lambda: expected_wait(session, deps, esc).total_seconds()
    )
    return timedelta(seconds=float(seconds))


def is_safety(esc: Escalation) -> bool:
    return customer_messages.is_safety(esc.category, [t.get("category") for t in esc.triggers])


def transition_text(session: Session, deps: Deps, esc: Escalation) -> str:
    """What the customer is told when the escalation opens, in their language."""
    messages, lang = deps.policy.messages, esc.language
    if is_safety(esc):
        return messages.safety(lang)
    top = str(esc.triggers[0]["id"]) if esc.triggers else ""
    h = team_hours(deps.policy, esc.team)
    if h is not None and not hours.is_open(h, esc.opened_at):
        if esc.urgency == "immediate":
            return messages.transition(
                lang, category=esc.category, trigger=top, wait=cached_wait(session, deps, esc), paged=True
            )
        opening = customer_messages.Opening.of(h, esc.opened_at)
        return messages.after_hours(lang, category=esc.category, trigger=top, opening=opening)
    return messages.transition(lang, category=esc.category, trigger=top, wait=cached_wait(session, deps, esc))


def still_on_it_text(session: Session, deps: Deps, esc: Escalation) -> str:
    """Sent with the first reminder while nobody has claimed."""
    if is_safety(esc):
        return deps.policy.messages.safety(esc.language, still_on_it=True)
    return deps.policy.messages.still_on_it(esc.language, wait=cached_wait(session, deps, esc))
