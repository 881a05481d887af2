"""The report's chart: escalations per day (bars) with the pickup p90 (line), as a PNG.

matplotlib with the Agg backend: no display, no fonts to download; one figure per call, closed after.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (the backend is chosen first)


def escalations_chart(per_day: Sequence[tuple[str, int, float | None]], *, title: str) -> bytes:
    """PNG bytes. `per_day` is (YYYY-MM-DD, escalations, pickup p90 in seconds or None)."""
    fig = Figure(figsize=(8, 3.2), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    days = [d[5:] for d, _, _ in per_day]
    counts = [n for _, n, _ in per_day]
    x = list(range(len(days)))
    ax.bar(x, counts, color="#4a90d9", label="escalations")
    ax.set_ylabel("escalations per day")
    step = max(1, len(days) // 10)
    ax.set_xticks(x[::step], days[::step], fontsize=7)
    ax.set_title(title, fontsize=10)
    p90 = [(i, v / 60) for i, (_, _, v) in enumerate(per_day) if v is not None]
    if p90:
        ax2 = ax.twinx()
        ax2.plot([i for i, _ in p90], [v for _, v in p90], color="#d9534f", marker="o", ms=3, label="pickup p90")
        ax2.set_ylabel("pickup p90 (minutes)")
        ax2.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
