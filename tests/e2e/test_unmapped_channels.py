"""Messages from channels the policy does not map are ignored, counted, and said once per channel."""

from __future__ import annotations

import logging

import pytest

from bot.sandbox.world import World


def test_unmapped_channels_are_counted_and_logged_once_each(world: World, caplog: pytest.LogCaptureFixture):
    slack, driver = world.slack, world.driver
    assert driver is not None
    slack.add_channel("C0RANDOM", "random")
    slack.add_channel("C0OTHER", "other")
    team_channel = next(iter(world.policy.teams.values())).channel
    user = next(iter(world.customers.values())).user
    with caplog.at_level(logging.INFO, logger="bot.flows.ingest"):
        for _ in range(3):
            driver.user_says("C0RANDOM", user, "I want a human")
        driver.user_says("C0OTHER", user, "hello")
        driver.user_says(team_channel, "U0BOB", "morning all")  # a team channel: expected, not counted
        world.settle()
    assert world.deps.unmapped.snapshot() == {"C0RANDOM": 3, "C0OTHER": 1}
    said = [r for r in caplog.records if "is not a customer channel" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.INFO, logging.INFO]
    assert {r.getMessage().split()[1] for r in said} == {"C0RANDOM", "C0OTHER"}
    assert "under `accounts`" in said[0].getMessage()
    assert slack.bot_messages(team_channel) == []  # and nothing was escalated from them
