"""The async handoff ticket on an escalation's card (bot/flows/tickets.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from storage.models import Escalation


def set_ticket(session: Session, esc_id: int, ticket: dict[str, Any]) -> bool:
    """Record the ticket once (a conditional UPDATE: the first record wins); the card shows it next render."""
    result = session.execute(
        update(Escalation)
        .where(col(Escalation.id) == esc_id, col(Escalation.ticket).is_(None))
        .values(ticket=ticket, card_dirty=True, card_version=Escalation.card_version + 1)
    )
    return bool(getattr(result, "rowcount", 0))
