"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL points at one:

DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test pytest
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.db import normalise_url

PG_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith(("postgres://", "postgresql"))


def _reset_postgres(url: str) -> None:
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test: a SQLite file, or the PostgreSQL in DATABASE_URL, emptied."""
    if ON_POSTGRES:
        _reset_postgres(PG_URL)
        yield PG_URL
    else:
        yield f"sqlite:///{tmp_path}/baton.db"


@pytest.fixture
def monday_morning() -> datetime:
    """2026-11-23 10:00 in New York: a Monday, inside business hours."""
    return datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
