"""Fixtures for the Slack stand-in and driver tests: a small workspace with a Slack Connect customer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient

from bot.clock import VirtualClock
from bot.sandbox.slack import FakeSlack

TOKEN = "xoxb-sandbox"
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeSlack]:
    slack = FakeSlack(TOKEN, clock=clock)
    slack.add_team("T0ACME", "Acme Corp", "acme")
    slack.add_user("U0AGENT", "dana", real_name="Dana Agent", email="dana@ourteam.example")
    slack.add_user("U0OTHER", "omar", real_name="Omar Other", email="omar@ourteam.example")
    slack.add_user("U0CUST", "carla", team_id="T0ACME", email="Carla@Acme.example")
    slack.add_channel("C0TEAM", "billing-escalations", members=["U0AGENT"])
    slack.add_channel("C0SHARED", "acme-support", ext_shared=True, members=["U0AGENT", "U0CUST"])
    with slack:
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.base_url)
