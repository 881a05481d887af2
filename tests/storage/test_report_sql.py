"""The report's SQL path (counts and percentiles in the database) gives exactly the figures of the
pure-Python reference (bot.domain.report.compute over every row), on random data, on SQLite and
PostgreSQL; missing durations are filled in once; claims, releases and resolves record them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from bot.domain.report import Breakdown, Period, business_seconds
from bot.flows import report as report_flow
from bot.policy import load_policy_text
from storage.db import make_engine, migrate, session_scope
from storage.models import Conversation, Escalation

NOW = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
POLICY = """
version: 1
workspace: {ai_bot_users: [U0AIAGENT]}
team_defaults:
  timezone: America/New_York
  hours: {mon-fri: "09:00-17:00"}
  holidays: {country: US}
teams:
  support:
    channel: C0SUPPORT
    categories: [general, technical, account]
    sla:
      pickup: {immediate: 10m, queued: 2h}
      segments: {enterprise: {pickup: {immediate: 3m}}}  # its own target: attainment uses it
  billing:
    channel: C0BILLING
    categories: [billing]
    sla: {pickup: 30m, business_hours: false}
routing: {default_team: support}
"""
TEAMS = ("support", "billing", "gone", "")  # "gone": no longer in the policy; "": none recorded
URGENCIES = ("immediate", "queued", "later")  # "later": not an urgency the targets know
TRIGGERS = ("human_request", "legal", "repeated_question", "")
NEEDED = ("", "yes", "no", "partly")


@pytest.fixture
def db(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _load(db, seed: int, n: int, *, with_durations: bool) -> None:
    """n escalations over the 20 days before NOW, some opened seconds before NOW, some claimed after
    the first period's end; durations stored for some (as the flows do), missing for the others."""
    rng = random.Random(seed)
    policy = load_policy_text(POLICY)
    convs, escs = [], []
    for i in range(n):
        opened = NOW - timedelta(seconds=rng.choice([rng.uniform(0, 20 * 86400), rng.uniform(0, 3600)]))
        opened = opened.replace(microsecond=rng.randrange(0, 1_000_000, 1000))  # milliseconds, as julianday keeps
        first = opened - timedelta(seconds=rng.uniform(-60, 900)) if rng.random() < 0.9 else None
        claimed = opened + timedelta(seconds=rng.expovariate(1 / 1800)) if rng.random() < 0.8 else None
        if claimed is not None and claimed > NOW:
            claimed = None
        resolved = None
        if rng.random() < 0.7:
            base = claimed or opened
            resolved = base + timedelta(seconds=rng.expovariate(1 / 3600))
            if resolved > NOW:
                resolved = None
        team = rng.choice(TEAMS)
        # A resolved escalation sometimes comes back in a conversation that escalated before (one active
        # escalation per conversation): the rate counts that conversation once.
        conversation = rng.randint(1, i) if resolved and i and rng.random() < 0.3 else i + 1
        convs.append(
            dict(id=i + 1, source="slack", channel="C1", thread_ts=f"{i}.0", account_id=f"a{i % 7}",
                 created_at=first or opened, last_message_at=resolved or opened)
        )
        row = dict(
            id=i + 1, conversation_id=conversation, account_id=f"a{i % 7}", tier=rng.choice(("enterprise", "self-serve")),
            status="resolved" if resolved else ("claimed" if claimed else "open"), urgency=rng.choice(URGENCIES),
            category=rng.choice(("billing", "general")), team=team, triggers=[], chain=[], opened_at=opened,
            claimed_at=claimed, claimed_by="U1" if claimed else "", resolved_at=resolved,
            primary_trigger=rng.choice(TRIGGERS), first_customer_at=first, needed=rng.choice(NEEDED) if resolved else "",
            language=rng.choice(("en", "de")),
            tte_s=None, pickup_s=None, pickup_business_s=None, handle_s=None,
            csat=rng.choice((None, 1, 3, 4, 5)) if resolved else None,
            csat_asked_at=resolved if resolved and rng.random() < 0.8 else None,
            high_value=rng.random() < 0.4,
            pickup_breaches=rng.choice((0, 0, 1, 2)),
            next_reply_breaches=rng.choice((0, 0, 0, 1)) if claimed else rng.choice((0, 0, 0, 0, 1)),
        )
        if with_durations and rng.random() < 0.7:
            hours = policy.teams[team].hours if team in policy.teams else None
            row.update(
                tte_s=(opened - first).total_seconds() if first else None,
                pickup_s=(claimed - opened).total_seconds() if claimed else None,
                pickup_business_s=business_seconds(hours, opened, claimed) if claimed else None,
                handle_s=(resolved - claimed).total_seconds() if claimed and resolved else None,
            )
        escs.append(row)
    with db.begin() as conn:
        conn.execute(insert(Conversation), convs)
        conn.execute(insert(Escalation), escs)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("by", [None, Breakdown.TEAM, Breakdown.TRIGGER, Breakdown.SEGMENT])
