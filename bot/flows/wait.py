"""What we tell the customer about the wait: honest numbers from recent pickups, or the documented default."""

from __future__ import annotations

from sqlmodel import Session

from bot import customer_messages
from bot.deps import Deps
from storage.models import Escalation


def transition_text(session: Session, deps: Deps, esc: Escalation) -> str:
    return customer_messages.transition(category=esc.category, wait="a few minutes")
