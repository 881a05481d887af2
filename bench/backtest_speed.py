"""Wall-clock time of `baton backtest` on 20,000 one-message conversations, start-up included.

    python3 bench/backtest_speed.py [--conversations 20000]

The input is generated synthetically (routine questions, requests for a human, legal and billing words,
typos, a few labels) into a temporary file; the command runs in a fresh interpreter exactly as a user
runs it (`python -m bot.cli backtest FILE --json`), so imports and policy loading are counted.
Target: well under 10 s.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROUTINE = [
    "where is my order {n}?", "how do I change my shipping address", "can I get an invoice for order {n}",
    "what payment methods do you accept?", "how do I reset my password", "I need to update my billing details",
    "when will my refund for {n} arrive?", "is there a cancellation fee?", "how long does delivery take to {city}?",
    "can you help me set up two factor authentication", "i cant log in to my account", "how to export my data to csv",
]  # fmt: skip
ESCALATING = [
    "I want to talk to a real person", "get me a human please", "i need to speek to an agnet",
    "I'm going to contact my lawyer about order {n}", "you charged me twice for order {n}",
    "this is useless, I want a supervisor", "my account was hacked", "cancel my subscription, we are switching to a competitor",
]  # fmt: skip
CITIES = ["Lyon", "Austin", "Osaka", "Leeds", "Porto"]
TIERS = ["self-serve", "mid-market", "enterprise"]


def generate(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            escalate = rnd.random() < 0.1
            text = rnd.choice(ESCALATING if escalate else ROUTINE).format(
                n=10_000 + i, city=rnd.choice(CITIES)
            )
            conv: dict[str, object] = {
                "id": f"c{i}",
                "account": {"tier": rnd.choice(TIERS)},
                "messages": [{"role": "customer", "text": text, "ts": "2026-11-24T15:00:00Z"}],
            }
            if i % 4 == 0:
                conv["label"] = {"escalate": escalate}
            fh.write(json.dumps(conv) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="time `baton backtest` on synthetic one-message conversations")
    ap.add_argument("--conversations", type=int, default=20_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        generate(path, args.conversations)
        size = path.stat().st_size
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bot.cli", "backtest", str(path), "--json"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    data = json.loads(proc.stdout)
    print(f"{data['conversations']} conversations ({size / 1e6:.1f} MB), {data['escalated']} escalated: "
          f"{elapsed:.2f} s wall clock, start-up included ({data['conversations'] / elapsed:,.0f} conversations/s)")  # fmt: skip
    esc = data["metrics"].get("labels", {}).get("escalation", {})
    if esc:
        print(f"labelled escalation precision {esc['precision']}, recall {esc['recall']}")
    print("target well under 10 s:", "met" if elapsed < 10 else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
