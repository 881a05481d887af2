"""`baton train-model [--out PATH]`: rebuild the judgment model's weights from the training data in the repo.

Reads bot/domain/nlu/training/*.txt (hand-written, every supported language), expands and augments
them, holds out a split by source line, trains on the rest, prints per-label precision and recall on
the held-out split, and writes the weights (default: the packaged bot/domain/nlu/weights/model.npz).
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
    p.add_argument(
        "--all",
        action="store_true",
        help="train on every example, the held-out split too (no honest report then)",
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
    train, test = data.split(examples)
    if args.all:
        train, test = examples, test
    train, test = data.augment(train), data.augment(test)
    if args.bitext:
        bitext = import_module("bot.training.bitext")
        train = train + bitext.load(args.bitext, held_out=False)
    if args.sample:
        train = data.sample(train, args.sample)
    print(f"training on {len(train)} examples ({len(examples)} hand-written lines and their expansions)")
    weights = fit.fit(train)
    blob = weights.to_bytes()
    classifier = model.LinearClassifier(weights, digest=model.weights_digest(blob))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(blob)
    print(f"wrote {args.out} ({len(blob) / 1e6:.1f} MB), model version {classifier.version}")
    if not args.all and test:
        print(f"held-out split ({len(test)} examples the model never saw):")
        for line in evaluate.evaluate(classifier, test).lines():
            print("  " + line)
    return 0
