"""The `baton` command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from bot import __version__

DESCRIPTION = """Baton decides when a human must take over from your AI support agent, and makes the handoff seamless.

Quick start (no Slack workspace needed):  baton demo
Test your escalation policy like code:     baton check my-policy.yaml && baton simulate scenario.yaml
Run it for real:                           baton serve   (see README: Connect your workspace)"""


def _cmd_serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve(socket_mode=args.socket, port=args.port, workers=args.workers)


def _cmd_migrate(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from storage.db import migrate

    settings = Settings()
    migrate(settings.database_url)
    print(f"database is up to date ({_redact(settings.database_url)})")
    return 0


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _cmd_check(args: argparse.Namespace) -> int:
    from bot.policy import PolicyFileError, load_policy

    try:
        policy = load_policy(args.policy)
    except PolicyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{policy.source}: OK")
    print(f"  teams: {', '.join(f'{t.name} ({t.channel})' for t in policy.teams.values())}")
    print(
        f"  routing: {', '.join(f'{c} -> {t}' for c, t in sorted(policy.routes.items()))}; default -> {policy.default_team}"
    )
    print(f"  customer channels: {len(policy.accounts)}")
    labels = [
        f"{t.label} >= {t.param('threshold', 'self-serve'):g} ({t.id})"
        for t in policy.engine.triggers
        if t.enabled and t.label is not None
    ]
    print(f"  model labels: {', '.join(labels) or 'none'} (see `baton explain` to try a message)")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from bot.demo import print_result
    from bot.policy import PolicyFileError
    from bot.scenario import load_scenario
    from bot.simulate import run_scenario

    try:
        scenario = load_scenario(args.scenario)
        result = run_scenario(
            scenario, slack_log=args.slack_log, pager_log=args.pager_log, database_url=args.db or ""
        )
    except PolicyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        print_result(result, verbose=args.verbose)
    return 0 if result.passed else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(slack_log=args.slack_log, pager_log=args.pager_log, database_url=args.db or "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baton", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"baton {__version__}")
    parser.add_argument(
        "-v", "--log-level", default="WARNING", help="logging level (DEBUG, INFO, WARNING...)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("serve", help="run Baton against a real Slack workspace (HTTP or Socket Mode)")
    p.add_argument(
        "--socket", action="store_true", help="use Socket Mode (needs SLACK_APP_TOKEN) instead of HTTP"
    )
    p.add_argument("--port", type=int, default=None, help="HTTP port (default: BATON_PORT or 3000)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="HTTP worker processes (default: BATON_WORKERS or 2; each runs BATON_THREADS threads)",
    )
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("migrate", help="create or upgrade the database schema (DATABASE_URL)")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("check", help="validate a policy file (default: the built-in policy)")
    p.add_argument("policy", nargs="?", default=None, help="path to the policy YAML")
    p.set_defaults(func=_cmd_check)

    for name, helptext in (
        ("simulate", "run a scenario in virtual time through the real app and check its expectations"),
        ("demo", "run the built-in demo scenario against local stand-ins of Slack, the CRM and the pager"),
    ):
        p = sub.add_parser(name, help=helptext)
        if name == "simulate":
            p.add_argument("scenario", help="path to the scenario YAML")
            p.add_argument("--json", action="store_true", help="print the result as JSON")
            p.add_argument("--verbose", action="store_true", help="print the story of the run too")
            p.set_defaults(func=_cmd_simulate)
        else:
            p.set_defaults(func=_cmd_demo)
        p.add_argument(
            "--slack-log", metavar="FILE", help="write every Slack Web API call Baton made (JSON lines)"
        )
        p.add_argument(
            "--pager-log", metavar="FILE", help="write every request Baton sent to a pager (JSON lines)"
        )
        p.add_argument(
            "--db",
            metavar="URL",
            help="keep the run's database here (e.g. sqlite:///run.db) to report on it afterwards",
        )

    from importlib import import_module

    # `baton backtest` lives with the trigger engine's tooling.
    import_module("bot.commands.backtest").add_parser(sub)
    import_module("bot.commands.report").add_parser(sub)
    import_module("bot.commands.train").add_parser(sub)
    import_module("bot.commands.explain").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
