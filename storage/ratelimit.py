"""Fixed-window request counters in the database, so every gunicorn worker and every instance shares
one count per caller: one upsert per request (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.models import RateWindow


def hit(session: Session, caller: str, window_start: datetime, cost: int = 1) -> int:
    """Count `cost` requests of `caller` in the window starting at `window_start`; the window's new total."""
    bucket = f"{caller}:{int(window_start.timestamp())}"[:200]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(RateWindow).values(bucket=bucket, count=cost, window_start=window_start)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateWindow.__table__.c.bucket],  # type: ignore[attr-defined]
        set_={"count": RateWindow.__table__.c["count"] + cost},  # type: ignore[attr-defined]
    ).returning(RateWindow.__table__.c["count"])  # type: ignore[attr-defined]
    return int(session.execute(stmt).scalar_one())


def prune(session: Session, before: datetime) -> int:
    """Forget windows that ended long ago."""
    result = session.execute(delete(RateWindow).where(col(RateWindow.window_start) < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
