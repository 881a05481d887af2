from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import PolicyError
from bot.domain.oncall import next_handoff, parse_oncall, rotation_oncall

NY = ZoneInfo("America/New_York")


def doc(oncall: object, **team: object) -> dict:
    return {"teams": {"t": {"oncall": oncall, **team}}}


ROTATION = {"provider": "rotation", "start": "2026-11-02T09:00:00-05:00", "handoff": "weekly", "users": ["U0BOB", "U0CAROL"]}


def test_default_is_none():
    cfg = parse_oncall({"teams": {"t": {}}}, "t")
    assert cfg.provider == "none" and not cfg.has_pager


def test_none_forms():
    for v in ("none", None, "None"):
        assert parse_oncall(doc(v), "t").provider == "none"


def test_pagerduty_schedule_or_escalation_policy():
    a = parse_oncall(doc({"provider": "pagerduty", "schedule_id": "P123ABC"}), "t")
    assert (a.provider, a.schedule_id, a.escalation_policy_id, a.has_pager) == ("pagerduty", "P123ABC", None, True)
    b = parse_oncall(doc({"provider": "pagerduty", "escalation_policy_id": "PEP9"}), "t")
    assert b.escalation_policy_id == "PEP9" and b.schedule_id is None


def test_opsgenie():
    cfg = parse_oncall(doc({"provider": "opsgenie", "schedule": "billing_schedule", "team": "billing-ops"}), "t")
    assert (cfg.schedule, cfg.opsgenie_team, cfg.has_pager) == ("billing_schedule", "billing-ops", True)


def test_team_defaults_oncall_is_inherited():
    d = {"team_defaults": {"oncall": {"provider": "pagerduty", "schedule_id": "PDEF"}}, "teams": {"t": {}}}
    assert parse_oncall(d, "t").schedule_id == "PDEF"


@pytest.mark.parametrize(
    ("oncall", "path_tail", "fragment"),
    [
        ({"provider": "victorops"}, ("provider",), "unknown on-call provider"),
        ({"schedule_id": "P1"}, ("provider",), "unknown on-call provider"),
        ({"provider": "pagerduty"}, (), "exactly one"),
        ({"provider": "pagerduty", "schedule_id": "P1", "escalation_policy_id": "P2"}, (), "exactly one"),
        ({"provider": "pagerduty", "schedule_id": ""}, ("schedule_id",), "non-empty"),
        ({"provider": "pagerduty", "schedule": "P1"}, ("schedule",), "unknown key"),
        ({**ROTATION, "start": "next monday"}, ("start",), "bad start"),
        ({**ROTATION, "start": "2026-11-02T09:00:00"}, ("start",), "no UTC offset"),
        ({**ROTATION, "start": date(2026, 11, 2)}, ("start",), "a date alone"),
        ({k: v for k, v in ROTATION.items() if k != "start"}, ("start",), "needs `start`"),
        ({**ROTATION, "handoff": "fortnightly"}, ("handoff",), "bad duration"),
        ({**ROTATION, "handoff": "30s"}, ("handoff",), "at least"),
        ({**ROTATION, "users": []}, ("users",), "non-empty list"),
        ({**ROTATION, "users": ["U0BOB", "bob"]}, ("users", 1), "not a Slack user id"),
        ("pagerduty", (), "must be `none` or a mapping"),
    ],
)
def test_bad_oncall(oncall, path_tail, fragment):
    with pytest.raises(PolicyError) as e:
        parse_oncall(doc(oncall, timezone="America/New_York"), "t")
    assert e.value.path == ("teams", "t", "oncall") + path_tail
    assert fragment in e.value.message


def test_rotation_start_may_come_as_a_yaml_datetime():
    start = datetime(2026, 11, 2, 9, tzinfo=NY)
    cfg = parse_oncall(doc({**ROTATION, "start": start}), "t")
    assert cfg.start == start and cfg.start.tzinfo is UTC


def test_weekly_rotation_hands_over_at_start_time():
    cfg = parse_oncall(doc(ROTATION, timezone="America/New_York"), "t")
    assert rotation_oncall(cfg, datetime(2026, 11, 2, 9, tzinfo=NY)) == "U0BOB"
    assert rotation_oncall(cfg, datetime(2026, 11, 9, 8, 59, tzinfo=NY)) == "U0BOB"
    assert rotation_oncall(cfg, datetime(2026, 11, 9, 9, 0, tzinfo=NY)) == "U0CAROL"
    assert rotation_oncall(cfg, datetime(2026, 11, 16, 9, 0, tzinfo=NY)) == "U0BOB"
    assert next_handoff(cfg, datetime(2026, 11, 3, tzinfo=NY)) == datetime(2026, 11, 9, 9, tzinfo=NY)


def test_weekly_rotation_keeps_local_time_across_spring_forward():
    cfg = parse_oncall(doc(ROTATION, timezone="America/New_York"), "t")
    # Monday 2027-03-15 is 19 weeks after the start; clocks went forward on 2027-03-14,
    # so the 09:00 handoff happens at 13:00 UTC, not at 14:00 UTC as a fixed 168 h period would give.
    assert rotation_oncall(cfg, datetime(2027, 3, 15, 12, 59, tzinfo=UTC)) == "U0BOB"
    assert rotation_oncall(cfg, datetime(2027, 3, 15, 13, 0, tzinfo=UTC)) == "U0CAROL"
    assert next_handoff(cfg, datetime(2027, 3, 10, tzinfo=UTC)) == datetime(2027, 3, 15, 13, tzinfo=UTC)


def test_duration_handoff_counts_elapsed_time():
    cfg = parse_oncall(doc({**ROTATION, "handoff": "12h", "users": ["U1A", "U2B", "U3C"]}), "t")
    start = datetime(2026, 11, 2, 14, tzinfo=UTC)
    assert [rotation_oncall(cfg, start + timedelta(hours=h)) for h in (0, 11, 12, 24, 36)] == [
        "U1A", "U1A", "U2B", "U3C", "U1A"
    ]
    assert next_handoff(cfg, start + timedelta(hours=1)) == start + timedelta(hours=12)


def test_daily_rotation_and_before_start_extends_backwards():
    cfg = parse_oncall(doc({**ROTATION, "handoff": "daily"}, timezone="America/New_York"), "t")
    assert rotation_oncall(cfg, datetime(2026, 11, 3, 10, tzinfo=NY)) == "U0CAROL"
    assert rotation_oncall(cfg, datetime(2026, 11, 1, 10, tzinfo=NY)) == "U0CAROL"  # the day before the start


def test_rotation_needs_a_rotation_config_and_aware_time():
    cfg = parse_oncall(doc({"provider": "pagerduty", "schedule_id": "P1"}), "t")
    with pytest.raises(ValueError):
        rotation_oncall(cfg, datetime(2026, 11, 2, tzinfo=UTC))
    rot = parse_oncall(doc(ROTATION), "t")
    with pytest.raises(ValueError):
        rotation_oncall(rot, datetime(2026, 11, 2))
