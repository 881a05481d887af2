"""A process that dies after Slack accepted a message but before the database recorded it must not
post that message twice: the effect's next attempt (once the lease runs out) finds its own metadata
marker in the channel or thread and records that message instead.

The "crash" is a BaseException raised by the database driver hook on the very write that records
the post: nothing in Baton catches it, so the outbox item stays leased and unfinished, exactly as
after a kill -9. Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.clock import VirtualClock
from bot.flows import outbox
from bot.flows.outbox import LEASE
from bot.policy import load_policy_text
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from storage.models import OutboxItem
from tests.e2e.helpers import ACME, card_messages, escalations, thread_texts
from tests.e2e.test_sla_chain import ONCALL, dms, world_maker

HUMAN = "This isn't working. I want to talk to a real person please"
POLICIES = Path(__file__).parent / "policies"
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in Baton may catch it)."""


@pytest.fixture
def crash_on() -> Iterator[Callable[[World, Callable[[str, Any], bool]], list[str]]]:
    armed: list[tuple[Any, Any]] = []

    def arm(world: World, matches: Callable[[str, Any], bool]) -> list[str]:
        fired: list[str] = []

        def hook(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            if not fired and matches(statement, params):
                fired.append(statement)
                raise Crash(statement)

        event.listen(world.deps.db, "before_cursor_execute", hook)
        armed.append((world.deps.db, hook))
        return fired

    yield arm
    for engine, hook in armed:
        event.remove(engine, "before_cursor_execute", hook)


def _pending(world: World, kind: str) -> list[OutboxItem]:
    with session_scope(world.deps.db) as session:
        return [i for i in session.exec(repo.select(OutboxItem)) if i.kind == kind and i.status == "pending"]


def _after_lease(world: World) -> None:
    world.advance_to(world.clock.now() + LEASE + timedelta(seconds=15))


def test_a_card_posted_just_before_a_crash_is_found_not_posted_twice(world, crash_on):
    fired = crash_on(world, lambda sql, params: sql.startswith("UPDATE escalations") and "card_ts" in sql)
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    assert fired, "the write recording the card never ran"

    [esc] = escalations(world)
    assert esc.card_ts == ""  # Slack has the card; the database does not know
    assert len(card_messages(world)) == 1
    [item] = _pending(world, "post_card")
    assert item.attempts == 1

    world.slack.clear_calls()
    _after_lease(world)

    [esc] = escalations(world)
    [card] = card_messages(world)
    assert esc.card_ts == card["ts"] and esc.card_channel
    assert world.slack.calls_to("chat.postMessage") == [] or all(
        c["args"].get("thread_ts") for c in world.slack.calls_to("chat.postMessage")
    )  # no second top-level card; only the customer's thread note may go out now
    [lookup] = world.slack.calls_to("conversations.history")
    assert lookup["args"]["channel"] == esc.card_channel
    assert str(lookup["args"]["include_all_metadata"]).lower() in ("true", "1")
    assert card["metadata"] == {
        "event_type": "baton_card",
        "event_payload": {"escalation_id": esc.id, "effect": item.id},
    }
    assert _pending(world, "post_card") == []


def test_a_customer_note_posted_just_before_a_crash_is_not_sent_twice(world, crash_on):
    fired = crash_on(
        world, lambda sql, params: sql.startswith("UPDATE escalations") and "customer_notified_at" in sql
    )
    cust = world.customers[ACME]
    result = world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    assert fired

    def notes() -> list[str]:
        return [t for t in thread_texts(world, cust.channel, result.ts) if "repeat yourself" in t]

    assert len(notes()) == 1
    [esc] = escalations(world)
    assert esc.customer_notified_at is None

    _after_lease(world)

    assert len(notes()) == 1
    [esc] = escalations(world)
    assert esc.customer_notified_at is not None
    [lookup] = world.slack.calls_to("conversations.replies")
    assert lookup["args"]["ts"] == result.ts


def test_a_reminder_posted_just_before_a_crash_is_not_posted_twice(world_factory, crash_on):
    path = POLICIES / "always_open.yaml"
    policy = load_policy_text(path.read_text(encoding="utf-8"), source=str(path))
    w: World = world_factory(policy=policy, clock=VirtualClock(T0))
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    [esc] = escalations(w)
    assert esc.card_ts

    def reminders() -> list[dict[str, Any]]:
        return [
            m for m in w.slack.thread(esc.card_channel, esc.card_ts) if "still unclaimed" in m.get("text", "")
        ]

    crash_on(w, lambda sql, params: "escalation_timeline" in sql and "reminded" in str(params))
    with pytest.raises(Crash):  # the sweep runs in this thread: the crash reaches the test
        w.advance_to(esc.opened_at + timedelta(minutes=5))
    assert len(reminders()) == 1

    _after_lease(w)
    assert len(reminders()) == 1
    with session_scope(w.deps.db) as session:
        assert [e.kind for e in repo.timeline(session, esc.id or 0)].count("reminded") == 1


def test_a_card_costs_four_short_transactions_from_lease_to_record(world):
    """Lease (batched), read, render, record-and-finish: the outbox's part of an escalation stays small."""
    world.slack.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    assert not esc.card_ts and len(_pending(world, "post_card")) == 1
    world.clock.advance(timedelta(seconds=1))
    begins: list[int] = []
    me = threading.get_ident()  # the inbox's workers poll in their own threads: count this run only

    def hook(conn: Any) -> None:
        if threading.get_ident() == me:
            begins.append(1)

    event.listen(world.deps.db, "begin", hook)
    try:
        outbox.run_for(world.deps, esc.id or 0)
    finally:
        event.remove(world.deps.db, "begin", hook)
    [esc] = escalations(world)
    assert esc.card_ts and _pending(world, "post_card") == []
    assert len(begins) <= 4


def test_an_oncall_dm_sent_just_before_a_crash_is_not_sent_twice(world_factory, crash_on):
    """The page step's DM: found again in the DM channel by its marker (conversations.history there
    needs im:history, which the manifest asks for), so the on-call person is not DMed twice."""
    w = world_maker(world_factory)("always_open")
    cust = w.customers[ACME]
    w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    [esc] = escalations(w)

    def oncall_dms() -> list[dict[str, Any]]:
        return [m for m in dms(w, ONCALL) if m.get("text", "").startswith("You're on call")]

    fired = crash_on(w, lambda sql, params: "escalation_timeline" in sql and "oncall_dm" in str(params))
    with pytest.raises(Crash):  # the page step runs in the sweep, in this thread
        w.advance_to(esc.opened_at + timedelta(minutes=10))
    assert fired, "the write recording the DM never ran"
    [dm] = oncall_dms()
    assert dm["metadata"]["event_type"] == "baton_message"

    w.slack.clear_calls()
    _after_lease(w)
    assert len(oncall_dms()) == 1  # the retry found it instead of sending it again
    dm_channel = w.slack.dm_channel(ONCALL)
    assert any(c["args"]["channel"] == dm_channel for c in w.slack.calls_to("conversations.history"))
    with session_scope(w.deps.db) as session:
        assert [e.kind for e in repo.timeline(session, esc.id or 0)].count("oncall_dm") == 1
