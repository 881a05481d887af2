"""SLA deadline math and the `sla:` policy section (pure): business-hours boundaries, DST, holidays."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import PolicyError
from bot.domain.hours import parse_team_hours
from bot.domain.report import business_seconds
from bot.domain.sla_targets import DEFAULT_SLA, Target, due_at, parse_sla, warn_at
from bot.domain.surge import DEFAULT_SURGE, cause_of, parse_surge
from bot.domain.wait import remaining_wait
from bot.policy import PolicyFileError, load_policy_text

M = timedelta(minutes=1)


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def ny(**extra: object):
    doc = {"teams": {"t": {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}, **extra}}}
    return parse_team_hours(doc, "t")


# --- deadlines ---------------------------------------------------------------------------------------


def test_wall_clock_target_is_elapsed_time_even_across_a_dst_fall_back():
    # 01:30 EDT on the night the clocks go back; an hour later it is 01:30 EST.
    start = utc(2026, 11, 1, 5, 30)
    assert due_at(start, 60 * M, ny(), business_hours=False) == utc(2026, 11, 1, 6, 30)
    assert due_at(start, 60 * M, None, business_hours=True) == utc(2026, 11, 1, 6, 30)


def test_business_hours_skip_the_night_and_the_weekend():
    friday_1650 = utc(2026, 11, 20, 21, 50)  # 16:50 EST
    # 10 minutes on Friday, 5 on Monday morning
    assert due_at(friday_1650, 15 * M, ny(), business_hours=True) == utc(2026, 11, 23, 14, 5)


def test_business_hours_across_the_spring_forward_weekend():
    friday_1650 = utc(2026, 3, 6, 21, 50)  # 16:50 EST; the clocks go forward on Sunday 8 March
    due = due_at(friday_1650, 15 * M, ny(), business_hours=True)
    assert due == utc(2026, 3, 9, 13, 5)  # Monday 09:05 EDT (UTC-4 now, not UTC-5)
    assert business_seconds(ny(), friday_1650, due) == 15 * 60  # reports count the same 15 minutes


def test_business_hours_across_the_fall_back_weekend():
    friday_1655 = utc(2026, 10, 30, 20, 55)  # 16:55 EDT; the clocks go back on Sunday 1 November
    assert due_at(friday_1655, 60 * M, ny(), business_hours=True) == utc(2026, 11, 2, 14, 55)  # 09:55 EST


def test_a_deadline_at_closing_stays_at_closing_and_one_before_opening_starts_at_opening():
    monday_1600 = utc(2026, 11, 23, 21, 0)
    assert due_at(monday_1600, 60 * M, ny(), business_hours=True) == utc(2026, 11, 23, 22, 0)  # 17:00
    monday_0700 = utc(2026, 11, 23, 12, 0)
    assert due_at(monday_0700, 30 * M, ny(), business_hours=True) == utc(2026, 11, 23, 14, 30)  # 09:30


def test_holidays_do_not_count():
    wednesday_1630 = utc(2026, 11, 25, 21, 30)  # the day before Thanksgiving
    due = due_at(wednesday_1630, 60 * M, ny(holidays="us"), business_hours=True)
    assert due == utc(2026, 11, 27, 14, 30)  # Friday 09:30, Thursday closed


def test_a_long_target_spans_several_working_days():
    monday_0900 = utc(2026, 11, 23, 14, 0)
    assert due_at(monday_0900, timedelta(hours=20), ny(), business_hours=True) == utc(2026, 11, 25, 18, 0)


def test_the_warning_comes_lead_time_before_the_deadline_counted_the_same_way():
    friday_1655 = utc(2026, 11, 20, 21, 55)
    h = ny()
    due = due_at(friday_1655, 15 * M, h, business_hours=True)
    warn = warn_at(friday_1655, 15 * M, DEFAULT_SLA.lead(15 * M), h, business_hours=True)
    assert due == utc(2026, 11, 23, 14, 10) and warn == utc(2026, 11, 23, 14, 5)
    assert DEFAULT_SLA.lead(6 * M) == 3 * M  # at most half the target


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="aware"):
        due_at(datetime(2026, 1, 1), M, None, business_hours=False)


# --- the policy section ------------------------------------------------------------------------------


def test_targets_by_urgency_and_segment_with_fallbacks():
    sla = parse_sla(
        {
            "pickup": {"immediate": "10m"},
            "next_reply": "1h",
            "segments": {"enterprise": {"pickup": {"immediate": "2m"}, "next_reply": {"queued": "2h"}}},
            "warn_before": "3m",
            "keep_alive": "20m",
            "repeat_every": "45m",
        },
        ("teams", "t", "sla"),
    )
    assert sla.pickup_for("immediate") == 10 * M and sla.pickup_for("queued") == timedelta(hours=4)
    assert sla.pickup_for("immediate", "enterprise") == 2 * M
    assert sla.pickup_for("queued", "enterprise") == timedelta(hours=4)  # not overridden: the team's
    assert sla.next_reply_for("immediate", "enterprise") == 60 * M
    assert sla.next_reply_for("queued", "enterprise") == 120 * M
    assert sla.target_for(Target.NEXT_REPLY, "queued", "self-serve") == 60 * M
    assert (sla.warn_before, sla.keep_alive, sla.repeat_every) == (3 * M, 20 * M, 45 * M)


def test_defaults():
    assert DEFAULT_SLA.pickup_for("immediate") == 15 * M and DEFAULT_SLA.next_reply_for("immediate") == 30 * M
    assert DEFAULT_SLA.next_reply_for("queued") == timedelta(hours=8) and DEFAULT_SLA.business_hours


@pytest.mark.parametrize(
    ("value", "path_tail", "fragment"),
    [
        ({"next_replies": "1h"}, ("next_replies",), "unknown key"),
        ({"next_reply": {"urgent": "1h"}}, ("next_reply", "urgent"), "not an urgency"),
        ({"next_reply": "0"}, ("next_reply",), "longer than zero"),
        ({"segments": {"vip": {"pickup": "1m"}}}, ("segments", "vip"), "unknown segment"),
        ({"segments": {"enterprise": {"pick": "1m"}}}, ("segments", "enterprise", "pick"), "unknown key"),
        ({"segments": ["enterprise"]}, ("segments",), "must be a mapping"),
        ({"keep_alive": "1m"}, ("keep_alive",), "too often"),
        ({"repeat_every": "2m"}, ("repeat_every",), "loop"),
        ({"warn_before": "soon"}, ("warn_before",), "bad duration"),
        ({"business_hours": "yes"}, ("business_hours",), "true or false"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(value, path_tail, fragment):
    with pytest.raises(PolicyError) as e:
        parse_sla(value, ("teams", "t", "sla"))
    assert e.value.path == ("teams", "t", "sla") + path_tail
    assert fragment in e.value.message and e.value.hint


# --- the keep-alive's countdown ----------------------------------------------------------------------


def test_the_expected_wait_counts_down_from_live_pickups():
    pickups = [300.0, 600.0, 900.0, 1800.0]  # 5, 10, 15, 30 minutes
    assert remaining_wait(pickups, 0) == timedelta(seconds=750)  # the median
    # five minutes in, the ones that took longer say: 10, 15, 30 -> 5, 10, 25 left -> 10
    assert remaining_wait(pickups, 300) == timedelta(seconds=600)
    assert remaining_wait(pickups, 1200) == timedelta(seconds=600)  # only the 30-minute one is left
    assert remaining_wait(pickups, 1800) is None  # longer than every pickup: "longer than usual"


def test_the_countdown_without_history_uses_what_is_left_of_the_default():
    assert remaining_wait([], 300, timedelta(minutes=15)) == timedelta(minutes=10)
    assert remaining_wait([], 900, timedelta(minutes=15)) is None
    assert remaining_wait([float("nan"), -1.0], 0, timedelta(minutes=15)) == timedelta(minutes=15)


def test_baton_check_names_the_line_and_the_fix_for_sla_keys():
    text = (
        "version: 1\n"
        "teams:\n"
        "  support:\n"
        "    channel: C0SUP\n"
        "    sla:\n"
        "      next_reply: 30m\n"
        "      segments:\n"
        "        enterprise: {pickup: {urgent: 5m}}\n"
    )
    with pytest.raises(PolicyFileError) as info:
        load_policy_text(text, "p.yaml")
    assert str(info.value).startswith("p.yaml:8: ") and "use immediate or queued" in str(info.value)
    good = load_policy_text(text.replace("urgent", "immediate"), "p.yaml")
    assert good.teams["support"].sla.pickup_for("immediate", "enterprise") == 5 * M


# --- the surge's cause and its policy section --------------------------------------------------------


def test_the_cause_is_the_same_error_or_an_outage_and_never_an_account_specific_issue():
    cfg = DEFAULT_SURGE
    assert cause_of(["Getting error 502 on checkout"], [], "technical", [], cfg) == "error:502"
    assert cause_of(["ERR_CONNECTION_RESET again"], [], "technical", [], cfg) == "error:ERR_CONNECTION_RESET"
    assert cause_of(["the site is down for us"], [], "technical", [], cfg) == "outage"
    assert cause_of(["an error happened"], [], "technical", [], cfg) == ""
    assert cause_of(["hello"], ["model_outage"], "technical", [], parse_surge({"surge": {"labels": ["model_outage"]}})) == "outage"
    # a billing dispute quoting the same error is still account-specific
    assert cause_of(["charged twice, error 502 when paying"], [], "billing", [], cfg) == ""
    assert cause_of(["error 502"], [], "technical", ["legal"], cfg) == ""


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("surge: {threshold: 1}\n", 5, "from 2 to 1000"),
        ("surge: {window: soon}\n", 5, "bad duration"),
        ("surge: {words: outage}\n", 5, "list of non-empty strings"),
        ("surge: {colour: red}\n", 5, "unknown key 'colour'"),
    ],
)
def test_baton_check_names_the_line_and_the_fix_for_surge_keys(text, line, words):
    base = "version: 1\nteams:\n  support:\n    channel: C0SUP\n"
    with pytest.raises(PolicyFileError) as info:
        load_policy_text(base + text, "p.yaml")
    assert str(info.value).startswith(f"p.yaml:{line}: ") and words in str(info.value)
    ok = load_policy_text(base + "surge: {threshold: 3, window: 5m}\n", "p.yaml")
    assert ok.surge.threshold == 3 and ok.surge.window == 5 * M
