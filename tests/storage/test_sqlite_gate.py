"""SQLite's writers queue at the gate (storage/sqlite_gate.py): every write lands, a preferred thread
(the inbox writer) goes before the others, and processes share the turn through the lock file."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from sqlalchemy import text

from storage import sqlite_gate
from storage.db import make_engine


def _engine(path: Path):
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (who TEXT, n INTEGER)"))
    return engine


def _writes(path: str, who: str, n: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    for i in range(n):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": who, "n": i})
    engine.dispose()


def test_threads_and_processes_writing_at_once_lose_nothing(tmp_path: Path):
    path = tmp_path / "gate.db"
    engine = _engine(path)
    procs = [multiprocessing.get_context("spawn").Process(target=_writes, args=(str(path), f"p{i}", 40)) for i in range(2)]
    for p in procs:
        p.start()
    threads = [threading.Thread(target=_writes, args=(str(path), f"t{i}", 40)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT who, count(*) FROM t GROUP BY who")).all())
    assert counts == {**{f"t{i}": 40 for i in range(6)}, **{f"p{i}": 40 for i in range(2)}}
    assert (tmp_path / "gate.db-writers").exists()
    engine.dispose()


def _waiting(gate: sqlite_gate.WriteGate, n: int) -> None:
    deadline = time.monotonic() + 30
    while len(gate._cond._waiters) < n:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.01)


def test_a_preferred_thread_writes_before_those_already_waiting(tmp_path: Path):
    path = tmp_path / "order.db"
    engine = _engine(path)
    gate = sqlite_gate.gate_for(str(path))
    order: list[str] = []

    def write(who: str, preferred: bool) -> None:
        if preferred:
            sqlite_gate.prefer_this_thread()
        with engine.begin() as conn:
            order.append(who)
            conn.execute(text("INSERT INTO t VALUES (:w, 0)"), {"w": who})

    conn = engine.connect()
    holder = conn.begin()  # holds the gate and the write lock
    conn.execute(text("INSERT INTO t VALUES ('holder', 0)"))
    plain = [threading.Thread(target=write, args=(f"plain{i}", False)) for i in range(3)]
    for t in plain:
        t.start()
    _waiting(gate, 3)
    first = threading.Thread(target=write, args=("preferred", True))
    first.start()
    _waiting(gate, 4)
    holder.commit()
    conn.close()
    for t in [*plain, first]:
        t.join(timeout=30)
    assert order[0] == "preferred" and sorted(order[1:]) == ["plain0", "plain1", "plain2"]
    engine.dispose()


def test_a_failed_begin_gives_the_turn_back(tmp_path: Path):
    path = tmp_path / "rollback.db"
    engine = _engine(path)
    gate = sqlite_gate.gate_for(str(path))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('x', 1)"))
            raise RuntimeError("the transaction fails")
    except RuntimeError:
        pass
    assert not gate._held  # type: ignore[attr-defined]
    with engine.begin() as conn:  # the next writer gets its turn at once
        conn.execute(text("INSERT INTO t VALUES ('y', 1)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM t")).scalars().all() == ["y"]
    engine.dispose()

