"""Gunicorn's configuration for Baton, from the same environment as `baton serve` (bot/settings.py).

    gunicorn --config python:bot.gunicorn_conf 'bot.server:worker_app()'

Command-line flags given after it override these (e.g. `--workers 4`). Metrics: the workers'
counters are written to PROMETHEUS_MULTIPROC_DIR (a fresh temporary directory unless you set one;
it is emptied at start), so a scrape answered by any worker reports all of them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.settings import Settings

# Before prometheus_client is imported anywhere in this process or its workers (it picks its
# storage at import): workers inherit the variable, and their counters go to files there.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="baton-metrics-")

from prometheus_client import multiprocess  # noqa: E402  (after the variable above, on purpose)

_settings = Settings()


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


bind = [_bind(_settings.host, _settings.port)]
workers = _settings.workers
worker_class = "gthread"  # a bounded pool of threads per worker; idle keep-alive connections wait in a poller
threads = _settings.threads
worker_connections = 1000  # per worker: beyond this, connections wait in the listen backlog
backlog = _settings.backlog
timeout = 30  # a worker whose main loop is stuck this long is killed and replaced
graceful_timeout = _settings.graceful_seconds
keepalive = _settings.keepalive_seconds
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
proc_name = "baton"
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = os.environ.get("BATON_LOG_LEVEL", "warning").lower()


def on_starting(server: Any) -> None:
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def when_ready(server: Any) -> None:
    where = ", ".join(f"http://{addr}" for addr in bind)
    print(
        f"Baton listens on {where}: Slack requests at /slack/events, health at /healthz and /readyz, "
        f"metrics at /metrics ({workers} worker processes x {threads} threads). Ctrl-C or SIGTERM to stop.",
        flush=True,
    )


def worker_exit(server: Any, worker: Any) -> None:
    # Runs in the worker; bot.server is the module gunicorn loaded the application from.
    server_module = sys.modules.get("bot.server")
    if server_module is not None:
        server_module.stop_worker()


def child_exit(server: Any, worker: Any) -> None:
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
