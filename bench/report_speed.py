"""How long a 30-day report takes over a large history: N escalations (default 1,000,000) spread
over a year, with the conversations behind them, on SQLite or PostgreSQL.

    python3 bench/report_speed.py [--escalations 1000000] [--days 365] [--database-url URL] [--repeat 3]

Prints the load time (not part of the report), then the report's time split into the queries and
the computation, and — the reference in the same run — a bare `SELECT count(*)` over the same
rows, i.e. the floor any report on this database pays. Nothing passes or fails on timing.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import ScratchDatabase, machine_line, table
from sqlalchemy import func, insert, select

from bot.domain.report import Breakdown, Period, compute
from bot.flows import report as report_flow
from bot.policy import load_policy
from storage import report_repo
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
                    )
                )
            conn.execute(insert(Conversation), convs)
            conn.execute(insert(Escalation), escs)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def measure(url: str, repeat: int) -> list[list[object]]:
    engine = make_engine(url)
    policy = load_policy(None)
    period = Period(NOW - timedelta(days=30), NOW, "last 30 days")
    targets = report_flow.targets_of(policy)
    rows: list[list[object]] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            n = s.connection().execute(
                select(func.count()).where(Escalation.opened_at >= period.start, Escalation.opened_at < period.end)  # type: ignore[arg-type]
            ).scalar_one()
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            raw = report_repo.escalation_rows(s, period.start, period.end)
            watched = report_repo.conversations_watched(s, period.start, period.end)
        t_query = time.perf_counter() - t0
        t0 = time.perf_counter()
        compute(report_flow.rows_of(raw), watched=watched, period=period, targets=targets, daily=True)
        t_compute = time.perf_counter() - t0
        t0 = time.perf_counter()
        report_flow.build_report(db=engine, policy=policy, period=period, by=Breakdown.TEAM)
        t_full = time.perf_counter() - t0
        rows.append([n, f"{floor * 1000:.0f}", f"{t_query * 1000:.0f}", f"{t_compute * 1000:.0f}", f"{t_full * 1000:.0f}"])
    engine.dispose()
    return rows


HEADERS = ["in 30 days", "count(*) ms (floor)", "queries ms", "compute ms", "full report ms (by team, + before)"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--escalations", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="FILE", help="an SQLite file to load once and reuse in later runs")
    args = ap.parse_args()
    print(machine_line())
    if args.keep:
        url = f"sqlite:///{args.keep}"
        if not Path(args.keep).exists():
            took = load(url, args.escalations, args.days)
            print(f"sqlite: loaded {args.escalations:,} escalations over {args.days} days in {took:.0f} s")
        print(table(HEADERS, measure(url, args.repeat)))
        return
    with ScratchDatabase(args.database_url) as db:
        url = db.reset()
        took = load(url, args.escalations, args.days)
        print(f"{db.kind}: loaded {args.escalations:,} escalations over {args.days} days in {took:.0f} s")
        print(table(HEADERS, measure(url, args.repeat)))


if __name__ == "__main__":
    main()
