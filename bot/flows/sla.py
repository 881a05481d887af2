"""The SLA chain of an escalation: frozen when it opens, stepped by the sweep, stopped by a claim."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.policy import Policy


def start(
    policy: Policy, team: str, urgency: str, tier: str, now: datetime
) -> tuple[list[dict[str, Any]], datetime | None, str]:
    """The frozen chain snapshot, the first deadline and the card's SLA note."""
    return [], None, ""


def on_stop(session: Session, deps: Deps, esc_id: int, now: datetime) -> None:
    """Claimed or resolved: the chain stops (and any page is resolved)."""


def restart(esc: object, deps: Deps, now: datetime) -> tuple[datetime | None, str]:
    """Released back to the queue: the chain starts again from now."""
    return None, ""


def run_due_steps(deps: Deps, now: datetime, overdue: list[int]) -> int:
    """Run the chain steps that are due. Returns how many ran."""
    return 0
