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


REASON_BY_TRIGGER = {
    "human_request": "You asked to talk to a person.",
    "not_helping": "It sounds like my answers aren't helping.",
    "repeated_question": "You've had to ask this more than once.",
    "too_many_turns": "This is taking longer than it should.",
    "low_confidence": "I'm not confident my answer is right.",
    "low_confidence_streak": "I'm not confident my answers are right.",
}
REASON_BY_CATEGORY = {
    "billing": "Billing questions like this one deserve a person's attention.",
    "cancellation": "Changes to your subscription deserve a person's attention.",
    "legal": "Matters with legal implications are handled by a person.",
    "privacy": "Requests about your personal data are handled by a person.",
    "security": "Security concerns are handled by a person, right away.",
    "technical": "This looks like it needs one of our engineers.",
}


def customer_reason(trigger_id: str, category: str) -> str:
    """Why a person is taking over, in words fit for the customer (never internal scores or tiers)."""
    return REASON_BY_TRIGGER.get(trigger_id) or REASON_BY_CATEGORY.get(category, "")


def transition(*, category: str, wait: str, reason: str = "") -> str:
    """Posted in the customer's thread when an escalation opens."""
    team = CATEGORY_PHRASE.get(category, "our support team")
    why = f"{reason} " if reason else ""
    return (
        f"{why}I'm bringing in a person from {team} to help with this. "
        f"They have this whole conversation, so you won't need to repeat yourself. "
        f"Expected wait: {wait}."
    )


def transition_after_hours(*, category: str, opening: str, reason: str = "") -> str:
    team = CATEGORY_PHRASE.get(category, "our support team")
    why = f"{reason} " if reason else ""
    return (
        f"{why}I've passed this to {team} with the full conversation, so you won't need to repeat yourself. "
        f"They're offline right now; the team is back {opening}, and your request is first in line."
    )


def claimed(*, agent_name: str, team: str) -> str:
    return f"{escape(agent_name)} from {escape(team)} has joined and is reading the conversation now."


def still_on_it(*, wait: str) -> str:
    return f"Thanks for your patience: your request is still with our team and someone should be with you in {wait}."
