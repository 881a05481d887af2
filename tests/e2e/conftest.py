from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from bot.clock import VirtualClock
from bot.sandbox.world import AgentSpec, World
from tests.e2e.helpers import ACCOUNTS, AGENT


@pytest.fixture
def world_factory(database_url: str, monday_morning: datetime) -> Iterator[Callable[..., World]]:
    started: list[World] = []

    def make(**kwargs: Any) -> World:
        kwargs.setdefault("clock", VirtualClock(monday_morning))
        kwargs.setdefault("accounts", ACCOUNTS)
        kwargs.setdefault("agents", [AgentSpec(AGENT, "alice"), AgentSpec("U0BOB", "bob")])
        kwargs.setdefault("database_url", database_url)
        w = World(**kwargs).start()
        started.append(w)
        return w

    yield make
    for w in started:
        w.stop()


@pytest.fixture
def world(world_factory: Callable[..., World]) -> World:
    return world_factory()
