"""Async handoff tickets end to end, over real HTTP: a signed Slack event, an ingest API call or a
helpdesk webhook -> a queued (or after-hours) escalation -> one ticket in the Zendesk or Freshdesk
stand-in with the summary, the transcript, the account facts and next actions -> its link on the
card. Duplicated deliveries, a lost answer after the create and a helpdesk that is down never make a
second ticket and lose nothing. Runs on SQLite, and on PostgreSQL when DATABASE_URL points at one."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.clock import VirtualClock
from bot.flows import tickets as ticket_flow
from bot.flows.tickets import key_for
from bot.policy import load_policy_text
from bot.sandbox.helpdesks import IntercomStandIn, ZendeskStandIn
from bot.sandbox.world import World
from storage import repo
from storage.db import session_scope
from tests.e2e.helpers import ACME, escalations

DEFAULT = Path(__file__).parents[2] / "bot" / "policies" / "default.yaml"
QUEUED_TEXT = "I want to cancel my subscription, it's too expensive for us"
HUMAN = "This is useless, I want to talk to a real person right now"
TOKEN = "tok-tickets"


def _policy(tickets: str) -> Any:
    text = DEFAULT.read_text(encoding="utf-8")
    marker = "    categories: [safety, general, technical, account, security]"
    assert marker in text
    billing = "    categories: [billing, cancellation]"
    text = text.replace(marker, f"{marker}\n    tickets: {tickets}", 1).replace(billing, f"{billing}\n    tickets: {tickets}", 1)
    return load_policy_text(text, "tickets.yaml")


@pytest.fixture
def ticket_world(world_factory: Callable[..., World]) -> Callable[..., World]:
    def make(tickets: str = "{helpdesk: zendesk, when: [always]}", **kwargs: Any) -> World:
        return world_factory(policy=_policy(tickets), helpdesks=True, ingest_tokens=[TOKEN], **kwargs)

    return make


def _say(world: World, text: str, thread_ts: str | None = None, account: str = ACME) -> str:
    cust = world.customers[account]
    assert world.driver is not None
    msg = world.driver.user_says(cust.channel, cust.user, text, thread_ts=thread_ts)
    world.settle()
    return msg.ts


def _card_field(world: World, name: str) -> str:
    [esc] = escalations(world)
    card = world.slack.message(esc.card_channel, esc.card_ts)
    assert card is not None
    texts = [f.get("text", "") for b in card["blocks"] for f in b.get("fields", [])]
    return next((t for t in texts if t.startswith(f"*{name}*")), "")


def _timeline(world: World) -> list[Any]:
    [esc] = escalations(world)
    with session_scope(world.deps.db) as session:
        return list(repo.timeline(session, esc.id))


def _creates(standin: Any) -> list[dict[str, Any]]:
    return [r for r in standin.log() if r["method"] == "POST" and r["url"].split("?")[0].rstrip("/").endswith(("/tickets", "/tickets.json"))]


def test_a_slack_escalation_gets_one_zendesk_ticket_linked_from_the_card(ticket_world):
    w = ticket_world()
    assert w.zendesk is not None
    first = _say(w, HUMAN)
    assert first is not None
    _say(w, "Our export has been failing since Monday and card 4111 1111 1111 1111 was charged twice", thread_ts=first)
    [esc] = escalations(w)
    [ticket] = w.zendesk.created()
    assert ticket["external_id"] == key_for(esc.id)
    assert ticket["priority"] == ("urgent" if esc.urgency == "immediate" else "normal")
    assert {"baton", f"baton_{esc.category}", f"baton_{esc.urgency}"} <= set(ticket["tags"])
    [note] = ticket["comments"]
    assert note["public"] is False  # an internal note: the customer is not emailed the transcript
    text = note["body"]
    for part in ("Summary", "Account", "Acme Corp", "Tier: enterprise", "MRR: $12,000", "Recommended next actions",
                 "Transcript (", HUMAN, "Card in Slack: https://"):  # fmt: skip
        assert part in text, part
    assert "4111 1111 1111 1111" not in text  # redacted as on the card
    assert ticket["subject"].startswith("[Baton] Acme Corp")
    field = _card_field(w, "Ticket")
    assert f"{w.zendesk.url}/agent/tickets/{ticket['id']}" in field and "(new)" in field
    kinds = [str(e.kind) for e in _timeline(w)]
    assert kinds.count("ticket_linked") == 1
    # Every request as the real API takes it: the lookup by external_id first, then one create.
    paths = [(r["method"], r["url"].replace(w.zendesk.url, "")) for r in w.zendesk.log() if "/api/v2/tickets" in r["url"] and "/tickets/" not in r["url"]]
    assert paths == [("GET", f"/api/v2/tickets.json?external_id={key_for(esc.id)}"), ("POST", "/api/v2/tickets.json")]


def test_a_queued_escalation_gets_a_ticket_by_default(ticket_world):
    w = ticket_world("{helpdesk: zendesk}")  # when: [queued, after_hours]
    assert w.zendesk is not None
    _say(w, QUEUED_TEXT, account="initech")
    [esc] = escalations(w)
    assert esc.urgency == "queued"
    [ticket] = w.zendesk.created()
    assert ticket["external_id"] == key_for(esc.id) and ticket["priority"] == "normal"


NIGHT = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # Monday 23:30 UTC: the default team hours are over


@pytest.mark.parametrize(("at", "tickets"), [(NIGHT, 1), (None, 0)])
def test_after_hours_tickets_only_after_hours(ticket_world, at, tickets):
    extra = {"clock": VirtualClock(at)} if at else {}
    w = ticket_world("{helpdesk: zendesk, when: [after_hours]}", **extra)
    assert w.zendesk is not None
    _say(w, HUMAN)
    [esc] = escalations(w)
    assert esc.urgency == "immediate"
    assert ("after_hours" in [str(e.kind) for e in _timeline(w)]) == bool(at)
    assert len(w.zendesk.created()) == tickets  # in hours, an immediate one is no async handoff


def test_a_lost_answer_or_a_redelivered_event_never_makes_a_second_ticket(ticket_world):
    w = ticket_world()
    assert w.zendesk is not None and w.driver is not None
    w.zendesk.lose_next_answers(1, method="POST")  # Zendesk made the ticket; its answer never came
    cust = w.customers[ACME]
    msg = w.driver.user_says(cust.channel, cust.user, HUMAN)
    w.settle()
    assert len(w.zendesk.created()) == 1
    assert _card_field(w, "Ticket") == ""  # not recorded yet: the effect will look again
    w.advance_to(w.clock.now() + timedelta(minutes=5))
    [ticket] = w.zendesk.created()
    assert f"/agent/tickets/{ticket['id']}" in _card_field(w, "Ticket")
    w.driver.redeliver(msg.envelope)  # Slack retries the event: the same event_id
    w.driver.resend_as_new_event(msg.envelope, event_type="app_mention")  # the same message, another event
    w.settle()
    w.advance_to(w.clock.now() + timedelta(minutes=5))
    assert len(w.zendesk.created()) == 1 and len(_creates(w.zendesk)) == 1
    assert [str(e.kind) for e in _timeline(w)].count("ticket_linked") == 1


def test_the_idempotency_key_answers_the_first_ticket_again(ticket_world):
    """Zendesk's own guard: the same Idempotency-Key and body give the first ticket back."""
    w = ticket_world()
    assert w.zendesk is not None
    body = {"ticket": {"subject": "s", "comment": {"body": "b", "public": False}, "external_id": "k1"}}
    auth = httpx.BasicAuth("baton@ourteam.example/token", "zendesk-sandbox-token")
    first = httpx.post(w.zendesk.url + "/api/v2/tickets.json", json=body, auth=auth, headers={"Idempotency-Key": "k1"})
    again = httpx.post(w.zendesk.url + "/api/v2/tickets.json", json=body, auth=auth, headers={"Idempotency-Key": "k1"})
    other = httpx.post(w.zendesk.url + "/api/v2/tickets.json", json={"ticket": {**body["ticket"], "subject": "t"}}, auth=auth, headers={"Idempotency-Key": "k1"})
    blank = httpx.post(w.zendesk.url + "/api/v2/tickets.json", json={"ticket": {"subject": "no comment"}}, auth=auth)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert again.headers["x-idempotency-lookup"] == "hit"
    assert other.status_code == 400 and other.json()["error"] == "IdempotentRequestError"
    assert blank.status_code == 422 and blank.json()["error"] == "RecordInvalid"
    assert len(w.zendesk.created()) == 1


