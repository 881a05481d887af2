"""Knowledge gaps' pure part: which triggers mean the AI failed, grouping questions by meaning
(deterministic), counts against the period before, examples."""

from __future__ import annotations

from bot.domain.gaps import GapQuestion, ai_failure_triggers, cluster, meaning_vector, topics
from bot.domain.nlu import load_classifier
from bot.flows.gaps import EVERYTHING
from bot.policy import load_policy

IDF = load_classifier().weights.idf  # type: ignore[attr-defined]


def _q(i: int, text: str, current: bool = True, trigger: str = "repeated_question") -> GapQuestion:
    return GapQuestion(i, text, meaning_vector(text, IDF, EVERYTHING), current, (trigger,))


def test_the_ai_failure_triggers_of_the_default_policy():
    ids = ai_failure_triggers(load_policy(None).engine.triggers)
    assert {"low_confidence", "repeated_question", "no_resolution", "failed_attempts", "not_helping"} <= ids
    assert not ids & {"human_request", "legal", "billing_dispute", "model_frustration", "high_value"}


QUESTIONS = [
    "How do I export my invoices as PDF?",
    "I can't reset my password",
    "Where can I download my invoices as a PDF file?",
    "The password reset link is not working",
    "Can I export invoices to CSV?",
    "password reset email never arrives",
    "My API key returns 401 unauthorized",
]


def test_questions_group_by_meaning_and_the_grouping_is_deterministic():
    qs = [_q(i, t) for i, t in enumerate(QUESTIONS)]
    groups = cluster(qs)
    assert sorted(sorted(QUESTIONS[i] for i in g) for g in groups) == sorted(
        [
            sorted([QUESTIONS[0], QUESTIONS[2], QUESTIONS[4]]),
            sorted([QUESTIONS[1], QUESTIONS[3], QUESTIONS[5]]),
            [QUESTIONS[6]],
        ]
    )
    assert cluster(qs) == groups  # same input, same topics


def test_personal_data_does_not_make_questions_alike_or_apart():
    a = _q(1, "How do I export my invoices as PDF? Mail me at jane.doe@acme.example or call +1 (415) 555-2671")
    b = _q(2, "Where can I download my invoices as a PDF file?")
    c = _q(3, "Reset my password please, I am jane.doe@acme.example")
    assert len(cluster([a, b, c])) == 2


def test_topics_count_against_the_period_before_with_examples_and_triggers():
    qs = [
        _q(1, "How do I export my invoices as PDF?", current=False),
        _q(2, "I can't reset my password", current=False),
        _q(3, "Where can I download my invoices as a PDF file?", trigger="not_helping"),
        _q(4, "Can I export invoices to CSV?"),
        _q(5, "Can I export invoices to CSV?"),  # the same words twice: one example
        _q(6, "My API key returns 401 unauthorized", trigger="low_confidence"),
    ]
    [invoices, api] = topics(qs)
    assert (invoices.count, invoices.previous, invoices.change) == (3, 1, 2)
    assert invoices.escalation_ids == [3, 4, 5]
    assert sorted(invoices.examples) == ["Can I export invoices to CSV?", "Where can I download my invoices as a PDF file?"]
    assert invoices.triggers == [("repeated_question", 2), ("not_helping", 1)]
    assert (api.count, api.previous) == (1, 0) and api.triggers == [("low_confidence", 1)]
    # the password topic only the period before had is not a gap of this period
    assert all("password" not in t.label for t in topics(qs))


def test_no_questions_and_questions_without_text():
    assert topics([]) == []
    [t] = topics([GapQuestion(1, "", (), True, ("repeated_question",))])
    assert t.count == 1 and t.label == "(no question text)"
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett"]
    distinct = [_q(i, f"{w} {w}s {w}ing") for i, w in enumerate(words)]
    assert len(topics(distinct)) == 10 and len(topics(distinct, limit=5)) == 5


def test_the_compact_section_for_the_monthly_review():
    from bot.report_cards import GapCounts, gaps_section

    qs = [_q(1, "How do I export my invoices as PDF?"), _q(2, "Can I export invoices to CSV?")]
    block = gaps_section(topics=topics(qs), counts=GapCounts(2, 0, 5))
    assert block["type"] == "section" and "2 of 5 escalations" in block["text"]["text"]
    assert "— 2 (new)" in block["text"]["text"]
    assert "no escalation" in gaps_section(topics=[], counts=GapCounts(0, 0, 3))["text"]["text"]
