"""Alembic environment: migrations target storage.models' metadata."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel, create_engine

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import normalise_url

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return normalise_url(os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or "")


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or _url(), poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
