"""Baton's own summary (deterministic, from the engine's analyses), the AI agent's summary contract,
and sentiment as a trajectory."""

from __future__ import annotations

import pytest

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.summary import (
    NEXT_BY_LABEL,
    NEXT_DEFAULT,
    Summary,
    SummarySource,
    Turn,
    first_sentence,
    latest_agent_summary,
    parse_agent_summary,
    summarize,
)
from bot.domain.trajectory import trajectory
from bot.domain.triggers.analysis import MessageAnalysis


def _analysis(role: str, **kw) -> MessageAnalysis:
    return MessageAnalysis(ref="r", role=role, config="c", **kw)


DISPUTE = Turn(
    "customer",
    "Hi. I was charged twice for November! Please fix it.",
    _analysis(
        "customer",
        scores=(("billing_dispute", 0.91), ("routine", 0.2)),
        evidence=(("billing_dispute", "I was charged twice for November!"),),
    ),
)
AI = Turn("ai", "Refunds take 5-10 days. Anything else?", _analysis("ai", confidence=0.32))
STILL = Turn("customer", "Still not working. I want a person", _analysis("customer", failed=True))
HUMAN = FiredTrigger("human_request", "behavioral", "immediate", "Customer asked for a human")
TIER = FiredTrigger("high_value", "business", "immediate", "Enterprise / high-value account")


def test_summary_from_the_models_labels_the_ai_turns_and_what_failed():
    s = summarize([DISPUTE, AI, STILL], triggers=[HUMAN, TIER], category="billing")
    assert s.source is SummarySource.BATON
    assert s.wants == "A charge corrected or refunded: “I was charged twice for November!”"
    assert s.tried == "1 answer; last: “Refunds take 5-10 days.” (its confidence fell to 0.32)"
    assert s.failed == ("The customer says it did not help: “Still not working.”. Customer asked for a human")
    assert "Enterprise" not in s.failed  # business context is not a failure
    assert s.next == NEXT_BY_LABEL["billing_dispute"]


def test_summary_is_deterministic():
    turns = [DISPUTE, AI, STILL]
    assert summarize(turns, triggers=[HUMAN]) == summarize(list(turns), triggers=(HUMAN,))


def test_without_a_model_label_the_trigger_and_the_first_question_say_what_they_want():
    opening = Turn("customer", "hello there. Can you delete my account and all my data? thanks")
    trig = FiredTrigger(
        "data_deletion",
        "contextual",
        "immediate",
        "Data deletion request",
        evidence=(Evidence(quote="delete my data"),),
    )
    s = summarize([opening], triggers=[trig], category="privacy")
    assert s.wants == "Their personal data deleted: “delete my data”"
    assert s.tried == "Nothing yet: the AI agent had not answered."
    plain = summarize([opening], category="account")
    assert plain.wants == "Help with their account: “Can you delete my account and all my data?”"
    assert plain.next.startswith("Check the account's settings")
    assert summarize([], category="nonsense").next == NEXT_DEFAULT


def test_account_notes_join_the_next_step():
    s = summarize([DISPUTE], category="billing", account_notes=["1 disputed charge is on the account."])
    assert s.next.endswith("1 disputed charge is on the account.")


def test_hostile_text_stays_one_bounded_line():
    huge = "x" * 100_000 + "\n\n\x00\x1b[31m"
    s = summarize([Turn("customer", huge), Turn("ai", huge)], triggers=[HUMAN])
    for part in (s.wants, s.tried, s.failed, s.next):
        assert len(part) <= 600 and "\n" not in part and "\x00" not in part and "\x1b" not in part
    assert first_sentence("") == ""


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            "  The customer wants a refund.\n\nI tried twice. ",
            Summary(source=SummarySource.AI_AGENT, text="The customer wants a refund. I tried twice."),
        ),
        (
            {"wants": "a refund", "tried": "policy", "failed": 3, "next": "refund", "other": "x"},
            Summary("a refund", "policy", "", "refund", SummarySource.AI_AGENT),
        ),
        ({"wants": ""}, None),
        ("   ", None),
        (["a list"], None),
        (42, None),
        (None, None),
    ],
)
def test_the_agent_summary_contract(raw, expected):
    assert parse_agent_summary(raw) == expected


def test_a_huge_agent_summary_is_cut():
    got = parse_agent_summary({"wants": "w" * 50_000, "text": "t" * 50_000})
    assert got is not None and len(got.wants) <= 600 and len(got.text) <= 1200


def test_stored_summaries_round_trip_and_the_latest_wins():
    a = Summary("a", source=SummarySource.AI_AGENT)
    b = Summary("b", source=SummarySource.AI_AGENT)
    assert Summary.from_dict(a.to_dict()) == a
    assert latest_agent_summary([a.to_dict(), None, b.to_dict(), {}]) == b
    assert latest_agent_summary([None]) is None
    assert Summary.from_dict({"wants": "x", "source": "martian"}) is None


@pytest.mark.parametrize(
    "scores, text, trend",
    [
        ([-0.1, -0.5, -0.8], "−0.1 → −0.5 → −0.8", "worsening"),
        ([-0.6, 0.0, 0.5], "−0.6 → 0.0 → +0.5", "improving"),
        ([0.31], "+0.3", "steady"),
        ([0.2, 0.26], "+0.2 → +0.3", "steady"),
        ([-0.04], "0.0", "steady"),
    ],
)
def test_trajectory(scores, text, trend):
    t = trajectory(scores)
    assert t is not None and t.text() == text and t.trend == trend


def test_a_long_trajectory_keeps_the_first_and_latest_turns():
    t = trajectory([0.5] + [0.0] * 20 + [-0.2, -0.4, -0.6, -0.8, -0.9])
    assert t is not None
    assert t.text() == "+0.5 → … (20 more) → −0.2 → −0.4 → −0.6 → −0.8 → −0.9"
    assert t.trend == "worsening"


def test_trajectory_ignores_what_is_not_a_score():
    assert trajectory([]) is None
    assert trajectory([None, float("nan"), True]) is None  # type: ignore[list-item]
    t = trajectory([5.0, float("-inf"), -3])
    assert t is not None and t.points == (1.0, -1.0)
