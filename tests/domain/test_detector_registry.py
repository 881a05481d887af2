"""The detector registry: one unit per kind, each defining its parameters, and a policy naming an
unknown detector is an error with the fix (never silently ignored)."""

from __future__ import annotations

import pytest

from bot.domain.errors import PolicyError
from bot.domain.triggers import default_engine_config, parse_engine_config
from bot.domain.triggers.detectors import REGISTRY
from bot.domain.triggers.spec import DetectorKind, Family
from bot.policy import PolicyFileError, load_policy_text


def test_every_kind_has_exactly_one_unit_that_knows_its_kind() -> None:
    assert set(REGISTRY) == set(DetectorKind)
    for kind, unit in REGISTRY.items():
        assert unit.kind is kind
        assert unit.business == (unit.family is Family.BUSINESS)


def test_every_default_trigger_names_a_registered_detector_with_its_params() -> None:
    for spec in default_engine_config().triggers:
        assert spec.detector in REGISTRY
        assert set(spec.params) == set(REGISTRY[spec.detector].params)


def test_unknown_detector_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(PolicyError) as info:
        parse_engine_config({"triggers": {"mine": {"detector": "repeated_questions", "phrases": ["x"]}}})
    err = info.value
    assert err.path == ("triggers", "mine", "detector")
    assert "unknown detector 'repeated_questions'" in err.message
    assert "did you mean 'repeated_question'" in err.hint
    assert "allowed: human_request" in err.hint


def test_unknown_detector_names_the_line_in_the_policy_file() -> None:
    text = "version: 1\nteams:\n  support:\n    channel: C1\ntriggers:\n  mine:\n    detector: frobnicate\n"
    with pytest.raises(PolicyFileError) as info:
        load_policy_text(text, "p.yaml")
    assert str(info.value).startswith("p.yaml:7: triggers.mine.detector: unknown detector 'frobnicate'")
    assert "allowed: human_request" in str(info.value)


def test_a_detector_without_word_lists_rejects_phrases() -> None:
    with pytest.raises(PolicyError) as info:
        parse_engine_config({"triggers": {"shouting": {"phrases": ["loud"]}}})
    assert info.value.path == ("triggers", "shouting", "phrases")
    assert "`phrases`" in info.value.hint and "`profanity`" in info.value.hint


def test_a_business_detector_cannot_be_given_another_family() -> None:
    with pytest.raises(PolicyError) as info:
        parse_engine_config({"triggers": {"at_risk": {"family": "behavioral"}}})
    assert "does not belong to family 'behavioral'" in info.value.message
