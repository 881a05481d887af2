"""Read-only units of work take no write lock (SQLite) and refuse writes (PostgreSQL); migrations take turns."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from storage.db import make_engine, migrate, read_scope, session_scope
from storage.models import ProcessedInbound
from tests.conftest import ON_POSTGRES

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
def test_a_read_does_not_wait_for_a_writer_holding_the_lock(db, database_url):
    with session_scope(db) as s:
        s.add(ProcessedInbound(key="k1", received_at=NOW))
    # Another connection holds SQLite's write lock (as a long write transaction would).
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO processed_inbound (key, received_at) VALUES ('k2', '2026-11-23 15:00:00')")
    try:
        # BEGIN IMMEDIATE would wait for the lock (busy_timeout: 30 s) and then fail; a plain BEGIN reads.
        with read_scope(db) as s:
            keys = [p.key for p in s.exec(select(ProcessedInbound))]
        assert keys == ["k1"]  # the uncommitted row is not seen
        # ...while a write still needs the lock: a writer with no patience is refused.
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_objects_read_stay_usable_after_the_scope(db):
    with session_scope(db) as s:
        s.add(ProcessedInbound(key="k1", received_at=NOW))
    with read_scope(db) as s:
        row = s.get(ProcessedInbound, "k1")
    assert row is not None and row.received_at == NOW


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's READ ONLY transactions")
def test_a_write_in_a_read_scope_is_refused(db):
    with pytest.raises(DBAPIError, match="read-only"), read_scope(db) as s:
        s.add(ProcessedInbound(key="k1", received_at=NOW))
        s.flush()


@pytest.mark.skipif(not ON_POSTGRES, reason="instances migrating a shared PostgreSQL at once")
def test_instances_starting_together_migrate_one_at_a_time(database_url):
    errors: list[BaseException] = []
    barrier = threading.Barrier(3, timeout=30)

    def start() -> None:
        try:
            barrier.wait()
            migrate(database_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    engine = make_engine(database_url)
    try:
        with read_scope(engine) as s:
            assert list(s.exec(select(ProcessedInbound))) == []
    finally:
        engine.dispose()
