"""The inbox writer (bot/inbox_writer.py): rows from many request threads are committed together,
each caller gets its own id back only after the commit, a known key gives None, and "done" marks
go out with the next transaction. Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.clock import VirtualClock
from bot.inbox_writer import InboxWriter, NotStored
from storage import inbox as store
from storage.db import make_engine, migrate, read_scope, session_scope
from storage.models import InboxItem

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _item(key: str) -> InboxItem:
    return InboxItem(
        key=key, lane="events", kind="message", content_type="application/json", body="{}",
        received_at=NOW, available_at=NOW,
    )  # fmt: skip


def test_concurrent_records_are_committed_with_their_own_ids(db):
    writer = InboxWriter(db=db, clock=VirtualClock(NOW)).start()
    ids: dict[str, int | None] = {}

    def one(key: str) -> None:
        ids[key] = writer.record(_item(key), wait=60)

    threads = [threading.Thread(target=one, args=(f"event:E{i:03d}",)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with read_scope(db) as s:
        stored = {key: store.by_key(s, key) for key in ids}
    assert all(item is not None and item.id == ids[key] for key, item in stored.items())
    assert len(set(ids.values())) == 40
    assert writer.record(_item("event:E000"), wait=60) is None  # a retry of a known key
    writer.stop()


def test_finished_items_are_marked_done_with_the_next_transaction(db):
    writer = InboxWriter(db=db, clock=VirtualClock(NOW)).start()
    a = writer.record(_item("event:a"), wait=60)
    b = writer.record(_item("event:b"), wait=60)
    assert a is not None and b is not None
    writer.finish(a)
    writer.stop()  # flushes what is queued
    with read_scope(db) as s:
        assert store.keys(s, store.Status.DONE) == ["event:a"]
        assert store.keys(s, store.Status.PENDING) == ["event:b"]


def test_a_stopped_writer_stores_nothing_and_says_so(db):
    writer = InboxWriter(db=db, clock=VirtualClock(NOW)).start()
    writer.stop()
    with pytest.raises(NotStored):
        writer.record(_item("event:late"))


def test_a_batch_with_a_key_twice_and_a_known_key_stores_each_once(db):
    with session_scope(db) as s:
        [known] = store.record_many(s, [_item("event:known")])
    with session_scope(db) as s:
        ids = store.record_many(s, [_item("event:x"), _item("event:known"), _item("event:x"), _item("event:y")])
    assert known is not None and ids[1] is None and ids[2] is None
    assert ids[0] is not None and ids[3] is not None and ids[0] != ids[3]
    with read_scope(db) as s:
        assert sorted(store.keys(s)) == ["event:known", "event:x", "event:y"]
        assert store.by_key(s, "event:x").id == ids[0]


def test_a_begin_that_fails_fails_its_batch_and_the_writer_lives_on(tmp_path):
    """Another writer that does not use Baton's gate (the sqlite3 shell, a backup, a migration) holds
    the write lock past busy_timeout: BEGIN IMMEDIATE fails. That batch is refused (its requests are
    spooled by the caller), as an SQLAlchemy error, and the next batch is stored once the lock is free."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    migrate(url)
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout=200")

    writer = InboxWriter(db=engine, clock=VirtualClock(NOW)).start()
    assert writer.record(_item("event:before"), wait=30) is not None
    other = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(NotStored):
        writer.record(_item("event:locked-out"), wait=30)
    with pytest.raises(OperationalError), session_scope(engine) as s:  # not a bare sqlite3 error
        s.execute(text("UPDATE inbox SET attempts = attempts"))
    other.execute("COMMIT")
    other.close()
    assert writer.record(_item("event:after"), wait=30) is not None
    writer.stop()
    engine.dispose()
