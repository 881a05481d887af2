"""What the customer reads: says why, that the team has the context, and when; never internal jargon."""

from __future__ import annotations

import pytest

from bot import customer_messages as cm


@pytest.mark.parametrize(
    ("trigger", "category", "words"),
    [
        ("human_request", "general", "You asked to talk to a person."),
        ("legal", "legal", "legal implications"),
        ("billing_dispute", "billing", "Billing questions"),
        ("low_confidence", "technical", "not confident"),
    ],
)
def test_transition_says_why_and_that_nothing_must_be_repeated(trigger, category, words):
    text = cm.transition(category=category, wait="about 10 minutes", reason=cm.customer_reason(trigger, category))
    assert words in text and "won't need to repeat yourself" in text and "about 10 minutes" in text
    for jargon in ("trigger", "threshold", "enterprise", "tier", "score"):
        assert jargon not in text.lower()


def test_after_hours_is_honest_about_the_opening():
    text = cm.transition_after_hours(category="billing", opening="Monday at 09:00 EST")
    assert "offline" in text and "Monday at 09:00 EST" in text


def test_claimed_note_escapes_names():
    text = cm.claimed(agent_name="<!channel>", team="billing")
    assert text == "&lt;!channel&gt; from billing has joined and is reading the conversation now."
