"""Writers of one SQLite file wait in a queue, not in SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the lock taken is put to sleep by
SQLite's busy handler for 1, 2, 5, 10, ... up to 100 ms between tries, so under load a writer keeps
waking up to find the lock taken again by someone who arrived later: measured at 50 events/s over
two gunicorn workers, 37% of the workers' time went to `BEGIN IMMEDIATE`, and card latency p50 was
over a second (docs/benchmarks.md). The gate takes its turn before `BEGIN IMMEDIATE` instead: a
turn among the process's threads (the inbox writer's first: requests wait for its commits), then an exclusive `flock` on a file beside the database between
processes. Both wake the next waiter as soon as the lock is released. SQLite's own locking is
unchanged underneath (anything that does not use the gate — another program, a migration — still
just waits in the busy handler), so the gate decides only the order, never the correctness.

The gate is released when the DBAPI connection commits, rolls back or closes: after the COMMIT has
run, so the next writer's `BEGIN IMMEDIATE` finds the database free.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

WAIT_SECONDS = 30.0  # as busy_timeout: then SQLite's own wait decides (and fails the same way it did)


_thread = threading.local()


def prefer_this_thread() -> None:
    """This thread's writes go first at the gate (the inbox writer: requests wait for its commits)."""
    _thread.preferred = True


class WriteGate:
    """One per database file and process: a turn among the process's threads (preferred threads
    first), then a `flock` shared with other processes."""

    def __init__(self, lock_path: str) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._preferred_waiting = 0
        self._path = lock_path
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self._pid != os.getpid():  # a forked child opens its own: a shared description is one owner
            self._fd, self._pid = None, os.getpid()
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                log.debug("sqlite gate: cannot open %s (%s): processes queue in SQLite", self._path, exc)
        return self._fd

    def acquire(self) -> bool:
        """Take the turn to write; False when it did not come within WAIT_SECONDS (SQLite waits then)."""
        preferred = bool(getattr(_thread, "preferred", False))
        deadline = time.monotonic() + WAIT_SECONDS
        with self._cond:
            if preferred:
                self._preferred_waiting += 1
            try:
                while self._held or (not preferred and self._preferred_waiting):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
                self._held = True
            finally:
                if preferred:
                    self._preferred_waiting -= 1
        fd = self._file()
        if fd is not None:
            # Blocking: the kernel hands the lock to a waiting process when it is let go. (Polling with
            # LOCK_NB starved the other gunicorn worker: this process let go and took it again between
            # two polls, and half the cards waited out the deadline: measured, bench/server.py.) A
            # process stopped while holding it also holds SQLite's write lock, so nobody writes anyway.
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                log.debug("sqlite gate: flock failed (%s)", exc)
        return True

    def release(self) -> None:
        fd = self._fd if self._pid == os.getpid() else None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError as exc:
                log.debug("sqlite gate: unlock failed (%s)", exc)
        with self._cond:
            self._held = False
            self._cond.notify_all()


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str) -> WriteGate:
    """The process's gate for a database file (every engine on the file shares it)."""
    path = os.path.realpath(database)
    with _gates_lock:
        gate = _gates.get(path)
        if gate is None:
            gate = _gates[path] = WriteGate(path + "-writers")
        return gate


class GatedConnection(sqlite3.Connection):
    """A pysqlite connection that gives the gate back when its write transaction ends."""

    baton_gate: WriteGate | None = None
    baton_holds = False

    def take_turn(self) -> None:
        """Take the gate (if this connection has one) before its `BEGIN IMMEDIATE`; `give_back` if
        that BEGIN fails (commit, rollback and close give it back otherwise)."""
        if self.baton_gate is not None and not self.baton_holds:
            self.baton_holds = self.baton_gate.acquire()

    def give_back(self) -> None:
        if self.baton_holds and self.baton_gate is not None:
            self.baton_holds = False
            self.baton_gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_back()


def connect_args(database: str | None) -> dict[str, Any]:
    """pysqlite connect arguments: the gated connection class for a file database."""
    return {"factory": GatedConnection} if database else {}
