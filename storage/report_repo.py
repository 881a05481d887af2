"""The report's queries: counts per fine group and percentiles computed by the database, the few
unclaimed escalations whose SLA depends on the period's end, durations to fill in, and the rows of
the pure-Python reference.

One indexed range scan on `escalations.opened_at` per query. Durations are stored numbers
(`tte_s`, `pickup_s`, `pickup_business_s`, `handle_s`: written when they happen), so no query
converts timestamps per row. PostgreSQL computes the percentiles itself (`percentile_cont` over
GROUPING SETS: the whole period, the breakdown, the triggers and the days in one pass); SQLite has no
percentile function and its sorter is several times slower than sorting the numbers in Python, so
there the query returns the four duration columns (and group keys) and the caller sorts them.
See bench/report_speed.py and docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from storage.models import Escalation
from storage.types import UTCDateTime

_EPOCH = {
    # SQLite keeps naive UTC text: julianday() reads it (2440587.5 is the Julian day of 1970-01-01);
    # rounded to the millisecond, the precision a Julian-day double keeps.
    "sqlite": "round((julianday({c}) - 2440587.5) * 86400.0, 3)",
    "postgresql": "CAST(extract(epoch FROM {c}) AS double precision)",
}
_DAY = {"sqlite": "substr(opened_at, 1, 10)", "postgresql": "to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"}
_TIME_COLUMNS = ("opened_at", "first_customer_at", "claimed_at", "resolved_at")
_RANGE = " FROM escalations WHERE opened_at >= :start AND opened_at < :end"
# The breakdowns' columns (bot.domain.report.Breakdown values): a fixed map, never user text in SQL.
KEY_COLUMNS = {
    "team": "team",
    "segment": "tier",
    "trigger": "primary_trigger",
    "category": "category",
    "language": "language",
}
# Values per metric, NULL when the escalation does not count in it (time to escalation: the first
# customer message came after the opening).
METRIC_SQL = {
    "tte": "CASE WHEN tte_s >= 0 THEN tte_s END",
    "pickup": "CASE WHEN claimed_at IS NOT NULL THEN pickup_s END",
    "pickup_business": "CASE WHEN claimed_at IS NOT NULL THEN pickup_business_s END",
    "handle": "CASE WHEN claimed_at IS NOT NULL AND resolved_at IS NOT NULL THEN handle_s END",
}
_STALE = (
    "(claimed_at IS NOT NULL AND (pickup_s IS NULL OR pickup_business_s IS NULL))"
    " OR (claimed_at IS NULL AND (pickup_s IS NOT NULL OR handle_s IS NOT NULL))"
    " OR (claimed_at IS NOT NULL AND resolved_at IS NOT NULL AND handle_s IS NULL)"
    " OR (first_customer_at IS NOT NULL AND tte_s IS NULL)"
)


REPORT_WORK_MEM = "64MB"  # PostgreSQL: the period's sorts stay in memory (81,765 rows: ~8 MB each)


def prepare(session: Session) -> None:
    """PostgreSQL: memory enough for the report's sorts, for this transaction only."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def _dialect(conn: Connection) -> str:
    return conn.dialect.name if conn.dialect.name in _EPOCH else "postgresql"


def _range(stmt: TextClause) -> TextClause:
    return stmt.bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))


@dataclass(frozen=True)
class SlaSql:
    """The pickup targets as plain data, for a CASE expression: per (team, urgency, segment) seconds
    (segment "": any; the segments' own come first), else per urgency, else `other`; per team whether
    business hours count, else `business`."""

    targets: Sequence[tuple[str, str, str, float]]
    default: Mapping[str, float]
    other: float
    business_teams: Mapping[str, bool]
    business: bool


def _sla_met_sql(sla: SlaSql, params: dict[str, Any]) -> str:
    target = ["CASE"]
    for i, (team, urgency, tier, seconds) in enumerate(sla.targets):
        params.update({f"st{i}": team, f"su{i}": urgency, f"ss{i}": seconds})
        segment = ""
        if tier:
            params[f"sg{i}"] = tier
            segment = f" AND tier = :sg{i}"
        target.append(f" WHEN team = :st{i} AND urgency = :su{i}{segment} THEN :ss{i}")
    for i, (urgency, seconds) in enumerate(sla.default.items()):
        params.update({f"du{i}": urgency, f"ds{i}": seconds})
        target.append(f" WHEN urgency = :du{i} THEN :ds{i}")
    params["other"] = sla.other
    target.append(" ELSE :other END")
    business = ["CASE"]
    for i, (team, flag) in enumerate(sla.business_teams.items()):
        params.update({f"bt{i}": team, f"bf{i}": flag})
        business.append(f" WHEN team = :bt{i} THEN :bf{i}")
    params["bdefault"] = sla.business
    business.append(" ELSE :bdefault END")
    pickup = f"CASE WHEN ({''.join(business)}) THEN pickup_business_s ELSE pickup_s END"
    return f"CASE WHEN claimed_at IS NOT NULL AND {pickup} <= ({''.join(target)}) THEN 1 ELSE 0 END"


def _key(by: str | None) -> str:
    return KEY_COLUMNS[by] if by else "''"


