from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.surge import is_surge, surge_count

NOW = datetime(2026, 6, 8, 12, tzinfo=UTC)


def test_counts_only_inside_the_window():
    times = [NOW - timedelta(minutes=m) for m in (0, 1, 4.9, 5, 6)] + [NOW + timedelta(seconds=1)]
    assert surge_count(times, NOW, timedelta(minutes=5)) == 3  # 5 min ago is outside, the future is too


def test_is_surge_threshold():
    times = [NOW - timedelta(seconds=s) for s in range(0, 50, 10)]
    assert is_surge(times, NOW, timedelta(minutes=1), 5)
    assert not is_surge(times, NOW, timedelta(minutes=1), 6)
    assert not is_surge([], NOW, timedelta(minutes=1), 2)


def test_bad_arguments():
    with pytest.raises(ValueError):
        is_surge([], NOW, timedelta(minutes=1), 1)
    with pytest.raises(ValueError):
        surge_count([], NOW, timedelta(0))
