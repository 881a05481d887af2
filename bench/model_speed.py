"""Speed and size of the judgment model: messages/s on one core, p99 per message, memory, start time.

    python3 bench/model_speed.py [--messages N] [--json]

Prints (goals from issue 7 in brackets): messages analysed per second on one core [>= 500], p50/p99 ms
per message [p99 <= 20], resident memory added by loading the model, numpy included [<= 300 MB], the
weights file size, and the start time of `baton --help` [< 1 s; the model must not load for it].

Messages are the hand-written training lines (all seven languages) composed into one- to
four-sentence messages, each made unique so the classifier's per-text cache never answers.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _common import ROOT, machine, machine_line, percentile  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def messages(n: int) -> list[str]:
    from bot.training.data import load_examples

    lines = [ex.text for ex in load_examples()]
    rng = random.Random(7)
    out = []
    for i in range(n):
        k = rng.choice((1, 1, 2, 3, 4))
        out.append(" ".join(rng.choice(lines).rstrip(".") + "." for _ in range(k)) + f" (ticket {i})")
    return out


def help_start_seconds(runs: int = 5) -> float:
    baton = Path(sys.executable).parent / "baton"
    cmd = [str(baton), "--help"] if baton.exists() else [sys.executable, "-m", "bot.cli", "--help"]
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    texts = messages(args.messages)
    before = rss_mb()
    start = time.perf_counter()
    from bot.domain.nlu import load_classifier, weights_bytes

    model = load_classifier()
    model.predict("warm up: where is my invoice?")
    load_s = time.perf_counter() - start
    added = rss_mb() - before

    times, cpu = [], []
    t0, c0 = time.perf_counter(), time.thread_time()
    for text in texts:
        s, c = time.perf_counter(), time.thread_time()
        model.predict(text)
        times.append(time.perf_counter() - s)
        cpu.append(time.thread_time() - c)
    total, cpu_total = time.perf_counter() - t0, time.thread_time() - c0
    result = {
        "machine": machine(),
        "model_version": model.version,
        "messages": len(texts),
        "messages_per_s": round(len(texts) / total, 1),
        "messages_per_cpu_s": round(len(texts) / cpu_total, 1),
        "cpu_p99_ms": round(percentile(cpu, 99) * 1000, 3),
        "p50_ms": round(statistics.median(times) * 1000, 3),
        "p99_ms": round(percentile(times, 99) * 1000, 3),
        "max_ms": round(max(times) * 1000, 3),
        "load_s": round(load_s, 3),
        "rss_added_mb": round(added, 1),
        "weights_mb": round(len(weights_bytes()) / 1e6, 2),
        "baton_help_s": round(help_start_seconds(), 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(machine_line(result["machine"]))
    print(f"model {result['model_version']}, weights file {result['weights_mb']} MB")
    print(
        f"messages/s on one core: {result['messages_per_s']}   (goal >= 500; {result['messages']} messages)"
    )
    print(f"  per CPU second (what the machine's other load does not steal): {result['messages_per_cpu_s']}")
    print(
        f"ms per message: p50 {result['p50_ms']}, p99 {result['p99_ms']}, max {result['max_ms']}   (goal p99 <= 20)"
    )
    print(f"  CPU ms per message: p99 {result['cpu_p99_ms']}")
    print(f"load: {result['load_s']} s; resident memory added: {result['rss_added_mb']} MB   (goal <= 300)")
    print(f"baton --help start: {result['baton_help_s']} s   (goal < 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