def _groups(dialect: str, by: str | None, detail: bool) -> tuple[str, str]:
    """The (key, trigger, day) select list and the GROUP BY clause. Without `detail` (the period
    before: its totals only) nothing is grouped, so SQLite does not sort."""
    if not detail:
        return "'' AS k, '' AS t, '' AS d", ""
    return f"{_key(by)} AS k, primary_trigger AS t, {_DAY[dialect]} AS d", " GROUP BY 1, 2, 3"


TALLY_FIELDS = (
    "escalations",
    "resolved",
    "answered",
    "needed",
    "claimed",
    "sla_met",
    "csat_sum",
    "csat_n",
    "csat_asked",
    "pickup_breached",
    "next_reply_breached",
    "stale",
)


def tallies(
    session: Session, start: datetime, end: datetime, *, by: str | None, sla: SlaSql, detail: bool = True
) -> list[tuple[Any, ...]]:
    """Counts per (breakdown key, opening trigger, UTC day, segment, high value) — one row of totals
    without `detail`: (key, trigger, day, segment, high value 0/1, *TALLY_FIELDS). `stale` counts
    escalations whose stored durations are missing or out of date (fill_durations). The segment and
    the high-value flag are there for CSAT by segment."""
    conn = session.connection()
    dialect = _dialect(conn)
    params: dict[str, Any] = {"start": start, "end": end}
    met = _sla_met_sql(sla, params)
    keys, group_by = _groups(dialect, by, detail)
    # the period before needs CSAT overall only
    segment = "tier AS s, CASE WHEN high_value THEN 1 ELSE 0 END AS hv" if detail else "'' AS s, 0 AS hv"
    group_by = f"{group_by}, 4, 5" if detail else ""
    stmt = text(
        f"SELECT {keys}, {segment}, count(*), count(resolved_at),"
        " sum(CASE WHEN needed <> '' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN needed IN ('yes', 'partly') THEN 1 ELSE 0 END),"
        f" count(claimed_at), sum({met}), coalesce(sum(csat), 0), count(csat),"
        " sum(CASE WHEN csat_asked_at IS NOT NULL OR csat IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN pickup_breaches > 0 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN next_reply_breaches > 0 AND claimed_at IS NOT NULL THEN 1 ELSE 0 END),"
        f" sum(CASE WHEN {_STALE} THEN 1 ELSE 0 END)"
        f"{_RANGE}{group_by}"
    )
    return [tuple(r) for r in conn.execute(_range(stmt), params) if r[5]]  # (no rows: a total of 0)


def escalated_conversations(
    session: Session, start: datetime, end: datetime, *, by: str | None, detail: bool
) -> list[tuple[str, str, int]]:
    """(level, shown key, distinct conversations with an escalation opened in [start, end)): level
    "all" (key ""), and with `detail` "trigger" and "key" (the breakdown's, with `by`; by trigger the
    "trigger" level is the breakdown's). Keys as the report shows them: "" is "(none)". Read from the
    covering report index (conversation_id is in it, migration 0024)."""
    count = "count(DISTINCT conversation_id)"
    parts = [f"SELECT 'all', '', {count}{_RANGE}"]
    columns = [("trigger", "primary_trigger")] if detail else []
    if detail and by and by != "trigger":
        columns.append(("key", KEY_COLUMNS[by]))
    for level, column in columns:
        shown = f"coalesce(nullif({column}, ''), '(none)')"
        parts.append(f"SELECT '{level}', {shown}, {count}{_RANGE} GROUP BY {shown}")
    stmt = text(" UNION ALL ".join(parts))
    rows = session.connection().execute(_range(stmt), {"start": start, "end": end})
    return [(str(lv), str(k), int(n)) for lv, k, n in rows]


def percentiles(
    session: Session, start: datetime, end: datetime, *, by: str | None, detail: bool
) -> list[tuple[Any, ...]]:
    """PostgreSQL: (level, key, then n and [p50, p90] per metric of METRIC_SQL in that order) for the
    level "all" (key "") and, with `detail`, "trigger" and "key" (the breakdown's, with `by`) in one
    grouped pass, and "day" (the pickup's only: the chart's line) in a second. By trigger there is no
    "key" level: it is the "trigger" level."""
    conn = session.connection()
    # By trigger, the key is the trigger: PostgreSQL would see the same column twice in GROUPING().
    by_key = by and by != "trigger"
    levels = ([("t", "trigger")] + ([("k", "key")] if by_key else [])) if detail else []
    sets = ", ".join(["()"] + [f"({c})" for c, _ in levels])
    level = "CASE" + "".join(f" WHEN GROUPING({c}) = 0 THEN '{name}'" for c, name in levels) + " ELSE 'all' END"
    level = level if levels else "'all'"
    key = "coalesce(" + ", ".join([c for c, _ in levels] + ["''"]) + ")"
    # One sort per metric and group for both quantiles (the array form of percentile_cont).
    cols = ", ".join(f"count({m}), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {m})" for m in METRIC_SQL)
    inner = ", ".join(f"{expr} AS {name}" for name, expr in METRIC_SQL.items())
    stmt = text(
        f"SELECT {level}, {key}, {cols} FROM (SELECT {_key(by)} AS k, primary_trigger AS t,"
        f" {inner}{_RANGE}) AS e GROUP BY GROUPING SETS ({sets})"
    )
    params = {"start": start, "end": end}
    rows: list[tuple[Any, ...]] = [tuple(r) for r in conn.execute(_range(stmt), params)]
    if detail:
        pickup = METRIC_SQL["pickup"]
        per_day = text(
            f"SELECT 'day', {_DAY['postgresql']} AS d, count({pickup}),"
            f" percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {pickup}){_RANGE} GROUP BY d"
        )
        rows += [(lv, d, None, None, n, p, None, None, None, None) for lv, d, n, p in conn.execute(_range(per_day), params)]
    return rows


