import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.domain.chain import (
    DEFAULT_CHAINS,
    due_steps,
    format_duration,
    freeze,
    next_deadline,
    next_step,
    parse_chains,
    parse_duration,
    plan,
)
from bot.domain.errors import PolicyError
from bot.domain.hours import DEFAULT_TEAM_SETTINGS, parse_team_hours

T0 = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
NY = ZoneInfo("America/New_York")
PAGING_YAML = Path(__file__).resolve().parents[2] / "bot" / "policies" / "paging.yaml"


def mins(m: float) -> timedelta:
    return timedelta(minutes=m)


# --- durations ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", mins(5)),
        ("1h30m", mins(90)),
        ("1h 30m", mins(90)),
        ("2H", timedelta(hours=2)),
        ("1d2h", timedelta(days=1, hours=2)),
        ("1.5m", timedelta(seconds=90)),
        ("0", timedelta(0)),
        (0, timedelta(0)),
        (" 10m ", mins(10)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", 5, "m", "5 minutes", "30m1h", "5m5m", "-5m", "5mx", "x5m", True, None, [5]])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration_round_trips():
    for text in ("90s", "5m", "1h30m", "1d2h"):
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)
    assert format_duration(timedelta(0)) == "0s"


# --- defaults and the packaged yaml -----------------------------------------------------------------------


def test_packaged_yaml_matches_builtin_defaults():
    doc = yaml.safe_load(PAGING_YAML.read_text())
    assert doc["chains"] == DEFAULT_CHAINS
    assert doc["team_defaults"] == DEFAULT_TEAM_SETTINGS
    assert parse_chains(doc) == parse_chains({})


def test_default_immediate_and_queued_chains():
    cfg = parse_chains({})
    imm = plan(freeze(cfg, "immediate", "enterprise"), T0)
    assert [(p.action, p.due_at - T0) for p in imm] == [
        ("remind", mins(5)),
        ("page", mins(10)),
        ("notify_manager", mins(20)),
    ]
    q = plan(freeze(cfg, "queued", None), T0)
    assert [(p.action, p.due_at - T0, p.business_hours_only) for p in q] == [
        ("remind", mins(15), False),
        ("page", mins(30), True),
    ]


# --- parsing ------------------------------------------------------------------------------------------------


def test_segment_chain_overrides_default_and_other_segments_fall_back():
    doc = {
        "chains": {
            "immediate": {
                "default": [{"after": "5m", "action": "remind"}],
                "enterprise": [{"after": "1m", "action": "page"}],
            }
        }
    }
    cfg = parse_chains(doc)
    assert [s.action for s in cfg.steps_for("immediate", "enterprise")] == ["page"]
    assert [s.action for s in cfg.steps_for("immediate", "self-serve")] == ["remind"]
    assert [s.action for s in cfg.steps_for("immediate", None)] == ["remind"]
    # queued was not given: the built-in default
    assert [s.action for s in cfg.steps_for("queued", "enterprise")] == ["remind", "page"]


def test_segment_only_mapping_keeps_the_default_chain_for_others():
    cfg = parse_chains({"chains": {"queued": {"enterprise": [{"after": "1m", "action": "page"}]}}})
    assert [s.action for s in cfg.steps_for("queued", "mid-market")] == ["remind", "page"]


def test_bare_list_and_empty_chain():
    cfg = parse_chains({"chains": {"queued": [], "immediate": [{"after": "0", "action": "page"}]}})
    assert cfg.steps_for("queued", None) == ()
    assert plan(freeze(cfg, "queued", None), T0) == []
    assert next_deadline(freeze(cfg, "queued", None), T0, 0) is None
    assert plan(freeze(cfg, "immediate", None), T0)[0].due_at == T0


def test_steps_for_refuses_unknown_urgency():
    with pytest.raises(ValueError):
        parse_chains({}).steps_for("whenever", None)


