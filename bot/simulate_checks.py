"""Expectations of `baton simulate` about what agents did on the card: a small registry, one function per
key, each reading the conversation's escalation records (bot/simulate.py) and answering (holds?, actual).

A conversation that never escalated holds `cards: 0` and `customer_told_resolved: false`, like
`paged: false` (nothing was paged, nothing was told).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol


class Record(Protocol):
    team: str
    timeline: list[Any]


Check = Callable[[Any, Sequence[Record]], tuple[bool, Any]]


def _kinds(rec: Record) -> list[str]:
    return [str(e.kind) for e in rec.timeline]


def _team(want: Any, recs: Sequence[Record]) -> tuple[bool, Any]:
    """The team the (first) escalation ended with, after any hand-offs."""
    if not recs:
        return False, None
    return recs[0].team == want, recs[0].team or None


def _customer_told_resolved(want: Any, recs: Sequence[Record]) -> tuple[bool, Any]:
    told = bool(recs) and "customer_told_resolved" in _kinds(recs[0])
    return told == want, told


def _cards(want: Any, recs: Sequence[Record]) -> tuple[bool, Any]:
    """Cards the conversation produced: every escalation's card, and the new team's after a hand-off."""
    count = sum(_kinds(r).count("card_posted") for r in recs)
    return count == want, count


CHECKS: Mapping[str, Check] = {
    "team": _team,
    "customer_told_resolved": _customer_told_resolved,
    "cards": _cards,
}
# Keys whose `false` (or 0) holds for a conversation that never escalated.
HOLD_WITHOUT_ESCALATION = {"paged": False, "page_resolved": False, "customer_notified": False}
