"""Measure Baton's judgment on the hand-written dev/test conversations and on the shared Bitext set.

    python3 bench/judgment_quality.py [--split dev|test|all] [--policy P] [--bitext CSV | --no-bitext]
                                      [--show N] [--json]

The conversations in bench/judgment/ (dev.jsonl, test.jsonl; see bench/judgment/README.md) are replayed
through the same code as `baton backtest`: the policy's engine (the built-in policy unless --policy; the
packaged model when the engine has one), deciding after every message. The script prints, with the
acceptance targets of issue 7 beside them:
  * recall on must-escalate conversations, false escalations on must-not ones (all, and tricky routine);
  * per family (the tag `family`; `non_english` is every must-escalate conversation not in English),
    per language, single- vs multi-turn, and the overall figures of each split;
  * category accuracy where a category is labelled, and urgency where one is expected;
  * the Bitext customer-service set (path as an argument, default ../shared/data/... from the repository
    or an ancestor): `contact_human_agent` escalated, clean routine rows escalated (target <= 1 %),
    `billing` category on payment_issue + get_refund, apart the offensive and ambiguous intents.

The test split is for final figures only: the per-family and per-language tables are printed for the
split asked for (`--split`, default dev); the test split's overall line is printed beside dev's so a
regression shows, but tune on dev. Exit status 0 (this measures; it does not judge).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.commands.backtest import Conversation, Outcome, load_engine, parse_conversation, replay  # noqa: E402
from bot.domain.model import Account, Message  # noqa: E402
from bot.domain.triggers import EngineConfig, analyse, decide  # noqa: E402

DATA = ROOT / "bench" / "judgment"
SPLITS = ("dev", "test")
BITEXT_REL = Path("shared") / "data" / "bitext-customer-service" / "bitext-customer-service-8k.csv"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday in business hours (Bitext rows have no time)

TARGETS = {
    "must_escalate_recall": 0.90,
    "must_not_false_escalation": 0.03,
    "tricky_false_escalation": 0.10,
    "family_min": 0.60,
    "bitext_clean_routine": 0.01,
    "bitext_human": 0.98,
    "bitext_billing_category": 0.95,
}
BITEXT_HUMAN = "contact_human_agent"
BITEXT_ROUTINE = {
    "track_order", "create_account", "get_invoice", "check_invoice", "recover_password", "change_order", "review",
    "check_refund_policy", "check_cancellation_fee", "delivery_options", "delivery_period", "track_refund",
    "switch_account", "check_payment_methods", "newsletter_subscription", "edit_account", "registration_problems",
    "change_shipping_address", "set_up_shipping_address", "place_order", "cancel_order",
}  # fmt: skip
BITEXT_BILLING = {"payment_issue", "get_refund"}
BITEXT_AMBIGUOUS = ("complaint", "contact_customer_service", "delete_account")


@dataclass
class Scored:
    conv: Conversation
    out: Outcome

    @property
    def tag(self) -> dict[str, Any]:
        return self.conv.tags

    @property
    def expected(self) -> bool:
        return bool(self.conv.label_escalate)

    @property
    def right(self) -> bool:
        return self.out.escalate == self.expected


# ---------------------------------------------------------------- running


def load_split(name: str, data: Path = DATA) -> list[Conversation]:
    path = data / f"{name}.jsonl"
    convs = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                conv = parse_conversation(line, NOW)  # a bad line is a bug in the set: let it raise
                if conv.label_escalate is None or "family" not in conv.tags:
                    raise ValueError(f"{path}:{number}: every conversation needs label.escalate and tags.family")
                convs.append(conv)
    return convs


def score(convs: Iterable[Conversation], config: EngineConfig) -> list[Scored]:
    return [Scored(c, replay(c, config)) for c in convs]


def model_version(config: EngineConfig) -> str:
    """The model that scored messages under this policy ("" when the engine runs rules only)."""
    msg = Message(role="customer", text="hello", ts=NOW, ref="probe")
    d = decide([(msg, analyse(msg, config))], Account(id="probe"), NOW, config)
    return d.model_version


# ---------------------------------------------------------------- measuring


def _rate(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def _esc(items: list[Scored]) -> dict[str, Any]:
    k = sum(s.out.escalate for s in items)
    return {"n": len(items), "escalated": k, "rate": _rate(k, len(items))}


def summary(items: list[Scored]) -> dict[str, Any]:
    pos = [s for s in items if s.expected]
    neg = [s for s in items if not s.expected]
    tricky = [s for s in neg if s.tag["family"] == "tricky_routine"]
    return {
        "conversations": len(items),
        "must_escalate": _esc(pos),
        "must_not": _esc(neg),
        "tricky_routine": _esc(tricky),
    }


def family_key(s: Scored) -> str:
    fam = str(s.tag["family"])
    if fam == "business_context":
        return "business_context (escalate)" if s.expected else "business_context (not)"
    return fam


def groups(items: list[Scored], key: Any) -> dict[str, list[Scored]]:
    out: dict[str, list[Scored]] = {}
    for s in items:
        out.setdefault(key(s), []).append(s)
    return dict(sorted(out.items()))


def family_table(items: list[Scored]) -> dict[str, Any]:
    fams = groups(items, family_key)
    non_en = [s for s in items if s.expected and s.tag.get("language") != "en"]
    if non_en:
        fams["non_english (derived)"] = non_en
    table = {}
    for name, rows in fams.items():
        expected = rows[0].expected
        right = sum(s.right for s in rows)
        table[name] = {
            "direction": "escalate" if expected else "not",
            "n": len(rows),
            "correct": right,
            "score": _rate(right, len(rows)),  # recall for must-escalate, 1 - false escalations for must-not
            "escalated": sum(s.out.escalate for s in rows),
        }
    return table


def subfamily_table(items: list[Scored]) -> dict[str, Any]:
    subs = groups(items, lambda s: f"{family_key(s)}/{s.tag.get('subfamily', '-')}")
    return {k: {"n": len(v), "score": _rate(sum(s.right for s in v), len(v))} for k, v in subs.items()}


def slice_table(items: list[Scored], key: Any) -> dict[str, Any]:
    table = {}
    for name, rows in groups(items, key).items():
        pos = [s for s in rows if s.expected]
        neg = [s for s in rows if not s.expected]
        table[name] = {
            "must_escalate": _esc(pos),
            "must_not": _esc(neg),
        }
    return table


def categories(items: list[Scored]) -> dict[str, Any]:
    labelled = [s for s in items if s.conv.label_category is not None]
    escalated = [s for s in labelled if s.out.escalate]
    right = sum(s.out.category == s.conv.label_category for s in labelled)
    right_esc = sum(s.out.category == s.conv.label_category for s in escalated)
    per: dict[str, Any] = {}
    for s in labelled:
        row = per.setdefault(str(s.conv.label_category), {"n": 0, "right": 0, "predicted": {}})
        row["n"] += 1
        row["right"] += s.out.category == s.conv.label_category
        row["predicted"][s.out.category] = row["predicted"].get(s.out.category, 0) + 1
    return {
        "labelled": len(labelled),
        "accuracy": _rate(right, len(labelled)),
        "escalated": len(escalated),
        "accuracy_when_escalated": _rate(right_esc, len(escalated)),
        "per_category": dict(sorted(per.items())),
    }


def urgency(items: list[Scored]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for want in ("immediate", "queued"):
        rows = [s for s in items if s.expected and s.tag.get("urgency") == want and s.out.escalate]
        k = sum(s.out.urgency == want for s in rows)
        table[want] = {"escalated": len(rows), "same_urgency": k, "rate": _rate(k, len(rows))}
    return table


def misses(items: list[Scored], limit: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for s in items:
        if s.right:
            continue
        rows = out.setdefault(family_key(s), [])
        if len(rows) < limit:
            last = next(m.text for m in reversed(s.conv.messages) if m.role == "customer")
            rows.append({"id": s.conv.id, "escalated": s.out.escalate, "triggers": s.out.triggers, "text": last})
    return out


def measure(items: list[Scored], show: int = 0) -> dict[str, Any]:
    result = {
        **summary(items),
        "families": family_table(items),
        "subfamilies": subfamily_table(items),
        "languages": slice_table(items, lambda s: str(s.tag.get("language", "?"))),
        "turns": slice_table(items, lambda s: str(s.tag.get("turns", "?"))),
        "categories": categories(items),
        "urgency": urgency(items),
    }
    if show:
        result["misses"] = misses(items, show)
    return result


# ---------------------------------------------------------------- Bitext


def find_bitext() -> Path:
    for base in [ROOT, *ROOT.parents]:
        if (base / BITEXT_REL).exists():
            return base / BITEXT_REL
    return ROOT.parent / BITEXT_REL


def bitext(path: Path, config: EngineConfig) -> dict[str, Any] | None:
    if not path.exists():
        return None
    account = Account(id="bitext", tier="self-serve")
    by_intent: dict[str, list[tuple[str, Outcome]]] = {}
    with path.open(encoding="utf-8-sig") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            msg = Message(role="customer", text=row["utterance"], ts=NOW, ref=f"row{i + 2}")
            out = replay(Conversation(f"row{i + 2}", account, [msg]), config)
            by_intent.setdefault(row["intent"], []).append((row["flags"], out))

    def esc(rows: list[tuple[str, Outcome]]) -> dict[str, Any]:
        k = sum(o.escalate for _, o in rows)
        return {"n": len(rows), "escalated": k, "rate": _rate(k, len(rows))}

    clean = [r for name in BITEXT_ROUTINE for r in by_intent.get(name, []) if "W" not in r[0]]
    offensive = [r for name in BITEXT_ROUTINE for r in by_intent.get(name, []) if "W" in r[0]]
    billing = [r for name in BITEXT_BILLING for r in by_intent.get(name, [])]
    bill_ok = sum(o.category == "billing" for _, o in billing)
    fired: dict[str, int] = {}
    for _, o in clean:
        for t in o.triggers:
            fired[t] = fired.get(t, 0) + 1
    return {
        "path": str(path),
        "rows": sum(len(v) for v in by_intent.values()),
        "contact_human_agent": esc(by_intent.get(BITEXT_HUMAN, [])),
        "clean_routine": esc(clean),
        "clean_routine_triggers": dict(sorted(fired.items(), key=lambda x: -x[1])),
        "offensive_routine": esc(offensive),
        "billing_category": {"n": len(billing), "right": bill_ok, "rate": _rate(bill_ok, len(billing))},
        "ambiguous": {name: esc(by_intent.get(name, [])) for name in BITEXT_AMBIGUOUS},
    }


# ---------------------------------------------------------------- printing


def _pct(x: float | None) -> str:
    return "   n/a" if x is None else f"{x:6.1%}"


def _mark(ok: bool) -> str:
    return "ok  " if ok else "MISS"


def _ratio(d: dict[str, Any], key: str = "escalated") -> str:
    return f"{d[key]:>4}/{d['n']:<4} {_pct(d['rate'])}"


def print_report(report: dict[str, Any], out: Any = sys.stdout) -> None:
    w = out.write
    t = TARGETS
    w(f"Judgment quality · policy: {report['policy']} · model: {report['model'] or 'none (rules only)'}\n")
    w(f"data: {report['data']}\n\n")
    w("split   convs   must-escalate recall   must-not false esc.   tricky routine false esc.\n")
    for name, s in report["splits"].items():
        w(
            f"{name:<7}{s['conversations']:>6}   {_ratio(s['must_escalate'])}      "
            f"{_ratio(s['must_not'])}     {_ratio(s['tricky_routine'])}\n"
        )
    w(
        f"target          >= {t['must_escalate_recall']:.0%}                   <= {t['must_not_false_escalation']:.0%}"
        f"                  <= {t['tricky_false_escalation']:.0%}\n"
    )
    d = report["detail"]
    name = report["detail_split"]
    w(f"\n== {name} split in detail ==\n")
    me, mn, tr = d["must_escalate"], d["must_not"], d["tricky_routine"]
    w(f"must-escalate recall      {_ratio(me)}   target >= {t['must_escalate_recall']:.0%}  "
      f"{_mark((me['rate'] or 0) >= t['must_escalate_recall'])}\n")  # fmt: skip
    w(f"must-not false escalation {_ratio(mn)}   target <= {t['must_not_false_escalation']:.0%}   "
      f"{_mark((mn['rate'] or 0) <= t['must_not_false_escalation'])}\n")  # fmt: skip
    w(f"tricky routine false esc. {_ratio(tr)}   target <= {t['tricky_false_escalation']:.0%}  "
      f"{_mark((tr['rate'] or 0) <= t['tricky_false_escalation'])}\n")  # fmt: skip

    w(f"\nper family (score: recall for must-escalate, share left alone for must-not; target >= {t['family_min']:.0%})\n")
    for fam, row in d["families"].items():
        ok = (row["score"] or 0) >= t["family_min"]
        w(f"  {fam:<32}{row['direction']:<9}{row['correct']:>4}/{row['n']:<4} {_pct(row['score'])}  {_mark(ok)}\n")
    w("\nper language          must-escalate recall   must-not false esc.\n")
    for lang, row in d["languages"].items():
        w(f"  {lang:<20}{_ratio(row['must_escalate'])}      {_ratio(row['must_not'])}\n")
    w("\nsingle / multi-turn   must-escalate recall   must-not false esc.\n")
    for turns, row in d["turns"].items():
        w(f"  {turns:<20}{_ratio(row['must_escalate'])}      {_ratio(row['must_not'])}\n")
    c = d["categories"]
    w(
        f"\ncategory accuracy: {_pct(c['accuracy']).strip()} of {c['labelled']} labelled; "
        f"{_pct(c['accuracy_when_escalated']).strip()} of the {c['escalated']} escalated\n"
    )
    for cat, row in c["per_category"].items():
        w(f"  {cat:<14}{row['right']:>3}/{row['n']:<3}  predicted {row['predicted']}\n")
    u = d["urgency"]
    w(
        f"urgency as expected: immediate {u['immediate']['same_urgency']}/{u['immediate']['escalated']}, "
        f"queued {u['queued']['same_urgency']}/{u['queued']['escalated']} (of those escalated)\n"
    )
    if "misses" in d:
        w("\nmisses (last customer message):\n")
        for fam, rows in d["misses"].items():
            w(f"  -- {fam}\n")
            for r in rows:
                text = r["text"].replace("\n", " ")[:110]
                w(f"     {r['id']:<36} {'ESC' if r['escalated'] else 'no '} {r['triggers']}  {text}\n")

    b = report.get("bitext")
    if b is None:
        if report["bitext_path"]:
            w(f"\nBitext: not found at {report['bitext_path']} (pass the CSV path with --bitext)\n")
        return
    w(f"\n== Bitext customer-service set ({b['rows']} rows, one-message self-serve conversations) ==\n")
    h, cr, bc = b["contact_human_agent"], b["clean_routine"], b["billing_category"]
    w(f"contact_human_agent escalated   {_ratio(h)}   target >= {t['bitext_human']:.0%}  "
      f"{_mark((h['rate'] or 0) >= t['bitext_human'])}\n")  # fmt: skip
    w(f"clean routine rows escalated    {_ratio(cr)}   target <= {t['bitext_clean_routine']:.0%}   "
      f"{_mark((cr['rate'] or 0) <= t['bitext_clean_routine'])}\n")  # fmt: skip
    w(f"billing category (payment_issue + get_refund) {bc['right']}/{bc['n']} {_pct(bc['rate'])}   "
      f"target >= {t['bitext_billing_category']:.0%}  {_mark((bc['rate'] or 0) >= t['bitext_billing_category'])}\n")  # fmt: skip
    w(f"offensive (W) routine escalated {_ratio(b['offensive_routine'])}   (measured apart)\n")
    for name, row in b["ambiguous"].items():
        w(f"ambiguous {name:<22}{_ratio(row)}   (policy's call)\n")
    if b["clean_routine_triggers"]:
        w(f"triggers on clean routine rows: {b['clean_routine_triggers']}\n")


def print_markdown(dev: dict[str, Any], test: dict[str, Any], out: Any = sys.stdout) -> None:
    """Tables for docs/quality.md: overall per split, per family and per language, dev beside test."""
    w = out.write
    t = TARGETS

    def cell(d: dict[str, Any]) -> str:
        return f"{d['escalated']}/{d['n']} = {_pct(d['rate']).strip()}" if d["n"] else "-"

    w(f"policy: {dev['policy']} · model: {dev['model'] or 'none (rules only)'}\n\n")
    w("| split | conversations | must-escalate escalated | must-not escalated | tricky routine escalated |\n")
    w("|---|---|---|---|---|\n")
    for name, s in dev["splits"].items():
        w(f"| {name} | {s['conversations']} | {cell(s['must_escalate'])} | {cell(s['must_not'])} | "
          f"{cell(s['tricky_routine'])} |\n")  # fmt: skip
    w(f"| target | | ≥ {t['must_escalate_recall']:.0%} | ≤ {t['must_not_false_escalation']:.0%} | "
      f"≤ {t['tricky_false_escalation']:.0%} |\n\n")  # fmt: skip
    w("| family | direction | dev | test | target |\n|---|---|---|---|---|\n")
    fams = dev["detail"]["families"]
    for fam, row in fams.items():
        trow = test["detail"]["families"].get(fam)
        tcell = f"{trow['correct']}/{trow['n']} = {_pct(trow['score']).strip()}" if trow else "-"
        w(f"| {fam} | {row['direction']} | {row['correct']}/{row['n']} = {_pct(row['score']).strip()} | {tcell} | "
          f"≥ {t['family_min']:.0%} |\n")  # fmt: skip
    w("\n| language | must-escalate escalated (dev) | (test) | must-not escalated (dev) | (test) |\n")
    w("|---|---|---|---|---|\n")
    for lang, row in dev["detail"]["languages"].items():
        trow = test["detail"]["languages"][lang]
        w(f"| {lang} | {cell(row['must_escalate'])} | {cell(trow['must_escalate'])} | {cell(row['must_not'])} | "
          f"{cell(trow['must_not'])} |\n")  # fmt: skip
    for name, r in (("dev", dev), ("test", test)):
        c, u = r["detail"]["categories"], r["detail"]["urgency"]
        w(f"\n{name}: category right on {_pct(c['accuracy']).strip()} of {c['labelled']} labelled "
          f"({_pct(c['accuracy_when_escalated']).strip()} of the {c['escalated']} escalated); urgency as expected on "
          f"{u['immediate']['same_urgency']}/{u['immediate']['escalated']} immediate and "
          f"{u['queued']['same_urgency']}/{u['queued']['escalated']} queued escalations\n")  # fmt: skip
    b = dev.get("bitext")
    if b:
        w("\n| Bitext measure | result | target |\n|---|---|---|\n")
        w(f"| `contact_human_agent` escalated | {cell(b['contact_human_agent'])} | ≥ {t['bitext_human']:.0%} |\n")
        w(f"| clean routine rows escalated | {cell(b['clean_routine'])} | ≤ {t['bitext_clean_routine']:.0%} |\n")
        bc = b["billing_category"]
        w(f"| category `billing` on payment_issue + get_refund | {bc['right']}/{bc['n']} = {_pct(bc['rate']).strip()} | "
          f"≥ {t['bitext_billing_category']:.0%} |\n")  # fmt: skip
        w(f"| offensive (`W`) routine rows escalated | {cell(b['offensive_routine'])} | measured apart |\n")
        for name, row in b["ambiguous"].items():
            w(f"| `{name}` (ambiguous) escalated | {cell(row)} | policy's call |\n")


# ---------------------------------------------------------------- main


def run(split: str = "dev", policy: str | None = None, bitext_path: Path | None = None, show: int = 0,
        data: Path = DATA) -> dict[str, Any]:  # fmt: skip
    config, source = load_engine(policy)
    scored = {name: score(load_split(name, data), config) for name in SPLITS}
    everything = scored["dev"] + scored["test"]
    splits = {name: summary(items) for name, items in scored.items()}
    splits["all"] = summary(everything)
    detail = everything if split == "all" else scored[split]
    path = bitext_path if bitext_path is not None else find_bitext()
    return {
        "policy": source,
        "model": model_version(config),
        "data": str(data),
        "targets": TARGETS,
        "splits": splits,
        "detail_split": split,
        "detail": measure(detail, show),
        "bitext_path": "" if bitext_path == Path("") else str(path),
        "bitext": None if bitext_path == Path("") else bitext(path, config),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--split", choices=("dev", "test", "all"), default="dev", help="split shown in detail")
    ap.add_argument("--policy", default=None, help="policy YAML (default: the built-in policy)")
    ap.add_argument("--bitext", default=None, help="the Bitext CSV (default: shared/data/... next to the repo)")
    ap.add_argument("--no-bitext", action="store_true", help="skip the Bitext set")
    ap.add_argument("--show", type=int, default=0, help="list up to N wrong conversations per family")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--markdown", action="store_true", help="print tables for docs/quality.md (dev and test)")
    args = ap.parse_args(argv)
    path = Path("") if args.no_bitext else (Path(args.bitext) if args.bitext else None)
    if args.markdown:
        print_markdown(run("dev", args.policy, path), run("test", args.policy, Path("")))
        return 0
    report = run(args.split, args.policy, path, args.show)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