def test_a_helpdesk_that_is_down_gets_the_ticket_once_it_is_back(ticket_world):
    w = ticket_world()
    assert w.zendesk is not None
    w.zendesk.fail_next(503, count=3)
    _say(w, HUMAN)
    assert w.zendesk.created() == []
    assert escalations(w)[0].card_ts, "the card does not wait for the helpdesk"
    failed = [e for e in _timeline(w) if str(e.kind) == "effect_failed" and e.detail.get("effect") == "helpdesk_ticket"]
    assert failed and failed[0].detail.get("retry_at")
    for _ in range(4):
        w.advance_to(w.clock.now() + timedelta(minutes=5))
    [ticket] = w.zendesk.created()
    assert f"/agent/tickets/{ticket['id']}" in _card_field(w, "Ticket")


def test_an_ingested_conversation_gets_a_freshdesk_ticket(ticket_world):
    w = ticket_world("{helpdesk: freshdesk, when: [always], requester_email: support@ourco.example, tags: [vip]}")
    assert w.freshdesk is not None and w.server is not None
    body = {"conversation_id": "chat-7", "account_id": ACME, "role": "customer", "text": HUMAN,
            "timestamp": w.clock.now().isoformat(), "message_id": "m1"}  # fmt: skip
    resp = httpx.post(
        w.server.url + "/api/v1/messages",
        content=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 202, resp.text
    w.settle()
    [esc] = escalations(w)
    [ticket] = w.freshdesk.created()
    assert key_for(esc.id) in ticket["tags"] and "vip" in ticket["tags"]
    assert ticket["email"] == "support@ourco.example" and ticket["status"] == 2 and ticket["source"] == 7
    assert ticket["priority"] in (2, 4)
    assert "Recommended next actions" in ticket["description"] and "<br>" in ticket["description"]
    assert HUMAN in ticket["description"]
    field = _card_field(w, "Ticket")
    assert f"{w.freshdesk.url}/a/tickets/{ticket['id']}" in field and "Freshdesk" in field
    searches = [r["url"] for r in w.freshdesk.log() if r["method"] == "GET"]
    assert searches and "search/tickets?query=" in searches[0]
    assert w.zendesk is not None and w.zendesk.created() == []


def test_a_zendesk_ticket_is_its_own_ticket(ticket_world):
    w = ticket_world()
    assert w.zendesk is not None and w.server is not None
    created = ZendeskStandIn.event("created", "501", event_id="ev-1", text=HUMAN, organization=ACME)
    raw = json.dumps(created).encode()
    headers = {"Content-Type": "application/json", **ZendeskStandIn.sign(raw)}
    assert httpx.post(w.server.url + "/webhooks/zendesk", content=raw, headers=headers, timeout=10).status_code == 200
    w.settle()
    assert w.zendesk.created() == [] and _creates(w.zendesk) == []  # no second ticket for one that is
    field = _card_field(w, "Ticket")
    assert f"{w.zendesk.url}/agent/tickets/501" in field and "(the conversation's own)" in field


def test_an_intercom_conversation_is_its_own_ticket(ticket_world):
    w = ticket_world()
    assert w.intercom is not None and w.server is not None and w.zendesk is not None
    note = IntercomStandIn.notification("conversation.user.created", "ic-5", notification_id="n1", text=HUMAN, account=ACME)
    raw = json.dumps(note).encode()
    headers = {"Content-Type": "application/json", **IntercomStandIn.sign(raw)}
    assert httpx.post(w.server.url + "/webhooks/intercom", content=raw, headers=headers, timeout=10).status_code == 200
    w.settle()
    assert "https://app.intercom.com/a/inbox/sandbox-app/inbox/conversation/ic-5" in _card_field(w, "Ticket")
    assert w.zendesk.created() == []


def test_tickets_to_an_unconfigured_helpdesk_are_refused_on_the_timeline(ticket_world):
    w = ticket_world()
    w.deps.ticket_desks.clear()
    _say(w, HUMAN)
    failed = [e for e in _timeline(w) if str(e.kind) == "effect_failed" and e.detail.get("effect") == "helpdesk_ticket"]
    assert failed and "not configured" in failed[0].detail["error"] and failed[0].detail.get("retry_at") is None


def test_a_crash_after_the_create_or_a_lost_freshdesk_answer_files_one_ticket(ticket_world, monkeypatch):
    w = ticket_world("{helpdesk: freshdesk, when: [always], requester_email: support@ourco.example}")
    assert w.freshdesk is not None
    w.freshdesk.lose_next_answers(1, method="POST")  # Freshdesk filed it; the answer was lost
    real, calls = ticket_flow._record, {"n": 0}

    def dies_once(deps: Any, job: Any, ticket: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker died after the ticket was found")
        real(deps, job, ticket)

    monkeypatch.setattr(ticket_flow, "_record", dies_once)
    _say(w, HUMAN)
    assert len(w.freshdesk.created()) == 1 and _card_field(w, "Ticket") == ""
    for _ in range(3):
        w.advance_to(w.clock.now() + timedelta(minutes=5))
    [ticket] = w.freshdesk.created()
    assert calls["n"] == 2  # the crashed run, then the one that recorded it
    assert f"/a/tickets/{ticket['id']}" in _card_field(w, "Ticket")
    assert len(_creates(w.freshdesk)) == 1  # every retry searched by the tag first
