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


def wait_phrase(session: Session, deps: Deps, esc: Escalation) -> str:
    hour = esc.opened_at.replace(minute=0, second=0, microsecond=0).isoformat()
    return str(
        deps.cached(
            f"wait:{esc.team}:{hour}", WAIT_TTL, lambda: wait.describe(expected_wait(session, deps, esc))
        )
    )


def transition_text(session: Session, deps: Deps, esc: Escalation) -> str:
    top = esc.triggers[0]["id"] if esc.triggers else ""
    reason = customer_messages.customer_reason(top, esc.category)
    h = team_hours(deps.policy, esc.team)
    if h is not None and not hours.is_open(h, esc.opened_at):
        opening = hours.describe_next_opening(h, esc.opened_at)
        if esc.urgency == "immediate":
            return customer_messages.transition(
                category=esc.category,
                wait=wait_phrase(session, deps, esc) + " (our on-call person has been paged)",
                reason=reason,
            )
        return customer_messages.transition_after_hours(category=esc.category, opening=opening, reason=reason)
    return customer_messages.transition(
        category=esc.category, wait=wait_phrase(session, deps, esc), reason=reason
    )
