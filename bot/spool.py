"""A local durable spool for requests that arrive while the database cannot be written.

Each process appends to its own segment file (`spool-<pid>.jsonl`), one JSON object per line,
flushed and fsynced before Slack is answered, and holds an exclusive `flock` on it while it lives.
Draining renames the segment to `<name>.<ns>.replay` (new requests go to a fresh segment), inserts
its entries into the inbox in file order, and deletes the file once every entry is in. Entries
carry the inbox key, so an entry inserted twice (a drain cut short by a crash, two processes
draining one dead process's file) is inserted once: nothing is ever processed twice.

While anything is spooled, new requests are spooled too, so they reach the inbox in arrival order.
A segment whose owner died (its lock is free) is drained by whichever process finds it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._name = f"spool-{os.getpid()}.jsonl"
        self.active = self._leftovers_exist()

    # ---------------------------------------------------------------- writing

    def append(self, entry: dict[str, Any]) -> None:
        """Write one entry durably (fsync) before the caller answers 200; raises OSError if it cannot."""
        line = json.dumps(entry, separators=(",", ":")).encode("utf-8") + b"\n"
        with self._lock:
            f = self._segment()
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
            self.active = True

    def _segment(self) -> IO[bytes]:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = open(self.directory / self._name, "ab")  # noqa: SIM115 (held open while appending)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            _fsync_dir(self.directory)
        return self._file

    # ---------------------------------------------------------------- draining

    def drain(self, insert: Callable[[dict[str, Any]], None]) -> int:
        """Insert every spooled entry, oldest first; returns how many. An insert that raises stops the
        drain with the rest kept (the next drain resumes; entries already in are keyed, so no double)."""
        done = 0
        while True:
            self._rotate()
            replays = self._claim_orphans() + sorted(self.directory.glob("*.replay"))
            if not replays:
                with self._lock:
                    if self._file is None:  # nothing was appended since the rotation
                        self.active = False
                        return done
                continue
            for path in replays:
                done += self._replay(path, insert)

    def _rotate(self) -> None:
        with self._lock:
            if self._file is None:
                return
            f, self._file = self._file, None
            target = self.directory / f"{self._name}.{time.time_ns()}.replay"
            os.replace(self.directory / self._name, target)
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
            f.close()

    def _claim_orphans(self) -> list[Path]:
        """Segments of processes that are gone (their lock can be taken): renamed for replay."""
        claimed: list[Path] = []
        if not self.directory.exists():
            return claimed
        for path in sorted(self.directory.glob("spool-*.jsonl")):
            if path.name == self._name and self._file is not None:
                continue
            try:
                with open(path, "rb") as f:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    target = path.with_name(f"{path.name}.{time.time_ns()}.replay")
                    os.replace(path, target)
                    claimed.append(target)
            except BlockingIOError:
                continue  # a live process owns it
            except FileNotFoundError:
                continue  # another process claimed it first
        return claimed

    def _replay(self, path: Path, insert: Callable[[dict[str, Any]], None]) -> int:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return 0
        count = 0
        for line in data.splitlines():
            try:
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                # Only a torn last line can be unreadable, and it was never answered 200.
                log.warning("spool %s: skipping an unreadable entry (%d bytes)", path.name, len(line))
                continue
            insert(entry)
            count += 1
        path.unlink(missing_ok=True)
        if count:
            log.info("spool: %d request(s) from %s are in the inbox", count, path.name)
        return count

    def _leftovers_exist(self) -> bool:
        if not self.directory.exists():
            return False
        return any(self.directory.glob("*.replay")) or any(self.directory.glob("spool-*.jsonl"))

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable too (a crash right after creating it keeps it)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
