"""The one retry policy: Retry-After to the second, equal-jitter backoff, at least once a minute early on."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.retry import (
    EARLY_CAP,
    LATE_CAP,
    MAX_RETRY_AFTER,
    OUTAGE_WINDOW,
    backoff,
    header,
    parse_retry_after,
)

NOW = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


def seconds(attempt: int, r: float, **kw: object) -> float:
    return backoff(attempt, rand=lambda: r, **kw).total_seconds()  # type: ignore[arg-type]


def test_exponential_with_equal_jitter():
    # half the delay is fixed, half random: 5 s, 10 s, 20 s, 40 s, then the early cap of 60 s
    assert [seconds(n, 0.0) for n in range(1, 7)] == [2.5, 5, 10, 20, 30, 30]
    assert [seconds(n, 0.999999) for n in range(1, 7)] == pytest.approx([5, 10, 20, 40, 60, 60], abs=1e-3)


def test_first_ten_minutes_of_an_outage_retry_at_least_once_a_minute():
    for attempt in range(1, 200):
        assert backoff(attempt, failing_for=OUTAGE_WINDOW - timedelta(seconds=1)) <= EARLY_CAP


def test_after_ten_minutes_the_wait_grows_to_a_few_minutes_and_stops_there():
    waits = [backoff(n, failing_for=OUTAGE_WINDOW) for n in range(1, 200)]
    assert max(waits) <= LATE_CAP
    assert seconds(50, 0.0, failing_for=OUTAGE_WINDOW) == LATE_CAP.total_seconds() / 2
    assert seconds(50, 0.0, failing_for=OUTAGE_WINDOW - timedelta(seconds=1)) == EARLY_CAP.total_seconds() / 2


def test_jitter_spreads_a_burst():
    assert len({backoff(5) for _ in range(50)}) > 1


def test_retry_after_wins_exactly_and_is_bounded():
    assert backoff(1, retry_after=45) == timedelta(seconds=45)
    assert backoff(9, retry_after=2) == timedelta(seconds=2)
    assert backoff(1, retry_after=0) == timedelta(seconds=1)  # never a busy loop
    assert backoff(1, retry_after=10**9) == MAX_RETRY_AFTER
    assert seconds(2, 0.0, retry_after=float("nan")) == 5
    assert seconds(2, 0.0, retry_after=-1) == 5


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


def test_header_is_found_whatever_its_case():
    assert header({"Retry-After": "30"}) == "30"
    assert header({"retry-after": "4"}) == "4"
    assert header({"Content-Type": "json"}) is None
    assert header(None) is None
