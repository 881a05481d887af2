"""The report's pure math: periods, percentiles, business hours, and the figures' definitions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.hours import parse_team_hours
from bot.domain.report import (
    Breakdown,
    BusinessClock,
    EscalationRow,
    Period,
    Targets,
    breakdown,
    business_seconds,
    compute,
    parse_period,
    parse_report_args,
    percentile,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday


def _hours(tz: str = "America/New_York", holidays: str = "none"):
    doc = {"teams": {"t": {"timezone": tz, "hours": {"mon-fri": "09:00-17:00"}, "holidays": holidays}}}
    return parse_team_hours(doc, "t")


def _targets(pickup_s: float = 900, business: bool = False, hours=None) -> Targets:
    return Targets(pickup=lambda team, urgency, tier="": pickup_s, hours=lambda team: hours, business=lambda team: business)


def _row(i: int, opened: datetime, *, claimed: float | None = None, resolved: float | None = None, **kw) -> EscalationRow:
    base = dict(
        team="support",
        tier="enterprise",
        category="billing",
        language="en",
        urgency="immediate",
        trigger="human_request",
        first_customer_at=opened - timedelta(minutes=10),
        needed="",
    )
    base.update(kw)
    first = base.pop("first_customer_at")
    return EscalationRow(
        id=i,
        opened=opened.timestamp(),
        first_customer=first.timestamp() if first is not None else None,  # type: ignore[union-attr]
        claimed=opened.timestamp() + claimed if claimed is not None else None,
        resolved=opened.timestamp() + resolved if resolved is not None else None,
        **base,  # type: ignore[arg-type]
    )


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == pytest.approx(46.0)


def test_periods_and_the_period_before():
    p = parse_period("7d", NOW)
    tick = timedelta(microseconds=1)  # periods end at now inclusive
    assert p.end == NOW + tick and p.start == NOW + tick - timedelta(days=7)
    assert p.previous().end == p.start and p.previous().start == NOW + tick - timedelta(days=14)
    m = parse_period("last month", NOW, ZoneInfo("America/New_York"))
    assert m.start == datetime(2026, 10, 1, 4, 0, tzinfo=UTC)  # midnight in New York, EDT
    assert m.end == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    before = m.previous()
    assert before.start == datetime(2026, 9, 1, 4, 0, tzinfo=UTC) and before.end == m.start
    assert parse_period("this month", NOW).start == datetime(2026, 11, 1, tzinfo=UTC)
    for bad in ("fortnight", "0d", "99999d"):
        with pytest.raises(ValueError):
            parse_period(bad, NOW)


def test_report_arguments():
    assert parse_report_args("30d by team public") == ("30d", Breakdown.TEAM, True)
    assert parse_report_args("last month") == ("last month", None, False)
    with pytest.raises(ValueError, match="by mood"):
        parse_report_args("by mood")
    with pytest.raises(ValueError):
        parse_report_args("7d by")


def test_business_seconds_skip_nights_weekends_and_holidays():
    h = _hours()
    fri_4pm = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)  # 16:00 in New York
    mon_10am = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert business_seconds(h, fri_4pm, mon_10am) == 2 * 3600  # 1 h on Friday, 1 h on Monday
    assert business_seconds(None, fri_4pm, mon_10am) == (mon_10am - fri_4pm).total_seconds()
    assert business_seconds(h, mon_10am, fri_4pm) == 0
    us = _hours(holidays="US")
    wed = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # Wednesday 16:00; Thursday is Thanksgiving
    fri = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday 10:00
    assert business_seconds(us, wed, fri) == 2 * 3600


def test_business_seconds_across_the_dst_change():
    h = _hours()
    # Clocks go back on Sunday 2026-11-01; Friday 16:00 EDT to Monday 10:00 EST is still 2 business hours.
    assert business_seconds(h, datetime(2026, 10, 30, 20, 0, tzinfo=UTC), datetime(2026, 11, 2, 15, 0, tzinfo=UTC)) == 7200


def test_figures_follow_their_definitions():
    period = Period(NOW - timedelta(days=7), NOW, "last 7 days")
    rows = [
        _row(1, NOW - timedelta(days=3), claimed=300, resolved=3900, needed="yes"),
        _row(2, NOW - timedelta(days=3), claimed=1800, resolved=5400, needed="no"),
        _row(3, NOW - timedelta(days=2), claimed=600, resolved=1200, needed="partly"),
        _row(4, NOW - timedelta(days=2), resolved=100),  # resolved without a claim: abandoned
        _row(5, NOW - timedelta(days=2)),  # unclaimed for two days: abandoned, SLA missed
        _row(6, NOW - timedelta(minutes=5)),  # unclaimed for 5 minutes: not yet due
    ]
    f = compute(rows, watched=20, period=period, targets=_targets(900), daily=True)
    assert (f.rate.num, f.rate.den) == (6, 20)
    assert (f.accuracy.num, f.accuracy.den) == (2, 3)  # yes + partly of three answers
    assert (f.feedback.num, f.feedback.den) == (3, 4)
    assert f.pickup.n == 3 and f.pickup.p50 == 600
    assert f.time_to_escalation.p50 == 600
    assert (f.sla.num, f.sla.den) == (2, 5)  # 300 s and 600 s met; 1800 s missed; #4 and #5 past due
    assert f.handle.n == 3 and f.handle.p50 == 3600
    assert (f.abandoned.num, f.abandoned.den) == (2, 6)
    assert f.csat_avg is None
    assert len(f.per_day) == 8 and sum(n for _, n, _ in f.per_day) == 6


def test_sla_in_business_hours():
    h = _hours()
    fri_4pm = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    period = Period(fri_4pm - timedelta(days=1), fri_4pm + timedelta(days=4), "p")
    # claimed Monday 09:10: 70 business minutes after Friday 16:00; the target is 2 hours
    row = _row(1, fri_4pm, claimed=(datetime(2026, 11, 23, 14, 10, tzinfo=UTC) - fri_4pm).total_seconds())
    assert compute([row], watched=1, period=period, targets=_targets(7200, True, h)).sla.num == 1
    assert compute([row], watched=1, period=period, targets=_targets(7200, False, h)).sla.num == 0


def test_breakdown_and_precision_per_trigger():
    period = Period(NOW - timedelta(days=7), NOW, "p")
    rows = [
        _row(1, NOW - timedelta(days=1), claimed=60, resolved=120, trigger="legal", needed="yes"),
        _row(2, NOW - timedelta(days=1), claimed=60, resolved=120, trigger="legal", needed="no"),
        _row(3, NOW - timedelta(days=1), claimed=60, resolved=120, trigger="human_request", needed="yes"),
        _row(4, NOW - timedelta(days=1), trigger="", language=""),
    ]
    groups = breakdown(rows, Breakdown.TRIGGER, period=period, targets=_targets())
    assert [g.key for g in groups] == ["legal", "(none)", "human_request"]
    legal = groups[0]
    assert (legal.precision.num, legal.precision.den) == (1, 2)
    by_lang = breakdown(rows, Breakdown.LANGUAGE, period=period, targets=_targets())
    assert {g.key: g.figures.escalations for g in by_lang} == {"en": 3, "(none)": 1}


def test_empty_period():
    period = Period(NOW - timedelta(days=7), NOW, "p")
    f = compute([], watched=0, period=period, targets=_targets())
    assert f.rate.value is None and f.pickup.p50 is None and f.sla.den == 0


def test_the_business_clock_agrees_with_walking_the_calendar():
    h = _hours(holidays="US")
    lo = datetime(2026, 10, 20, tzinfo=UTC)
    hi = datetime(2026, 12, 5, tzinfo=UTC)
    clock = BusinessClock(h, lo.timestamp(), hi.timestamp())
    rng = random.Random(3)
    for _ in range(300):
        a = lo + timedelta(seconds=rng.uniform(0, (hi - lo).total_seconds()))
        b = a + timedelta(seconds=rng.expovariate(1 / 50_000))
        assert clock.seconds(a.timestamp(), b.timestamp()) == pytest.approx(business_seconds(h, a, b), abs=1e-3)


def test_every_headline_figure_shows_its_change_against_the_period_before():
    """CSAT, business-hours pickup and the next-reply breach share too, not only the other figures."""
    from dataclasses import replace

    from bot.domain.report import Quantiles, Ratio
    from bot.report_cards import headline_lines

    period = Period(NOW - timedelta(days=7), NOW, "last 7 days")
    base = compute([], watched=0, period=period, targets=_targets())
    now = replace(
        base,
        csat_avg=4.5,
        csat_responses=Ratio(4, 8),
        pickup_business=Quantiles(60.0, 600.0, 10),
        breached_pickup=Ratio(1, 10),
        breached_next_reply=Ratio(3, 10),
    )
    before = replace(
        base,
        csat_avg=4.0,
        csat_responses=Ratio(2, 8),
        pickup_business=Quantiles(60.0, 300.0, 10),
        breached_pickup=Ratio(1, 10),
        breached_next_reply=Ratio(1, 10),
    )
    lines = {line.split("*")[1]: line for line in headline_lines(now, before)}
    assert ":small_red_triangle: +0.50 vs before)" in lines["CSAT"] and ":warning:" not in lines["CSAT"]
    assert ":small_red_triangle: +5m vs before :warning:" in lines["Pickup in business hours"]
    pickup_part, reply_part = lines["SLA breaches"].split(" · next reply ")
    assert "(no change)" in pickup_part
    assert ":small_red_triangle: +20.0 pts vs before :warning:" in reply_part
    worse = headline_lines(replace(now, csat_avg=3.0), before)
    assert any(":small_red_triangle_down: -1.00 vs before :warning:" in line for line in worse)
    no_previous = {line.split("*")[1]: line for line in headline_lines(now, replace(before, csat_avg=None))}
    assert "vs before" not in no_previous["CSAT"]
