"""The engine with a (fake) judgment model: label triggers, the trend and conversation-level
detectors that read the model, combining with the rules, and the policy keys for labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.errors import PolicyError
from bot.domain.model import Account, Decision, Message
from bot.domain.triggers import MessageAnalysis, analyse, decide, parse_engine_config
from bot.domain.triggers.config import EngineConfig
from tests.domain.fake_classifier import FakeClassifier

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SELF = Account(id="acme", tier="self-serve")
ENT = Account(id="acme", tier="enterprise", mrr=80_000)


# The built-in label triggers (on by default) with fixed thresholds, so these tests do not move when
# the shipped defaults are re-measured.
MODEL_TRIGGERS = [
    t.id
    for t in parse_engine_config({}).triggers
    if t.detector in {"model", "frustration_trend", "context_problem"}
]


def cfg(doc: dict[str, Any] | None = None, version: str = "fake-1") -> EngineConfig:
    # fixed thresholds, so the tests do not move when the shipped defaults are re-measured
    triggers: dict[str, Any] = {tid: {"enabled": True} for tid in MODEL_TRIGGERS}
    for tid in MODEL_TRIGGERS:
        if tid.startswith("model_"):
            triggers[tid]["params"] = {"threshold": 0.8 if tid == "model_frustration" else 0.5}
    for tid, body in ((doc or {}).get("triggers") or {}).items():
        triggers[tid] = {**triggers.get(tid, {}), **body}
    return parse_engine_config({"triggers": triggers}, classifier=FakeClassifier(version))


CFG = cfg()


def run(*turns: tuple[str, str], account: Account = SELF, config: EngineConfig = CFG) -> Decision:
    msgs = [
        Message(role=role, text=text, ts=NOW - timedelta(minutes=len(turns) - i), ref=f"m{i}")  # type: ignore[arg-type]
        for i, (role, text) in enumerate(turns)
    ]
    return decide([(m, analyse(m, config)) for m in msgs], account, NOW, config)


def C(text: str) -> tuple[str, str]:
    return ("customer", text)


def AI(text: str) -> tuple[str, str]:
    return ("ai", text)


def trigger(d: Decision, tid: str) -> Any:
    return next(t for t in d.triggers if t.id == tid)


# ---------------------------------------------------------------- labels


def test_a_label_above_its_threshold_fires_with_the_sentence_probability_and_threshold() -> None:
    d = run(C("Hello, I have a question. Is a real human reading this?"))
    assert d.escalate and d.urgency == "immediate"
    t = trigger(d, "model_human_request")
    ev = t.evidence[0]
    assert ev.quote == "Is a real human reading this?"
    assert ev.score == pytest.approx(0.97) and ev.threshold == 0.5
    assert ev.message_ref == "m0" and "human_request 0.97" in ev.detail
    assert d.language == "en" and d.model_version == "fake-1"


def test_a_label_below_its_threshold_does_not_fire() -> None:
    d = run(C("I would like a person to look at it eventually"))  # human_request 0.4
    assert "model_human_request" not in d.trigger_ids


def test_thresholds_per_segment_and_labels_can_be_switched_off() -> None:
    low = cfg(
        {"triggers": {"model_human_request": {"params": {"threshold": {"self-serve": 0.3, "default": 0.5}}}}}
    )
    assert "model_human_request" in run(C("I would like a person"), config=low).trigger_ids
    assert "model_human_request" not in run(C("I would like a person"), account=ENT, config=low).trigger_ids
    off = cfg({"triggers": {"model_human_request": {"enabled": False}}})
    assert "model_human_request" not in run(C("is a real human reading this?"), config=off).trigger_ids


def test_without_a_classifier_model_triggers_never_fire_and_rules_still_do() -> None:
    rules = parse_engine_config({})
    d = run(C("is a real human reading this?"), config=rules)
    assert "model_human_request" not in d.trigger_ids and d.model_version == ""
    d = run(C("I want to talk to a human"), config=rules)
    assert d.trigger_ids[0] == "human_request"


def test_rules_and_model_combine_either_fires() -> None:
    d = run(C("I want to talk to a human"))  # the rule only (the fake has no cue for it)
    assert "human_request" in d.trigger_ids and "model_human_request" not in d.trigger_ids
    d = run(C("¿me pasan con alguien de su equipo?"))  # the model only
    assert d.trigger_ids == ["model_human_request"] and d.language == "es"
    d = run(C("Is a real human reading this? I want to talk to a human"))  # both
    assert {"human_request", "model_human_request"} <= set(d.trigger_ids)


def test_safety_is_immediate_in_every_segment_leads_and_has_its_own_category() -> None:
    for account in (SELF, ENT):
        d = run(C("you charged us twice and honestly I can't go on like this"), account=account)
        assert d.urgency == "immediate" and d.category == "safety"
        assert d.triggers[0].id == "model_safety"
        assert "model_billing_dispute" in d.trigger_ids


def test_the_model_version_is_part_of_the_fingerprint_and_stale_analyses_are_redone() -> None:
    a, b = cfg(version="v1"), cfg(version="v2")
    assert a.policy_fingerprint == b.policy_fingerprint
    assert a.fingerprint != b.fingerprint != parse_engine_config({}).fingerprint
    msg = Message(role="customer", text="is a real human reading this?", ts=NOW, ref="m0")
    old = analyse(msg, parse_engine_config({}))  # stored before the model was installed
    d = decide([(msg, old)], SELF, NOW, b)
    assert "model_human_request" in d.trigger_ids and d.model_version == "v2"


def test_model_fields_round_trip_through_json() -> None:
    msg = Message(role="customer", text="¿me pasan con alguien? la factura", ts=NOW, ref="m0")
    an = analyse(msg, CFG)
    back = MessageAnalysis.from_dict(an.to_dict())
    assert back == an
    assert back.language == "es" and back.model == "fake-1" and back.score("human_request") == 0.93
    assert back.sentence("human_request").startswith("¿me pasan")


def test_ai_messages_are_not_classified() -> None:
    clf = FakeClassifier()
    config = parse_engine_config({}, classifier=clf)
    analyse(Message(role="ai", text="is a real human reading this?", ts=NOW), config)
    assert clf.calls == 0


# ---------------------------------------------------------------- conversation-level


def test_frustration_building_over_turns_fires_though_no_turn_alone_does() -> None:
    d = run(
        C("hmm, it stopped"), AI("try this"), C("that is annoying"), AI("and this"), C("this is ridiculous")
    )
    t = trigger(d, "frustration_building")
    assert "model_frustration" not in d.trigger_ids
    assert "frustration" in t.evidence[0].detail and t.evidence[0].quote == "this is ridiculous"


def test_mild_frustration_that_does_not_build_does_not_fire() -> None:
    d = run(C("hmm ok"), AI("try this"), C("hmm, how do I do that"), AI("like so"), C("hmm right"))
    assert "frustration_building" not in d.trigger_ids and not d.escalate


def test_failed_attempts_count_the_customer_saying_the_answer_did_not_help() -> None:
    d = run(
        C("my export is failing"),
        AI("clear the cache"),
        C("still not working"),
        AI("try another browser"),
        C("ya lo probé, sigue igual"),
    )
    t = trigger(d, "failed_attempts")
    assert t.evidence[-1].score == 2 and t.evidence[-1].threshold == 2


def test_a_problem_stated_before_any_answer_is_not_a_failed_attempt() -> None:
    d = run(C("my export is still not working"), C("it did not work yesterday either"), AI("let me look"))
    assert "failed_attempts" not in d.trigger_ids
    d = run(C("my export fails"), AI("clear the cache"), C("still not working"))  # one, self-serve needs 2
    assert "failed_attempts" not in d.trigger_ids
    assert (
        "failed_attempts"
        in run(C("my export fails"), AI("clear the cache"), C("still not working"), account=ENT).trigger_ids
    )


def test_repeated_question_by_meaning() -> None:
    turns = (
        C("how can I export my invoices"),
        AI("Go to Billing."),
        C("where do I download the bills"),
        AI("Billing > History."),
        C("get receipt please"),
    )
    t = trigger(run(*turns), "repeated_question")
    assert t.evidence[0].detail == "asked 3 times (the same in other words)"
    different = (
        C("how can I export my invoices"),
        AI("x"),
        C("how do I reset my password"),
        AI("y"),
        C("what's the weather"),
    )
    assert "repeated_question" not in run(*different).trigger_ids


def test_business_context_tips_a_mild_real_problem_into_a_queued_escalation() -> None:
    d = run(C("our admins are locked out"), account=ENT)  # security_incident 0.35: under the label's 0.5
    assert d.escalate and d.urgency == "queued"
    t = trigger(d, "context_problem")
    assert "security_incident 0.35" in t.evidence[0].detail and "tier enterprise" in t.evidence[0].detail
    assert not run(C("our admins are locked out"), account=SELF).escalate


def test_routine_text_with_business_context_does_not_escalate() -> None:
    assert not run(C("how do I add a user?"), account=ENT).escalate


# ---------------------------------------------------------------- policy keys


@pytest.mark.parametrize(
    ("body", "path", "message", "hint"),
    [
        ({"detector": "model"}, ("triggers", "mine"), "needs a `label`", "allowed: human_request"),
        (
            {"detector": "model", "label": "saftey"},
            ("triggers", "mine", "label"),
            "unknown label 'saftey'",
            "did you mean 'safety'",
        ),
        (
            {"detector": "shouting", "label": "safety"},
            ("triggers", "mine", "label"),
            "takes no `label`",
            "detector: model",
        ),
        (
            {"detector": "model", "label": "safety", "params": {"threshold": 1.5}},
            ("triggers", "mine", "params", "threshold"),
            "out of range",
            "from 0.1 to 1",
        ),
    ],
)
def test_label_keys_are_validated(
    body: dict[str, Any], path: tuple[str, ...], message: str, hint: str
) -> None:
    body = {"params": {"threshold": 0.5}, **body} if body["detector"] == "model" else {**body}
    with pytest.raises(PolicyError) as info:
        parse_engine_config({"triggers": {"mine": body}})
    assert info.value.path == path
    assert message in info.value.message and hint in info.value.hint


def test_a_team_can_add_its_own_label_trigger() -> None:
    config = cfg(
        {
            "triggers": {
                "vip_lawyer": {
                    "detector": "model",
                    "label": "legal_threat",
                    "urgency": "queued",
                    "category": "legal",
                    "params": {"threshold": 0.7},
                    "segments": ["enterprise"],
                }
            }
        }
    )
    d = run(C("our lawyer will call"), account=ENT, config=config)
    assert "vip_lawyer" in d.trigger_ids
    assert "vip_lawyer" not in run(C("our lawyer will call"), config=config).trigger_ids


def test_context_problem_needs_more_problem_than_routine() -> None:
    # frustration 0.35 (above the 0.3 threshold) but routine 0.8: a routine question, even from enterprise
    d = run(C("how do I fix this annoying export setting?"), account=ENT)
    assert "context_problem" not in d.trigger_ids


def test_a_label_fires_only_above_the_message_routine_score() -> None:
    """A label at its threshold that the same message scores as more routine does not fire (the model's
    own "nothing to do here" wins); above routine it fires."""
    doc = {"triggers": {"model_legal_threat": {"params": {"threshold": 0.5}}}}
    config = cfg(doc)
    assert "model_legal_threat" in run(C("my lawyer will call you"), config=config).trigger_ids
    # "how do i" scores routine 0.8 in the fake model, the same as "lawyer": not above it
    quiet = run(C("how do i add my lawyer as a guest user"), config=config)
    assert "model_legal_threat" not in quiet.trigger_ids
    doc = {"triggers": {"model_security_incident": {"params": {"threshold": 0.5}}}}
    loud = run(C("someone logged into my account, how do i lock it"), config=cfg(doc))
    assert "model_security_incident" in loud.trigger_ids  # 0.9 > routine 0.8
