"""The `baton` command.

Subcommands are a registry (`COMMANDS`): each entry is a function here, or the dotted name of a module
whose `add_parser(subparsers)` adds one subcommand with `set_defaults(func=...)`. Add yours there.
The logging option (`-v/--verbose/--log-level LEVEL`) is added to every subcommand here, so it works
before and after the subcommand's name. Start-up failures raise `bot.errors.StartupError`: one
line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from bot import __version__, logs
from bot.errors import StartupError

DESCRIPTION = """Baton decides when a human must take over from your AI support agent, and makes the handoff seamless.

Quick start (no Slack workspace needed):  baton demo   or   baton serve --sandbox
Test your escalation policy like code:     baton check my-policy.yaml && baton simulate scenario.yaml
Run it for real:                           baton serve   (see README: Connect your workspace)

Logging: -v LEVEL (debug, info, warning, error) before or after the command; BATON_LOG_FORMAT=json
for one JSON object per line."""

Subparsers = Any  # argparse's _SubParsersAction


# ---------------------------------------------------------------- built-in commands


def _cmd_serve(args: argparse.Namespace) -> int:
    if args.sandbox:
        from bot.sandbox_serve import serve_sandbox

        return serve_sandbox(port=args.port)
    from bot.serve import serve

    return serve(socket_mode=args.socket, port=args.port, workers=args.workers)


def _add_serve(sub: Subparsers) -> None:
    p = sub.add_parser(
        "serve",
        help="run Baton against a real Slack workspace (HTTP or Socket Mode), or the local sandbox",
        description="Run Baton. Start-up problems (database, tokens, network, settings) are reported "
        "in one line, with exit code 2.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--socket", action="store_true", help="use Socket Mode (needs SLACK_APP_TOKEN) instead of HTTP"
    )
    mode.add_argument(
        "--sandbox",
        action="store_true",
        help="no workspace needed: start local stand-ins of Slack, the CRM and PagerDuty on loopback and "
        "Baton against them; act in it with `baton sandbox say/click/show` or the page it prints",
    )
    p.add_argument(
        "--port", type=int, default=None, help="HTTP port (default: BATON_PORT or 3000; --sandbox: its page)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="HTTP worker processes (default: BATON_WORKERS or 2; each runs BATON_THREADS threads)",
    )
    p.set_defaults(func=_cmd_serve, default_log_level="INFO")


def _cmd_migrate(args: argparse.Namespace) -> int:
    from bot.startup import check_database, load_settings, redact_url
    from storage.db import migrate

    settings = load_settings()
    check_database(settings.database_url)
    migrate(settings.database_url)
    print(f"database is up to date ({redact_url(settings.database_url)})")
    return 0


def _add_migrate(sub: Subparsers) -> None:
    p = sub.add_parser("migrate", help="create or upgrade the database schema (DATABASE_URL)")
    p.set_defaults(func=_cmd_migrate)


def _cmd_check(args: argparse.Namespace) -> int:
    from bot.policy import PolicyFileError, load_policy
    from bot.policy_warnings import policy_warnings

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
    for warning in policy_warnings(policy):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _add_check(sub: Subparsers) -> None:
    p = sub.add_parser("check", help="validate a policy file (default: the built-in policy)")
    p.add_argument("policy", nargs="?", default=None, help="path to the policy YAML")
    p.set_defaults(func=_cmd_check)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from bot.demo import print_result
    from bot.policy import PolicyFileError
    from bot.scenario import load_scenario
    from bot.simulate import run_scenario

    try:
        scenario = load_scenario(args.scenario)
        result = run_scenario(
            scenario,
            slack_log=args.slack_log,
            pager_log=args.pager_log,
            helpdesk_log=args.helpdesk_log,
            database_url=args.db or "",
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

    return run_demo(
        slack_log=args.slack_log,
        pager_log=args.pager_log,
        helpdesk_log=args.helpdesk_log,
        database_url=args.db or "",
    )


def _add_logs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--slack-log", metavar="FILE", help="write every Slack Web API call Baton made (JSON lines)"
    )
    p.add_argument(
        "--pager-log", metavar="FILE", help="write every request Baton sent to a pager (JSON lines)"
    )
    p.add_argument(
        "--helpdesk-log",
        metavar="FILE",
        help="write every request Baton sent to the Intercom and Zendesk stand-ins (JSON lines)",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="keep the run's database here (e.g. sqlite:///run.db) to report on it afterwards",
    )


def _add_simulate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "simulate", help="run a scenario in virtual time through the real app and check its expectations"
    )
    p.add_argument("scenario", help="path to the scenario YAML")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    # `--verbose` here predates the logging option: it prints the story (use -v LEVEL for logs).
    p.add_argument("--verbose", action="store_true", help="print the story of the run too")
    _add_logs(p)
    p.set_defaults(func=_cmd_simulate)


def _add_demo(sub: Subparsers) -> None:
    p = sub.add_parser(
        "demo", help="run the built-in demo scenario against local stand-ins of Slack, the CRM and the pager"
    )
    _add_logs(p)
    p.set_defaults(func=_cmd_demo)


# The registry, in `baton --help` order.
COMMANDS: tuple[Callable[[Subparsers], None] | str, ...] = (
    _add_demo,
    _add_simulate,
    _add_check,
    "bot.commands.backtest",
    "bot.commands.helpdesk_import",
    "bot.commands.report",
    "bot.commands.gaps",
    "bot.commands.export",
    "bot.commands.train",
    "bot.commands.explain",
    _add_serve,
    "bot.commands.sandbox",
    _add_migrate,
)


# ---------------------------------------------------------------- the logging option


def _level(value: str) -> str:
    try:
        logs.parse_level(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _add_log_option(p: argparse.ArgumentParser, *, default: Any) -> None:
    flags = [f for f in ("-v", "--verbose", "--log-level") if f not in p._option_string_actions]
    p.add_argument(
        *flags,
        dest="log_level",
        metavar="LEVEL",
        type=_level,
        default=default,
        help="log level: debug, info, warning, error (default: warning; info for serve)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baton", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"baton {__version__}")
    _add_log_option(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for entry in COMMANDS:
        if isinstance(entry, str):
            import_module(entry).add_parser(sub)
        else:
            entry(sub)
    for p in sub.choices.values():
        # SUPPRESS: a level given before the subcommand is kept unless one is given after it too.
        _add_log_option(p, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = args.log_level or getattr(args, "default_log_level", "WARNING")
    try:
        fmt = logs.parse_format(os.environ.get("BATON_LOG_FORMAT"))
    except ValueError as exc:
        print(f"error: BATON_LOG_FORMAT: {exc}", file=sys.stderr)
        return 2
    logs.configure(logs.parse_level(level), fmt)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
