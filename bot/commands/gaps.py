"""`baton gaps`: the knowledge gaps from the command line (what `/escalations gaps` answers).

    baton gaps --since 30d [--json] [--limit 10] [--db URL] [--policy FILE]

The topics customers escalated most because the AI failed them (low confidence, repeated questions,
"that didn't help"), grouped by meaning, with the count against the period before and example
questions (masked as the policy's `redaction` says). `--json` prints every topic with the ids of its
escalations. Reads DATABASE_URL (or --db) and BATON_POLICY (or --policy).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import import_module
from typing import Any

from bot.commands.inputs import read_inputs


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "gaps",
        help="knowledge gaps: the topics that escalated most because the AI failed (DATABASE_URL)",
        description=__doc__.split("\n\n", 2)[2] if __doc__ else None,
    )
    p.add_argument("--since", default="30d", help="7d, 30d, 90d, any Nd, 'this month' or 'last month'")
    p.add_argument("--limit", type=int, default=10, help="how many topics (default 10)")
    p.add_argument("--json", action="store_true", help="print the topics as JSON")
    p.add_argument("--policy", default=None, help="policy YAML (default: BATON_POLICY)")
    p.add_argument("--db", default=None, help="database URL (default: DATABASE_URL)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    # Loaded only when asked for: `baton --help` never imports the model or the database layer.
    flows = import_module("bot.flows.gaps")
    if args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    got = read_inputs(args)
    if got is None:
        return 2
    period = got.period
    with got.database() as engine:
        gaps = flows.knowledge_gaps(db=engine, policy=got.policy, period=period, limit=args.limit)
    if args.json:
        print(json.dumps(gaps.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(
        f"Knowledge gaps: {period.label} ({period.start:%Y-%m-%d %H:%M} – {period.end:%Y-%m-%d %H:%M} UTC)"
    )
    print(
        f"  {gaps.failed} of {gaps.escalations} escalations were opened because the AI failed"
        f" ({gaps.failed_before} in the period before)"
    )
    if not gaps.topics:
        print("  no knowledge gaps in this period")
    for i, t in enumerate(gaps.topics, 1):
        print(f"{i}. {t.label}")
        print(f"   {t.count} escalation{'s' if t.count != 1 else ''} ({t.previous} before, {t.change:+d})"
              f" · {', '.join(f'{k} ×{n}' for k, n in t.triggers)}")
        for e in t.examples[1:]:
            print(f"   > {e}")
    return 0
