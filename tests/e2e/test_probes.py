"""/readyz and /metrics through the real WSGI app on loopback (the same routes gunicorn serves)."""

from __future__ import annotations

import socket
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.cards import Action
from bot.clock import VirtualClock
from bot.flows.sweep import sweep
from bot.probes import INBOX_STUCK, Probes, sweep_max_age
from bot.scheduler import tick, worker_name
from bot.web import Server, healthz, make_wsgi
from storage import inbox, monitor
from storage.db import make_engine, migrate, session_scope
from storage.models import InboxItem, SweepHeartbeat
from tests.e2e.helpers import ACME, AGENT, card_messages, escalations

HUMAN = "I want to talk to a human please"


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


def test_readyz_follows_the_sweep_heartbeat(world):
    base = world.server.url
    # A process that has not swept yet is "starting", not failing.
    first = httpx.get(f"{base}/readyz")
    assert first.status_code == 200 and first.json()["checks"]["sweep"] == "starting"

    tick(world.deps)  # what the scheduler runs: a sweep, then this process's heartbeat
    assert httpx.get(f"{base}/readyz").json() == {
        "ok": True,
        "checks": {"database": "ok", "sweep": "ok", "inbox": "ok"},
    }

    # No sweep for longer than the limit (the scheduler died, or every instance is down).
    world.clock.advance(sweep_max_age(world.deps.sweep_seconds) + timedelta(seconds=1))
    stale = httpx.get(f"{base}/readyz")
    assert stale.status_code == 503
    assert stale.json()["ok"] is False and stale.json()["checks"]["sweep"].startswith("stale")
    assert httpx.get(f"{base}/healthz").status_code == 200  # alive all the same

    tick(world.deps)
    assert httpx.get(f"{base}/readyz").status_code == 200


def test_heartbeat_rows_are_one_per_process_and_long_gone_ones_are_pruned(world):
    now = world.clock.now()
    with session_scope(world.deps.db) as session:
        monitor.beat(session, worker="gone:1", at=now - monitor.HEARTBEAT_KEEP - timedelta(minutes=1), duration_ms=1)
        monitor.beat(session, worker="other:2", at=now - timedelta(minutes=5), duration_ms=1)
    tick(world.deps)
    tick(world.deps)
    with session_scope(world.deps.db) as session:
        rows = {h.worker: h.at for h in session.exec(select(SweepHeartbeat))}
        newest = monitor.newest_heartbeat(session)
    assert set(rows) == {"other:2", worker_name()}
    assert newest == now


def test_readyz_and_metrics_when_the_database_is_unreachable(world):
    dead = make_engine(f"postgresql://postgres@127.0.0.1:{_closed_port()}/baton?connect_timeout=2")
    probes = Probes(db=dead, clock=world.clock, sweep_seconds=world.deps.sweep_seconds)
    server = Server(make_wsgi({("GET", "/healthz"): healthz(dead), **probes.routes()})).start()
    try:
        ready = httpx.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("unreachable")
        assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 503
        scraped = httpx.get(f"{server.url}/metrics", timeout=30)
        assert scraped.status_code == 200  # a scrape still answers, and says the database is down
        assert _sample(scraped.text, "baton_database_up") == 0
    finally:
        server.stop()
        dead.dispose()


def test_metrics_count_what_happened(world):
    base = world.server.url
    before = httpx.get(f"{base}/metrics").text
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, "where is my order 42?")
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    assert len(card_messages(world)) == 1
    after = httpx.get(f"{base}/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    team = escalations(world)[0].team

    def delta(now: str, name: str, **labels: str) -> float:
        return _sample(now, name, **labels) - _sample(before, name, **labels)

    assert delta(text, "baton_decisions_total", outcome="no_escalation") == 1
    assert delta(text, "baton_decisions_total", outcome="escalate") == 1
    assert delta(text, "baton_escalations_opened_total", team=team) == 1
    assert delta(text, "baton_effects_total", kind="post_card", outcome="ok") == 1
    assert delta(text, "baton_http_requests_total", route="/slack/events", code="200") == 2
    assert delta(text, "baton_http_request_seconds_count", route="/slack/events") == 2
    assert _sample(text, "baton_database_up") == 1
    assert _sample(text, "baton_outbox_pending") == 0

    # Slack refuses with 429: counted per method; the effects wait in the outbox, which the gauges
    # (read from the database at scrape time) show with the age of the oldest.
    world.slack.fail_next("chat.postMessage", "ratelimited", count=10, retry_after=30)
    other = world.customers["initech"]
    world.driver.user_says(other.channel, other.user, HUMAN)
    world.settle()
    world.clock.advance(timedelta(seconds=20))
    blocked = httpx.get(f"{base}/metrics").text
    assert _sample(blocked, "baton_outbox_pending", kind="post_card") == 1
    assert _sample(blocked, "baton_outbox_oldest_age_seconds", kind="post_card") == 20
    assert delta(blocked, "baton_slack_rate_limited_total", method="chat.postMessage") >= 1
    assert delta(blocked, "baton_effect_failures_total", kind="post_card") == 1
    assert delta(blocked, "baton_effects_total", kind="post_card", outcome="failed") == 1


def test_claim_records_pickup_time(world):
    base = world.server.url
    before = httpx.get(f"{base}/metrics").text
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    esc = escalations(world)[0]
    world.clock.advance(timedelta(minutes=4))
    assert world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value).status_code == 200
    world.settle()
    text = httpx.get(f"{base}/metrics").text

    def delta(name: str) -> float:
        return _sample(text, name, team=esc.team) - _sample(before, name, team=esc.team)

    assert delta("baton_pickup_seconds_count") == 1
    assert delta("baton_pickup_seconds_sum") == 240


