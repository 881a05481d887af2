"""The inbox table: one insert per key, and concurrent workers never lease one item twice.
Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from storage import inbox as store
from storage.db import make_engine, migrate, session_scope
from storage.models import InboxItem

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _item(key: str, lane: str = "events") -> InboxItem:
    return InboxItem(
        key=key,
        lane=lane,
        kind="message",
        content_type="application/json",
        body="{}",
        received_at=NOW,
        available_at=NOW,
    )


def test_a_key_is_recorded_once(db):
    with session_scope(db) as s:
        first = store.record(s, _item("event:Ev1"))
    with session_scope(db) as s:
        again = store.record(s, _item("event:Ev1"))
    assert first is not None and again is None
    with session_scope(db) as s:
        assert store.keys(s) == ["event:Ev1"]


def test_concurrent_workers_lease_disjoint_items(db, database_url):
    with session_scope(db) as s:
        for n in range(120):
            store.record(s, _item(f"event:Ev{n:03d}"))
    engines = [make_engine(database_url) for _ in range(4)]
    taken: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(engines), timeout=30)

    def worker(engine) -> None:
        barrier.wait()
        while True:
            with session_scope(engine) as s:
                items = store.lease(s, "events", NOW, NOW + timedelta(seconds=30), 7)
            if not items:
                return
            with lock:
                taken.extend(i.key for i in items)

    threads = [threading.Thread(target=worker, args=(e,), daemon=True) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.dispose()
    assert not any(t.is_alive() for t in threads)
    doubled = [k for k, n in Counter(taken).items() if n > 1]
    assert doubled == [] and len(taken) == 120


def test_a_lease_runs_out_and_a_finished_item_is_never_leased_again(db):
    with session_scope(db) as s:
        store.record(s, _item("event:a"))
        store.record(s, _item("event:b"))
    with session_scope(db) as s:
        [a, b] = store.lease(s, "events", NOW, NOW + timedelta(seconds=30), 10)
        store.finish(s, b.id, NOW)
    with session_scope(db) as s:
        assert store.lease(s, "events", NOW + timedelta(seconds=29), NOW + timedelta(seconds=60), 10) == []
    with session_scope(db) as s:  # the worker holding `a` died: after its lease, another takes it
        [again] = store.lease(s, "events", NOW + timedelta(seconds=31), NOW + timedelta(seconds=61), 10)
    assert again.key == "event:a" and again.attempts == 2
    with session_scope(db) as s:
        assert store.lease(s, "interactive", NOW + timedelta(hours=1), NOW + timedelta(hours=2), 10) == []
