"""`baton export resolved|conversations`: the learning loop's files (JSON Lines).

    baton export resolved --since 30d [-o FILE]        what humans resolved, for the AI agent's training
    baton export conversations --since 30d [-o FILE]   Baton's conversations as `baton backtest` input
    baton export missed --since 30d [-o FILE]          the "Should have escalated" marks as backtest input

resolved: one object per escalation a person resolved in the period: the customer's question, the
  AI's answers before the handoff, the agent's answers, the resolution note, labels (category,
  urgency, segment, team, language, triggers) and the resolver's "Was a human needed?" with reason.
  Emails, phone numbers, card numbers and tokens are masked in every text, whatever the policy says.
conversations: one conversation per line with its messages, labelled where a person said what should
  have happened ("Was a human needed?", "Should have escalated"); masked as the policy's
  `redaction` says (--no-redact keeps the texts). Backtest a policy change on your own history:
      baton export conversations --since 90d -o history.jsonl && baton backtest history.jsonl --policy new.yaml
missed: one line per message an agent marked "Should have escalated" in the period: the conversation
  up to that message, labelled escalate: true (with the category); masked like conversations.

Reads DATABASE_URL (or --db) and BATON_POLICY (or --policy). `--since` takes 7d, 30d, 90d, any Nd,
"this month" or "last month".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from importlib import import_module
from typing import IO, Any

from bot.commands.inputs import read_inputs
from bot.domain.report import Period

KINDS = ("resolved", "conversations", "missed")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="JSON Lines of human-resolved escalations (redacted, for the AI's training) or of conversations (backtest input)",
        description=__doc__.split("\n", 2)[2] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=KINDS, help="resolved escalations, conversations or missed escalations")
    p.add_argument("--since", default="30d", help="7d, 30d, 90d, any Nd, 'this month' or 'last month'")
    p.add_argument("-o", "--output", default="-", help="the file to write (default: standard output)")
    p.add_argument("--no-redact", action="store_true", help="conversations, missed: keep the texts as they are")
    p.add_argument("--policy", default=None, help="policy YAML (default: BATON_POLICY)")
    p.add_argument("--db", default=None, help="database URL (default: DATABASE_URL)")
    p.set_defaults(func=run)
    return p


def _records(flows: Any, what: str, *, db: Any, policy: Any, period: Period, redact: bool) -> Iterable[Any]:
    """The records of one kind (KINDS) of the period."""
    if what == "resolved":  # always masked: the policy's redaction does not apply
        return flows.export_resolved(db=db, start=period.start, end=period.end)
    export = {"conversations": flows.export_conversations, "missed": flows.export_missed}[what]
    return export(db=db, policy=policy, start=period.start, end=period.end, redact=redact)


def run(args: argparse.Namespace) -> int:
    flows = import_module("bot.flows.export")
    if args.no_redact and args.what == "resolved":
        print("error: --no-redact is for conversations; the resolved export is always masked", file=sys.stderr)
        return 2
    got = read_inputs(args)
    if got is None:
        return 2
    period = got.period
    out: IO[str] = sys.stdout
    try:
        with got.database() as engine:
            records = _records(
                flows, args.what, db=engine, policy=got.policy, period=period, redact=not args.no_redact
            )
            if args.output != "-":
                out = open(args.output, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed below
            n = 0
            for record in records:
                out.write(flows.jsonl(record) + "\n")
                n += 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if out is not sys.stdout:
            out.close()
    where = args.output if args.output != "-" else "standard output"
    noun = {"resolved": "escalations", "conversations": "conversations", "missed": "missed escalations"}[args.what]
    print(f"{n} {noun} ({period.label}) written to {where}", file=sys.stderr)
    return 0
