from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import PolicyError
from bot.domain.hours import (
    DEFAULT_TEAM_SETTINGS,
    always_open,
    describe_next_opening,
    is_open,
    next_opening,
    parse_team_hours,
)

NY = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def team(**settings: object) -> dict:
    return {"teams": {"t": dict(settings)}}


def ny_weekdays(**extra: object) -> dict:
    return team(timezone="America/New_York", hours={"mon-fri": "09:00-17:00"}, **extra)


# --- parsing -----------------------------------------------------------------------------------------


def test_defaults_apply_when_team_sets_nothing():
    h = parse_team_hours(team(), "t")
    assert h.tz.key == DEFAULT_TEAM_SETTINGS["timezone"] == "UTC"
    assert h.windows[0] == ((540, 1020),) and h.windows[5] == () and h.windows[6] == ()
    assert h.holiday_country is None


def test_team_defaults_in_policy_override_builtin_and_team_overrides_both():
    doc = {
        "team_defaults": {"timezone": "Europe/Paris", "hours": "always"},
        "teams": {"a": {}, "b": {"timezone": "Asia/Tokyo"}},
    }
    a, b = parse_team_hours(doc, "a"), parse_team_hours(doc, "b")
    assert a.tz.key == "Europe/Paris" and all(w == ((0, 1440),) for w in a.windows)
    assert b.tz.key == "Asia/Tokyo"


def test_compact_forms_lists_closed_and_wrapping_ranges():
    h = parse_team_hours(
        team(hours={"mon-wed": "08:00-12:00", "thu": ["09:00-12:00", "13:00-17:30"], "fri-sat": "24h", "sun": "closed"}),
        "t",
    )
    assert h.windows[2] == ((480, 720),)
    assert h.windows[3] == ((540, 720), (780, 1050))
    assert h.windows[4] == h.windows[5] == ((0, 1440),)
    assert h.windows[6] == ()
    wrap = parse_team_hours(team(hours={"fri-mon": "10:00-11:00"}), "t")
    assert [bool(w) for w in wrap.windows] == [True, False, False, False, True, True, True]


@pytest.mark.parametrize(
    ("hours", "path_tail", "fragment"),
    [
        ({"mon": "9am-5pm"}, ("mon",), "bad time window"),
        ({"mon": "09:00-25:00"}, ("mon",), "bad time"),
        ({"mon": "09:60-10:00"}, ("mon",), "bad time"),
        ({"mon": "17:00-09:00"}, ("mon",), "ends before it starts"),
        ({"mon": "09:00-09:00"}, ("mon",), "ends before it starts"),
        ({"mon": ["09:00-12:00", "11:00-13:00"]}, ("mon",), "overlap"),
        ({"funday": "09:00-17:00"}, ("funday",), "unknown day"),
        ({"mon-xyz": "09:00-17:00"}, ("mon-xyz",), "unknown day range"),
        ({"mon-fri": "09:00-17:00", "wed": "10:00-11:00"}, ("wed",), "more than once"),
        ({"sat": "closed"}, (), "never open"),
        ({"mon": 9}, ("mon",), "expected a time window"),
        ("sometimes", (), "hours must be a mapping"),
    ],
)
def test_bad_hours_are_refused_with_the_path(hours, path_tail, fragment):
    with pytest.raises(PolicyError) as e:
        parse_team_hours(team(hours=hours), "t")
    assert e.value.path == ("teams", "t", "hours") + path_tail
    assert fragment in e.value.message
    assert e.value.hint


def test_error_in_team_defaults_points_at_team_defaults():
    with pytest.raises(PolicyError) as e:
        parse_team_hours({"team_defaults": {"timezone": "Mars/Olympus"}, "teams": {"t": {}}}, "t")
    assert e.value.path == ("team_defaults", "timezone")
    assert "unknown time zone" in e.value.message


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", 5, "../etc/passwd"])
def test_unknown_time_zone(tz):
    with pytest.raises(PolicyError) as e:
        parse_team_hours(team(timezone=tz), "t")
    assert e.value.path == ("teams", "t", "timezone")


