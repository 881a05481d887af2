import math
from datetime import timedelta

import pytest

from bot.domain.errors import PolicyError
from bot.domain.wait import DEFAULT_EXPECTED_WAIT, default_wait, describe, expected_wait


def test_median_of_pickups():
    assert expected_wait([60, 600, 120], timedelta(minutes=15)) == timedelta(seconds=120)
    assert expected_wait([60, 120, 300, 600], timedelta(minutes=15)) == timedelta(seconds=210)


def test_default_without_history():
    assert expected_wait([], timedelta(minutes=7)) == timedelta(minutes=7)
    assert expected_wait([]) == DEFAULT_EXPECTED_WAIT == timedelta(minutes=15)


def test_bad_samples_are_ignored_and_min_samples_respected():
    assert expected_wait([-5, math.nan, math.inf, 300], timedelta(minutes=1)) == timedelta(seconds=300)
    assert expected_wait([-5, math.nan], timedelta(minutes=1)) == timedelta(minutes=1)
    assert expected_wait([60, 60], timedelta(minutes=9), min_samples=3) == timedelta(minutes=9)


def test_default_wait_from_policy():
    assert default_wait({"teams": {"t": {}}}, "t") == timedelta(minutes=15)
    assert default_wait({"team_defaults": {"expected_wait": "1h"}, "teams": {"t": {}}}, "t") == timedelta(hours=1)
    assert default_wait({"teams": {"t": {"expected_wait": "5m"}}}, "t") == timedelta(minutes=5)
    for bad in ("soon", "0"):
        with pytest.raises(PolicyError) as e:
            default_wait({"teams": {"t": {"expected_wait": bad}}}, "t")
        assert e.value.path == ("teams", "t", "expected_wait")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "less than a minute"),
        (44, "less than a minute"),
        (50, "about 1 minute"),
        (150, "about 2 minutes"),
        (9 * 60 + 20, "about 9 minutes"),
        (10 * 60, "about 10 minutes"),
        (12 * 60, "about 10 minutes"),
        (13 * 60, "about 15 minutes"),
        (89 * 60, "about 90 minutes"),
        (90 * 60, "about 2 hours"),
        (5 * 3600, "about 5 hours"),
        (3 * 86400, "about 3 days"),
    ],
)
def test_describe(seconds, text):
    assert describe(timedelta(seconds=seconds)) == text
