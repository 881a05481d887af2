"""`baton serve` over HTTP: gunicorn, BATON_WORKERS processes x BATON_THREADS threads, one Baton per process.

Why gunicorn (measured against waitress and the former wsgiref server): docs/operations.md.
`baton serve` checks the configuration and migrates the database once, in one process; then it
becomes (exec) the gunicorn master, which binds the socket (backlog BATON_BACKLOG) and forks the
workers. Each worker builds its own runtime here, after the fork (database pool, Slack client,
inbox workers, scheduler): nothing with a thread or a socket in it crosses a fork. The same server
can be started by hand or by a process manager:

    gunicorn --config python:bot.gunicorn_conf 'bot.server:worker_app()'

SIGTERM to the master: it stops accepting, each worker finishes the requests it is answering
(within BATON_GRACEFUL_SECONDS), stops its scheduler and inbox workers, and the master exits 0.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from apscheduler.schedulers.background import BackgroundScheduler

from bot import logs
from bot.scheduler import start_scheduler
from bot.settings import Settings
from bot.wiring import Runtime, build, integrations_from_settings

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CONFIG = "python:bot.gunicorn_conf"
APP = "bot.server:worker_app()"


@dataclass
class _Worker:
    runtime: Runtime
    scheduler: BackgroundScheduler


_current: list[_Worker] = []  # this process's runtime (one per gunicorn worker); empty in the master


def worker_app() -> WSGIApp:
    """Gunicorn's application factory: called once in each worker process, after the fork."""
    # The same log set-up as the `baton` command: timestamps or JSON (BATON_LOG_FORMAT), ids, no secrets.
    logs.configure(
        logs.parse_level(os.environ.get("BATON_LOG_LEVEL", "WARNING")),
        logs.parse_format(os.environ.get("BATON_LOG_FORMAT")),
    )
    settings = Settings()
    logs.redact_values(logs.secret_values(settings))
    accounts, pagers, sources = integrations_from_settings(settings)
    # The master migrated already: workers starting together must not race to create tables.
    runtime = build(
        settings, accounts=accounts, pagers=pagers, oncall_sources=sources, run_migrations=False
    )
    scheduler = start_scheduler(runtime.deps, settings.sweep_seconds)
    _current.append(_Worker(runtime, scheduler))
    return runtime.wsgi


def stop_worker() -> None:
    """Gunicorn's worker_exit hook: in-flight requests are answered; stop the sweep and the inbox workers."""
    while _current:
        worker = _current.pop()
        worker.scheduler.shutdown(wait=True)  # a sweep under way finishes
        worker.runtime.close()  # inbox workers stop; what they have not taken stays in the inbox


def exec_gunicorn(*, port: int | None = None, workers: int | None = None) -> NoReturn:
    """Replace this process with the gunicorn master (same pid: signals reach it directly)."""
    env = dict(os.environ)
    if port is not None:
        env["BATON_PORT"] = str(port)
    if workers is not None:
        env["BATON_WORKERS"] = str(workers)
    env.setdefault("BATON_LOG_LEVEL", logging.getLevelName(logging.getLogger().getEffectiveLevel()))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "gunicorn", "--config", CONFIG, APP], env)
