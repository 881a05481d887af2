"""Decisions per second for one new message on a 20-message conversation (one core).

    python3 bench/engine_speed.py [--seconds 3]

What is timed is what Baton does per incoming message: `analyse(new message)` once, then
`decide(history of 20 stored analyses)`. Each iteration analyses a *different* message text (the
normaliser keeps a small cache; fresh texts keep the measure honest). Target: >= 5,000 per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.model import Account, Message  # noqa: E402
from bot.domain.triggers import analyse, decide, default_engine_config  # noqa: E402

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CUSTOMER = [
    "Hi, my invoice for November shows a charge I don't recognise",
    "It says 49.99 but my plan is 29.99",
    "I already checked the billing page, it doesn't explain it",
    "ok but why was I charged more this month?",
    "this is getting frustrating, I just want it fixed",
    "can you check order {n} please",
    "I don't see any credit on my account",
    "where is the refund for order {n}?",
    "that's not what I asked",
    "hmm ok, and when will it show up?",
]
AI = [
    "Here is how to read your invoice: the first line is your plan...",
    "Plans renew on the first of the month; proration can add a charge.",
    "I can see a seat was added on the 12th, which is billed pro rata.",
    "Refunds take 5-10 business days to appear on your statement.",
]


def conversation(config: object) -> list[tuple[Message, object]]:
    out = []
    for i in range(20):
        if i % 2 == 0:
            msg = Message(
                role="customer",
                text=CUSTOMER[(i // 2) % len(CUSTOMER)].format(n=1000 + i),
                ts=NOW - timedelta(minutes=40 - i),
                ref=f"m{i}",
            )
        else:
            msg = Message(
                role="ai",
                text=AI[(i // 2) % len(AI)],
                ts=NOW - timedelta(minutes=40 - i),
                ref=f"m{i}",
                confidence=0.7 + (i % 3) / 10,
            )
        out.append((msg, analyse(msg, config)))  # type: ignore[arg-type]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="decisions per second, analyse + decide over 20 messages")
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args(argv)
    config = default_engine_config()
    account = Account(id="acme", tier="mid-market", renewal_date=(NOW + timedelta(days=30)).date())
    base = conversation(config)[:19]  # 19 stored + the new one = a 20-message conversation
    n = 0
    fired = 0
    start = time.perf_counter()
    deadline = start + args.seconds
    while True:
        text = f"{CUSTOMER[n % len(CUSTOMER)].format(n=n)} (ref {n})"
        msg = Message(role="customer", text=text, ts=NOW, ref=f"new{n}")
        an = analyse(msg, config)
        d = decide([*base, (msg, an)], account, NOW, config)  # type: ignore[list-item]
        fired += d.escalate
        n += 1
        if n % 200 == 0 and time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - start
    rate = n / elapsed
    print(f"{n} decisions in {elapsed:.2f} s: {rate:,.0f} decisions/s "
          f"({1e6 / rate:.0f} us each; analyse(new) + decide(20)); escalated {fired}")  # fmt: skip
    print("target >= 5,000/s:", "met" if rate >= 5000 else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
