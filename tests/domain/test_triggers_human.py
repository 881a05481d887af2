"""The explicit request for a human: phrasings, typos, negation, indirect speech (own fixtures)."""

from __future__ import annotations

import pytest

from bot.domain.triggers.phrases import find_human_request
from bot.domain.triggers.text import correct_token, normalise

REQUESTS = [
    "I want to talk to a real person",
    "talk to an agent",
    "agent",
    "Human please!!",
    "REPRESENTATIVE",
    "can I speak with a supervisor?",
    "get me someone from your team",
    "I'd like to be connected with a representative",
    "please transfer me",
    "escalate this please",
    "could you put me through to an operator",
    "is there a human I can chat with?",
    "Any humans here?",
    "have someone call me back",
    "can somebody help me please",
    "i need help from a real person",
    "This bot is useless, I need a person",
    "let me speak to your manager",
    "how do I contact a live agent?",
    "what do I have to do to talk to someone?",
    # frustration: a negated ability is still a request
    "I can't reach a human",
    "I don't know how to contact an agent",
    "why can't I talk to a person",
    "it would not let me talk to an agent",
    # a negation in another clause does not cancel the request
    "I don't want the bot, I want a human",
    "No. I need a human",
    # typos and chat shorthand
    "i wnat to tlak to an agnet",
    "can i speek to a persn",
    "conect me to an operater",
    "need 2 talk w/ a hyman",
    "i have got tocontact a person",
    "wanna chat wiht sm1",
    "u r useless, gimme a rep",
    # curly apostrophes
    "I don\u2019t understand you, I need to speak to someone",
]

NOT_REQUESTS = [
    # indirect speech: a routine question that names an agent
    "could you ask an agent how I change my address?",
    "ask a human what the refund policy is",
    "can you check with an agent whether my order shipped?",
    "have an agent tell me where to track my order",
    "could you contact an agent and ask how to reset my password?",
    "please ask an agent to update my shipping address",
    # negation of the wish
    "I don't need a human",
    "I don't need a human, just tell me how to reset my password",
    "no need for an agent, I found it",
    "I would not like to talk to a person",
    "I'd rather not speak to an agent",
    "without talking to an agent, how do I cancel my order?",
    "I'm not asking for a human, just the tracking number",
    "I don't think I need an agent for this",
    "a human is not needed",
    # asking whether a human is required
    "do I need to talk to an agent to change my plan?",
    "Do I have to contact a person to get a refund?",
    # agents mentioned, nobody asked for
    "the agent told me my order would ship today",
    "I talked to an agent yesterday about my invoice",
    "your agent was very helpful, thanks",
    "I'm a travel agent booking for a client",
    "I need to add another person to my account",
    "assign the task to someone on my team",
    "what hours are agents available?",
    "what time can I contact customer service?",
    "how do I transfer money to my account",
    "I want to send people an invite",
    "",
    "   ",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_requests_are_recognised(text: str) -> None:
    hits = find_human_request(normalise(text))
    assert hits, f"missed: {text!r}"
    assert hits[0].quote  # evidence quotes the customer's words
    assert hits[0].quote.lower() in text.lower()


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_non_requests_are_not(text: str) -> None:
    assert find_human_request(normalise(text)) == [], text


def test_quote_is_the_customers_own_words_within_the_clause() -> None:
    hits = find_human_request(normalise("Hello. I cant talk to a hyman agent!! Why?"))
    assert hits[0].quote == "I cant talk to a hyman agent"


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("agnet", "agent"),
        ("hyman", "human"),
        ("persn", "person"),
        ("ocntact", "contact"),
        ("tlak", "talk"),
        ("wiht", "with"),
    ],
)
def test_typos_of_key_words_are_corrected(typo: str, word: str) -> None:
    assert correct_token(typo) == word


@pytest.mark.parametrize(
    "word", ["task", "assistance", "assistanec", "operation", "personal", "talked", "contract", "urgent"]
)
def test_real_words_are_never_corrected_into_key_words(word: str) -> None:
    assert correct_token(word) == word


def test_normalise_expands_contractions_and_keeps_clause_punctuation() -> None:
    n = normalise("I can't, won't. U r")
    assert n.tokens == ("i", "can", "not", ",", "will", "not", ".", "you", "are")
    assert [c for _, c in n.clauses()] == [("i", "can", "not"), ("will", "not"), ("you", "are")]


@pytest.mark.parametrize(
    "text",
    [
        "this is not an outage, just a question about reports",
        "It's not a security breach, I just forgot my password",
        "This isn't a lawsuit, I'm just asking",
    ],
)
def test_negation_reaches_past_an_article(text):
    """'not an outage' denies the topic; the article between must not hide the negation."""
    from datetime import UTC, datetime

    from bot.domain.model import Account, Message
    from bot.domain.triggers import default_engine_config, evaluate

    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    decision = evaluate(
        [Message("customer", text, now, ref="1")], Account(id="a"), now, default_engine_config()
    )
    assert not decision.escalate, decision.trigger_ids


@pytest.mark.parametrize("text", ["I'm not a robot, I need a human", "not a bot, a real person please"])
def test_negating_something_else_keeps_the_request(text):
    from datetime import UTC, datetime

    from bot.domain.model import Account, Message
    from bot.domain.triggers import default_engine_config, evaluate

    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    decision = evaluate(
        [Message("customer", text, now, ref="1")], Account(id="a"), now, default_engine_config()
    )
    assert "human_request" in decision.trigger_ids
