"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL points at one:

DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test pytest
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.db import normalise_url

PG_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith(("postgres://", "postgresql"))


_schemas = itertools.count()


def _admin(sql: str) -> None:
    engine = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test: a SQLite file, or a private schema in the PostgreSQL of
    DATABASE_URL (created for the test, dropped after it: the database's own tables are never touched,
    and parallel runs do not collide)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path}/baton.db"
        return
    schema = f"baton_test_{os.getpid()}_{next(_schemas)}"
    _admin(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        _admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def monday_morning() -> datetime:
    """2026-11-23 10:00 in New York: a Monday, inside business hours."""
    return datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
