"""The packaged judgment model alone on the Bitext customer-service sample (outside data, English).

    python3 bench/model_bitext.py [CSV] [--thresholds 0.5,0.7,0.85]

Prints, per threshold: recall of `human_request` on the `contact_human_agent` rows, and the share of
clean routine rows (no `W` offensive flag; the 21 routine intents of bot/training/bitext.py) on which
any non-routine label fires, with the labels that fired. Skips with a message when the data is absent.
The data is read where it lies and never copied. Docs: docs/model.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from _common import ROOT, machine_line

DEFAULT = ROOT.parent / "shared" / "data" / "bitext-customer-service" / "bitext-customer-service-8k.csv"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--thresholds", default="0.5,0.7,0.85")
    args = parser.parse_args()
    if not args.csv.exists():
        print(f"skipped: {args.csv} not found")
        return 0
    from bot.domain.nlu import Label, load_classifier
    from bot.training.bitext import load

    model = load_classifier()
    rows = load(args.csv)
    human = [model.predict(e.text) for e in rows if Label.HUMAN_REQUEST in e.labels]
    clean = [
        model.predict(e.text)
        for e in rows
        if e.labels == {Label.ROUTINE} and "W" not in e.group.rsplit(":", 1)[-1]
    ]
    print(machine_line())
    print(f"model {model.version}; {len(human)} human-request rows, {len(clean)} clean routine rows")
    for th in (float(t) for t in args.thresholds.split(",")):
        caught = sum(p.score(Label.HUMAN_REQUEST) >= th for p in human)
        fired = Counter()
        n_fired = 0
        for p in clean:
            labels = [label.value for label in Label if label is not Label.ROUTINE and p.score(label) >= th]
            n_fired += bool(labels)
            fired.update(labels)
        print(
            f"threshold {th}: human_request recall {caught}/{len(human)} ({caught / len(human):.1%}); "
            f"clean routine firing {n_fired}/{len(clean)} ({n_fired / len(clean):.2%}) "
            f"[{', '.join(f'{k} {v}' for k, v in fired.most_common())}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