@pytest.mark.parametrize(
    ("chains", "path", "fragment"),
    [
        ("nope", ("chains",), "expected a mapping"),
        ({"urgent": []}, ("chains", "urgent"), "unknown urgency"),
        ({"queued": {"vip": []}}, ("chains", "queued", "vip"), "unknown segment"),
        ({"queued": "x"}, ("chains", "queued"), "expected a list"),
        ({"queued": {"default": "x"}}, ("chains", "queued", "default"), "must be a list"),
        ({"queued": ["remind"]}, ("chains", "queued", 0), "must be a mapping"),
        ({"queued": [{"action": "remind"}]}, ("chains", "queued", 0), "needs `after`"),
        ({"queued": [{"after": "5m"}]}, ("chains", "queued", 0), "needs `action`"),
        ({"queued": [{"after": "5", "action": "remind"}]}, ("chains", "queued", 0, "after"), "ambiguous"),
        ({"queued": [{"after": "5m", "action": "yell"}]}, ("chains", "queued", 0, "action"), "unknown action"),
        ({"queued": [{"after": "5m", "action": "remind", "when": 1}]}, ("chains", "queued", 0, "when"), "unknown step key"),
        ({"queued": [{"after": "5m", "action": "remind", "repeat": 2}]}, ("chains", "queued", 0), "needs `every`"),
        ({"queued": [{"after": "5m", "action": "remind", "every": "5m"}]}, ("chains", "queued", 0, "every"), "without `repeat`"),
        ({"queued": [{"after": "5m", "action": "remind", "repeat": -1, "every": "5m"}]}, ("chains", "queued", 0, "repeat"), "whole number"),
        ({"queued": [{"after": "5m", "action": "remind", "repeat": 1000, "every": "5m"}]}, ("chains", "queued", 0, "repeat"), "whole number"),
        ({"queued": [{"after": "5m", "action": "remind", "repeat": True, "every": "5m"}]}, ("chains", "queued", 0, "repeat"), "whole number"),
        ({"queued": [{"after": "5m", "action": "remind", "repeat": 1, "every": "0"}]}, ("chains", "queued", 0, "every"), "longer than zero"),
        ({"queued": [{"after": "5m", "action": "remind", "business_hours_only": "yes"}]}, ("chains", "queued", 0, "business_hours_only"), "true or false"),
        ({"queued": [{"after": "10m", "action": "remind"}, {"after": "5m", "action": "page"}]}, ("chains", "queued", 1, "after"), "in order"),
    ],
)
def test_bad_chains_are_refused_with_the_path(chains, path, fragment):
    with pytest.raises(PolicyError) as e:
        parse_chains({"chains": chains})
    assert e.value.path == path
    assert fragment in e.value.message


# --- snapshot, plan and repeats --------------------------------------------------------------------------------


def test_repeats_interleave_in_time_order():
    cfg = parse_chains(
        {
            "chains": {
                "immediate": [
                    {"after": "5m", "action": "remind", "repeat": 2, "every": "10m"},
                    {"after": "10m", "action": "page"},
                ]
            }
        }
    )
    p = plan(freeze(cfg, "immediate", None), T0)
    assert [(x.index, x.action, x.due_at - T0, x.round, x.rounds) for x in p] == [
        (0, "remind", mins(5), 0, 3),
        (1, "page", mins(10), 0, 1),
        (2, "remind", mins(15), 1, 3),
        (3, "remind", mins(25), 2, 3),
    ]


def test_equal_due_times_keep_policy_order():
    cfg = parse_chains({"chains": {"immediate": [{"after": "5m", "action": "remind"}, {"after": "5m", "action": "page"}]}})
    assert [x.action for x in plan(freeze(cfg, "immediate", None), T0)] == ["remind", "page"]


def test_freeze_is_json_safe_and_survives_later_policy_edits():
    cfg = parse_chains({})
    snap = freeze(cfg, "immediate", "mid-market")
    stored = json.loads(json.dumps(snap))
    edited = parse_chains({"chains": {"immediate": [{"after": "1h", "action": "notify_manager"}]}})
    assert edited.steps_for("immediate", None) != cfg.steps_for("immediate", None)
    assert plan(stored, T0) == plan(snap, T0)
    assert [x.action for x in plan(stored, T0)] == ["remind", "page", "notify_manager"]


