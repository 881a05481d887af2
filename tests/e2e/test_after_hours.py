"""After hours and holidays, across daylight-saving changes, for a team in New York (weekdays
09:00-17:00, US holidays): a queued escalation waits for the next opening and the customer is told
when that is; the team gets a summary at the opening; an immediate one pages at once.
Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_sla_chain import (
    HUMAN,
    ONCALL,
    QUEUED,
    card_json,
    current,
    dms,
    escalate,
    events,
    key_of,
    reminders,
    triggers,
    world_maker,
)


@pytest.fixture
def make_world(world_factory):
    return world_maker(world_factory)


def customer_texts(w, account: str = "initech") -> list[str]:
    return [str(m.get("text", "")) for m in w.slack.bot_messages(w.customers[account].channel)]


def summaries(w) -> list[dict]:
    return [
        m
        for m in w.slack.bot_messages("C0SUPPORT")
        if "waited while the team was offline" in str(m.get("text", ""))
    ]


@pytest.mark.parametrize(
    ("opened", "opening", "told"),
    [
        # Friday 18:00 EDT before the November change -> Monday 09:00 EST (14:00 UTC).
        (
            datetime(2026, 10, 30, 22, 0, tzinfo=UTC),
            datetime(2026, 11, 2, 14, 0, tzinfo=UTC),
            "Monday at 09:00 EST",
        ),
        # Friday 18:00 EST before the March change -> Monday 09:00 EDT (13:00 UTC).
        (
            datetime(2027, 3, 12, 23, 0, tzinfo=UTC),
            datetime(2027, 3, 15, 13, 0, tzinfo=UTC),
            "Monday at 09:00 EDT",
        ),
        # Wednesday 17:30 before Thanksgiving (Thursday 26 November) -> Friday 09:00 EST.
        (
            datetime(2026, 11, 25, 22, 30, tzinfo=UTC),
            datetime(2026, 11, 27, 14, 0, tzinfo=UTC),
            "Friday at 09:00 EST",
        ),
    ],
)
def test_queued_after_hours_waits_for_the_opening(make_world, opened, opening, told):
    w = make_world("new_york", opened)
    esc = escalate(w, "initech", QUEUED)
    assert esc.urgency == "queued"
    assert esc.chain_started_at == opening and esc.next_step_at == opening + timedelta(minutes=15)
    [transition] = customer_texts(w)
    assert told in transition
    assert "next: remind the team at 09:15" in card_json(w, esc)

    w.advance_to(opening - timedelta(seconds=1))
    assert summaries(w) == [] and reminders(w) == [] and triggers(w) == []
    w.advance_to(opening)
    [summary] = summaries(w)
    assert "1 escalation waited" in summary["text"] and "initech" in summary["text"]
    assert events(w, esc.id, "opening_summary_posted")[0].at == opening
    w.advance_to(opening + timedelta(minutes=15))
    assert len(reminders(w)) == 1
    w.advance_to(opening + timedelta(minutes=30))
    [paged] = events(w, esc.id, "paged")
    assert paged.at == opening + timedelta(minutes=30)
    assert len(summaries(w)) == 1


def test_one_opening_summary_for_everything_that_waited(make_world):
    opened = datetime(2026, 10, 30, 22, 0, tzinfo=UTC)
    w = make_world("new_york", opened)
    escalate(w, "initech", QUEUED)
    w.advance_to(opened + timedelta(hours=20))  # Saturday
    cust = w.customers["acme"]
    w.driver.user_says(cust.channel, cust.user, "Could someone look at our invoice? No rush.")
    w.driver.user_says(cust.channel, cust.user, "I want to cancel my subscription, we are switching")
    w.settle()
    w.advance_to(datetime(2026, 11, 2, 14, 1, tzinfo=UTC))
    [summary] = summaries(w)
    assert "initech" in summary["text"]


def test_immediate_after_hours_pages_at_once(make_world):
    opened = datetime(2026, 10, 30, 22, 0, tzinfo=UTC)  # Friday 18:00 EDT
    w = make_world("new_york", opened)
    esc = escalate(w, "acme", HUMAN)
    assert esc.urgency == "immediate"
    [trigger] = triggers(w, key_of(esc))
    assert events(w, esc.id, "paged")[0].at == opened
    assert len(dms(w, ONCALL)) == 1
    assert any("on-call person has been paged" in t for t in customer_texts(w, "acme"))
    w.advance_to(opened + timedelta(hours=1))
    assert len({i["dedup_key"] for i in w.pagerduty.incidents()}) == 1
    assert len(dms(w, ONCALL)) == 1, "the chain's page step must not page on-call a second time"
    assert [e.detail.get("reason") for e in events(w, esc.id, "page_skipped")] == [
        "on-call already paged at open (after hours)"
    ]
    assert summaries(w) == []
    assert current(w).status == "open" and trigger["payload"]["severity"] == "critical"


def test_a_holiday_is_skipped_even_for_business_hours_steps(make_world):
    """Opened Wednesday 16:50 before Thanksgiving: reminded at 17:05 (reminders ignore hours), the
    business-hours page waits past Thursday's holiday to Friday 09:00 EST."""
    opened = datetime(2026, 11, 25, 21, 50, tzinfo=UTC)
    w = make_world("new_york", opened)
    esc = escalate(w, "initech", QUEUED)
    assert esc.chain_started_at == opened  # still open when it came in
    w.advance_to(opened + timedelta(minutes=15))
    assert len(reminders(w)) == 1
    friday = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert current(w).next_step_at == friday
    w.advance_to(friday - timedelta(seconds=1))
    assert triggers(w) == []
    w.advance_to(friday)
    assert len(triggers(w, key_of(esc))) == 1


def test_a_queued_escalation_that_turns_immediate_after_hours_pages_at_once(make_world):
    """Friday evening: a cancellation waits for Monday; a legal threat in the same thread must not."""
    opened = datetime(2026, 10, 30, 22, 0, tzinfo=UTC)  # Friday 18:00 EDT
    w = make_world("new_york", opened)
    esc = escalate(w, "initech", QUEUED)
    assert esc.urgency == "queued" and triggers(w) == []
    first = w.slack.messages(w.customers["initech"].channel)[0]["ts"]
    w.clock.advance(timedelta(minutes=2))
    cust = w.customers["initech"]
    w.driver.user_says(
        cust.channel, cust.user, "Our lawyer will be in touch. I want a real person NOW", thread_ts=first
    )
    w.settle()
    esc = current(w)
    assert esc.urgency == "immediate"
    assert len(triggers(w, key_of(esc))) == 1, "paged at once, not on Monday"
    assert esc.next_step_at is not None and esc.next_step_at - (opened + timedelta(minutes=2)) == timedelta(
        minutes=5
    )
    w.advance_to(opened + timedelta(hours=1))
    assert len(triggers(w, key_of(esc))) == 1  # the re-planned chain's page step is the same page
