"""An escalation records what decided it: the customer's language, the model and the policy versions;
and the app runs the packaged judgment model beside the rules (through the real app)."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.nlu import load_classifier
from bot.sandbox.world import World
from tests.e2e.helpers import escalations


def test_the_escalation_records_language_model_and_policy_versions(world: World) -> None:
    engine = world.runtime.deps.policy.engine
    assert engine.classifier is not None and engine.model_version == load_classifier().version
    cust = world.customers["initech"]
    world.driver.user_says(
        cust.channel, cust.user, "Hello. I want to talk to a real person about my order, please."
    )
    world.settle()
    [esc] = escalations(world)
    assert esc.language == "en"
    assert esc.model_version == engine.model_version
    assert esc.policy_version == engine.policy_fingerprint and len(esc.policy_version) == 16


def test_a_quoted_request_does_not_escalate(world: World) -> None:
    cust = world.customers["initech"]
    text = 'A user of ours wrote "I want to talk to a human" in a ticket. How do I export that ticket?'
    world.driver.user_says(cust.channel, cust.user, text)
    world.settle()
    assert escalations(world) == []


def test_without_the_model_the_rules_alone_decide(world_factory: Callable[..., World], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BATON_MODEL", "false")
    w = world_factory()
    assert w.runtime.deps.policy.engine.classifier is None
    cust = w.customers["initech"]
    w.driver.user_says(cust.channel, cust.user, "I want to talk to a real person")
    w.settle()
    [esc] = escalations(w)
    assert esc.model_version == "" and esc.language == "und"
