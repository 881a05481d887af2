"""The routing rules (pure): the policy's `routing` keys, the first offer and balanced assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import PolicyError
from bot.domain.hours import parse_team_hours
from bot.domain.routing import (
    Candidate,
    OfferRole,
    RouteStage,
    RoutingConfig,
    channel_reason,
    choose_member,
    first_offer_people,
    owner_hint,
    parse_routing,
    plan_assignment,
    plan_first_offer,
)
from bot.policy import PolicyFileError, load_policy_text

MONDAY_NOON_UTC = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OWNER, PREV, M = OfferRole.OWNER, OfferRole.PREVIOUS_HANDLER, OfferRole.MEMBER


def _doc(routing: object = None, defaults: object = None) -> dict:
    team: dict = {"channel": "C0SUPPORT"}
    if routing is not None:
        team["routing"] = routing
    doc: dict = {"teams": {"support": team}, "team_defaults": {"timezone": "UTC", "hours": "always"}}
    if defaults is not None:
        doc["team_defaults"]["routing"] = defaults
    return doc


def test_defaults_offer_to_the_owner_and_previous_handler_for_five_minutes():
    cfg = parse_routing(_doc(), "support")
    assert cfg.first_offer == (OWNER, PREV)
    assert cfg.offer_window == cfg.assign_window == timedelta(minutes=5)
    assert cfg.max_open == 3 and cfg.members == () and cfg.enabled


def test_team_keys_win_over_team_defaults():
    cfg = parse_routing(
        _doc(
            {"offer_window": "2m", "members": ["U0ALICE", {"user": "U0BOB", "max_open": 1}]},
            {"offer_window": "10m", "max_open": 2},
        ),
        "support",
    )
    assert cfg.offer_window == timedelta(minutes=2) and cfg.assign_window == timedelta(minutes=2)
    assert [(m.user, m.max_open) for m in cfg.members] == [("U0ALICE", 2), ("U0BOB", 1)]


def test_a_member_can_have_their_own_hours():
    cfg = parse_routing(
        _doc(
            {"members": [{"user": "U0BOB", "timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-13:00"}}]}
        ),
        "support",
    )
    [bob] = cfg.members
    assert bob.hours is not None and bob.hours.tz.key == "Europe/Berlin"
    # 12:00 UTC is 13:00 in Berlin: Bob's morning shift is over, so he is skipped
    picked, skipped = choose_member(cfg, [Candidate("U0BOB", M)], None, MONDAY_NOON_UTC)
    assert picked is None and [s.why for s in skipped] == ["outside their hours"]
    picked, _ = choose_member(cfg, [Candidate("U0BOB", M)], None, MONDAY_NOON_UTC - timedelta(hours=2))
    assert picked is not None and picked.user == "U0BOB"


@pytest.mark.parametrize(
    ("routing", "path", "words"),
    [
        (
            {"first_offer": ["manager"]},
            ("teams", "support", "routing", "first_offer", 0),
            "not a first offer",
        ),
        ({"offer_window": "5"}, ("teams", "support", "routing", "offer_window"), "ambiguous"),
        ({"offer_window": "1d"}, ("teams", "support", "routing", "offer_window"), "longer than"),
        ({"max_open": 0}, ("teams", "support", "routing", "max_open"), "at least 1"),
        ({"members": ["alice"]}, ("teams", "support", "routing", "members", 0), "not a Slack user id"),
        ({"members": ["U0ALICE", "U0ALICE"]}, ("teams", "support", "routing", "members", 1), "listed twice"),
        (
            {"members": [{"user": "U0A", "shift": 1}]},
            ("teams", "support", "routing", "members", 0, "shift"),
            "unknown key",
        ),
        ({"members": [{"max_open": 2}]}, ("teams", "support", "routing", "members", 0), "needs a user"),
        ({"window": "5m"}, ("teams", "support", "routing", "window"), "unknown key"),
        ("on", ("teams", "support", "routing"), "must be a mapping"),
    ],
)
def test_bad_routing_names_the_key_and_the_fix(routing, path, words):
    with pytest.raises(PolicyError) as info:
        parse_routing(_doc(routing), "support")
    assert info.value.path == path and words in info.value.message and info.value.hint


def test_baton_check_reports_the_line_of_a_bad_routing_key():
    text = """version: 1
teams:
  support:
    channel: C0SUPPORT
    routing:
      offer_window: 5m
      members: [U0ALICE, bob]
