"""The report's queries: one period of escalations as plain tuples, and the conversations watched.

One indexed range scan on `escalations.opened_at`, no JSON decoding (the opening trigger is a
column) and no per-value ORM processing: the database turns timestamps into epoch seconds itself,
so rows come from the driver as ready numbers. See bench/report_speed.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlmodel import Session

from storage.types import UTCDateTime

_EPOCH = {
    # SQLite keeps naive UTC text: julianday() reads it (2440587.5 is the Julian day of 1970-01-01);
    # rounded to the millisecond, the precision a Julian-day double keeps.
    "sqlite": "round((julianday({c}) - 2440587.5) * 86400.0, 3)",
    "postgresql": "CAST(extract(epoch FROM {c}) AS double precision)",
}
_TIME_COLUMNS = ("opened_at", "first_customer_at", "claimed_at", "resolved_at")


def _rows_sql(dialect: str) -> TextClause:
    e = _EPOCH.get(dialect, _EPOCH["postgresql"])
    opened, first, claimed, resolved = (e.format(c=c) for c in _TIME_COLUMNS)
    return text(
        f"SELECT id, {opened}, team, tier, category, language, urgency, primary_trigger, {first},"
        f" {claimed}, {resolved}, needed FROM escalations"
        " WHERE opened_at >= :start AND opened_at < :end ORDER BY opened_at"
    ).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))


_ROWS = {d: _rows_sql(d) for d in _EPOCH}
_WATCHED = text(
    "SELECT count(*) FROM conversations WHERE last_message_at >= :start AND created_at < :end"
).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))


def escalation_rows(session: Session, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """Escalations opened in [start, end), oldest first: (id, opened, team, tier, category, language,
    urgency, trigger, first_customer, claimed, resolved, needed), times in epoch seconds or None."""
    conn = session.connection()
    stmt = _ROWS.get(conn.dialect.name, _ROWS["postgresql"])
    return [tuple(r) for r in conn.execute(stmt, {"start": start, "end": end})]


def conversations_watched(session: Session, start: datetime, end: datetime) -> int:
    """Conversations with a message in [start, end): created before the end, last active after the start."""
    return int(session.connection().execute(_WATCHED, {"start": start, "end": end}).scalar_one())
