"""The report's queries: one period of escalations as plain tuples, and the conversations watched.

One indexed range scan on `escalations.opened_at`, no JSON decoding (the opening trigger is a
column), and no per-value ORM processing: the rows come straight from the driver and only the
timestamps are converted (SQLite stores them as naive UTC text). That keeps a month of a
million-escalation database well under a second (bench/report_speed.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from storage.types import UTCDateTime

# id, opened_at, team, tier, category, language, urgency, trigger, first_customer_at, claimed_at,
# resolved_at, needed
_ROWS = text(
    "SELECT id, opened_at, team, tier, category, language, urgency, primary_trigger, first_customer_at,"
    " claimed_at, resolved_at, needed FROM escalations"
    " WHERE opened_at >= :start AND opened_at < :end ORDER BY opened_at"
).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))
_TIMES = (1, 8, 9, 10)

_WATCHED = text(
    "SELECT count(*) FROM conversations WHERE last_message_at >= :start AND created_at < :end"
).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite: naive UTC text
        return datetime.fromisoformat(value + "+00:00")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def escalation_rows(session: Session, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """Escalations opened in [start, end), oldest first, as tuples in the order of the comment above,
    with aware UTC datetimes."""
    out = []
    for raw in session.connection().execute(_ROWS, {"start": start, "end": end}):
        row = list(raw)
        for i in _TIMES:
            row[i] = _utc(row[i])
        out.append(tuple(row))
    return out


def conversations_watched(session: Session, start: datetime, end: datetime) -> int:
    """Conversations with a message in [start, end): created before the end, last active after the start."""
    return int(session.connection().execute(_WATCHED, {"start": start, "end": end}).scalar_one())
