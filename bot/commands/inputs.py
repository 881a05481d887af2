"""What the commands that read Baton's database share (`baton report`, `gaps`, `export`): the period of
`--since`, the policy of `--policy` (or BATON_POLICY) and the database of `--db` (or DATABASE_URL),
migrated before use and disposed after.

Settings, the policy and the database layer load only when a command runs (import_module): the
commands' parsers are built for `baton --help`, which must stay fast (bench/model_speed.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from bot.domain.report import Period, parse_period


@dataclass(frozen=True)
class Inputs:
    period: Period
    policy: Any  # bot.policy.Policy
    url: str

    @contextmanager
    def database(self) -> Iterator[Any]:
        """The engine of the database, migrated to the head; disposed on the way out."""
        db = import_module("storage.db")
        engine = db.make_engine(self.url)
        try:
            db.migrate(self.url)
            yield engine
        finally:
            engine.dispose()


def read_inputs(args: argparse.Namespace) -> Inputs | None:
    """The period, policy and database URL the arguments name; None (the error said on standard
    error) when `--since` or the policy is wrong: the command then exits 2."""
    settings = import_module("bot.settings").Settings()
    policy_mod = import_module("bot.policy")
    try:
        period = parse_period(args.since, datetime.now(UTC))
    except ValueError as exc:
        print(f"error: --since {exc}", file=sys.stderr)
        return None
    try:
        policy = policy_mod.load_policy(args.policy or settings.baton_policy or None)
    except policy_mod.PolicyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    return Inputs(period, policy, args.db or settings.database_url)
