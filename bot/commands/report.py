"""`baton report`: the managers' report from the command line, for people who script.

    baton report --since 30d [--by team|segment|trigger|category|language] [--json] [--chart FILE.png]

Reads DATABASE_URL (and BATON_POLICY for the teams' SLA targets and hours). `--since` takes what
`/escalations report` takes: 7d, 30d, 90d, any Nd, "this month", "last month". `--json` prints every
figure with its numerator and denominator (see docs/reports.md for the definitions).
"""

from __future__ import annotations

import argparse
import json
from importlib import import_module
from typing import Any

from bot.commands.inputs import read_inputs
from bot.domain.report import Breakdown


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="escalation rate, accuracy, pickup, SLA, handle time and CSAT for a period (DATABASE_URL)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    p.add_argument("--since", default="30d", help="7d, 30d, 90d, any Nd, 'this month' or 'last month'")
    p.add_argument("--by", choices=[b.value for b in Breakdown], default=None, help="break the figures down")
    p.add_argument("--json", action="store_true", help="print every figure with numerator and denominator")
    p.add_argument("--chart", metavar="FILE.png", default=None, help="write the per-day chart as a PNG")
    p.add_argument("--policy", default=None, help="policy YAML for SLA targets (default: BATON_POLICY)")
    p.add_argument("--db", default=None, help="database URL (default: DATABASE_URL)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    # The report's modules (and matplotlib) load only when a report is asked for: `baton --help` stays fast.
    flows = import_module("bot.flows.report")
    got = read_inputs(args)
    if got is None:
        return 2
    period = got.period
    with got.database() as engine:
        report = flows.build_report(
            db=engine, policy=got.policy, period=period, by=Breakdown(args.by) if args.by else None
        )
    if args.chart:
        chart = import_module("bot.chart")
        with open(args.chart, "wb") as fh:
            fh.write(chart.escalations_chart(report.figures.per_day, title=f"Escalations, {period.label}"))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    cards = import_module("bot.report_cards")
    print(f"Baton report: {period.label} ({period.start:%Y-%m-%d %H:%M} – {period.end:%Y-%m-%d %H:%M} UTC)")
    for line in cards.headline_lines(report.figures, report.previous):
        print("  " + _plain(line))
    if report.groups:
        print(f"By {report.by}:")
        for g in report.groups:
            print("  " + _plain(cards.group_line(g)))
    if args.chart:
        print(f"chart written to {args.chart}")
    return 0


def _plain(mrkdwn: str) -> str:
    for token in ("*", ":small_red_triangle_down:", ":small_red_triangle:", ":warning:"):
        mrkdwn = mrkdwn.replace(token, {"*": "", ":small_red_triangle_down:": "↓", ":small_red_triangle:": "↑", ":warning:": "(!)"}[token])
    return mrkdwn.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").lstrip("• ")
