"""Engine setup and migrations. SQLite by default (a file, WAL on); PostgreSQL through DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from storage import sqlite_gate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "baton_read_only"  # execution option carried by read_scope's connections
MIGRATION_LOCK = 0x6261746F6E  # pg_advisory_lock key ("baton"): one migrating instance at a time


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        on_file = bool(database) and database != ":memory:" and not str(database).startswith("file:")
        gate = sqlite_gate.gate_for(str(database)) if on_file else None
        pool_args: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size} if on_file else {}
        engine = create_engine(
            url,
            **pool_args,
            connect_args={
                "check_same_thread": False,
                "timeout": 30,
                **sqlite_gate.connect_args(str(database) if on_file else None),
            },
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            if isinstance(dbapi_conn, sqlite_gate.GatedConnection):
                dbapi_conn.baton_gate = gate
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url != "sqlite://":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        # pysqlite's own transaction handling defers BEGIN; take the write lock at BEGIN instead, so
        # read-then-write sequences cannot deadlock on the upgrade from a shared to a write lock.
        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        # A read-only session (read_scope) begins DEFERRED: it takes no write lock, so readers (card
        # views, /escalations, /metrics, the sweep's due-row scans) never queue behind writers in WAL.
        # Writers queue at the gate first (storage/sqlite_gate.py), not in SQLite's sleeping busy handler.
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY, False):
                conn.exec_driver_sql("BEGIN")
                return
            dbapi_conn = conn.connection.dbapi_connection
            gated = isinstance(dbapi_conn, sqlite_gate.GatedConnection)
            if gated:
                dbapi_conn.take_turn()
            try:
                # Through SQLAlchemy, so a failed BEGIN ("database is locked" after busy_timeout, an
                # I/O error) is an OperationalError like any other, not a bare sqlite3 error that the
                # inbox writer's and the lanes' handlers would not catch.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if gated:
                    dbapi_conn.give_back()
                raise

        return engine
    # connect_timeout: an unreachable database fails a connection in 2 s, so a request that finds it
    # down is still spooled and answered within Slack's 3 s.
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 2},
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads: no write lock on SQLite (plain BEGIN), READ ONLY on PostgreSQL.

    Nothing is committed; a write attempted inside fails (SQLite: it would need the lock it did not
    take, so it may wait for busy_timeout; PostgreSQL refuses it at once).
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    # Closing (not rolling back) ends the transaction and leaves what was read loaded on the objects.
    with Session(engine.execution_options(**options), expire_on_commit=False) as session:
        yield session


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database to the newest schema (idempotent; safe to run on every start)."""
    from alembic import command

    cfg = alembic_config(url)
    if not normalise_url(url).startswith("postgresql"):
        # SQLite: one host; `baton serve` migrates once in the master before it starts its workers.
        command.upgrade(cfg, "head")
        return
    # Several instances starting together would race to create the same tables: take turns.
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                command.upgrade(cfg, "head")
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()
