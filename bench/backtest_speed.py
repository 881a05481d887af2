"""Wall-clock time of `baton backtest` on 20,000 conversations, start-up included, with the judgment
model and with the phrase rules alone, side by side.

    python3 bench/backtest_speed.py [--conversations 20000] [--turns 1]

The input is generated synthetically (routine questions, requests for a human, legal and billing words,
typos, a few labels; `--turns N` gives each conversation N customer messages with AI answers between
them) into a temporary file; the command runs in a fresh interpreter exactly as a user runs it
(`python -m bot.cli backtest FILE --json`, then the same with `--no-model`), so imports, policy and
model loading are counted. Target (issue 7): at most 60 s with the model.
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


ANSWERS = [
    "Here is how: open Settings, then Billing.",
    "You can do that from the dashboard.",
    "Let me check that.",
]


def generate(path: Path, n: int, turns: int = 1, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            escalate = rnd.random() < 0.1
            messages: list[dict[str, object]] = []
            for t in range(turns):
                text = rnd.choice(ESCALATING if escalate and t == turns - 1 else ROUTINE).format(
                    n=10_000 + i * 10 + t, city=rnd.choice(CITIES)
                )
                if messages:
                    messages.append({"role": "ai", "text": rnd.choice(ANSWERS), "confidence": 0.8})
                messages.append({"role": "customer", "text": text, "ts": f"2026-11-24T15:{t:02d}:00Z"})
            conv: dict[str, object] = {
                "id": f"c{i}",
                "account": {"tier": rnd.choice(TIERS)},
                "messages": messages,
            }
            if i % 4 == 0:
                conv["label"] = {"escalate": escalate}
            fh.write(json.dumps(conv) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="time `baton backtest` on synthetic one-message conversations")
    ap.add_argument("--conversations", type=int, default=20_000)
    ap.add_argument("--turns", type=int, default=1, help="customer messages per conversation")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.jsonl"
        generate(path, args.conversations, args.turns)
        size = path.stat().st_size
        rows = []
        for name, extra in (("with the model", []), ("rules only", ["--no-model"])):
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "bot.cli", "backtest", str(path), "--json", *extra],
                cwd=ROOT, capture_output=True, text=True, check=False,
            )  # fmt: skip
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            rows.append((name, elapsed, json.loads(proc.stdout)))
    for name, elapsed, data in rows:
        print(f"{name:>15}: {data['conversations']} conversations ({size / 1e6:.1f} MB, {args.turns} customer turn(s) each), "
              f"{data['escalated']} escalated: {elapsed:.2f} s wall clock, start-up included "
              f"({data['conversations'] / elapsed:,.0f} conversations/s)")  # fmt: skip
        esc = data["metrics"].get("labels", {}).get("escalation", {})
        if esc:
            print(f"{'':>15}  labelled escalation precision {esc['precision']}, recall {esc['recall']}")
    print("target <= 60 s with the model:", "met" if rows[0][1] <= 60 else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