def test_unknown_team():
    with pytest.raises(PolicyError) as e:
        parse_team_hours({"teams": {}}, "ghost")
    assert e.value.path == ("teams", "ghost")


@pytest.mark.parametrize(
    ("value", "path_tail", "fragment"),
    [
        ({"country": "XX"}, ("country",), "no public holiday calendar"),
        ({"country": "US", "subdiv": "ZZ"}, ("subdiv",), "no subdivision"),
        ({"subdiv": "NY"}, ("country",), "need a country"),
        ({"country": "US", "region": "NY"}, ("region",), "unknown key"),
        (["US"], (), "holidays must be"),
    ],
)
def test_bad_holidays(value, path_tail, fragment):
    with pytest.raises(PolicyError) as e:
        parse_team_hours(team(holidays=value), "t")
    assert e.value.path == ("teams", "t", "holidays") + path_tail
    assert fragment in e.value.message


def test_holiday_country_as_plain_code_and_lowercase():
    h = parse_team_hours(team(holidays="gb"), "t")
    assert (h.holiday_country, h.holiday_subdiv) == ("GB", None)


# --- open / next opening --------------------------------------------------------------------------------


def test_is_open_boundaries_are_start_inclusive_end_exclusive():
    h = parse_team_hours(ny_weekdays(), "t")
    mon = datetime(2026, 6, 8, tzinfo=NY)
    assert not is_open(h, mon.replace(hour=8, minute=59, second=59))
    assert is_open(h, mon.replace(hour=9))
    assert is_open(h, mon.replace(hour=16, minute=59))
    assert not is_open(h, mon.replace(hour=17))
    assert not is_open(h, datetime(2026, 6, 13, 12, tzinfo=NY))  # Saturday


def test_next_opening_is_at_itself_when_open_and_always_utc():
    h = parse_team_hours(ny_weekdays(), "t")
    at = datetime(2026, 6, 8, 10, tzinfo=NY)
    got = next_opening(h, at)
    assert got == at and got.tzinfo is UTC


def test_naive_datetimes_are_refused():
    h = parse_team_hours(ny_weekdays(), "t")
    with pytest.raises(ValueError):
        is_open(h, datetime(2026, 6, 8, 10))
    with pytest.raises(ValueError):
        next_opening(h, datetime(2026, 6, 8, 10))


def test_lunch_break_reopens_same_day():
    h = parse_team_hours(team(timezone="Europe/Paris", hours={"mon-fri": ["09:00-12:00", "14:00-18:00"]}), "t")
    at = datetime(2026, 6, 8, 12, 30, tzinfo=PARIS)
    assert next_opening(h, at) == datetime(2026, 6, 8, 14, tzinfo=PARIS)
    assert describe_next_opening(h, at) == "today at 14:00 CEST"


@pytest.mark.parametrize(
    ("friday_evening", "monday_open_utc"),
    [
        # US spring forward: Sun 2026-03-08 02:00 EST -> 03:00 EDT. Monday 09:00 is EDT (UTC-4).
        (datetime(2026, 3, 6, 18, tzinfo=NY), utc(2026, 3, 9, 13)),
        # US fall back: Sun 2026-11-01 02:00 EDT -> 01:00 EST. Monday 09:00 is EST (UTC-5).
        (datetime(2026, 10, 30, 18, tzinfo=NY), utc(2026, 11, 2, 14)),
    ],
)
def test_us_dst_weekends(friday_evening, monday_open_utc):
    h = parse_team_hours(ny_weekdays(), "t")
    assert next_opening(h, friday_evening) == monday_open_utc
    assert next_opening(h, friday_evening).astimezone(NY).hour == 9