def test_due_steps_and_next_deadline_follow_steps_done():
    snap = freeze(parse_chains({}), "immediate", None)
    assert due_steps(snap, T0, 0, T0 + mins(4)) == []
    assert next_deadline(snap, T0, 0) == T0 + mins(5)
    due = due_steps(snap, T0, 0, T0 + mins(12))
    assert [(d.index, d.action) for d in due] == [(0, "remind"), (1, "page")]
    # a sweep that already ran the reminder only returns the page
    assert [d.index for d in due_steps(snap, T0, 1, T0 + mins(12))] == [1]
    assert next_deadline(snap, T0, 2) == T0 + mins(20)
    assert next_step(snap, T0, 2).action == "notify_manager"  # type: ignore[union-attr]
    assert next_deadline(snap, T0, 3) is None
    assert due_steps(snap, T0, 3, T0 + timedelta(days=1)) == []


def test_release_restarts_the_chain_from_the_release_time():
    snap = freeze(parse_chains({}), "immediate", None)
    released = T0 + mins(7)  # claimed at 6 min, released at 7: the chain starts over, done back to 0
    assert next_deadline(snap, released, 0) == released + mins(5)
    assert due_steps(snap, released, 0, released + mins(4)) == []


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        plan(freeze(parse_chains({}), "queued", None), datetime(2026, 6, 8, 14))


# --- business hours -------------------------------------------------------------------------------------------


def ny_hours():
    return parse_team_hours(
        {"teams": {"t": {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}}}}, "t"
    )


def test_business_hours_only_step_waits_for_the_next_opening():
    snap = freeze(parse_chains({}), "queued", None)
    start = datetime(2026, 6, 12, 16, 50, tzinfo=NY)  # Friday 16:50
    p = plan(snap, start, ny_hours())
    assert p[0].due_at == start + mins(15) and not p[0].deferred  # reminders run after hours too
    assert p[1].due_at == datetime(2026, 6, 15, 9, tzinfo=NY) and p[1].deferred
    assert due_steps(snap, start, 1, datetime(2026, 6, 14, 12, tzinfo=NY), ny_hours()) == []
    assert next_deadline(snap, start, 1, ny_hours()) == datetime(2026, 6, 15, 9, tzinfo=NY)
    # without hours (e.g. team always open) nothing moves
    assert plan(snap, start)[1].due_at == start + mins(30)


def test_business_hours_step_inside_hours_is_not_moved():
    snap = freeze(parse_chains({}), "queued", None)
    start = datetime(2026, 6, 12, 10, tzinfo=NY)
    assert [x.due_at - start for x in plan(snap, start, ny_hours())] == [mins(15), mins(30)]


def test_a_deferred_step_holds_back_the_steps_after_it():
    cfg = parse_chains(
        {
            "chains": {
                "queued": [
                    {"after": "30m", "action": "page", "business_hours_only": True},
                    {"after": "40m", "action": "notify_manager"},
                ]
            }
        }
    )
    start = datetime(2026, 6, 12, 16, 50, tzinfo=NY)
    p = plan(freeze(cfg, "queued", None), start, ny_hours())
    monday = datetime(2026, 6, 15, 9, tzinfo=NY)
    assert [x.due_at for x in p] == [monday, monday]
    assert [x.index for x in p] == [0, 1]


def test_business_hours_deferral_across_dst():
    snap = freeze(parse_chains({}), "queued", None)
    start = datetime(2026, 3, 6, 16, 50, tzinfo=NY)  # Friday before the US spring forward
    page = plan(snap, start, ny_hours())[1]
    assert page.due_at == datetime(2026, 3, 9, 13, tzinfo=UTC)  # Monday 09:00 EDT
