"""Shared helpers for the benchmarks: the machine, percentiles, tables, and a scratch database.

Benchmarks print numbers; nothing here passes or fails on timing.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> dict[str, Any]:
    """What the numbers were measured on (they mean little without it)."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": load_average(),
    }


def load_average() -> str:
    """The 1/5/15-minute load averages now (on a shared machine, what the figures competed with)."""
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine_line(info: dict[str, Any] | None = None) -> str:
    m = info or machine()
    load = f" · load average {m['load']}" if m.get("load") else ""
    return f"{m['date']} · {m['cores']} cores ({m['cpu']}) · Python {m['python']} · {m['os']}{load}"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of unsorted values; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> dict[str, float | int]:
    """n, p50, p90, p99, max in milliseconds, from values in seconds."""
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p90_ms": round(percentile(values, 90) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2) if values else float("nan"),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable in a terminal, pasteable into docs/)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class ScratchDatabase:
    """A database for one benchmark run: a temporary SQLite file, or the given PostgreSQL URL.

    A PostgreSQL database is EMPTIED first (DROP SCHEMA public CASCADE): point it at a scratch
    database, never at a real one.
    """

    def __init__(self, url: str = "") -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if url:
            self.url = url
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="baton-bench-")
            self.url = f"sqlite:///{self._tmp.name}/bench.db"

    @property
    def kind(self) -> str:
        return "postgresql" if self.url.startswith("postgres") else "sqlite"

    def reset(self) -> str:
        """Empty the database and return its URL (SQLite: a fresh file)."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import OperationalError

        from storage.db import normalise_url

        if self.kind == "postgresql":
            engine = create_engine(normalise_url(self.url), isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn:
                    conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            except OperationalError as exc:
                name = self.url.rsplit("/", 1)[-1]
                raise SystemExit(
                    f"cannot open the scratch database {self.url}: {exc.orig}\n"
                    f"create it with: psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE {name}'"
                ) from None
            finally:
                engine.dispose()
            return self.url
        assert self._tmp is not None
        path = Path(self._tmp.name) / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return self.url

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> ScratchDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
