"""Durability figures: kill -9 during a burst, and a PostgreSQL outage while messages arrive.

    python bench/durability.py                      # SQLite, and PostgreSQL if DATABASE_URL is set
    python bench/durability.py --events 300 --kills 3 --outage 60 --rate 5

For each database: `baton serve` runs as a real process against the local Slack; a burst of signed
escalating messages is sent, the process is killed with SIGKILL at random moments and restarted
(Slack's retries of unanswered events are sent, as Slack would), then the figures are read from
the database and the stand-in: events answered 200, of those recorded, cards and customer-thread
notes, and how many were posted twice. The outage (PostgreSQL only) puts a loopback TCP proxy
between Baton and the database and cuts it for --outage seconds at --rate events per second.
Prints numbers; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import uuid
from pathlib import Path

from _common import machine  # noqa: I001  (bench/_common puts the repository on sys.path)
from sqlalchemy import create_engine, text

from bot.sandbox.driver import SlackDriver
from bot.sandbox.durability import (
    SECRET,
    BatonProcess,
    Tally,
    customer_channels,
    make_burst,
    outage_run,
    policy_yaml,
    send,
    slack_world,
    wait_until_settled,
)
from storage.db import normalise_url

CHANNELS = customer_channels(20)


def _pg_schema(base: str) -> tuple[str, str]:
    schema = f"bench_durability_{uuid.uuid4().hex[:8]}"
    engine = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def _drop(base: str, schema: str) -> None:
    engine = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def kill_run(database_url: str, events: int, kills: int, seed: int, settle: float) -> Tally:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="bench-durability-"))
    slack = slack_world(CHANNELS)
    policy = work / "policy.yaml"
    policy.write_text(policy_yaml(CHANNELS))
    baton = BatonProcess(work, slack, database_url, policy).start()
    driver = SlackDriver(baton.url, SECRET, slack)
    burst = make_burst(driver, slack, CHANNELS, events)
    size = max(1, events // kills)
    try:
        for k in range(kills):
            chunk = burst.envelopes[k * size : (k + 1) * size if k < kills - 1 else events]
            killer = threading.Timer(rng.uniform(0.1, 1.0), baton.kill)
            killer.start()
            send(driver, burst, chunk, threads=16)
            killer.join()
            baton.start()
            for _ in range(3):
                send(driver, burst, burst.unacked, threads=16)
        result = wait_until_settled(database_url, slack, burst, CHANNELS, timeout=settle)
    finally:
        driver.close()
        baton.stop()
        slack.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds PostgreSQL is unreachable")
    parser.add_argument("--rate", type=float, default=5.0, help="events per second during the outage run")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to wait for everything to land")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    print("machine:", machine())
    pg = os.environ.get("DATABASE_URL", "")
    pg = pg if pg.startswith(("postgres://", "postgresql")) else ""
    print(f"\nkill -9 x{args.kills} during a burst of {args.events} escalating messages")
    print(
        f"{'database':<12} {'acked':>6} {'recorded':>9} {'lost':>5} {'cards':>6} {'doubled':>8} "
        f"{'notes':>6} {'doubled':>8} {'cards still leased':>19}"
    )
    targets = [("sqlite", f"sqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/baton.db", "")]
    if pg:
        url, schema = _pg_schema(pg)
        targets.append(("postgresql", url, schema))
    for name, url, _schema in targets:
        t = kill_run(url, args.events, args.kills, args.seed, args.settle)
        print(
            f"{name:<12} {t.acked:>6} {t.recorded:>9} {len(t.lost):>5} {t.cards:>6} {t.doubled_cards:>8} "
            f"{t.customer_notes:>6} {t.doubled_customer_notes:>8} {t.cards_pending:>19}"
        )
    for _name, _url, schema in targets:
        if schema:
            _drop(pg, schema)
    if not pg:
        print("\n(outage run skipped: set DATABASE_URL to a PostgreSQL database)")
        return
    url, schema = _pg_schema(pg)
    try:
        work = Path(tempfile.mkdtemp(prefix="bench-outage-"))
        run = outage_run(
            work,
            url,
            CHANNELS,
            seconds=args.outage,
            rate=args.rate,
            events=int(args.rate * (args.outage + 10)),
            cut_after=5.0,
            settle=args.settle,
            threads=16,
        )
        t, caught_up = run.tally, run.caught_up
    finally:
        _drop(pg, schema)
    print(f"\nPostgreSQL unreachable for {args.outage:.0f} s at {args.rate:g} messages/s")
    print(
        f"acked {t.acked}, recorded {t.recorded}, lost {len(t.lost)}; cards {t.cards} (doubled {t.doubled_cards}), "
        f"notes {t.customer_notes} (doubled {t.doubled_customer_notes}); everything in {caught_up:.1f} s after the "
        "database came back"
    )


if __name__ == "__main__":
    main()
