"""The review's stratified sample and advice, and the CSAT survey rules (pure)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import csat, review
from bot.domain.review import Advice
from bot.policy import PolicyFileError, load_policy_text

BASE = "version: 1\nteams:\n  support: {channel: C0SUPPORT}\n  legal: {channel: C0LEGAL}\n"


def _rows() -> list[tuple[int, str]]:
    triggers = ["human_request"] * 60 + ["billing"] * 30 + ["legal"] * 8 + ["rare"] * 2
    return [(i + 1, t) for i, t in enumerate(triggers)]


def test_the_sample_is_stratified_proportional_and_covers_every_trigger():
    rows = _rows()
    ids = review.stratified_sample(rows, 20, "2026-11")
    assert len(ids) == len(set(ids)) == 20
    by = Counter(dict(rows)[i] for i in ids)
    assert set(by) == {"human_request", "billing", "legal", "rare"}  # the rare trigger is seen too
    assert by["human_request"] > by["billing"] > by["legal"] >= by["rare"] >= 1
    assert review.stratified_sample(rows, 20, "2026-11") == ids  # deterministic
    assert review.stratified_sample(rows, 20, "2026-10") != ids  # another month, another sample


@pytest.mark.parametrize("size", [1, 3, 4, 7, 12, 20])
def test_the_stratification_holds_at_every_sample_size(size):
    rows = _rows()  # 60 / 30 / 8 / 2 escalations of four triggers
    ids = review.stratified_sample(rows, size, "2026-11")
    assert len(ids) == len(set(ids)) == size
    by = Counter(dict(rows)[i] for i in ids)
    if size >= 4:
        assert set(by) == {"human_request", "billing", "legal", "rare"}  # every trigger is seen
        assert by["human_request"] >= by["billing"] >= by["legal"] >= by["rare"] >= 1  # ...by volume
    else:
        assert set(by) <= {"rare", "legal", "billing"} and max(by.values()) == 1  # the rarest first
    policy = load_policy_text(BASE + f"review: {{sample_size: {size}}}\n")
    assert policy.review.sample_size == size


def test_the_sample_never_exceeds_the_population_and_handles_tiny_months():
    assert review.stratified_sample([], 20, "p") == []
    assert sorted(review.stratified_sample([(1, "a"), (2, "b")], 20, "p")) == [1, 2]
    many = [(i, f"t{i}") for i in range(30)]  # more triggers than places: one each while places last
    assert len(review.stratified_sample(many, 20, "p")) == 20


def test_advice_tightens_imprecise_triggers_and_loosens_precise_ones_when_escalations_were_missed():
    rows = [("noisy", "no")] * 6 + [("noisy", "yes")] * 2 + [("sharp", "yes")] * 9 + [("sharp", "partly")]
    rows += [("few", "no")] * 2 + [("mid", "yes")] * 7 + [("mid", "no")] * 3
    advice = {a.trigger: a for a in review.advise(rows, missed=3)}
    assert advice["noisy"].advice is Advice.TIGHTEN and advice["noisy"].precision == 0.25
    assert advice["sharp"].advice is Advice.LOOSEN
    assert advice["mid"].advice is Advice.KEEP
    assert advice["few"].advice is Advice.UNMEASURED
    assert {a.trigger: a.advice for a in review.advise(rows, missed=0)}["sharp"] is Advice.KEEP


def test_the_monthly_review_is_due_on_its_day_and_hour_in_the_local_zone():
    ny = ZoneInfo("America/New_York")
    now = datetime(2026, 12, 1, 13, tzinfo=UTC)
    due = review.due_at(now, review.ReviewConfig(day=1, hour=9), ny)
    assert due == datetime(2026, 12, 1, 14, tzinfo=UTC)
    assert review.previous_month_key(now, ny) == "2026-11"
    assert review.previous_month_key(datetime(2026, 1, 1, 12, tzinfo=UTC), ny) == "2025-12"
    assert review.due_at(now, review.ReviewConfig(schedule=review.Schedule.OFF), ny) is None


def test_csat_rules_layer_base_team_then_segment_and_sample_deterministically():
    policy = load_policy_text(
        BASE
        + "csat:\n  delay: 5m\n  sample: 0.5\n  teams: {legal: {enabled: false}}\n"
        + "  segments: {enterprise: {sample: 1.0, delay: 0}}\n"
    )
    cfg = policy.csat
    assert csat.survey_delay(cfg, escalation_id=1, team="legal", tier="self-serve") is None
    assert csat.survey_delay(cfg, escalation_id=1, team="support", tier="enterprise") == timedelta(0)
    asked = [
        i
        for i in range(1, 1001)
        if csat.survey_delay(cfg, escalation_id=i, team="support", tier="self-serve")
    ]
    assert 430 <= len(asked) <= 570  # about half, and the same half every time
    assert asked == [i for i in range(1, 1001) if csat.in_sample(i, 0.5)]
    assert cfg.is_low(2) and not cfg.is_low(3)
    assert [csat.parse_score(v) for v in ("1", "5", "0", "6", "x", None)] == [1, 5, None, None, None, None]


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ("csat: {sample: 1.5}", "between 0 and 1"),
        ("csat: {delay: 5}", "ambiguous"),
        ("csat: {teams: {nobody: {enabled: false}}}", "no team named 'nobody'"),
        ("csat: {segments: {gold: {}}}", "not a tier"),
        ("csat: {low_score: 5}", "0 to 4"),
        ("review: {day: 31}", "29-31"),
        ("review: {schedule: weekly}", "monthly or off"),
        ("review: {sample_size: 40}", "1 to 20"),
        ("review: {sample_size: 0}", "at most 20"),
        ("review: {sample_size: 7.5}", "e.g. 20"),
    ],
)
def test_bad_sections_name_the_line_and_the_fix(section, words):
    with pytest.raises(PolicyFileError) as err:
        load_policy_text(BASE + section + "\n")
    assert words in str(err.value) and ":5:" in str(err.value)


def test_the_csat_summary_compares_high_value_accounts_with_the_average():
    # (tier, high value?, surveyed?, score): one mid-market account counts as high value (its MRR)
    rows = [("enterprise", True, True, 5), ("enterprise", True, True, 4), ("enterprise", True, True, 5)]
    rows += [("enterprise", True, True, None), ("self-serve", False, True, 2), ("self-serve", False, True, 3)]
    rows += [("self-serve", False, False, None), ("mid-market", True, True, 4)]
    summary = csat.summarise(rows)
    assert summary.overall.answered == 6 and summary.overall.asked == 7
    assert summary.overall.average == pytest.approx(23 / 6)
    by = {s.segment: s for s in summary.segments}
    assert by["enterprise"].average == pytest.approx(14 / 3) and by["enterprise"].response_rate == 0.75
    assert summary.high_value.answered == 4 and summary.high_value.average == pytest.approx(18 / 4)
    assert summary.high_value.asked == 5
    assert summary.high_value_above_average is True
    low = csat.summarise([("enterprise", True, True, 1)] * 3 + [("self-serve", False, True, 5)] * 3)
    assert low.high_value_above_average is False
    # the tier alone does not make an account high value: the stored flag does
    flagless = csat.summarise([("enterprise", False, True, 5)] * 3 + [("self-serve", False, True, 1)] * 3)
    assert flagless.high_value.asked == 0 and flagless.high_value_above_average is None
    assert csat.summarise([("enterprise", True, True, 5)]).high_value_above_average is None  # too few to say
    assert summary.to_dict()["high_value_above_average"] is True
    assert "min_mrr" in summary.to_dict()["high_value"]["rule"]


def test_high_value_is_what_the_high_value_trigger_means_tier_or_mrr():
    engine = load_policy_text(BASE).engine  # default segments: enterprise from MRR 10000
    assert engine.is_high_value("enterprise", None) and engine.is_high_value("self-serve", 12000)
    assert not engine.is_high_value("mid-market", 9999) and not engine.is_high_value("self-serve", None)
    custom = load_policy_text(BASE + "segments: {enterprise: {min_mrr: 2000}}\n").engine
    assert custom.is_high_value("self-serve", 2400) and not custom.is_high_value("mid-market", 1999)