def _stored(key: str, *, lane: str, at, available_at=None) -> InboxItem:
    return InboxItem(
        key=key, lane=lane, kind="event_callback", content_type="application/json", body="{}",
        received_at=at, available_at=available_at or at,
    )


def test_readyz_and_metrics_see_an_inbox_nobody_takes_from(database_url, monday_morning):
    """Workers dead or wedged: requests are stored (Slack got its 200) but nothing takes them."""
    migrate(database_url)
    db = make_engine(database_url)
    clock = VirtualClock(monday_morning)
    probes = Probes(db=db, clock=clock, sweep_seconds=15)
    server = Server(make_wsgi(probes.routes())).start()
    try:
        with session_scope(db) as session:
            inbox.record(session, _stored("Ev1", lane="events", at=clock.now()))
            inbox.record(session, _stored("Ev2", lane="events", at=clock.now()))
            # A failed item waiting out its backoff is pending but not due: never "stuck".
            inbox.record(
                session,
                _stored("Tr1", lane="interactive", at=clock.now(), available_at=clock.now() + timedelta(hours=1)),
            )
        assert httpx.get(f"{server.url}/readyz").json()["checks"]["inbox"] == "ok"

        clock.advance(INBOX_STUCK + timedelta(seconds=30))
        stuck = httpx.get(f"{server.url}/readyz")
        assert stuck.status_code == 503
        assert stuck.json()["checks"]["inbox"] == "stuck: events: 2 pending, due 150 s ago"
        scraped = httpx.get(f"{server.url}/metrics").text
        assert _sample(scraped, "baton_inbox_pending", lane="events") == 2
        assert _sample(scraped, "baton_inbox_pending", lane="interactive") == 1
        assert _sample(scraped, "baton_inbox_oldest_age_seconds", lane="events") == 150

        with session_scope(db) as session:  # a worker comes back and takes them
            for item in session.exec(select(InboxItem).where(InboxItem.lane == "events")):
                assert item.id is not None
                inbox.finish(session, item.id, clock.now())
        recovered = httpx.get(f"{server.url}/readyz")
        assert recovered.json()["checks"]["inbox"] == "ok"
        assert _sample(httpx.get(f"{server.url}/metrics").text, "baton_inbox_pending", lane="events") == 0
    finally:
        server.stop()
        db.dispose()


def test_the_sweep_forgets_processed_requests_after_a_day_and_keeps_the_rest(world):
    now = world.clock.now()
    old = now - inbox.KEEP_DONE - timedelta(minutes=1)
    with session_scope(world.deps.db) as session:
        for key in ("old-done", "recent-done", "old-failed"):
            inbox.record(session, _stored(key, lane="test-nobody", at=old))
        ids = {i.key: i.id for i in session.exec(select(InboxItem).where(InboxItem.lane == "test-nobody"))}
        inbox.finish(session, ids["old-done"], old)
        inbox.finish(session, ids["recent-done"], now - timedelta(hours=1))
        inbox.retry_later(session, ids["old-failed"], old, "boom", give_up=True)
        inbox.record(session, _stored("old-pending", lane="test-nobody", at=old, available_at=now + timedelta(days=9)))

    report = sweep(world.deps, now)
    assert report.pruned == 1
    with session_scope(world.deps.db) as session:
        left = set(inbox.keys(session))
    assert {"recent-done", "old-failed", "old-pending"} <= left and "old-done" not in left
    assert sweep(world.deps, now).pruned == 0  # nothing more to forget: the retried sweep is a no-op
