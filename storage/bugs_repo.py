"""The Linear bug on an escalation's card (bot/flows/bugs.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from storage.models import Escalation


def set_bug(session: Session, esc_id: int, bug: dict[str, Any]) -> bool:
    """Record the bug once (a conditional UPDATE: the first record wins); the card shows it next render."""
    result = session.execute(
        update(Escalation)
        .where(col(Escalation.id) == esc_id, col(Escalation.bug).is_(None))
        .values(bug=bug, card_dirty=True, card_version=Escalation.card_version + 1)
    )
    return bool(getattr(result, "rowcount", 0))
