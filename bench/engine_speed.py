"""Cost of one new message, on a 20-message and on a 300-message conversation, side by side (one core).

    python3 bench/engine_speed.py [--seconds 3] [--no-model]

What is timed is what Baton does per incoming customer message: `analyse(new message)` once (the
rules and, unless --no-model, the packaged judgment model), then `decide(history of N stored
analyses)`. Each iteration analyses a *different* message text (the model and the normaliser keep
small caches; fresh texts keep the measure honest). Printed per history length: messages per second,
mean, p50 and p99 per message, and the ratio 300 : 20 (target: within 2x; issue 7 asks for at least
500 messages/s and p99 at most 20 ms with the model).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.model import Account, Message  # noqa: E402
from bot.domain.triggers import EngineConfig, MessageAnalysis, analyse, decide, default_engine_config  # noqa: E402

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


def conversation(config: EngineConfig, length: int) -> list[tuple[Message, MessageAnalysis]]:
    out = []
    for i in range(length):
        ts = NOW - timedelta(minutes=length - i)
        if i % 2 == 0:
            text = CUSTOMER[(i // 2) % len(CUSTOMER)].format(n=1000 + i) + f" #{i}"
            msg = Message(role="customer", text=text, ts=ts, ref=f"m{i}")
        else:
            msg = Message(
                role="ai", text=AI[(i // 2) % len(AI)], ts=ts, ref=f"m{i}", confidence=0.7 + (i % 3) / 10
            )
        out.append((msg, analyse(msg, config)))
    return out


def measure(config: EngineConfig, length: int, seconds: float, offset: int) -> dict[str, float]:
    account = Account(id="acme", tier="mid-market", renewal_date=(NOW + timedelta(days=30)).date())
    base = conversation(config, length - 1)  # N-1 stored + the new one
    times: list[float] = []
    fired = 0
    n = 0
    deadline = time.perf_counter() + seconds
    while True:
        text = f"{CUSTOMER[n % len(CUSTOMER)].format(n=n)} (ref {offset + n})"
        msg = Message(role="customer", text=text, ts=NOW, ref=f"new{n}")
        t0 = time.perf_counter()
        an = analyse(msg, config)
        d = decide([*base, (msg, an)], account, NOW, config)
        times.append(time.perf_counter() - t0)
        fired += d.escalate
        n += 1
        if n % 50 == 0 and time.perf_counter() >= deadline:
            break
    times.sort()
    mean = sum(times) / len(times)
    return {
        "n": n,
        "rate": 1 / mean,
        "mean_us": mean * 1e6,
        "p50_us": times[len(times) // 2] * 1e6,
        "p99_us": times[min(len(times) - 1, int(len(times) * 0.99))] * 1e6,
        "escalated": fired,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="cost of one new message at 20 and 300 messages of history")
    ap.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement")
    ap.add_argument("--no-model", action="store_true", help="phrase rules only")
    args = ap.parse_args(argv)
    config = default_engine_config()
    if not args.no_model:
        from bot.domain.nlu import load_classifier

        config = config.with_classifier(load_classifier())
    print(f"model: {config.model_version or 'none (rules only)'}")
    results = {}
    for i, length in enumerate((20, 300)):
        r = measure(config, length, args.seconds, offset=i * 1_000_000)
        results[length] = r
        print(
            f"{length:>4} messages: {r['rate']:>7,.0f} msg/s  mean {r['mean_us']:>7.0f} us  "
            f"p50 {r['p50_us']:>7.0f} us  p99 {r['p99_us']:>7.0f} us  ({r['n']} new messages, escalated {r['escalated']})"
        )
    ratio = results[300]["mean_us"] / results[20]["mean_us"]
    print(
        f"300 : 20 per new message = {ratio:.2f}x  (target within 2x: {'met' if ratio <= 2 else 'NOT met'})"
    )
    rate, p99 = results[20]["rate"], results[20]["p99_us"]
    print(
        f"at 20 messages: {'met' if rate >= 500 else 'NOT met'} >= 500 msg/s; {'met' if p99 <= 20_000 else 'NOT met'} p99 <= 20 ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
