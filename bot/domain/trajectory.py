"""Sentiment as a trajectory over the customer's turns ("−0.1 → −0.5 → −0.8"), not one number. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MAX_POINTS = 6  # turns shown; longer conversations keep the first and the latest ones
STEADY = 0.15  # a change smaller than this, first to last, is steady
MINUS = "\u2212"  # a real minus sign, not a hyphen


@dataclass(frozen=True)
class Trajectory:
    points: tuple[float, ...]  # the customer's turns, oldest first (VADER compound, -1..1)
    skipped: int = 0  # turns left out between the first and the latest shown

    @property
    def trend(self) -> str:
        """worsening | improving | steady (first shown turn to the last)."""
        if len(self.points) < 2:
            return "steady"
        change = self.points[-1] - self.points[0]
        if change <= -STEADY:
            return "worsening"
        if change >= STEADY:
            return "improving"
        return "steady"

    def text(self) -> str:
        """ "−0.1 → −0.5 → −0.8", with "…" where turns were left out."""
        shown = [fmt(p) for p in self.points]
        if self.skipped and len(shown) > 1:
            shown.insert(1, f"… ({self.skipped} more)")
        return " → ".join(shown)


def fmt(score: float) -> str:
    value = round(score, 1)
    if value == 0:
        return "0.0"
    return f"{MINUS if value < 0 else '+'}{abs(value):.1f}"


def trajectory(scores: Sequence[float | None], max_points: int = MAX_POINTS) -> Trajectory | None:
    """The trajectory of the numeric, finite scores (clamped to -1..1), or None when there are none."""
    clean = [
        max(-1.0, min(1.0, float(s)))
        for s in scores
        if isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s)
    ]
    if not clean:
        return None
    keep = max(max_points, 2)
    if len(clean) <= keep:
        return Trajectory(tuple(clean))
    return Trajectory((clean[0], *clean[-(keep - 1) :]), skipped=len(clean) - keep)