def duration_columns(
    session: Session, start: datetime, end: datetime, *, by: str | None, detail: bool = True
) -> list[tuple[Any, ...]]:
    """SQLite: (key, trigger, day, tte, pickup, pickup_business, handle) of every escalation of the
    period, each duration NULL when it does not count (METRIC_SQL); without `detail` the four
    durations alone."""
    metrics = ", ".join(METRIC_SQL.values())
    keys = _groups("sqlite", by, detail)[0] + ", " if detail else ""
    sql = f"SELECT {keys}{metrics}{_RANGE.replace(':start', '?').replace(':end', '?')}"
    # Straight from the driver: tens of thousands of plain tuples, no result-row objects.
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cursor = raw.execute(sql, (_sqlite_time(start), _sqlite_time(end)))
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _sqlite_time(at: datetime) -> str:
    """A UTC instant as SQLite stores it (SQLAlchemy's DateTime text: naive UTC, microseconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def unclaimed(
    session: Session, start: datetime, end: datetime, *, by: str | None, detail: bool = True
) -> list[tuple[Any, ...]]:
    """(key, trigger, day, team, urgency, opened epoch, resolved?, segment) of the period's unclaimed
    escalations."""
    conn = session.connection()
    dialect = _dialect(conn)
    keys, _ = _groups(dialect, by, detail)
    stmt = text(
        f"SELECT {keys}, team, urgency,"
        f" {_EPOCH[dialect].format(c='opened_at')}, resolved_at IS NOT NULL, tier{_RANGE} AND claimed_at IS NULL"
    )
    return list(conn.execute(_range(stmt), {"start": start, "end": end}).all())


def stale_rows(session: Session, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """(id, team, opened_at, first_customer_at, claimed_at, resolved_at) of the period's escalations
    whose stored durations are missing or out of date."""
    e = Escalation
    stmt = select(
        e.id, e.team, e.opened_at, e.first_customer_at, e.claimed_at, e.resolved_at  # type: ignore[call-overload]
    ).where(col(e.opened_at) >= start, col(e.opened_at) < end, text(f"({_STALE})"))
    return [tuple(r) for r in session.connection().execute(stmt)]


def set_durations(session: Session, values: Sequence[tuple[int, Any]]) -> None:
    """Store (id, report_tally.Durations) pairs."""
    if not values:
        return
    conn = session.connection()
    conn.execute(
        text(
            "UPDATE escalations SET tte_s = :tte, pickup_s = :pickup, pickup_business_s = :biz,"
            " handle_s = :handle WHERE id = :id"
        ),
        [
            {"id": i, "tte": d.tte_s, "pickup": d.pickup_s, "biz": d.pickup_business_s, "handle": d.handle_s}
            for i, d in values
        ],
    )


def _rows_sql(dialect: str) -> TextClause:
    e = _EPOCH.get(dialect, _EPOCH["postgresql"])
    opened, first, claimed, resolved = (e.format(c=c) for c in _TIME_COLUMNS)
    return _range(
        text(
            f"SELECT id, {opened}, team, tier, category, language, urgency, primary_trigger, {first},"
            f" {claimed}, {resolved}, needed, tte_s, pickup_s, pickup_business_s, handle_s, csat,"
            f" pickup_breaches, next_reply_breaches, conversation_id{_RANGE}"
            " ORDER BY opened_at"
        )
    )


_ROWS = {d: _rows_sql(d) for d in _EPOCH}
_WATCHED = _range(
    text("SELECT count(*) FROM conversations WHERE last_message_at >= :start AND created_at < :end")
)


def escalation_rows(session: Session, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """The reference's rows: escalations opened in [start, end), oldest first: (id, opened, team, tier,
    category, language, urgency, trigger, first_customer, claimed, resolved, needed, tte_s, pickup_s,
    pickup_business_s, handle_s, csat, pickup_breaches, next_reply_breaches, conversation_id), times in
    epoch seconds or None."""
    conn = session.connection()
    stmt = _ROWS[_dialect(conn)]
    return [tuple(r) for r in conn.execute(stmt, {"start": start, "end": end})]


def conversations_watched(session: Session, start: datetime, end: datetime) -> int:
    """Conversations with a message in [start, end): created before the end, last active after the start."""
    return int(session.connection().execute(_WATCHED, {"start": start, "end": end}).scalar_one())
