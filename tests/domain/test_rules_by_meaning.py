"""The phrase rules read what the customer says themselves, and word collisions do not fire them.

These used to escalate (issue 7: quoted speech escalated to legal as immediate; "breach of contract"
went to security; "tips to keep my account from being hacked" fired security): the expectations
here are the corrected behaviour, with the phrase rules alone (no model).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.model import Account, Message
from bot.domain.triggers import default_engine_config, evaluate

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SELF = Account(id="acme", tier="self-serve")


def decide(text: str):  # type: ignore[no-untyped-def]
    return evaluate(
        [Message(role="customer", text=text, ts=NOW, ref="m0")], SELF, NOW, default_engine_config()
    )


@pytest.mark.parametrize(
    "text",
    [
        'One of my customers wrote "I want a lawyer". How do I export their tickets?',
        "A user told us: I want to talk to a human. How do I route those to our team?",
        "> I want to speak to a manager\nhow do I set up an auto-reply for messages like that one?",
        "---------- Forwarded message ---------\nFrom: bob@example.com\nI will sue you\n",
        "Our bot replies with ```I want a human``` when it fails, how do I change that text?",
        'How can I see how many customers clicked "cancel my subscription" last month?',
        'I am writing an article titled "What to do if your account was hacked". Can I embed a video?',
    ],
)
def test_quoted_reported_forwarded_and_code_do_not_fire(text: str) -> None:
    d = decide(text)
    assert not d.escalate, d.triggers


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        'I said it already: "this is the third time", get me a human now',
        "My lawyer will contact you about this",
    ],
)
def test_the_customers_own_words_still_fire(text: str) -> None:
    assert decide(text).escalate


def test_word_collisions_are_resolved() -> None:
    assert not decide("We're a firm of attorneys with 30 staff. Which plan would suit us?").escalate
    assert not decide("how do I sue the new export feature?").escalate  # "sue" typed for "use"
    assert not decide("tips to keep my account from being hacked?").escalate
    d = decide("Our counsel considers your outage a breach of contract.")
    assert d.escalate and d.category == "legal" and "security" not in d.trigger_ids
    assert decide("we had a data breach, someone logged into my account").category == "security"


def test_negation_that_means_yes_and_negation_that_means_no() -> None:
    yes = decide("I'm not talking to you any more!")
    assert yes.escalate and "not_helping" in yes.trigger_ids
    assert decide("I don't want a bot, I'm done chatting with a machine").escalate
    assert not decide("no need for a person, just send the PDF").escalate
    assert not decide("I don't need a human, how do I export the invoice?").escalate
