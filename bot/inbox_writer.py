"""Group commit for the inbox: the request path's inserts and the workers' finishes, many per transaction.

Every request Slack sends is stored before it is answered (bot/inbox.py). Stored one transaction
each, the inserts queue for SQLite's one write lock (and on PostgreSQL each costs a commit and its
WAL flush); at a few hundred requests a second the acks wait behind each other. Here a request
thread hands its row to one writer thread and waits: the writer inserts every row that arrived
while the previous transaction ran, in one transaction, commits, and only then wakes the waiting
threads with their ids. Nothing is answered before its row is committed. A worker's "done" is
queued the same way and goes out with the next transaction; the worker does not wait for it (if
the process dies first, the item's lease runs out and it is processed again: the flows are
idempotent, as after any crash).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock
from storage import inbox as store
from storage.db import session_scope
from storage.models import InboxItem
from storage.sqlite_gate import prefer_this_thread

log = logging.getLogger(__name__)

MAX_BATCH = 256  # rows per transaction
WAIT_SECONDS = 2.5  # a request waits this long for its row, then goes to the spool (Slack's limit is 3 s)


class NotStored(Exception):
    """The row was not committed in time (or its transaction failed): the caller spools the request."""


@dataclass
class _Entry:
    item: InboxItem
    done: threading.Event = field(default_factory=threading.Event)
    item_id: int | None = None
    error: BaseException | None = None


class InboxWriter:
    def __init__(self, *, db: Engine, clock: Clock, max_batch: int = MAX_BATCH) -> None:
        self.db, self.clock, self.max_batch = db, clock, max_batch
        self._cond = threading.Condition()
        self._pending: list[_Entry] = []
        self._finished: list[int] = []
        self._busy = False
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="baton-inbox-writer", daemon=True)

    def start(self) -> InboxWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Write what is queued, then stop."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._pending and not self._finished and not self._busy

    def record(self, item: InboxItem, *, wait: float = WAIT_SECONDS) -> int | None:
        """Insert the item once per key and commit: its id, or None when the key is known. NotStored
        when it could not be committed within `wait` seconds (it may still be, later: its key makes
        a second copy from the spool a no-op)."""
        entry = _Entry(item)
        with self._cond:
            if self._stopped or not self._thread.is_alive():
                raise NotStored("the inbox writer is not running")
            self._pending.append(entry)
            self._cond.notify_all()
        if not entry.done.wait(wait):
            with self._cond:
                if entry in self._pending:
                    self._pending.remove(entry)
            raise NotStored(f"not committed within {wait} s")
        if entry.error is not None:
            raise NotStored(str(entry.error).splitlines()[0][:200] if str(entry.error) else "failed")
        return entry.item_id

    def finish(self, item_id: int) -> None:
        """Mark a processed item done with the next transaction (the caller does not wait)."""
        with self._cond:
            self._finished.append(item_id)
            self._cond.notify_all()

    def _run(self) -> None:
        prefer_this_thread()  # requests are waiting for these commits: first at SQLite's write gate
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._finished or self._stopped)
                if self._stopped and not self._pending and not self._finished:
                    return
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                finished, self._finished = self._finished, []
                self._busy = True
            try:
                self._write(batch, finished)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _write(self, batch: list[_Entry], finished: list[int]) -> None:
        try:
            with session_scope(self.db) as session:
                ids = store.record_many(session, [entry.item for entry in batch])  # one statement
                store.finish_many(session, finished, self.clock.now())
        except Exception as exc:  # any failure fails this batch (spooled by the callers); the thread lives on
            if not isinstance(exc, SQLAlchemyError):
                log.error("inbox writer: unexpected %s: %s", type(exc).__name__, exc)
            for entry in batch:
                entry.error = exc
                entry.done.set()
            if finished:
                log.warning("inbox: cannot mark %d items done (%s); retrying", len(finished), exc)
                with self._cond:
                    self._finished.extend(finished)
                    if self._stopped:
                        self._finished.clear()  # stopping: their leases run out and they run again
                        return
                    self._cond.wait(0.5)
            return
        for entry, item_id in zip(batch, ids, strict=True):
            entry.item_id = item_id
            entry.done.set()
