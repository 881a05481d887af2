"""Choose the model labels' default thresholds by measurement, on the dev split (and Bitext) only.

    python3 bench/label_thresholds.py [--policy P] [--bitext CSV] [--fp-weight 3] [--bitext-weight 0.25]
                                      [--bitext-budget 0.008]

With its defaults it reproduces the thresholds shipped in bot/policies/triggers.yaml (it says so, or
lists the differences, at the end); rerun it whenever the model changes and paste what it prints.

For each conversation of bench/judgment/dev.jsonl, and each Bitext row (routine intents without the
offensive flag, and `contact_human_agent`), the script replays the engine once with every
`detector: model` trigger switched off (what the rules and the other detectors do on their own), and
records, per label, the highest probability over the customer's messages *that the label trigger
could fire on*: the message scores the label above its own `routine` score (detectors/model_label.py)
and the trigger applies to the account's segment (`segments:`, e.g. model_frustration for mid-market
and enterprise only). A set of thresholds then escalates a conversation when the base did, or when
some label reaches its threshold — which is what the engine does, since every customer message is in
the window of the decision made right after it.

It prints, per label and threshold, what that label alone adds: must-escalate conversations gained
(dev), must-not conversations falsely escalated (dev), and clean routine Bitext rows escalated; then
chooses thresholds by coordinate ascent (four sweeps over the labels in name order, starting from
every label off) on
    gained - fp_weight * dev false escalations - bitext_weight * Bitext false escalations
keeping Bitext's clean routine rows at or under the budget, and taking the middle of the grid values
that tie for the best objective (a plateau's middle, not its edge); `--fixed label=value,...` holds
labels at a value of your choosing instead (`off` for disabled) and prints their cost with the rest.
A label the dev split has no family for (`outage`) can only cost here: it comes out `off` unless held. Finally it replays dev and Bitext
through the real engine with the chosen thresholds, so the totals printed are the engine's own, and
prints the YAML for bot/policies/triggers.yaml. The test split is never read.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.judgment_quality import BITEXT_HUMAN, BITEXT_ROUTINE, NOW, find_bitext, load_split  # noqa: E402
from bot.commands.backtest import Conversation, load_engine, replay  # noqa: E402
from bot.domain.model import Account, Message  # noqa: E402
from bot.domain.nlu.api import Label  # noqa: E402
from bot.domain.triggers import EngineConfig, analyse, parse_engine_config  # noqa: E402
from bot.domain.triggers.analysis import LIKELY  # noqa: E402
from bot.domain.triggers.spec import DetectorKind  # noqa: E402

OFF = 1.01  # above every probability: the label trigger off (`enabled: false`)
GRID = [round(0.30 + 0.025 * i, 3) for i in range(28)] + [0.99, OFF]
ROUTINE = str(Label.ROUTINE)


@dataclass
class Row:
    source: str  # dev | bitext
    escalate: bool  # the label: must escalate?
    base: bool  # escalated without the label triggers
    top: dict[str, float]  # label -> highest probability its trigger could fire on


def with_thresholds(config: EngineConfig, labels: dict[str, str], th: dict[str, float]) -> EngineConfig:
    """The same policy with the label triggers at `th` (label -> threshold; OFF or absent: disabled)."""
    triggers = dict(config.raw["triggers"])
    for tid, label in labels.items():
        body = dict(triggers[tid])
        value = th.get(label, OFF)
        if value >= OFF:
            body["enabled"] = False
        else:
            body["enabled"] = True
            body["params"] = {**body.get("params", {}), "threshold": value}
        triggers[tid] = body
    doc = {"triggers": triggers, "segments": config.raw["segments"]}
    return parse_engine_config(doc, classifier=config.classifier)


def rows_for(
    convs: list[Conversation], source: str, truth: list[bool], base_cfg: EngineConfig, full: EngineConfig
) -> list[Row]:
    specs = {str(t.label): t for t in full.triggers if t.detector is DetectorKind.MODEL}
    out = []
    for conv, must in zip(convs, truth, strict=True):
        outcome = replay(conv, base_cfg)
        segment = base_cfg.segment_of(conv.account.tier, conv.account.mrr)
        usable = {label for label, spec in specs.items() if spec.applies_to(segment)}
        top: dict[str, float] = {}
        for m in conv.messages:
            if m.role != "customer":
                continue
            a = analyse(m, base_cfg)
            routine = a.score(ROUTINE)
            for label, p in a.scores:
                if label in usable and p >= LIKELY and p > routine:
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


GROUPS = (
    ("dev must-escalate", "dev", True),
    ("dev must-not", "dev", False),
    ("bitext clean routine", "bitext", False),
    ("bitext contact_human_agent", "bitext", True),
)


def totals(rows: list[Row], th: dict[str, float]) -> dict[str, tuple[int, int]]:
    def fired(r: Row) -> bool:
        return r.base or any(r.top.get(label, 0.0) >= t for label, t in th.items())

    out = {}
    for name, source, must in GROUPS:
        sel = [r for r in rows if r.source == source and r.escalate == must]
        out[name] = (sum(fired(r) for r in sel), len(sel))
    return out


def objective(rows: list[Row], th: dict[str, float], fp_w: float, bx_w: float, budget: float) -> float:
    t = totals(rows, th)
    gained, fp, bx = t["dev must-escalate"][0], t["dev must-not"][0], t["bitext clean routine"]
    if bx[1] and bx[0] / bx[1] > budget:
        return float("-inf")
    return gained - fp_w * fp - bx_w * bx[0]


def choose(
    rows: list[Row], labels: list[str], fp_w: float, bx_w: float, budget: float, fixed: dict[str, float]
) -> dict[str, float]:
    th = {**dict.fromkeys(sorted(labels), OFF), **fixed}
    for _ in range(4):
        for label in sorted(labels):
            scores = [(objective(rows, {**th, label: g}, fp_w, bx_w, budget), g) for g in GRID]
            best = max(s for s, _ in scores)
            ties = [g for s, g in scores if s == best]
            th[label] = ties[len(ties) // 2]
    return th


def real_totals(convs: list[tuple[str, Conversation, bool]], cfg: EngineConfig) -> dict[str, tuple[int, int]]:
    out = {}
    for name, source, must in GROUPS:
        sel = [c for s, c, m in convs if s == source and m == must]
        out[name] = (sum(replay(c, cfg).escalate for c in sel), len(sel))
    return out


def shipped(config: EngineConfig, labels: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in config.triggers:
        if t.id in labels:
            out[str(t.label)] = t.param("threshold", "self-serve") if t.enabled else OFF
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--policy", default=None)
    ap.add_argument("--bitext", type=Path, default=None)
    ap.add_argument("--fp-weight", type=float, default=3.0, help="cost of a dev false escalation vs a gained one")
    ap.add_argument("--bitext-weight", type=float, default=0.25, help="cost of a Bitext routine false escalation")
    ap.add_argument("--bitext-budget", type=float, default=0.008, help="at most this share of clean routine rows")
    ap.add_argument(
        "--fixed",
        default="",
        help="label=threshold,... held fixed (labels with no dev family; 'off' for disabled)",
    )
    args = ap.parse_args(argv)

    config, source = load_engine(args.policy)
    if config.classifier is None:
        print("no model: nothing to choose", file=sys.stderr)
        return 1
    labels = {t.id: str(t.label) for t in config.triggers if t.detector is DetectorKind.MODEL}
    base_cfg = with_thresholds(config, labels, {})
    dev = load_split("dev")
    convs: list[tuple[str, Conversation, bool]] = [("dev", c, bool(c.label_escalate)) for c in dev]
    path = args.bitext or find_bitext()
    if path.exists():
        bconvs, btruth = bitext_rows(path)
        convs += [("bitext", c, t) for c, t in zip(bconvs, btruth, strict=True)]
    rows: list[Row] = []
    for src in ("dev", "bitext"):
        picked = [(c, m) for s, c, m in convs if s == src]
        rows += rows_for([c for c, _ in picked], src, [m for _, m in picked], base_cfg, config)
    print(f"policy: {source} · model: {config.model_version} · dev conversations {len(dev)} · rows {len(rows)}")
    print(f"fp-weight {args.fp_weight} · bitext-weight {args.bitext_weight} · bitext-budget {args.bitext_budget}"
          f" · fixed {args.fixed or 'none'}")  # fmt: skip

    print("\nwhat each label adds on its own (threshold: dev gained / dev false / bitext routine false)")
    base = totals(rows, {})
    for label in sorted(set(labels.values())):
        cells = []
        for t in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
            one = totals(rows, {label: t})
            cells.append(
                f"{t:.2f}: +{one['dev must-escalate'][0] - base['dev must-escalate'][0]}"
                f"/+{one['dev must-not'][0] - base['dev must-not'][0]}"
                f"/+{one['bitext clean routine'][0] - base['bitext clean routine'][0]}"
            )
        print(f"  {label:<18} " + "  ".join(cells))

    fixed = {}
    for item in filter(None, args.fixed.split(",")):
        name, _, value = item.partition("=")
        fixed[name.strip()] = OFF if value.strip() == "off" else float(value)
    th = choose(rows, list(set(labels.values()) - set(fixed)), args.fp_weight, args.bitext_weight,
                args.bitext_budget, fixed)  # fmt: skip
    current = shipped(config, labels)
    for name, th_ in (("without labels", {}), ("policy as loaded", current), ("chosen", th)):
        t = totals(rows, {k: v for k, v in th_.items() if v < OFF})
        print(f"\n{name} (from the recorded scores):")
        for k, (a, n) in t.items():
            print(f"  {k:<28} {a:>5}/{n:<5} {a / n:6.1%}" if n else f"  {k}: none")
    real = real_totals(convs, with_thresholds(config, labels, th))
    print("\nchosen, replayed through the engine:")
    for k, (a, n) in real.items():
        print(f"  {k:<28} {a:>5}/{n:<5} {a / n:6.1%}" if n else f"  {k}: none")
    if real != totals(rows, {k: v for k, v in th.items() if v < OFF}):
        print("  (differs from the recorded scores: the replay is the true figure)")

    print("\nchosen thresholds, for bot/policies/triggers.yaml:")
    by_label = {label: tid for tid, label in labels.items()}
    for label, value in sorted(th.items()):
        shown = "enabled: false" if value >= OFF else f"params: {{threshold: {value:g}}}"
        print(f"  {by_label[label]}: {shown}")
    diff = {label: (current.get(label), value) for label, value in th.items() if current.get(label) != value}
    if diff:
        print("\ndiffers from the policy as loaded: " + ", ".join(
            f"{label} {'off' if a == OFF else a} -> {'off' if b >= OFF else b}" for label, (a, b) in sorted(diff.items())))  # fmt: skip
    else:
        print("\nthe policy as loaded has exactly these thresholds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
