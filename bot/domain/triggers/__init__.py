"""The trigger engine: when must a human take over, and why.

    config = parse_engine_config(policy_doc)          # or default_engine_config()
    analysis = analyse(message, config)                # once per message; store analysis.to_dict()
    decision = decide([(msg, analysis), ...], account, now, config)
    decision = evaluate(messages, account, now, config)  # analyse + decide in one call

Pure: no I/O (the built-in defaults are bot/policies/triggers.yaml, mirrored as plain data in
defaults.py), `now` is an argument.
"""

from bot.domain.triggers.analysis import Hit, MessageAnalysis
from bot.domain.triggers.config import (
    SEGMENT_ORDER,
    EngineConfig,
    SegmentSpec,
    TriggerSpec,
    default_document,
    default_engine_config,
    parse_engine_config,
)
from bot.domain.triggers.engine import analyse, decide, evaluate

__all__ = [
    "SEGMENT_ORDER",
    "EngineConfig",
    "Hit",
    "MessageAnalysis",
    "SegmentSpec",
    "TriggerSpec",
    "analyse",
    "decide",
    "default_document",
    "default_engine_config",
    "evaluate",
    "parse_engine_config",
]
