"""What one escalation costs: database transactions, Slack Web API calls and new TCP connections to
Slack, through the real app (bot.sandbox.world.World: signed HTTP into Bolt, the outbox, the Slack
and CRM stand-ins on loopback).

    python3 bench/per_escalation.py            # 20 escalations, one at a time, SQLite
    python3 bench/per_escalation.py --count 50 --database-url postgresql://postgres@127.0.0.1:5432/baton_bench

Each escalating customer message is sent, Baton is let finish (settle), and the counters are read:
`begin` events on the engine (one per transaction), the calls the Slack stand-in received, and
socket.create_connection calls made to the Slack stand-in's port. Prints numbers; passes nothing.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ScratchDatabase, machine_line  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bot.clock import VirtualClock  # noqa: E402
from bot.sandbox.world import World  # noqa: E402
from storage.db import READ_ONLY  # noqa: E402

TEXT = "This isn't working. I want to talk to a real person please ({n})"


def run(count: int, db_url: str) -> dict[str, Any]:
    accounts = [
        {"id": f"acct{i:03d}", "name": f"Account {i}", "tier": "enterprise", "channel": f"C0ACCT{i:03d}"}
        for i in range(count)
    ]
    clock = VirtualClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # Monday 10:00 in New York
    with World(clock=clock, accounts=accounts, database_url=db_url) as world:
        slack_port = int(world.slack.base_url.split(":")[2].split("/")[0])
        begins = [0, 0]  # all transactions, and those that write (on SQLite: take the write lock)

        def counting_begin(conn: Any) -> None:
            begins[0] += 1
            if not conn.get_execution_options().get(READ_ONLY, False):
                begins[1] += 1

        event.listen(world.deps.db, "begin", counting_begin)
        conns = [0]
        real = socket.create_connection

        def counting(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            if address[1] == slack_port:
                conns[0] += 1
            return real(address, *args, **kwargs)

        socket.create_connection = counting  # type: ignore[assignment]
        tx: list[int] = []
        writes: list[int] = []
        calls: list[int] = []
        new_conns: list[int] = []
        try:
            for i, raw in enumerate(accounts):
                cust = world.customers[str(raw["id"])]
                world.settle()
                b0, w0, c0, n0 = begins[0], begins[1], len(world.slack.calls), conns[0]
                world.driver.user_says(cust.channel, cust.user, TEXT.format(n=i))
                world.settle()
                tx.append(begins[0] - b0)
                writes.append(begins[1] - w0)
                calls.append(len(world.slack.calls) - c0)
                new_conns.append(conns[0] - n0)
        finally:
            socket.create_connection = real  # type: ignore[assignment]
        methods: dict[str, int] = {}
        for c in world.slack.calls[-calls[-1] :] if calls and calls[-1] else []:
            methods[c["method"]] = methods.get(c["method"], 0) + 1
    return {
        "escalations": count,
        "transactions_per_escalation": statistics.median(tx),
        "write_transactions_per_escalation": statistics.median(writes),
        "slack_calls_per_escalation": statistics.median(calls),
        "new_slack_connections_per_escalation": statistics.median(new_conns),
        "slack_methods_last_escalation": methods,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with ScratchDatabase(args.database_url) as db:
        result = run(args.count, db.reset())
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(machine_line())
    for key, value in result.items():
        print(f"{key:40} {value}")


if __name__ == "__main__":
    main()
