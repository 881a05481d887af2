"""The drift statistic on synthetic series: a step up and a step down alert, noise does not."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import drift
from bot.domain.drift import OVERALL, BandCounts, Direction, DriftConfig

BANDS = 4
VOLUME = (20, 120, 160, 40)  # conversations per band: quiet night, busy afternoon
RATES = {"human_request": 0.06, "billing_dispute": 0.03, "legal_threat": 0.01}


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: small lambdas only (enough for these bands)
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _day(
    rng: random.Random, *, factor: dict[str, float] | None = None, volume: float = 1.0
) -> list[BandCounts]:
    factor = factor or {}
    out = []
    for n in VOLUME:
        convs = _poisson(rng, n * volume)
        by = {t: min(convs, _poisson(rng, convs * r * factor.get(t, 1.0))) for t, r in RATES.items()}
        out.append(BandCounts(convs, sum(by.values()), {t: c for t, c in by.items() if c}))
    return out


def _history(rng: random.Random, weeks: int = 4) -> list[list[BandCounts]]:
    return [_day(rng) for _ in range(weeks)]


def _alerts(day, history, config=drift.DEFAULT_DRIFT) -> dict[str, Direction]:
    return {f.series: f.direction for f in drift.alerts(drift.check(day, history, config)) if f.direction}


def test_a_step_up_of_one_trigger_alerts_a_rise_for_it():
    rng = random.Random(7)
    history = _history(rng)
    day = _day(rng, factor={"billing_dispute": 3.0})
    found = _alerts(day, history)
    assert found.get("billing_dispute") is Direction.RISE
    assert "legal_threat" not in found


def test_a_step_down_overall_alerts_a_drop():
    rng = random.Random(11)
    history = _history(rng)
    day = _day(rng, factor={t: 0.2 for t in RATES})  # customers give up: escalations collapse
    found = _alerts(day, history)
    assert found.get(OVERALL) is Direction.DROP
    assert found.get("human_request") is Direction.DROP


def test_noise_alone_never_alerts():
    """200 ordinary days against their own history: the z threshold and the floors keep them quiet."""
    quiet = 0
    for seed in range(200):
        rng = random.Random(1000 + seed)
        history = _history(rng)
        quiet += not _alerts(_day(rng), history)
    assert quiet == 200


def test_busier_day_at_the_same_rate_does_not_alert():
    """Twice the conversations, the same share escalated: the rate did not drift."""
    rng = random.Random(5)
    history = _history(rng)
    assert _alerts(_day(rng, volume=2.0), history) == {}


def test_the_baseline_is_matched_band_by_band():
    """A day whose conversations all come at night, when the rate is normally high, is not a rise."""
    history = [[BandCounts(20, 6, {"x": 6}), BandCounts(200, 4, {"x": 4})] for _ in range(4)]
    night_heavy = [BandCounts(100, 30, {"x": 30}), BandCounts(0, 0, {})]
    config = DriftConfig(bands=2)
    assert _alerts(night_heavy, history, config) == {}
    f = drift.assess(OVERALL, night_heavy, history, config)
    assert f.expected == pytest.approx(30.0) and f.observed == 30


def test_too_little_history_is_skipped_not_alerted():
    history = [[BandCounts(1, 0, {})] * BANDS for _ in range(4)]  # 16 conversations in four weeks
    day = [BandCounts(3, 3, {"x": 3})] * BANDS
    assert _alerts(day, history) == {}


def test_small_counts_need_the_floor():
    """From none to 3 escalations is not a drift; from none to 12 is a rise."""
    history = [[BandCounts(100, 0, {})] * BANDS for _ in range(4)]
    three = [
        BandCounts(100, 1, {"x": 1}),
        BandCounts(100, 1, {"x": 1}),
        BandCounts(100, 1, {"x": 1}),
        BandCounts(100, 0, {}),
    ]
    assert _alerts(three, history) == {}
    twelve = [BandCounts(100, 4, {"x": 4})] * 3 + [BandCounts(100, 0, {})]
    assert _alerts(twelve, history)[OVERALL] is Direction.RISE


def test_bands_follow_local_hours_across_a_dst_change():
    ny = ZoneInfo("America/New_York")
    start = drift.day_start(datetime(2026, 11, 1, 12, tzinfo=UTC), ny)  # the day clocks go back
    bounds = drift.band_bounds(start, ny, 4)
    assert bounds[0][0] == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert (bounds[0][1] - bounds[0][0]).total_seconds() == 7 * 3600  # 00:00-06:00 lasts 7 h that day
    counts = drift.bucket(
        bounds,
        [(bounds[2][0].timestamp() + 1, "x")],
        [(1, bounds[2][0].timestamp()), (1, bounds[2][0].timestamp() + 5), (2, bounds[3][0].timestamp())],
    )
    assert [c.conversations for c in counts] == [0, 0, 1, 1]
    assert counts[2].by_trigger == {"x": 1}


def test_policy_section_is_validated():
    from bot.policy import PolicyFileError, load_policy_text

    base = "version: 1\nteams:\n  support: {channel: C0SUPPORT}\n"
    assert load_policy_text(base + "drift: {z: 2.5, bands: 6}\n").drift.z == 2.5
    for bad, words in (
        ("drift: {bands: 5}", "divide the day"),
        ("drift: {drop_ratio: 2}", "below 1"),
        ("drift: {zz: 1}", "unknown key"),
    ):
        with pytest.raises(PolicyFileError) as err:
            load_policy_text(base + bad + "\n")
        assert words in str(err.value) and ":4:" in str(err.value)
