"""What the customer reads in their thread. Pure text builders: honest, short, no internal jargon."""

from __future__ import annotations

from bot.cards import escape

CATEGORY_PHRASE = {
    "billing": "our billing team",
    "cancellation": "our account team",
    "legal": "our legal team",
    "privacy": "our privacy team",
    "security": "our security team",
    "technical": "our support engineers",
    "account": "our support team",
    "general": "our support team",
}


def transition(*, category: str, wait: str, reason: str = "") -> str:
    """Posted in the customer's thread when an escalation opens."""
    team = CATEGORY_PHRASE.get(category, "our support team")
    why = f" {reason}" if reason else ""
    return (
        f"I'm bringing in a person from {team} to help with this.{why} "
        f"They have this whole conversation, so you won't need to repeat yourself. "
        f"Expected wait: {wait}."
    )


def transition_after_hours(*, category: str, opening: str) -> str:
    team = CATEGORY_PHRASE.get(category, "our support team")
    return (
        f"I've passed this to {team} with the full conversation, so you won't need to repeat yourself. "
        f"They're offline right now; the team is back {opening}, and your request is first in line."
    )


def claimed(*, agent_name: str, team: str) -> str:
    return f"{escape(agent_name)} from {escape(team)} has joined and is reading the conversation now."


def still_on_it(*, wait: str) -> str:
    return f"Thanks for your patience: your request is still with our team and someone should be with you in {wait}."


def released() -> str:
    return "Your request is back in our team's queue; the next available person will pick it up."
