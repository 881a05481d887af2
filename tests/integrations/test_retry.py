from datetime import UTC, datetime, timedelta

import pytest

from integrations.retry import CAP, MAX_RETRY_AFTER, backoff, next_attempt_at, parse_retry_after

NOW = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


def test_exponential_and_capped():
    assert [backoff(n).total_seconds() for n in range(1, 8)] == [10, 20, 40, 80, 160, 320, 600]
    assert backoff(1000) == CAP


def test_deterministic():
    assert backoff(3) == backoff(3)


def test_retry_after_wins_and_is_bounded():
    assert backoff(1, retry_after=45) == timedelta(seconds=45)
    assert backoff(9, retry_after=2) == timedelta(seconds=2)
    assert backoff(1, retry_after=10**9) == MAX_RETRY_AFTER
    assert backoff(2, retry_after=float("nan")) == timedelta(seconds=20)
    assert backoff(2, retry_after=-1) == timedelta(seconds=20)


def test_attempt_starts_at_one():
    with pytest.raises(ValueError):
        backoff(0)


def test_parse_retry_after():
    assert parse_retry_after("7") == 7
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0
    assert parse_retry_after(None) is None and parse_retry_after("") is None
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("Mon, 08 Jun 2026 14:02:00 GMT", NOW) == 120
    assert parse_retry_after("Mon, 08 Jun 2026 13:00:00 GMT", NOW) == 0  # already past
    assert parse_retry_after("Mon, 08 Jun 2026 14:02:00 GMT") is None  # a date needs `now`


def test_next_attempt_at():
    assert next_attempt_at(NOW, 2) == NOW + timedelta(seconds=20)
    assert next_attempt_at(NOW, 2, retry_after=5) == NOW + timedelta(seconds=5)
