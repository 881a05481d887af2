"""The trigger engine end to end on the pure core: every trigger, segments, business context, cooling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.model import CATEGORIES, Account, Decision, Message
from bot.domain.triggers import (
    MessageAnalysis,
    analyse,
    decide,
    default_engine_config,
    evaluate,
    parse_engine_config,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CFG = default_engine_config()
SELF = Account(id="acme", tier="self-serve")
MID = Account(id="acme", tier="mid-market")
ENT = Account(id="acme", tier="enterprise")


def conv(*turns: tuple[str, str] | tuple[str, str, float]) -> list[Message]:
    out = []
    for i, t in enumerate(turns):
        role, text = t[0], t[1]
        conf = t[2] if len(t) > 2 else None  # type: ignore[misc]
        out.append(
            Message(
                role=role, text=text, ts=NOW - timedelta(minutes=len(turns) - i), ref=f"m{i}", confidence=conf
            )
        )  # type: ignore[arg-type]
    return out


def run(*turns: tuple[str, str] | tuple[str, str, float], account: Account = SELF, config=CFG) -> Decision:  # type: ignore[no-untyped-def]
    return evaluate(conv(*turns), account, NOW, config)


def C(text: str) -> tuple[str, str]:
    return ("customer", text)


def AI(text: str, conf: float | None = None) -> tuple[str, str] | tuple[str, str, float]:
    return ("ai", text) if conf is None else ("ai", text, conf)


# ---------------------------------------------------------------- routine, and the decision's shape


def test_a_routine_question_does_not_escalate_but_gets_a_category() -> None:
    d = run(C("How do I reset my password?"))
    assert not d.escalate and d.urgency is None and d.triggers == ()
    assert d.category == "account"


def test_category_is_always_one_of_the_known_ones() -> None:
    for text in ["hello", "", "🙂🙂", "x" * 50_000]:
        assert run(C(text)).category in CATEGORIES


def test_human_request_fires_immediately_with_evidence() -> None:
    d = run(
        C("My invoice is wrong"),
        AI("Here is how to read it"),
        C("This isn't helping. I want to talk to a real person"),
    )
    assert d.escalate and d.urgency == "immediate"
    assert d.trigger_ids[0] == "human_request"
    top = d.triggers[0]
    assert top.reason == "Customer asked for a human"
    assert top.evidence[0].quote == "I want to talk to a real person"
    assert top.evidence[0].message_ref == "m2"
    assert "not_helping" in d.trigger_ids
    assert d.category == "billing"  # the human request has no category: the conversation's is used


def test_indirect_question_and_negation_do_not_escalate() -> None:
    assert not run(C("could you ask an agent how I change my address?")).escalate
    assert not run(C("I don't need a human, just the tracking link please")).escalate


@pytest.mark.parametrize(
    ("text", "trigger", "category", "urgency"),
    [
        ("I'm going to sue you over this", "legal", "legal", "immediate"),
        ("My attorney will be in touch", "legal", "legal", "immediate"),
        ("Under GDPR, delete my data now", "privacy", "privacy", "queued"),
        ("please erase my data from your systems", "privacy", "privacy", "queued"),
        ("You charged me twice this month", "billing_dispute", "billing", "queued"),
        ("I will file a chargeback with my bank", "billing_dispute", "billing", "queued"),
        ("I want to cancel my subscription", "cancellation", "cancellation", "queued"),
        ("we are switching to a competitor next month", "cancellation", "cancellation", "queued"),
        ("I think my account was hacked", "security", "security", "immediate"),
        ("is there a data breach? I got a phishing email", "security", "security", "immediate"),
        ("Your API is down for everyone on our team", "outage", "technical", "immediate"),
    ],
)
def test_topic_rules(text: str, trigger: str, category: str, urgency: str) -> None:
    d = run(C(text))
    assert d.escalate, text
    assert trigger in d.trigger_ids
    assert d.category == category
    assert d.urgency == urgency
    fired = next(t for t in d.triggers if t.id == trigger)
    assert fired.evidence[0].quote and fired.evidence[0].message_ref == "m0"


@pytest.mark.parametrize(
    "text",
    [
        "how do I cancel my order?",  # an order, not the subscription
        "I want to cancel my newsletter subscription",  # `unless: newsletter`
        "what is the cancellation fee?",
        "I have an issue with my payment",  # "issue" contains "sue"
        "I don't want to cancel my subscription, just pause it",  # negated wish
        "when will I get my refund?",
    ],
)
def test_topic_rules_do_not_fire_on_routine_wording(text: str) -> None:
    assert not run(C(text)).escalate, run(C(text)).trigger_ids


def test_billing_category_for_refund_and_payment_questions() -> None:
    for text in [
        "I need a refund",
        "can I get my money back?",
        "there is a problem with my payment",
        "i want my reimbursment",
    ]:
        d = run(C(text))
        assert d.category == "billing", text
        assert not d.escalate


def test_not_helping_fires_on_its_own_as_queued() -> None:
    d = run(C("where is my order"), AI("It ships soon"), C("you are not helping at all"))
    assert d.trigger_ids == ["not_helping"] and d.urgency == "queued"


# ---------------------------------------------------------------- repetition and turns


def test_repeated_question_more_than_twice_fires_fuzzily() -> None:
    two = [C("where is my order #123?"), AI("It is on its way"), C("Where is my order 123??")]
    assert "repeated_question" not in run(*two).trigger_ids
    d = run(*two, AI("On its way"), C("wher is my order 123"))
    assert "repeated_question" in d.trigger_ids
    ev = next(t for t in d.triggers if t.id == "repeated_question").evidence[0]
    assert ev.score == 3 and ev.threshold == 3 and ev.detail == "asked 3 times"


def test_repeated_question_enterprise_fires_on_the_second_time() -> None:
    turns = [C("where is my order #123?"), AI("It is on its way"), C("Where is my order 123??")]
    assert "repeated_question" in run(*turns, account=ENT).trigger_ids
    assert "repeated_question" not in run(*turns, account=SELF).trigger_ids


def test_different_questions_are_not_repetition() -> None:
    d = run(
        C("where is my order?"), C("how do I change my address?"), C("what payment methods do you accept?")
    )
    assert "repeated_question" not in d.trigger_ids


def _turns(n: int) -> list[tuple[str, str]]:
    topics = ["the invoice layout", "the export format", "the colour theme", "a keyboard shortcut", "the mobile app",
              "the date format", "a report filter", "the sidebar", "an integration", "the dashboard", "a webhook"]  # fmt: skip
    out: list[tuple[str, str]] = []
    for i in range(n):
        out += [C(f"ok and what about {topics[i]}?"), AI("Here is how.")]
    return out


def test_many_turns_without_resolution_by_segment() -> None:
    assert "no_resolution" not in run(*_turns(9), account=SELF).trigger_ids
    assert "no_resolution" in run(*_turns(10), account=SELF).trigger_ids
    assert "no_resolution" in run(*_turns(6), account=ENT).trigger_ids
    assert "no_resolution" not in run(*_turns(5), account=ENT).trigger_ids


def test_a_resolution_resets_the_turn_count() -> None:
    turns = _turns(5) + [C("thanks, that worked!")] + _turns(5)
    assert "no_resolution" not in run(*turns, account=SELF).trigger_ids


def test_an_agent_reply_answers_what_came_before() -> None:
    d = run(C("I want to talk to a human"), ("agent", "Hi, Alice here, I'm on it"), C("great, thank you"))
    assert not d.escalate


# ---------------------------------------------------------------- sentiment


def test_single_very_negative_message() -> None:
    d = run(C("This is terrible, awful service and I am furious and disgusted"))
    assert "negative_sentiment" in d.trigger_ids
    ev = next(t for t in d.triggers if t.id == "negative_sentiment").evidence[0]
    assert ev.score is not None and ev.threshold is not None and ev.score <= ev.threshold


def test_sentiment_trajectory_worsening_over_turns() -> None:
    turns = [C("Hi, a question about the export"), AI("Sure"), C("the export is not working"), AI("Try again"),
             C("still broken, this is bad")]  # fmt: skip
    d = run(*turns, account=ENT)
    fired = next(t for t in d.triggers if t.id == "negative_sentiment")
    assert any("worsening" in e.detail for e in fired.evidence)
    # self-serve has a larger allowed fall and a lower floor: the same conversation does not escalate
    assert "negative_sentiment" not in run(*turns, account=SELF).trigger_ids


def test_sentiment_window_mean_below_floor() -> None:
    turns = [C("this is bad"), C("still bad, I am unhappy"), C("really disappointed")]
    d = run(*turns, account=ENT)
    fired = next(t for t in d.triggers if t.id == "negative_sentiment")
    assert any(e.detail.startswith("mean compound") for e in fired.evidence)


def test_sentiment_recovers_when_the_window_moves_on() -> None:
    turns = [C("This is terrible, awful, I am furious")] + [C(f"ok thanks, looks good {i}") for i in range(3)]
    assert "negative_sentiment" not in run(*turns).trigger_ids


def test_profanity_by_segment() -> None:
    assert "profanity" not in run(C("where is my damn order")).trigger_ids  # self-serve: 2 messages
    assert "profanity" in run(C("where is my damn order"), C("wtf is going on")).trigger_ids
    assert "profanity" in run(C("where is my damn order"), account=ENT).trigger_ids


def test_shouting() -> None:
    assert "shouting" in run(C("WHY IS MY ACCOUNT LOCKED AGAIN"), account=MID).trigger_ids
    assert "shouting" not in run(C("WHY IS MY ACCOUNT LOCKED AGAIN"), account=SELF).trigger_ids
    assert "shouting" not in run(C("API SSO OK"), account=ENT).trigger_ids  # too short to be shouting


# ---------------------------------------------------------------- AI confidence


def test_one_answer_below_threshold() -> None:
    d = run(C("how do I export?"), AI("Maybe settings?", 0.2))
    fired = next(t for t in d.triggers if t.id == "low_confidence")
    assert fired.evidence[0].score == 0.2 and fired.evidence[0].threshold == 0.3
    assert not run(C("how do I export?"), AI("Settings > Export", 0.9)).escalate


def test_low_answers_in_a_row_by_segment() -> None:
    turns = [C("how do I export?"), AI("Maybe settings?", 0.5), C("where?"), AI("Perhaps the menu", 0.45)]
    assert (
        "low_confidence" in run(*turns, account=ENT).trigger_ids
    )  # enterprise: threshold 0.5... and 2 in a row
    assert "low_confidence" not in run(*turns, account=SELF).trigger_ids  # self-serve: 3 in a row
    broken = [C("q"), AI("a", 0.5), C("q2"), AI("b", 0.95), C("q3"), AI("c", 0.5)]
    assert "low_confidence" not in run(*broken, account=MID).trigger_ids


def test_confidence_only_counts_on_ai_messages() -> None:
    msg = Message(role="customer", text="hello", ts=NOW, confidence=0.01)
    assert analyse(msg, CFG).confidence is None


# ---------------------------------------------------------------- business context


def test_business_context_never_escalates_on_its_own() -> None:
    acct = replace(
        ENT,
        at_risk=True,
        created_at=NOW - timedelta(days=3),
        renewal_date=date(2026, 12, 1),
        last_escalated_at=NOW - timedelta(hours=2),
        last_handler="U0ALICE",
    )
    d = run(C("How do I reset my password?"), account=acct)
    assert not d.escalate
    assert d.prefer_agent == "U0ALICE"
    assert any("at risk" in n for n in d.notes)


def test_business_context_rides_along_and_raises_urgency() -> None:
    acct = replace(SELF, renewal_date=date(2026, 12, 1))
    d = run(C("I want to cancel my subscription"), account=acct)
    assert d.escalate and d.urgency == "immediate"  # cancellation is queued; renewal within 14 days raises it
    assert d.trigger_ids == ["cancellation", "renewal_soon"]
    assert "in 7 days" in d.triggers[1].evidence[0].detail
    assert run(C("I want to cancel my subscription")).urgency == "queued"


def test_new_account_lowers_thresholds() -> None:
    turns = [C("where is my damn order")]
    assert not run(*turns, account=MID).escalate
    new = replace(MID, created_at=NOW - timedelta(days=10))
    d = run(*turns, account=new)
    assert d.trigger_ids == ["profanity", "new_account"]
    assert "thresholds of enterprise" in d.notes[0]
    old = replace(MID, created_at=NOW - timedelta(days=31))
    assert not run(*turns, account=old).escalate


def test_high_mrr_promotes_to_the_enterprise_segment() -> None:
    rich = replace(SELF, mrr=25_000.0)
    d = run(C("where is my damn order"), account=rich)
    assert d.escalate and d.urgency == "immediate"
    assert "high_value" in d.trigger_ids
    assert d.notes[0] == "segment: enterprise"


def test_cooling_period_routes_to_the_last_handler_and_lowers_thresholds() -> None:
    recent = replace(SELF, last_escalated_at=NOW - timedelta(hours=47), last_handler="U0BOB")
    d = run(C("where is my damn order"), C("wtf"), account=recent)
    assert d.escalate and d.prefer_agent == "U0BOB"
    assert "cooling_period" in d.trigger_ids
    cool = next(t for t in d.triggers if t.id == "cooling_period")
    assert "U0BOB" in cool.evidence[0].detail
    expired = replace(recent, last_escalated_at=NOW - timedelta(hours=49))
    assert run(C("where is my damn order"), account=expired).prefer_agent == ""
    # the shift: within the cooling window a self-serve account gets mid-market thresholds
    assert "shouting" in run(C("WHY IS MY ACCOUNT LOCKED AGAIN"), account=recent).trigger_ids
    assert not run(C("WHY IS MY ACCOUNT LOCKED AGAIN"), account=expired).escalate


def test_triggers_are_ordered_most_important_first() -> None:
    d = run(
        C("you charged me twice, this is useless, I will sue"),
        C("THIS IS UNACCEPTABLE, GET ME A HUMAN"),
        account=ENT,
    )
    urg = [t.urgency for t in d.triggers if t.family != "business"]
    assert urg == sorted(urg, key=lambda u: u != "immediate")
    assert d.trigger_ids[0] in ("human_request", "legal")
    assert d.triggers[-1].family == "business"


# ---------------------------------------------------------------- determinism, incrementality, analyses


def test_deterministic() -> None:
    turns = conv(C("you charged me twice"), AI("sorry", 0.3), C("I WANT A HUMAN NOW"), C("this is awful"))
    first = evaluate(turns, ENT, NOW, CFG)
    for _ in range(3):
        assert evaluate(turns, ENT, NOW, default_engine_config()) == first
    again = parse_engine_config({})
    assert evaluate(turns, ENT, NOW, again) == first


def test_analysis_round_trips_through_json_and_decide_uses_stored_analyses() -> None:
    import json

    msgs = conv(C("you charged me twice"), AI("sorry", 0.3), C("I want a human"))
    stored = [json.loads(json.dumps(analyse(m, CFG).to_dict())) for m in msgs]
    restored = [MessageAnalysis.from_dict(d) for d in stored]
    assert restored == [analyse(m, CFG) for m in msgs]
    assert decide(list(zip(msgs, restored, strict=True)), SELF, NOW, CFG) == evaluate(msgs, SELF, NOW, CFG)


def test_stale_or_unknown_analyses_are_recomputed() -> None:
    msgs = conv(C("I want a human"))
    other = parse_engine_config({"triggers": {"legal": {"enabled": False}}})
    stale = analyse(msgs[0], other)
    assert stale.config != CFG.fingerprint
    assert decide([(msgs[0], stale)], SELF, NOW, CFG).escalate
    unknown = MessageAnalysis.from_dict({"v": 999, "ref": "m0", "role": "customer"})
    assert decide([(msgs[0], unknown)], SELF, NOW, CFG).escalate


def test_naive_now_is_taken_as_utc() -> None:
    msgs = conv(C("I want a human"))
    assert evaluate(msgs, SELF, NOW.replace(tzinfo=None), CFG) == evaluate(msgs, SELF, NOW, CFG)


def test_hostile_input_is_bounded() -> None:
    huge = "blah " * 20_000 + " I want to talk to a human"
    d = run(C(huge))
    assert d.escalate and len(d.triggers[0].evidence[0].quote) <= 200
    assert not run(C("<!channel> <@U123> *bold* `code` \u202e")).escalate


# ---------------------------------------------------------------- policy overrides change behaviour


def test_user_policy_can_switch_off_and_tune_and_add_rules() -> None:
    cfg = parse_engine_config(
        {
            "triggers": {
                "legal": {"enabled": False},
                "profanity": {"params": {"messages": 1}},
                "vip_words": {"family": "contextual", "phrases": ["escalation manager"], "regex": [r"\bSEV-?[12]\b"],
                              "urgency": "immediate", "category": "technical", "reason": "Customer used an incident word"},
            }
        }
    )  # fmt: skip
    assert not run(C("I will sue you"), config=cfg).escalate
    assert run(C("where is my damn order"), config=cfg).escalate
    d = run(C("we have a sev1 in production"), config=cfg)
    assert d.trigger_ids == ["vip_words"] and d.category == "technical" and d.urgency == "immediate"
    assert d.triggers[0].evidence[0].quote.lower().startswith("we have a sev1")
    d = run(C("get me your escalation manager"), config=cfg)
    assert "vip_words" in d.trigger_ids


def test_segments_list_limits_a_trigger() -> None:
    cfg = parse_engine_config({"triggers": {"not_helping": {"segments": ["enterprise"]}}})
    assert "not_helping" in run(C("this is useless"), account=ENT, config=cfg).trigger_ids
    assert "not_helping" not in run(C("this is useless"), account=SELF, config=cfg).trigger_ids
