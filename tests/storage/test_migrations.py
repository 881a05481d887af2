"""Migrations and models agree, and the schema enforces the invariants the flows rely on."""

from __future__ import annotations

import concurrent.futures as cf
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

from storage import repo
from storage.db import alembic_config, make_engine, migrate, session_scope
from storage.models import Conversation, Escalation, OutboxItem

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_migrations_match_models(database_url):
    migrate(database_url)
    migrate(database_url)  # idempotent: safe on every start
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


@pytest.fixture
def db(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _conversation(db) -> int:
    with session_scope(db) as s:
        conv = Conversation(
            source="slack",
            channel="C1",
            thread_ts="1.0",
            account_id="acme",
            created_at=NOW,
            last_message_at=NOW,
        )
        s.add(conv)
        s.flush()
        assert conv.id is not None
        return conv.id


def _escalation(conv_id: int) -> Escalation:
    return Escalation(
        conversation_id=conv_id, account_id="acme", urgency="immediate", category="billing", opened_at=NOW
    )


def test_one_active_escalation_per_conversation(db):
    conv = _conversation(db)
    with session_scope(db) as s:
        assert repo.insert_escalation(s, _escalation(conv)) is not None
    with session_scope(db) as s:
        assert repo.insert_escalation(s, _escalation(conv)) is None
    with session_scope(db) as s:
        esc = repo.active_escalation(s, conv)
        assert esc is not None and esc.id is not None
        assert repo.resolve(s, esc.id, "U1", "done", NOW)
    with session_scope(db) as s:  # resolved: a new one may open
        assert repo.insert_escalation(s, _escalation(conv)) is not None


def test_times_come_back_aware_utc(db):
    conv = _conversation(db)
    with session_scope(db) as s:
        c = s.get(Conversation, conv)
        assert c is not None and c.created_at == NOW and c.created_at.tzinfo is not None


def test_claim_is_atomic_under_twenty_threads(db):
    conv = _conversation(db)
    with session_scope(db) as s:
        esc = repo.insert_escalation(s, _escalation(conv))
        assert esc is not None and esc.id is not None
        esc_id = esc.id
    barrier = threading.Barrier(20)

    def claim(i: int) -> bool:
        barrier.wait()
        with session_scope(db) as s:
            return repo.claim(s, esc_id, f"U{i:03d}", NOW + timedelta(seconds=i))

    with cf.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(claim, range(20)))
    assert results.count(True) == 1
    with session_scope(db) as s:
        esc = s.get(Escalation, esc_id)
        assert esc is not None and esc.claimed_by == f"U{results.index(True):03d}"


def test_inbound_ids_and_outbox_dedup(db):
    with session_scope(db) as s:
        assert repo.mark_inbound(s, "slack-event:Ev1", NOW)
    with session_scope(db) as s:
        assert not repo.mark_inbound(s, "slack-event:Ev1", NOW)
    item = dict(kind="post_card", dedup="post_card:1:", payload={}, created_at=NOW, next_attempt_at=NOW)
    with session_scope(db) as s:
        assert repo.enqueue(s, OutboxItem(**item))
    with session_scope(db) as s:
        assert not repo.enqueue(s, OutboxItem(**item))


def test_outbox_lease_has_one_winner_and_expires(db):
    with session_scope(db) as s:
        repo.enqueue(s, OutboxItem(kind="k", dedup="k:1", payload={}, created_at=NOW, next_attempt_at=NOW))
        [item] = repo.due_outbox(s, NOW)
        item_id = item.id
    assert item_id is not None
    with session_scope(db) as s:
        assert repo.lease_outbox(s, item_id, NOW, timedelta(seconds=60))
    with session_scope(db) as s:
        assert not repo.lease_outbox(s, item_id, NOW + timedelta(seconds=30), timedelta(seconds=60))
    with session_scope(db) as s:  # the worker died: its lease runs out and another takes over
        assert repo.lease_outbox(s, item_id, NOW + timedelta(seconds=61), timedelta(seconds=60))


def test_0006_moves_paging_state_out_of_the_timeline(database_url):
    """Escalations paged before 0006 keep their state: read once from the timeline into columns."""
    command.upgrade(alembic_config(database_url), "0005")
    engine = make_engine(database_url)
    at = NOW.replace(tzinfo=None) if database_url.startswith("sqlite") else NOW
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO conversations (id, source, channel, thread_ts, account_id, customer_id,"
                " customer_team, permalink, created_at, last_message_at)"
                " VALUES (1, 'slack', 'C1', '1.0', 'acme', 'U1', 'T1', '', :at, :at)"
            ),
            {"at": at},
        )
        for esc_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO escalations (id, conversation_id, account_id, tier, status, urgency, category,"
                    " team, triggers, prefer_agent, card_channel, card_ts, card_dirty, opened_at, claimed_by,"
                    " resolved_by, resolution_note, chain, steps_done, sla_note)"
                    " VALUES (:id, 1, 'acme', 'enterprise', :status, 'immediate', 'general', 'support', '[]', '',"
                    " '', '', false, :at, '', '', '', '[]', 0, '')"
                ),
                {"id": esc_id, "status": "open" if esc_id == 1 else "resolved", "at": at},
            )
        events = [
            (1, "page_requested", '{"after_hours": true}'),
            (1, "paged", '{"provider": "pagerduty", "dedup_key": "baton-esc-1"}'),
            (1, "paged", '{"provider": "pagerduty", "dedup_key": "baton-surge-support-7", "joined": true}'),
            (2, "page_requested", '{"after_hours": false}'),
        ]
        for esc_id, kind, detail in events:
            conn.execute(
                text(
                    "INSERT INTO escalation_timeline (escalation_id, at, kind, actor, detail)"
                    " VALUES (:e, :at, :k, '', :d)"
                ),
                {"e": esc_id, "at": at, "k": kind, "d": detail},
            )
    engine.dispose()
    migrate(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as s:
        one, two = s.get(Escalation, 1), s.get(Escalation, 2)
        assert one is not None and two is not None
        assert one.page_key == "baton-surge-support-7" and one.paged_at == NOW
        assert one.after_hours_page_requested and not one.chain_page_requested
        assert two.page_key == "" and two.paged_at is None
        assert two.chain_page_requested and not two.after_hours_page_requested
    engine.dispose()


def test_migrations_form_one_linear_chain_named_by_their_files():
    """Two branches landing a migration each must not both call it 0021: alembic would keep one and
    silently skip the other. Each file NNNN_*.py is revision NNNN, revising the one before it."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    files = sorted(p for p in Path(script.versions).glob("[0-9][0-9][0-9][0-9]_*.py"))
    revisions = [p.name[:4] for p in files]
    assert len(set(revisions)) == len(revisions), f"two migrations share a number: {revisions}"
    for previous, path in zip([None, *revisions], files, strict=False):
        body = path.read_text()
        assert f'revision: str = "{path.name[:4]}"' in body, f"{path.name}: revision is not its number"
        expected = "None" if previous is None else f'"{previous}"'
        assert f"down_revision: str | None = {expected}" in body, (
            f"{path.name}: down_revision should be {previous!r}"
        )
    assert script.get_heads() == [revisions[-1]]
