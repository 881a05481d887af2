"""Measure the default trigger policy on the Bitext customer-service utterances.

    python3 bench/bitext_quality.py [CSV] [--policy POLICY.yaml] [--show N]

CSV defaults to ../shared/data/bitext-customer-service/bitext-customer-service-8k.csv relative to the
repository root; when it is absent the script says so and exits 0. Each row is scored as a one-message
conversation from a self-serve customer (the data set's README), and the script prints:
  * recall of `contact_human_agent` (explicit human requests), target >= 0.98
  * escalation rate on clean (no `W` flag) routine rows, target <= 1 %
  * category `billing` on `payment_issue` + `get_refund`, target >= 95 %
  * apart: `W` (offensive) routine rows, and the ambiguous intents (complaint, contact_customer_service,
    delete_account), with their escalation rates and categories.
`--show N` prints up to N misses of each kind, to study (not to memorise: the policy is also judged on
held-out messages).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.model import Account, Message  # noqa: E402
from bot.domain.triggers import EngineConfig, default_engine_config, evaluate, parse_engine_config  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "bitext-customer-service" / "bitext-customer-service-8k.csv"
HUMAN = "contact_human_agent"
ROUTINE = {
    "track_order", "create_account", "get_invoice", "check_invoice", "recover_password", "change_order", "review",
    "check_refund_policy", "check_cancellation_fee", "delivery_options", "delivery_period", "track_refund",
    "switch_account", "check_payment_methods", "newsletter_subscription", "edit_account", "registration_problems",
    "change_shipping_address", "set_up_shipping_address", "place_order", "cancel_order",
}  # fmt: skip
BILLING = {"payment_issue", "get_refund"}
AMBIGUOUS = {"complaint", "contact_customer_service", "delete_account"}
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, business hours


def _config(policy: str | None) -> EngineConfig:
    if not policy:
        return default_engine_config()
    import yaml

    with open(policy, encoding="utf-8") as fh:
        return parse_engine_config(yaml.safe_load(fh) or {})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
    ap.add_argument("--policy")
    ap.add_argument("--show", type=int, default=0, help="print up to N misses of each kind")
    args = ap.parse_args(argv)
    path = Path(args.csv)
    if not path.exists():
        print(f"bitext data not found at {path}: nothing to measure (pass the CSV path as an argument)")
        return 0
    config = _config(args.policy)
    account = Account(id="bitext", tier="self-serve")

    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    by_intent: dict[str, list[tuple[str, bool, str, list[str]]]] = {}
    for i, row in enumerate(rows):
        msg = Message(role="customer", text=row["utterance"], ts=NOW, ref=f"row{i + 2}")
        d = evaluate([msg], account, NOW, config)
        by_intent.setdefault(row["intent"], []).append((row["flags"], d.escalate, d.category, d.trigger_ids))

    def rate(items: list[tuple[str, bool, str, list[str]]]) -> str:
        k = sum(1 for it in items if it[1])
        return f"{k}/{len(items)} = {k / len(items):.2%}" if items else "n/a"

    human = by_intent.get(HUMAN, [])
    hr = [it for it in human if "human_request" in it[3]]
    clean = [it for name in ROUTINE for it in by_intent.get(name, []) if "W" not in it[0]]
    offensive = [it for name in ROUTINE for it in by_intent.get(name, []) if "W" in it[0]]
    billing = [it for name in BILLING for it in by_intent.get(name, [])]
    billing_ok = sum(1 for it in billing if it[2] == "billing")

    print(f"rows: {len(rows)}  policy: {args.policy or 'built-in default'}")
    recall = len(hr) / len(human) if human else 0.0
    esc = sum(1 for it in human if it[1]) / len(human) if human else 0.0
    print(
        f"contact_human_agent recall (human_request fired): {len(hr)}/{len(human)} = {recall:.2%}   target >= 98%"
    )
    print(f"contact_human_agent escalated (any trigger):      {esc:.2%}")
    k = sum(1 for it in clean if it[1])
    print(f"clean routine rows escalated: {rate(clean)}   target <= 1%")
    print(
        f"billing category on payment_issue + get_refund: {billing_ok}/{len(billing)} = {billing_ok / max(1, len(billing)):.2%}   target >= 95%"
    )
    print(f"offensive (W) routine rows escalated: {rate(offensive)}")
    for name in sorted(AMBIGUOUS):
        items = by_intent.get(name, [])
        cats = Counter(it[2] for it in items).most_common(3)
        trig = Counter(t for it in items for t in it[3]).most_common(3)
        print(f"ambiguous {name}: escalated {rate(items)}; categories {cats}; triggers {trig}")
    fired = Counter(
        t for name in ROUTINE for it in by_intent.get(name, []) if "W" not in it[0] for t in it[3]
    )
    if fired:
        print(f"triggers on clean routine rows: {dict(fired.most_common())}")
    ok = recall >= 0.98 and k / max(1, len(clean)) <= 0.01 and billing_ok / max(1, len(billing)) >= 0.95
    print("targets met" if ok else "TARGETS NOT MET")

    if args.show:
        miss_h = [r["utterance"] for r in rows if r["intent"] == HUMAN][: len(rows)]
        hit_ids = {i for i, it in enumerate(human) if "human_request" in it[3]}
        print("\n-- human requests missed:")
        for i, text in enumerate(miss_h):
            if i not in hit_ids:
                print("  ", text)
        print("-- clean routine rows escalated:")
        shown = 0
        for row in rows:
            if row["intent"] in ROUTINE and "W" not in row["flags"] and shown < args.show:
                d = evaluate([Message(role="customer", text=row["utterance"], ts=NOW)], account, NOW, config)
                if d.escalate:
                    shown += 1
                    print("  ", row["intent"], "|", row["utterance"], "->", d.trigger_ids)
        print("-- billing rows with another category:")
        shown = 0
        for row in rows:
            if row["intent"] in BILLING and shown < args.show:
                d = evaluate([Message(role="customer", text=row["utterance"], ts=NOW)], account, NOW, config)
                if d.category != "billing":
                    shown += 1
                    print("  ", row["intent"], "|", row["utterance"], "->", d.category)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