def test_sql_figures_equal_the_python_reference(db, seed, by):
    _load(db, seed, 400, with_durations=True)
    policy = load_policy_text(POLICY)
    period = Period(NOW - timedelta(days=7), NOW + timedelta(microseconds=1), "last 7 days")
    reference = report_flow.build_report_reference(db=db, policy=policy, period=period, by=by)
    sql = report_flow.build_report(db=db, policy=policy, period=period, by=by)
    assert reference.figures.escalations > 50 and reference.previous.escalations > 50
    assert sql.to_dict() == reference.to_dict()
    f = sql.figures
    # escalated conversations, not escalations: some conversations escalated more than once
    assert 0 < f.rate.num < f.escalations and f.rate.den == f.watched
    assert sum(g.figures.rate.num for g in sql.triggers) > f.rate.num  # a conversation in two triggers' groups
    assert f.pickup.n and f.pickup_business.n and f.handle.n and f.time_to_escalation.n
    assert 0 < f.sla.num < f.sla.den and 0 < f.abandoned.num < f.abandoned.den
    assert f.csat_avg is not None and 0 < f.csat_responses.num < f.csat_responses.den  # surveys answered / sent
    assert sql.csat is not None and len(sql.csat.segments) == 2
    assert 0 < sql.csat.high_value.answered < sql.csat.overall.answered  # high value: its own flag
    assert len(f.per_day) == 8  # a 7-day period that does not start at midnight touches 8 days
    assert 0 < f.breached_pickup.num < f.breached_pickup.den == f.escalations
    assert 0 < f.breached_next_reply.num < f.breached_next_reply.den
    breaches = sql.to_dict()["figures"]["sla_breaches"]
    assert breaches["pickup"]["numerator"] == f.breached_pickup.num and breaches["next_reply"]["denominator"] > 0


def test_sla_attainment_uses_the_segments_own_pickup_target(db):
    """Support's enterprise segment has a 3-minute immediate pickup target (10 minutes otherwise): two
    escalations claimed after 5 minutes of business hours, one met, one not."""
    opened = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York
    rows = [
        dict(id=i, conversation_id=i, account_id=f"a{i}", tier=tier, status="claimed", urgency="immediate",
             category="general", team="support", triggers=[], chain=[], opened_at=opened,
             claimed_at=opened + timedelta(minutes=5), claimed_by="U1", language="en")
        for i, tier in ((1, "enterprise"), (2, "self-serve"))
    ]
    convs = [
        dict(id=i, source="slack", channel="C1", thread_ts=f"{i}.0", account_id=f"a{i}", created_at=opened,
             last_message_at=opened)
        for i in (1, 2)
    ]
    with db.begin() as conn:
        conn.execute(insert(Conversation), convs)
        conn.execute(insert(Escalation), rows)
    policy = load_policy_text(POLICY)
    period = Period(NOW - timedelta(days=7), NOW + timedelta(microseconds=1), "last 7 days")
    sql = report_flow.build_report(db=db, policy=policy, period=period, by=Breakdown.SEGMENT)
    reference = report_flow.build_report_reference(db=db, policy=policy, period=period, by=Breakdown.SEGMENT)
    assert sql.to_dict() == reference.to_dict()
    assert (sql.figures.sla.num, sql.figures.sla.den) == (1, 2)
    by_segment = {g.key: g.figures.sla for g in sql.groups}
    assert (by_segment["enterprise"].num, by_segment["self-serve"].num) == (0, 1)


def test_missing_durations_are_filled_in_once(db):
    _load(db, 3, 200, with_durations=False)
    policy = load_policy_text(POLICY)
    period = Period(NOW - timedelta(days=7), NOW + timedelta(microseconds=1), "last 7 days")
    first = report_flow.build_report(db=db, policy=policy, period=period, by=Breakdown.TEAM)
    with session_scope(db) as s:
        missing = s.exec(
            select(Escalation.id).where(Escalation.claimed_at.is_not(None), Escalation.pickup_s.is_(None))  # type: ignore[union-attr]
        ).all()
        stored = s.get(Escalation, 1)
    # Only the two periods read were filled in; what they hold agrees with the timestamps.
    assert all(
        e.opened_at < period.previous().start for e in _escalations(db, [m[0] for m in missing])
    )
    assert stored is not None
    if stored.claimed_at is not None and stored.opened_at >= period.previous().start:
        assert stored.pickup_s == pytest.approx((stored.claimed_at - stored.opened_at).total_seconds())
    again = report_flow.build_report(db=db, policy=policy, period=period, by=Breakdown.TEAM)
    assert again.to_dict() == first.to_dict()
    assert report_flow.build_report_reference(db=db, policy=policy, period=period, by=Breakdown.TEAM).to_dict() == first.to_dict()


def _escalations(db, ids: list[int]) -> list[Escalation]:
    with session_scope(db) as s:
        return [e for i in ids if (e := s.get(Escalation, i)) is not None]


def test_an_empty_period_and_a_single_escalation(db):
    policy = load_policy_text(POLICY)
    period = Period(NOW - timedelta(days=30), NOW, "last 30 days")
    empty = report_flow.build_report(db=db, policy=policy, period=period, by=Breakdown.TEAM)
    assert empty.to_dict() == report_flow.build_report_reference(db=db, policy=policy, period=period, by=Breakdown.TEAM).to_dict()
    assert empty.figures.escalations == 0 and empty.figures.pickup.p50 is None and len(empty.figures.per_day) == 31
    _load(db, 4, 1, with_durations=True)
    one = report_flow.build_report(db=db, policy=policy, period=period, by=Breakdown.TEAM)
    assert one.figures.escalations == 1
    assert one.to_dict() == report_flow.build_report_reference(db=db, policy=policy, period=period, by=Breakdown.TEAM).to_dict()
