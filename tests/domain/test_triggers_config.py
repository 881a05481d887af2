"""Policy sections `triggers:` and `segments:`: defaults, per-id overrides, and every validation error."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.domain.errors import PolicyError
from bot.domain.triggers import default_document, default_engine_config, parse_engine_config
from bot.domain.triggers.config import SEGMENT_ORDER


def test_defaults_file_has_exactly_the_two_sections_and_parses() -> None:
    doc = default_document()
    assert set(doc) == {"triggers", "segments"}
    cfg = default_engine_config()
    ids = [t.id for t in cfg.triggers]
    for needed in ["human_request", "repeated_question", "no_resolution", "not_helping", "legal", "privacy",
                   "billing_dispute", "cancellation", "security", "outage", "negative_sentiment", "profanity",
                   "shouting", "low_confidence", "high_value", "new_account", "renewal_soon", "at_risk", "cooling_period"]:  # fmt: skip
        assert needed in ids
    assert {s.name for s in cfg.segments} == set(SEGMENT_ORDER)


def test_missing_sections_give_the_defaults() -> None:
    assert parse_engine_config({}) is default_engine_config()
    assert parse_engine_config({"teams": {}}).fingerprint == default_engine_config().fingerprint


def test_per_id_override_keeps_the_rest() -> None:
    cfg = parse_engine_config({"triggers": {"negative_sentiment": {"params": {"window": 5}}}})
    t = cfg.trigger("negative_sentiment")
    assert t.param("window", "enterprise") == 5
    assert t.param("floor", "self-serve") == -0.55  # untouched default
    assert t.urgency.get("enterprise") == "queued"
    assert cfg.fingerprint != default_engine_config().fingerprint
    assert len(cfg.triggers) == len(default_engine_config().triggers)


def test_per_segment_values_and_default_key() -> None:
    cfg = parse_engine_config(
        {
            "triggers": {
                "no_resolution": {
                    "params": {"turns": {"enterprise": 2, "default": 6}},
                    "urgency": {"enterprise": "immediate", "default": "queued"},
                }
            }
        }
    )
    t = cfg.trigger("no_resolution")
    assert [t.param("turns", s) for s in SEGMENT_ORDER] == [6, 6, 2]
    assert t.urgency.get("enterprise") == "immediate" and t.urgency.get("self-serve") == "queued"


def test_disabled_trigger_is_kept_but_off() -> None:
    cfg = parse_engine_config({"triggers": {"legal": {"enabled": False}}})
    assert cfg.trigger("legal").enabled is False


def test_segments_override() -> None:
    cfg = parse_engine_config({"segments": {"enterprise": {"min_mrr": 500}}})
    assert cfg.segment_of("self-serve", 600.0) == "enterprise"
    assert cfg.segment_of("self-serve", None) == "self-serve"
    assert cfg.segment_of("mid-market", 10.0) == "mid-market"


def test_the_documented_example_policy_parses() -> None:
    """The complete example in docs/policy-triggers.md must stay valid."""
    from pathlib import Path

    doc_path = Path(__file__).resolve().parents[2] / "docs" / "policy-triggers.md"
    if not doc_path.exists():
        pytest.skip("docs not present")
    text = doc_path.read_text(encoding="utf-8")
    start = text.index("```yaml\n") + len("```yaml\n")
    example = yaml.safe_load(text[start : text.index("```", start)])
    cfg = parse_engine_config(example)
    assert cfg.trigger("legal").enabled


BAD: list[tuple[Any, tuple[Any, ...], str]] = [
    ({"triggers": []}, ("triggers",), "must be a mapping"),
    ({"triggers": {"legal": None}}, ("triggers", "legal"), "is empty"),
    ({"triggers": {"legal": {"urgent": "yes"}}}, ("triggers", "legal", "urgent"), "unknown key 'urgent'"),
    (
        {"triggers": {"legal": {"urgency": "asap"}}},
        ("triggers", "legal", "urgency"),
        "unknown urgency 'asap'",
    ),
    (
        {"triggers": {"legal": {"urgency": {"enterprise": "immediate"}}}},
        ("triggers", "legal", "urgency"),
        "no urgency for segment",
    ),
    (
        {"triggers": {"legal": {"category": "law"}}},
        ("triggers", "legal", "category"),
        "unknown category 'law'",
    ),
    (
        {"triggers": {"legal": {"segments": ["smb"]}}},
        ("triggers", "legal", "segments", 0),
        "unknown segment 'smb'",
    ),
    ({"triggers": {"legal": {"segments": 3}}}, ("triggers", "legal", "segments"), "must be a list"),
    ({"triggers": {"legal": {"enabled": "no"}}}, ("triggers", "legal", "enabled"), "true or false"),
    ({"triggers": {"legal": {"reason": ""}}}, ("triggers", "legal", "reason"), "non-empty text"),
    ({"triggers": {"legal": {"reason": "x" * 151}}}, ("triggers", "legal", "reason"), "151 characters"),
    (
        {"triggers": {"legal": {"regex": ["(unclosed"]}}},
        ("triggers", "legal", "regex", 0),
        "bad regular expression '(unclosed': missing ), unterminated subpattern at position 0",
    ),
    ({"triggers": {"legal": {"phrases": ["ok", 5]}}}, ("triggers", "legal", "phrases", 1), "non-empty text"),
    ({"triggers": {"legal": {"phrases": ["!!!"]}}}, ("triggers", "legal", "phrases", 0), "has no words"),
    (
        {"triggers": {"legal": {"phrases": [], "regex": []}}},
        ("triggers", "legal"),
        "neither `phrases` nor `regex`",
    ),
    (
        {"triggers": {"legal": {"detector": "magic"}}},
        ("triggers", "legal", "detector"),
        "unknown detector 'magic'",
    ),
    ({"triggers": {"legal": {"family": "vibes"}}}, ("triggers", "legal", "family"), "unknown family 'vibes'"),
    (
        {"triggers": {"at_risk": {"family": "contextual"}}},
        ("triggers", "at_risk", "family"),
        "does not belong",
    ),
    (
        {"triggers": {"human_request": {"phrases": ["x"]}}},
        ("triggers", "human_request", "phrases"),
        "takes no `phrases`",
    ),
    (
        {"triggers": {"no_resolution": {"params": {"turns": 0}}}},
        ("triggers", "no_resolution", "params", "turns"),
        "0 is out of range",
    ),
    (
        {"triggers": {"no_resolution": {"params": {"turns": 2.5}}}},
        ("triggers", "no_resolution", "params", "turns"),
        "whole number",
    ),
    (
        {"triggers": {"no_resolution": {"params": {"turns": "five"}}}},
        ("triggers", "no_resolution", "params", "turns"),
        "must be a whole number, got text",
    ),
    (
        {"triggers": {"no_resolution": {"params": {"turns": True}}}},
        ("triggers", "no_resolution", "params", "turns"),
        "whole number",
    ),
    (
        {"triggers": {"no_resolution": {"params": {"tries": 3}}}},
        ("triggers", "no_resolution", "params", "tries"),
        "unknown key 'tries'",
    ),
    (
        {"triggers": {"no_resolution": {"params": {"turns": {"enterprise": 3}}}}},
        ("triggers", "no_resolution", "params", "turns"),
        "no value for segment",
    ),
    (
        {"triggers": {"no_resolution": {"params": {"turns": {"smb": 3, "default": 4}}}}},
        ("triggers", "no_resolution", "params", "turns", "smb"),
        "unknown key 'smb'",
    ),
    (
        {"triggers": {"shouting": {"params": {"ratio": {"enterprise": 0.6, "default": 0.9}}}}},
        ("triggers", "shouting", "params", "ratio"),
        "cannot differ by segment",
    ),
    (
        {"triggers": {"low_confidence": {"params": {"threshold": 1.5}}}},
        ("triggers", "low_confidence", "params", "threshold"),
        "1.5 is out of range",
    ),
    (
        {"triggers": {"negative_sentiment": {"params": {"floor": float("nan")}}}},
        ("triggers", "negative_sentiment", "params", "floor"),
        "NaN",
    ),
    ({"triggers": {"Bad Id": {"phrases": ["x"]}}}, ("triggers", "Bad Id"), "bad trigger id"),
    (
        {"triggers": {"mine": {"phrases": ["x"], "escalate": False}}},
        ("triggers", "mine", "category"),
        "needs one",
    ),
    (
        {"triggers": {"mine": {"detector": "sentiment"}}},
        ("triggers", "mine", "params", "window"),
        "missing parameter 'window'",
    ),
    ({"segments": {"smb": {}}}, ("segments", "smb"), "unknown segment 'smb'"),
    ({"segments": {"enterprise": {"min_mrr": -1}}}, ("segments", "enterprise", "min_mrr"), "out of range"),
    (
        {"segments": {"enterprise": {"tiers": ["x"]}}},
        ("segments", "enterprise", "tiers"),
        "unknown key 'tiers'",
    ),
    ({"segments": {"enterprise": 5}}, ("segments", "enterprise"), "must be a mapping"),
    ([], (), "must be a mapping"),
]


@pytest.mark.parametrize(("doc", "path", "message"), BAD)
def test_validation_errors_name_the_path_and_what_is_allowed(
    doc: Any, path: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(PolicyError) as info:
        parse_engine_config(doc)
    err = info.value
    assert err.path == path
    assert message in err.message, err.describe()


@pytest.mark.parametrize(
    ("doc", "hint"),
    [
        ({"triggers": {"legal": {"urgency": "asap"}}}, "immediate | queued"),
        ({"triggers": {"legal": {"category": "law"}}}, "billing"),
        ({"triggers": {"no_resolution": {"params": {"turns": 0}}}}, "from 1 to 1000"),
        ({"triggers": {"legal": {"urgent": 1}}}, "allowed: family"),
    ],
)
def test_errors_say_what_is_allowed(doc: Any, hint: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_engine_config(doc)
    assert hint in info.value.hint


def test_python_defaults_match_the_yaml_file() -> None:
    """bot/domain/triggers/defaults.py is generated from bot/policies/triggers.yaml (the pure core has no YAML parser)."""
    from importlib import resources

    from bot.domain.triggers.defaults import DEFAULTS

    doc = yaml.safe_load(
        resources.files("bot.policies").joinpath("triggers.yaml").read_text(encoding="utf-8")
    )
    assert set(doc) == {"triggers", "segments"}
    regenerate = (
        "python3 -c \"import yaml,pprint; d=yaml.safe_load(open('bot/policies/triggers.yaml')); "
        'print(pprint.pformat(d, width=108, sort_dicts=False))"  # paste as DEFAULTS, then ruff format'
    )
    assert doc == DEFAULTS, f"bot/domain/triggers/defaults.py is out of date; regenerate with: {regenerate}"
    assert list(doc["triggers"]) == list(DEFAULTS["triggers"])  # the order is the matrix's priority order
