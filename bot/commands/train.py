"""`baton train-model [--out PATH]`: rebuild the judgment model's weights from the training data in the repo.

Reads bot/domain/nlu/training/*.txt (hand-written, every supported language) and expands and augments
them. First it holds out 15% of the source lines, trains on the rest and prints per-label precision
and recall on the held-out lines; then it trains the same way on every line and writes those weights
(default: the packaged bot/domain/nlu/weights/model.npz). --held-out-model writes the first model
instead; --all skips the held-out measurement.
The same data gives the same bytes, so the model version (which ends in a hash of the weights) is
reproducible. Needs the `train` extra: pip install -e '.[train]'.

--bitext CSV adds the Bitext customer-service sample as extra training data (routine and the intents
that map onto a label); the shipped model is trained without it, from the repo alone.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "domain" / "nlu" / "weights" / "model.npz"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-model",
        help="rebuild the judgment model from the training data in the repo (needs the 'train' extra)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"where to write the weights (default: {DEFAULT_OUT})"
    )
    p.add_argument(
        "--data", type=Path, default=None, help="training data folder (default: the one in the repo)"
    )
    p.add_argument(
        "--bitext", type=Path, default=None, help="also train on this Bitext CSV (not for the shipped model)"
    )
    p.add_argument(
        "--sample", type=int, default=0, help="train on a small deterministic sample of N examples"
    )
    p.add_argument("--all", action="store_true", help="skip the held-out measurement; train on every example")
    p.add_argument(
        "--held-out-model", action="store_true", help="write the model trained without the held-out split"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        # Imported here so that `baton --help` never pays for numpy or scikit-learn.
        data = import_module("bot.training.data")
        fit = import_module("bot.training.fit")
        evaluate = import_module("bot.training.evaluate")
    except ImportError as exc:
        print(f"error: training needs the 'train' extra (pip install -e '.[train]'): {exc}", file=sys.stderr)
        return 1
    model = import_module("bot.domain.nlu.model")
    try:
        examples = data.load_examples(args.data) if args.data else data.load_examples()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    extra = import_module("bot.training.bitext").load(args.bitext) if args.bitext else []

    def training_set(lines: list[Any]) -> list[Any]:
        chosen = data.augment(lines) + extra
        return data.sample(chosen, args.sample) if args.sample else chosen

    weights = None
    if not args.all:
        train, test = data.split(examples)
        held_out = data.augment(test)
        print(f"held-out measurement: training on {len(train)} lines, measuring on {len(held_out)} examples")
        weights = fit.fit(training_set(train))
        blob = weights.to_bytes()
        report = evaluate.evaluate(
            model.LinearClassifier(weights, digest=model.weights_digest(blob)), held_out
        )
        for line in report.lines():
            print("  " + line)
    if args.all or not args.held_out_model:
        print(f"training on every line ({len(examples)} lines and their expansions)")
        weights = fit.fit(training_set(examples))
    assert weights is not None
    blob = weights.to_bytes()
    version = model.LinearClassifier(weights, digest=model.weights_digest(blob)).version
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(blob)
    print(f"wrote {args.out} ({len(blob) / 1e6:.1f} MB), model version {version}")
    return 0
