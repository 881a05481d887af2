"""Store an escalation's report durations when they happen (opening, claim, resolve), so reports
aggregate numbers in SQL (storage/report_repo.py); the business-hours pickup uses the team's hours
of the policy in force at the claim."""

from __future__ import annotations

from bot.deps import Deps
from bot.domain.report_tally import durations
from storage.models import Escalation


def record(deps: Deps, esc: Escalation) -> None:
    """Set the durations on the escalation (persistent or about to be added: the caller's unit of work writes them)."""
    team = deps.policy.teams.get(esc.team)
    d = durations(
        opened=esc.opened_at,
        first_customer=esc.first_customer_at,
        claimed=esc.claimed_at,
        resolved=esc.resolved_at,
        hours=team.hours if team is not None else None,
    )
    esc.tte_s, esc.pickup_s, esc.pickup_business_s, esc.handle_s = (
        d.tte_s,
        d.pickup_s,
        d.pickup_business_s,
        d.handle_s,
    )
