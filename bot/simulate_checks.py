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
    assigned_to: str


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


def _assigned_to(want: Any, recs: Sequence[Record]) -> tuple[bool, Any]:
    """The member balanced assignment picked (routing, bot/flows/offer.py), claimed in time or not."""
    if not recs:
        return False, None
    return recs[0].assigned_to == want, recs[0].assigned_to or None


def _offered_to(want: Any, recs: Sequence[Record]) -> tuple[bool, Any]:
    """Exactly who got the first offer (the account owner, the previous handler); [] for nobody."""
    if not recs:
        return False, None
    offered = [o["user"] for e in recs[0].timeline if e.kind == "offered" for o in e.detail.get("offered", [])]
    wanted = want if isinstance(want, list) else [want]
    return sorted(set(offered)) == sorted(set(wanted)), offered


CHECKS: Mapping[str, Check] = {
    "team": _team,
    "customer_told_resolved": _customer_told_resolved,
    "cards": _cards,
    "assigned_to": _assigned_to,
    "offered_to": _offered_to,
}
# Keys whose `false` (or 0) holds for a conversation that never escalated.
HOLD_WITHOUT_ESCALATION = {"paged": False, "page_resolved": False, "customer_notified": False}
