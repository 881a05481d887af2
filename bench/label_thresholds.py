"""Choose the model labels' default thresholds by measurement, on the dev split (and Bitext) only.

    python3 bench/label_thresholds.py [--policy P] [--bitext CSV] [--fp-weight 2] [--bitext-budget 0.01]

For each conversation of bench/judgment/dev.jsonl, and each Bitext row (routine intents without the
offensive flag, and `contact_human_agent`), the script replays the engine once with every
`detector: model` trigger switched off (what the rules and the other detectors do on their own) and
records the highest probability of every label over the customer's messages. A set of thresholds
then escalates a conversation when the base did, or when some label reaches its threshold.

It prints, per label and threshold, what that label alone adds: must-escalate conversations gained
(dev), must-not conversations falsely escalated (dev), and clean routine Bitext rows escalated; then
chooses thresholds by coordinate ascent on
    gained - fp_weight * dev false escalations - bitext_weight * Bitext false escalations
keeping Bitext's clean routine rows at or under the budget (issue 7: <= 1 %), and prints the
resulting totals and the YAML to paste into bot/policies/triggers.yaml. The test split is never read.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.judgment_quality import BITEXT_HUMAN, BITEXT_ROUTINE, NOW, find_bitext, load_split  # noqa: E402
from bot.commands.backtest import Conversation, load_engine, replay  # noqa: E402
from bot.domain.model import Account, Message  # noqa: E402
from bot.domain.triggers import EngineConfig, analyse, parse_engine_config  # noqa: E402
from bot.domain.triggers.spec import DetectorKind  # noqa: E402

GRID = [round(0.30 + 0.025 * i, 3) for i in range(28)] + [0.99, 1.01]  # 1.01 = off


@dataclass
class Row:
    source: str  # dev | bitext
    escalate: bool  # the label: must escalate?
    base: bool  # escalated without the label triggers
    top: dict[str, float]  # label -> highest probability over the customer's messages


def without_labels(config: EngineConfig) -> tuple[EngineConfig, dict[str, str]]:
    """The same policy with every `detector: model` trigger off; and trigger id -> label."""
    labels = {t.id: str(t.label) for t in config.triggers if t.detector is DetectorKind.MODEL}
    doc = {"triggers": {**config.raw["triggers"], **{tid: {**config.raw["triggers"][tid], "enabled": False} for tid in labels}},
           "segments": config.raw["segments"]}  # fmt: skip
    return parse_engine_config(doc, classifier=config.classifier), labels


def rows_for(convs: list[Conversation], source: str, truth: list[bool], base_cfg: EngineConfig) -> list[Row]:
    out = []
    for conv, must in zip(convs, truth, strict=True):
        outcome = replay(conv, base_cfg)
        top: dict[str, float] = {}
        for m in conv.messages:
            if m.role != "customer":
                continue
            for label, p in analyse(m, base_cfg).scores:
                top[label] = max(top.get(label, 0.0), p)
        out.append(Row(source, must, outcome.escalate, top))
    return out


def bitext_rows(path: Path) -> tuple[list[Conversation], list[bool]]:
    account = Account(id="bitext", tier="self-serve")
    convs, truth = [], []
    with path.open(encoding="utf-8-sig") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            routine = row["intent"] in BITEXT_ROUTINE and "W" not in row["flags"]
            if not routine and row["intent"] != BITEXT_HUMAN:
                continue
            msg = Message(role="customer", text=row["utterance"], ts=NOW, ref=f"row{i + 2}")
            convs.append(Conversation(f"row{i + 2}", account, [msg]))
            truth.append(not routine)
    return convs, truth


def totals(rows: list[Row], th: dict[str, float]) -> dict[str, tuple[int, int]]:
    def fired(r: Row) -> bool:
        return r.base or any(r.top.get(label, 0.0) >= t for label, t in th.items())

    out = {}
    for name, pick in (
        ("dev must-escalate", lambda r: r.source == "dev" and r.escalate),
        ("dev must-not", lambda r: r.source == "dev" and not r.escalate),
        ("bitext clean routine", lambda r: r.source == "bitext" and not r.escalate),
        ("bitext contact_human_agent", lambda r: r.source == "bitext" and r.escalate),
    ):
        sel = [r for r in rows if pick(r)]
        out[name] = (sum(fired(r) for r in sel), len(sel))
    return out


def objective(rows: list[Row], th: dict[str, float], fp_w: float, bx_w: float, budget: float) -> float:
    t = totals(rows, th)
    gained, fp, bx = t["dev must-escalate"][0], t["dev must-not"][0], t["bitext clean routine"]
    if bx[1] and bx[0] / bx[1] > budget:
        return float("-inf")
    return gained - fp_w * fp - bx_w * bx[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--policy", default=None)
    ap.add_argument("--bitext", type=Path, default=None)
    ap.add_argument(
        "--fp-weight", type=float, default=2.0, help="cost of a dev false escalation vs a gained one"
    )
    ap.add_argument(
        "--bitext-weight", type=float, default=0.25, help="cost of a Bitext routine false escalation"
    )
    ap.add_argument(
        "--bitext-budget", type=float, default=0.01, help="at most this share of clean routine rows"
    )
    args = ap.parse_args(argv)

    config, source = load_engine(args.policy)
    if config.classifier is None:
        print("no model: nothing to choose", file=sys.stderr)
        return 1
    base_cfg, labels = without_labels(config)
    dev = load_split("dev")
    rows = rows_for(dev, "dev", [bool(c.label_escalate) for c in dev], base_cfg)
    path = args.bitext or find_bitext()
    if path.exists():
        bconvs, btruth = bitext_rows(path)
        rows += rows_for(bconvs, "bitext", btruth, base_cfg)
    print(
        f"policy: {source} · model: {config.model_version} · dev conversations {len(dev)} · rows {len(rows)}"
    )
    current = {str(t.label): t.param("threshold", "self-serve") for t in config.triggers if t.id in labels and t.enabled}
    every = {str(t.label) for t in config.triggers if t.id in labels}

    print("\nwhat each label adds on its own (threshold: dev gained / dev false / bitext routine false)")
    for label in sorted(set(labels.values())):
        cells = []
        for t in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
            one = totals(rows, {label: t})
            base = totals(rows, {})
            cells.append(
                f"{t:.2f}: +{one['dev must-escalate'][0] - base['dev must-escalate'][0]}"
                f"/+{one['dev must-not'][0] - base['dev must-not'][0]}"
                f"/+{one['bitext clean routine'][0] - base['bitext clean routine'][0]}"
            )
        print(f"  {label:<18} " + "  ".join(cells))

    th = {label: 1.01 for label in every}
    for _ in range(4):  # coordinate ascent, a few sweeps
        for label in sorted(th):
            best = max(GRID, key=lambda g: (objective(rows, {**th, label: g}, args.fp_weight, args.bitext_weight,
                                                          args.bitext_budget), -g))  # fmt: skip
            th[label] = best

    for name, th_ in (("without labels", {}), ("current policy", current), ("chosen", th)):
        t = totals(rows, th_)
        print(f"\n{name}:")
        for k, (a, n) in t.items():
            print(f"  {k:<28} {a:>5}/{n:<5} {a / n:6.1%}" if n else f"  {k}: none")
    print("\nchosen thresholds (`off`: the label costs more than it adds at every threshold on this data):")
    for label, value in sorted(th.items()):
        shown = "off (use 0.99)" if value > 1 else f"{value:.3g}"
        print(f"  model_{label}: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
