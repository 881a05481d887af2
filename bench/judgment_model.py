"""The packaged judgment model alone on the judgment set: does its label fire where the family says?

    python3 bench/judgment_model.py [--split dev|test] [--threshold 0.5] [--json]

No engine, no policy: `bot.domain.nlu.load_classifier()` scores every customer message of every
conversation of bench/judgment/ (the customer's own words, as the model sees them), and the script
prints, per family:
  * must-escalate: the share of conversations where the family's label reaches the threshold on at
    least one customer message (repeated questions and business context have no label of their own);
  * must-not: the share where any escalating label (everything but `routine` and `frustration`)
    reaches it on some message: the model's false alarms, before the policy's thresholds;
and the language it detected against the language the conversation was written in.
It says where the model stands before the engine's rules and thresholds combine with it; the
figures that count are bench/judgment_quality.py's. Exit 0; 0 with a message when no model ships.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from judgment_quality import load_split  # noqa: E402

FAMILY_LABEL = {
    "safety": "safety",
    "human_request": "human_request",
    "compliance": "compliance",
    "data_deletion": "data_deletion",
    "cancellation": "cancellation",
    "billing_dispute": "billing_dispute",
    "security_incident": "security_incident",
    "legal_threat": "legal_threat",
    "frustration_over_turns": "frustration",
}
NOT_ALARMS = {"routine", "frustration"}


def measure(split: str, threshold: float) -> dict[str, Any] | None:
    try:
        from bot.domain.nlu import load_classifier

        clf = load_classifier()
    except (ImportError, OSError, FileNotFoundError) as exc:
        print(f"no packaged model to measure ({exc})")
        return None
    families: dict[str, dict[str, int]] = {}
    alarms: dict[str, int] = {}
    lang: dict[str, dict[str, int]] = {}
    for conv in load_split(split):
        fam = str(conv.tags["family"])
        preds = [clf.predict(m.text) for m in conv.messages if m.role == "customer"]
        key = fam if fam != "business_context" else f"business_context ({'escalate' if conv.label_escalate else 'not'})"
        row = families.setdefault(key, {"n": 0, "fired": 0})
        row["n"] += 1
        if conv.label_escalate:
            label = FAMILY_LABEL.get(fam)
            if label is not None:
                row["fired"] += any(p.scores.get(label, 0.0) >= threshold for p in preds)  # type: ignore[call-overload]
            else:
                row.pop("fired", None)
        else:
            fired = {str(k) for p in preds for k, v in p.scores.items() if v >= threshold and str(k) not in NOT_ALARMS}
            row["fired"] += bool(fired)
            for name in fired:
                alarms[name] = alarms.get(name, 0) + 1
        want = str(conv.tags["language"])
        lrow = lang.setdefault(want, {"messages": 0, "right": 0})
        for p in preds:
            lrow["messages"] += 1
            lrow["right"] += p.language == want
    return {"model": clf.version, "split": split, "threshold": threshold, "families": families,
            "false_alarm_labels": alarms, "languages": lang}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    r = measure(args.split, args.threshold)
    if r is None:
        return 0
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    print(f"model {r['model']} alone on the {r['split']} split, label probability >= {r['threshold']}")
    print("\nfamily                          convs   label fired (must-escalate) / any alarm (must-not)")
    for fam, row in sorted(r["families"].items()):
        if "fired" in row:
            print(f"  {fam:<30}{row['n']:>5}   {row['fired']:>4} = {row['fired'] / row['n']:6.1%}")
        else:
            print(f"  {fam:<30}{row['n']:>5}   (no label of its own: conversation-level)")
    print(f"\nlabels behind the must-not alarms: {r['false_alarm_labels']}")
    print("\nlanguage detected on customer messages")
    for code, row in sorted(r["languages"].items()):
        print(f"  {code}  {row['right']:>4}/{row['messages']:<4} {row['right'] / max(1, row['messages']):6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
