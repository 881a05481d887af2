"""How long a 30-day report takes over a large history: N escalations (default 1,000,000) spread
over a year, with the conversations behind them, on SQLite or PostgreSQL.

    python3 bench/report_speed.py [--escalations 1000000] [--days 365] [--database-url URL] [--repeat 3]

Prints the load time (not part of the report), then per run: a bare `SELECT count(*)` over the
period's rows (the floor any report on this database pays), the report as `/escalations report 30d
by team` builds it (counts and percentiles in the database: bot.flows.report.build_report), and —
the reference in the same run — the same report computed in Python from every row (the path before
issue 9's SQL aggregation: build_report_reference). The load average is printed with each run: the
machine is shared, so each time comes with the CPU time this process spent (on SQLite that
includes the database's work; on PostgreSQL the server's is not in it). Nothing passes or fails on
timing.

With `--keep FILE` on a file loaded before migration 0011, the first report fills in the stored
durations of the two periods' escalations (timed separately, once).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import ScratchDatabase, machine_line, table
from sqlalchemy import func, insert, select

from bot.domain.report import Breakdown, BusinessClock, Period
from bot.flows import report as report_flow
from bot.policy import load_policy
from storage.db import make_engine, migrate, session_scope
from storage.models import Conversation, Escalation

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TEAMS = ("support", "billing", "legal")
TIERS = ("enterprise", "mid-market", "self-serve")
TRIGGERS = ("human_request", "billing_dispute", "legal_threat", "frustration", "repeated_question")
CATS = ("general", "billing", "legal", "technical")


def load(url: str, n: int, days: int, batch: int = 20_000) -> float:
    rng = random.Random(7)
    engine = make_engine(url)
    migrate(url)
    targets = report_flow.targets_of(load_policy(None))
    span = ((NOW - timedelta(days=days + 1)).timestamp(), (NOW + timedelta(days=30)).timestamp())
    clocks = {team: BusinessClock(targets.hours(team), *span) for team in TEAMS}
    t0 = time.perf_counter()
    conv_id = 0
    # Escalations are opened in time order, so ids (and table pages) follow opened_at, as in production.
    opened_at = sorted(NOW - timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(n))
    with engine.begin() as conn:
        for start in range(0, n, batch):
            convs, escs = [], []
            for i in range(start, min(n, start + batch)):
                conv_id += 1
                opened = opened_at[i]
                first = opened - timedelta(seconds=rng.expovariate(1 / 300))
                claimed = opened + timedelta(seconds=rng.expovariate(1 / 900)) if rng.random() < 0.93 else None
                resolved = claimed + timedelta(seconds=rng.expovariate(1 / 3600)) if claimed else None
                convs.append(
                    dict(
                        id=conv_id,
                        source="slack",
                        channel=f"C{i % 5000:05d}",
                        thread_ts=f"{i}.000",
                        account_id=f"acct{i % 5000}",
                        created_at=first,
                        last_message_at=(resolved or opened) + timedelta(minutes=5),
                    )
                )
                escs.append(
                    dict(
                        id=i + 1,
                        conversation_id=conv_id,
                        account_id=f"acct{i % 5000}",
                        tier=TIERS[i % 3],
                        high_value=i % 3 == 0 or i % 17 == 0,  # enterprise, or promoted by MRR
                        status="resolved" if resolved else "open",
                        urgency="immediate" if i % 4 == 0 else "queued",
                        category=CATS[i % 4],
                        team=TEAMS[i % 3],
                        triggers=[],
                        chain=[],
                        opened_at=opened,
                        claimed_at=claimed,
                        claimed_by="U1" if claimed else "",
                        resolved_at=resolved,
                        primary_trigger=TRIGGERS[i % 5],
                        first_customer_at=first,
                        needed=("yes", "no", "partly", "")[i % 4] if resolved else "",
                        language="en",
                        # as the flows store them at opening, claim and resolve
                        tte_s=(opened - first).total_seconds(),
                        pickup_s=(claimed - opened).total_seconds() if claimed else None,
                        pickup_business_s=(
                            clocks[TEAMS[i % 3]].seconds(opened.timestamp(), claimed.timestamp()) if claimed else None
                        ),
                        handle_s=(resolved - claimed).total_seconds() if claimed and resolved else None,
                    )
                )
            conn.execute(insert(Conversation), convs)
            conn.execute(insert(Escalation), escs)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def _backend_cpu(engine: object) -> float | None:
    """PostgreSQL on this machine: CPU seconds the (single) server process of `engine` has used so
    far, from /proc (None when that cannot be read, e.g. a remote server)."""
    if not str(getattr(engine, "url", "")).startswith("postgresql"):
        return None
    with session_scope(engine) as s:  # type: ignore[arg-type]
        pid = int(s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, repeat: int) -> list[list[object]]:
    # One connection: on PostgreSQL every query of a run is served by one server process, whose CPU
    # time /proc reports beside ours.
    engine = make_engine(url, pool_size=1)
    policy = load_policy(None)
    period = Period(NOW - timedelta(days=30), NOW, "last 30 days")
    targets = report_flow.targets_of(policy)
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        filled = report_flow.fill_durations(s, period=period, targets=targets)
        filled += report_flow.fill_durations(s, period=period.previous(), targets=targets)
    if filled:
        print(f"filled in the stored durations of {filled:,} escalations in {time.perf_counter() - t0:.1f} s (once)")
    rows: list[list[object]] = []
    for _ in range(repeat):
        load = f"{os.getloadavg()[0]:.1f}"
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            n = s.connection().execute(
                select(func.count()).where(Escalation.opened_at >= period.start, Escalation.opened_at < period.end)  # type: ignore[arg-type]
            ).scalar_one()
        floor = time.perf_counter() - t0
        b0 = _backend_cpu(engine)
        t0, c0 = time.perf_counter(), time.process_time()
        report_flow.build_report(db=engine, policy=policy, period=period, by=Breakdown.TEAM)
        t_sql, c_sql = time.perf_counter() - t0, time.process_time() - c0
        b1 = _backend_cpu(engine)
        server = f" + server {(b1 - b0) * 1000:.0f}" if b0 is not None and b1 is not None else ""
        t0, c0 = time.perf_counter(), time.process_time()
        report_flow.build_report_reference(db=engine, policy=policy, period=period, by=Breakdown.TEAM)
        t_ref, c_ref = time.perf_counter() - t0, time.process_time() - c0
        rows.append(
            [
                n,
                load,
                f"{floor * 1000:.0f}",
                f"{t_sql * 1000:.0f} ({c_sql * 1000:.0f}{server})",
                f"{t_ref * 1000:.0f} ({c_ref * 1000:.0f})",
            ]
        )
    engine.dispose()
    return rows


HEADERS = [
    "in 30 days",
    "load avg (1 min)",
    "count(*) ms (floor)",
    "report ms (CPU ms here) — SQL aggregates",
    "reference ms (CPU ms here) — Python over every row",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--escalations", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="FILE", help="an SQLite file to load once and reuse in later runs")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: keep what --database-url already holds when it has the escalations (else empty and load it)",
    )
    args = ap.parse_args()
    print(machine_line())
    if args.reuse and args.database_url and _loaded(args.database_url) >= args.escalations:
        migrate(args.database_url)
        print(f"postgresql: reusing the {args.escalations:,} escalations already loaded")
        _analyze(args.database_url)
        print(table(HEADERS, measure(args.database_url, args.repeat)))
        return
    if args.keep:
        url = f"sqlite:///{args.keep}"
        if not Path(args.keep).exists():
            took = load(url, args.escalations, args.days)
            print(f"sqlite: loaded {args.escalations:,} escalations over {args.days} days in {took:.0f} s")
        migrate(url)  # a file loaded by an older Baton gets the newer columns
        print(table(HEADERS, measure(url, args.repeat)))
        return
    with ScratchDatabase(args.database_url) as db:
        url = db.reset()
        took = load(url, args.escalations, args.days)
        print(f"{db.kind}: loaded {args.escalations:,} escalations over {args.days} days in {took:.0f} s")
        _analyze(url)
        print(table(HEADERS, measure(url, args.repeat)))


def _loaded(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return int(s.connection().execute(select(func.count()).select_from(Escalation)).scalar_one())
    except Exception:  # no tables yet
        return 0
    finally:
        engine.dispose()


def _analyze(url: str) -> None:
    """PostgreSQL: planner statistics and the visibility map after the bulk load (index-only scans
    need it; autovacuum would get there on its own later)."""
    if not url.startswith("postgres"):
        return
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE escalations")
        conn.exec_driver_sql("VACUUM ANALYZE conversations")
    engine.dispose()


if __name__ == "__main__":
    main()