@pytest.mark.parametrize(
    ("friday_evening", "monday_open_utc"),
    [
        # EU spring forward: Sun 2026-03-29 01:00 UTC. Monday 09:00 CEST = 07:00 UTC.
        (datetime(2026, 3, 27, 18, tzinfo=PARIS), utc(2026, 3, 30, 7)),
        # EU fall back: Sun 2026-10-25 01:00 UTC. Monday 09:00 CET = 08:00 UTC.
        (datetime(2026, 10, 23, 18, tzinfo=PARIS), utc(2026, 10, 26, 8)),
    ],
)
def test_eu_dst_weekends(friday_evening, monday_open_utc):
    h = parse_team_hours(team(timezone="Europe/Paris", hours={"mon-fri": "09:00-17:00"}), "t")
    assert next_opening(h, friday_evening) == monday_open_utc


def test_window_crossing_spring_forward_is_one_hour_shorter():
    h = parse_team_hours(team(timezone="America/New_York", hours={"sun": "00:00-06:00"}), "t")
    assert next_opening(h, utc(2026, 3, 7, 12)) == utc(2026, 3, 8, 5)  # 00:00 EST
    assert is_open(h, utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert is_open(h, utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    assert is_open(h, utc(2026, 3, 8, 9, 59))  # 05:59 EDT
    assert not is_open(h, utc(2026, 3, 8, 10, 0))  # 06:00 EDT: five real hours after opening


def test_window_crossing_fall_back_is_one_hour_longer():
    h = parse_team_hours(team(timezone="America/New_York", hours={"sun": "00:00-06:00"}), "t")
    assert next_opening(h, utc(2026, 10, 31, 12)) == utc(2026, 11, 1, 4)  # 00:00 EDT
    assert is_open(h, utc(2026, 11, 1, 5, 30))  # first 01:30 (EDT)
    assert is_open(h, utc(2026, 11, 1, 6, 30))  # second 01:30 (EST)
    assert is_open(h, utc(2026, 11, 1, 10, 59))  # 05:59 EST
    assert not is_open(h, utc(2026, 11, 1, 11, 0))  # 06:00 EST: seven real hours after opening


def test_eu_window_crossing_spring_forward():
    h = parse_team_hours(team(timezone="Europe/Paris", hours={"sun": "01:00-05:00"}), "t")
    assert next_opening(h, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 0)  # 01:00 CET
    assert is_open(h, utc(2026, 3, 29, 1, 0))  # 03:00 CEST
    assert not is_open(h, utc(2026, 3, 29, 3, 0))  # 05:00 CEST


def test_opening_inside_the_spring_forward_gap_opens_when_clocks_jump():
    h = parse_team_hours(team(timezone="America/New_York", hours={"sun": "02:30-04:00"}), "t")
    got = next_opening(h, utc(2026, 3, 7, 12))
    assert got == utc(2026, 3, 8, 7)  # 03:00 EDT, the first instant past 02:30 on the wall clock
    assert is_open(h, got)


def test_window_entirely_in_the_gap_is_skipped_that_week():
    h = parse_team_hours(team(timezone="America/New_York", hours={"sun": "02:00-02:45"}), "t")
    got = next_opening(h, utc(2026, 3, 7, 12))
    assert got == datetime(2026, 3, 15, 2, tzinfo=NY)


def test_opening_in_the_repeated_fall_back_hour_uses_the_first_occurrence():
    h = parse_team_hours(team(timezone="America/New_York", hours={"sun": "01:30-03:00"}), "t")
    assert next_opening(h, utc(2026, 10, 31, 12)) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_holidays_are_closed_and_skipped():
    h = parse_team_hours(ny_weekdays(holidays={"country": "US"}), "t")
    xmas = datetime(2026, 12, 25, 10, tzinfo=NY)  # a Friday
    assert h.holiday_name(xmas.date()) == "Christmas Day"
    assert not is_open(h, xmas)
    assert next_opening(h, datetime(2026, 12, 24, 17, tzinfo=NY)) == datetime(2026, 12, 28, 9, tzinfo=NY)
    assert describe_next_opening(h, datetime(2026, 12, 24, 17, tzinfo=NY)) == "Monday at 09:00 EST"


def test_subdivision_holidays_differ_from_the_country():
    ny = parse_team_hours(ny_weekdays(holidays={"country": "US", "subdiv": "NY"}), "t")
    us = parse_team_hours(ny_weekdays(holidays={"country": "US"}), "t")
    lincoln = datetime(2026, 2, 12, 10, tzinfo=NY)  # Lincoln's Birthday: NY only, a Thursday
    assert not is_open(ny, lincoln)
    assert is_open(us, lincoln)


def test_holiday_on_a_dst_weekend_boundary():
    # Good Friday 2026 is April 3 and Easter Monday April 6 (England only, not Scotland); the EU changed
    # clocks on March 29, so this checks holidays, subdivisions and the shifted offset together.
    eng = {"country": "GB", "subdiv": "ENG"}
    h = parse_team_hours(team(timezone="Europe/London", hours={"mon-fri": "09:00-17:00"}, holidays=eng), "t")
    got = next_opening(h, datetime(2026, 4, 2, 18, tzinfo=ZoneInfo("Europe/London")))
    assert got == utc(2026, 4, 7, 8)  # Tuesday 09:00 BST
    sct = parse_team_hours(team(timezone="Europe/London", holidays={"country": "GB", "subdiv": "SCT"}), "t")
    assert next_opening(sct, datetime(2026, 4, 2, 18, tzinfo=ZoneInfo("Europe/London"))) == utc(2026, 4, 6, 8)


def test_describe_next_opening_forms():
    h = parse_team_hours(ny_weekdays(), "t")
    assert describe_next_opening(h, datetime(2026, 6, 8, 10, tzinfo=NY)) == "now"
    assert describe_next_opening(h, datetime(2026, 6, 8, 7, tzinfo=NY)) == "today at 09:00 EDT"
    assert describe_next_opening(h, datetime(2026, 6, 8, 18, tzinfo=NY)) == "tomorrow at 09:00 EDT"
    assert describe_next_opening(h, datetime(2026, 6, 12, 18, tzinfo=NY)) == "Monday at 09:00 EDT"
    monthly = parse_team_hours(team(timezone="America/New_York", hours={"mon": "09:00-10:00"}, holidays="US"), "t")
    # Monday Jan 19 2026 is MLK day: the next opening is two weeks out
    assert describe_next_opening(monthly, datetime(2026, 1, 12, 11, tzinfo=NY)) == "Monday 26 January at 09:00 EST"


def test_numeric_zone_abbreviations_read_as_utc_offsets():
    h = parse_team_hours(team(timezone="Asia/Dubai", hours={"mon-fri": "09:00-17:00"}), "t")
    assert describe_next_opening(h, datetime(2026, 6, 8, 7, tzinfo=ZoneInfo("Asia/Dubai"))) == "today at 09:00 UTC+04"


def test_always_open():
    h = always_open("t")
    at = utc(2026, 12, 25, 3)
    assert is_open(h, at) and next_opening(h, at) == at


def test_next_opening_matches_a_minute_by_minute_scan_across_dst():
    h = parse_team_hours(
        team(timezone="America/New_York", hours={"sat": "22:00-24:00", "sun": ["00:00-01:30", "02:15-03:10"]}), "t"
    )
    start = utc(2026, 3, 6, 0)
    for minutes in range(0, 4 * 24 * 60, 37):
        at = start + timedelta(minutes=minutes)
        got = next_opening(h, at)
        assert is_open(h, got)
        probe = at
        while probe < got:  # nothing open between `at` and the answer (checked each minute)
            assert not is_open(h, probe), (at, got, probe)
            probe += timedelta(minutes=1)