"""
    with pytest.raises(PolicyFileError) as info:
        load_policy_text(text, "p.yaml")
    assert info.value.line == 7
    assert "teams.support.routing.members.1: 'bob' is not a Slack user id" in str(info.value)
    assert "Copy member ID" in str(info.value)


def test_owner_hint_takes_a_slack_id_or_an_email():
    assert owner_hint("U0DANA", "x@example.com") == ("U0DANA", "")
    assert owner_hint("Dana Lee", "dana@example.com") == ("", "dana@example.com")
    assert owner_hint("Dana Lee", "") == ("", "")


def test_first_offer_people_owner_first_and_once():
    cfg = RoutingConfig()
    assert first_offer_people(cfg, "U0DANA", "U0ALICE") == [("U0DANA", OWNER), ("U0ALICE", PREV)]
    assert first_offer_people(cfg, "U0DANA", "U0DANA") == [("U0DANA", OWNER)]
    assert first_offer_people(RoutingConfig(first_offer=(PREV,)), "U0DANA", "") == []


def test_the_first_offer_skips_who_is_away_or_gone_and_says_why():
    cfg = RoutingConfig()
    plan, skipped = plan_first_offer(
        cfg,
        [Candidate("U0DANA", OWNER, present=False), Candidate("U0ALICE", PREV, found=False)],
        MONDAY_NOON_UTC,
    )
    assert plan is None
    assert [(s.user, s.why) for s in skipped] == [
        ("U0DANA", "away"),
        ("U0ALICE", "not an active member of the workspace"),
    ]
    plan, _ = plan_first_offer(cfg, [Candidate("U0DANA", OWNER), Candidate("U0ALICE", PREV)], MONDAY_NOON_UTC)
    assert plan is not None and plan.stage == RouteStage.OFFERED
    assert [c.user for c in plan.offered] == ["U0DANA", "U0ALICE"]
    assert plan.until == MONDAY_NOON_UTC + timedelta(minutes=5)


def test_balanced_assignment_picks_the_fewest_open_claims_under_the_cap():
    cfg = parse_routing(
        _doc({"max_open": 2, "members": ["U0A", "U0B", "U0C", {"user": "U0D", "max_open": 5}]}), "support"
    )
    people = [
        Candidate("U0A", M, open_claims=1),
        Candidate("U0B", M, open_claims=0, present=False),
        Candidate("U0C", M, open_claims=2),
        Candidate("U0D", M, open_claims=1),
    ]
    plan = plan_assignment(cfg, people, None, MONDAY_NOON_UTC)
    # B has none but is away, C is at the cap; A and D tie on one: the policy's order decides
    assert plan.stage == RouteStage.ASSIGNED and [c.user for c in plan.offered] == ["U0A"]
    assert {s.user: s.why for s in plan.skipped} == {"U0B": "away", "U0C": "at their cap (2 open, max 2)"}


def test_nobody_available_goes_to_the_channel_with_every_reason():
    cfg = parse_routing(_doc({"max_open": 1, "members": ["U0A", "U0B"]}), "support")
    earlier = plan_first_offer(cfg, [Candidate("U0DANA", OWNER, present=False)], MONDAY_NOON_UTC)[1]
    plan = plan_assignment(
        cfg,
        [Candidate("U0A", M, present=False), Candidate("U0B", M, open_claims=1)],
        None,
        MONDAY_NOON_UTC,
        earlier,
    )
    assert plan.stage == RouteStage.CHANNEL and plan.offered == ()
    assert channel_reason(plan, True) == (
        "nobody available: U0DANA (away); U0A (away); U0B (at their cap (1 open, max 1))"
    )


def test_a_team_outside_its_hours_assigns_nobody():
    doc = _doc({"members": ["U0A"]})
    doc["team_defaults"]["hours"] = {"mon-fri": "09:00-17:00"}
    policy_hours = parse_team_hours(doc, "support")
    cfg = parse_routing(doc, "support")
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    plan = plan_assignment(cfg, [Candidate("U0A", M)], policy_hours, saturday)
    assert plan.stage == RouteStage.CHANNEL and plan.skipped[0].why == "outside their hours"


def test_no_routing_at_all():
    cfg = parse_routing(_doc({"first_offer": []}), "support")
    assert not cfg.enabled
    assert not parse_routing(_doc({"offer_window": "0s", "members": ["U0A"]}), "support").enabled


def test_assignment_passes_over_who_let_the_first_offer_run_out():
    cfg = parse_routing(_doc({"members": ["U0DANA", "U0A"]}), "support")
    plan = plan_assignment(
        cfg,
        [Candidate("U0DANA", M, offered_first=True), Candidate("U0A", M, open_claims=2)],
        None,
        MONDAY_NOON_UTC,
    )
    assert [c.user for c in plan.offered] == ["U0A"]
    assert [(s.user, s.why) for s in plan.skipped] == [("U0DANA", "had the first offer and did not claim it")]
