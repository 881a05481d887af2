"""The ingest API end to end over real HTTP: an authenticated call -> the inbox -> the decision -> the
card in the local Slack -> Claim -> the signed callback; and every bad input refused with a JSON 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.cards import Action
from bot.clock import VirtualClock
from bot.sandbox.ai_agent import AiAgentReceiver
from bot.sandbox.world import World
from storage import inbox as store
from storage.db import session_scope
from storage.models import Conversation, Message, Source
from tests.e2e.helpers import ACME, AGENT, card_messages, escalations

TOKEN = "tok-ingest-1"
OTHER = "tok-ingest-2"
SECRET = "callback-secret"
HUMAN = "I want to talk to a real person please, this is the third time"


@pytest.fixture
def clock(monday_morning: datetime) -> VirtualClock:
    return VirtualClock(monday_morning)


@pytest.fixture
def receiver(clock: VirtualClock) -> Iterator[AiAgentReceiver]:
    r = AiAgentReceiver(secret=SECRET, clock=clock, path="/baton/callback").start()
    yield r
    r.stop()


@pytest.fixture
def api_world(world_factory: Any, receiver: AiAgentReceiver, clock: VirtualClock) -> World:
    return world_factory(clock=clock, ingest_tokens=[TOKEN, OTHER], api_callback=(receiver.url, SECRET))


def url(world: World, path: str = "/api/v1/messages") -> str:
    assert world.server is not None
    return world.server.url + path


def message(world: World, text: str = HUMAN, **over: Any) -> dict[str, Any]:
    body = {
        "conversation_id": "chat-1",
        "account_id": ACME,
        "role": "customer",
        "text": text,
        "timestamp": world.clock.now().isoformat(),
    }
    body.update(over)
    return body


def post(
    world: World, body: Any, token: str = TOKEN, path: str = "/api/v1/messages", **headers: str
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        url(world, path),
        content=raw,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
        timeout=10,
    )


def test_a_message_through_the_api_is_escalated_claimed_and_answered_by_callback(api_world, receiver):
    w = api_world
    resp = post(w, message(w, "Hi, my invoice is wrong", message_id="m1", role="customer"))
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"accepted": 1, "messages": [{"conversation_id": "chat-1", "message_id": "m1"}]}
    ai = message(w, "I can help with invoices.", message_id="m2", role="ai", confidence=0.4,
                 summary="Customer says the invoice is wrong; AI offered help")  # fmt: skip
    assert post(w, ai).status_code == 202
    assert post(w, message(w, HUMAN, message_id="m3")).status_code == 202
    w.settle()

    (esc,) = escalations(w)
    assert esc.account_id == ACME
    with session_scope(w.deps.db) as s:
        conv = s.get(Conversation, esc.conversation_id)
        assert conv is not None and conv.source == Source.API and conv.external_id == "chat-1"
        msgs = s.exec(select(Message).where(Message.conversation_id == conv.id)).all()
        by_id = {m.ts: m for m in msgs}
        assert {k: m.role for k, m in by_id.items()} == {"m1": "customer", "m2": "ai", "m3": "customer"}
        assert "Customer says" in str(by_id["m2"].ai_summary)  # the card summary uses it (bot.domain.summary)
    (card,) = card_messages(w)
    assert "Acme" in card["text"]

    # The customer is told through the callback (signed, verified by the receiver's own check).
    bodies = receiver.accepted()
    transition = [b for b in bodies if b.get("type") == "message"]
    assert (
        transition and transition[0]["kind"] == "transition" and transition[0]["conversation_id"] == "chat-1"
    )
    assert any(b.get("type") == "handoff" and b["escalation_id"] == esc.id for b in bodies)
    assert all(r.verified for r in receiver.received)

    resp = w.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    assert resp.status_code == 200
    w.settle()
    bodies = receiver.accepted()
    joined = [b for b in bodies if b.get("type") == "message" and b["kind"] == "joined"]
    assert joined and "alice" in joined[0]["text"]
    claimed = [b for b in bodies if b.get("type") == "claimed"]
    assert claimed and claimed[0]["agent"] == "alice"
    assert escalations(w)[0].claimed_by == AGENT


def test_batch_and_idempotency_key(api_world):
    w = api_world
    batch = {"messages": [message(w, "hello", message_id="b1"), message(w, HUMAN, message_id="b2")]}
    first = post(w, batch, path="/api/v1/messages/batch", **{"Idempotency-Key": "k-1"})
    assert first.status_code == 202 and first.json()["accepted"] == 2
    again = post(w, batch, path="/api/v1/messages/batch", **{"Idempotency-Key": "k-1"})
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = {"messages": [message(w, "something else", message_id="b3")]}
    reused = post(w, other, path="/api/v1/messages/batch", **{"Idempotency-Key": "k-1"})
    assert reused.status_code == 409 and reused.json()["error"] == "idempotency_key_reused"
    # The same key of another token is another request.
    assert (
        post(w, other, token=OTHER, path="/api/v1/messages/batch", **{"Idempotency-Key": "k-1"}).status_code
        == 202
    )
    # A plain retry without a key stores nothing new either.
    assert post(w, message(w, "once", message_id="b9")).status_code == 202
    assert post(w, message(w, "once", message_id="b9")).headers.get("Idempotent-Replayed") == "true"
    w.settle()
    with session_scope(w.deps.db) as s:
        ids = sorted(m.ts for m in s.exec(select(Message)).all())
        assert ids == ["b1", "b2", "b3", "b9"]
        assert (
            len([k for k in store.keys(s) if k.startswith("api:")]) == 3
        )  # k-1, k-1 of the other token, "once"
    assert len(escalations(w)) == 1


BAD: list[tuple[str, dict[str, Any], int, str]] = [
    ("no role", {"role": None}, 422, "role"),
    ("bad role", {"role": "robot"}, 422, "role"),
    ("empty text", {"text": ""}, 422, "text"),
    ("text a number", {"text": 5}, 422, "text"),
    ("naive timestamp", {"timestamp": "2026-11-23T10:00:00"}, 422, "offset"),
    ("timestamp a number", {"timestamp": 1700000000}, 422, "timestamp"),
    ("garbage timestamp", {"timestamp": "yesterday"}, 422, "timestamp"),
    ("long conversation id", {"conversation_id": "x" * 57}, 422, "conversation_id"),
    ("spaces in an id", {"account_id": "a b"}, 422, "account_id"),
    ("confidence 2", {"confidence": 2}, 422, "confidence"),
    ("confidence true", {"confidence": True}, 422, "confidence"),
    ("unknown field", {"colour": "red"}, 422, "colour"),
    ("language", {"language": "english"}, 422, "language"),
    ("url", {"conversation_url": "javascript:alert(1)"}, 422, "conversation_url"),
]


@pytest.mark.parametrize(("name", "change", "status", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_fields_get_422_naming_the_field(api_world, name, change, status, words):
    body = {k: v for k, v in {**message(api_world), **change}.items() if v is not None}
    resp = post(api_world, body)
    assert resp.status_code == status, resp.text
    assert words in resp.json()["message"]


def test_bad_requests_are_refused_before_anything_is_stored(api_world):
    w = api_world
    good = json.dumps(message(w)).encode()
    assert httpx.post(url(w), content=good, headers={"Content-Type": "application/json"}).status_code == 401
    forged = post(w, message(w), token="tok-ingest-1x")
    assert forged.status_code == 401 and forged.json()["error"] == "unauthorized"
    assert httpx.post(url(w), content=good, headers={"Authorization": "Bearer"}).status_code == 401
    assert httpx.post(url(w), content=good, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert post(w, b'{"conversation_id": ').status_code == 400
    assert post(w, b"\xff\xfe").status_code == 400
    assert post(w, b"[1, 2]").status_code == 422
    assert post(w, b'"text"').status_code == 422
    wrong_type = httpx.post(
        url(w), content=good, headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    huge = post(w, message(w, "x" * (2 << 20)))
    assert huge.status_code == 413 and "limit" in huge.json()["message"]
    assert post(w, {"messages": []}, path="/api/v1/messages/batch").status_code == 422
    too_many = {"messages": [message(w, f"m{i}", message_id=f"x{i}") for i in range(101)]}
    assert post(w, too_many, path="/api/v1/messages/batch").status_code == 422
    bad_item = {"messages": [message(w, "ok", message_id="ok1"), message(w, role="bot")]}
    refused = post(w, bad_item, path="/api/v1/messages/batch")
    assert refused.status_code == 422 and "messages[1].role" in refused.json()["message"]
    w.settle()
    with session_scope(w.deps.db) as s:
        assert not [k for k in store.keys(s) if k.startswith("api:")]
        assert s.exec(select(Message)).all() == []


def test_rate_limit_per_token_is_shared_and_says_when(world_factory, receiver):
    w = world_factory(ingest_tokens=[TOKEN, OTHER], extra_settings={"BATON_INGEST_RATE": 3})
    codes = [post(w, message(w, f"msg {i}", message_id=f"r{i}")).status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    limited = post(w, message(w, "again", message_id="r9"))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert post(w, message(w, "other token", message_id="o1"), token=OTHER).status_code == 202
    w.clock.advance(timedelta(seconds=61))
    assert post(w, message(w, "next minute", message_id="r10")).status_code == 202


def test_the_api_is_off_without_a_token(world):
    resp = post(world, message(world))
    assert resp.status_code == 404 and "BATON_INGEST_TOKEN" in resp.json()["message"]


def test_a_callback_receiver_that_is_down_gets_the_message_later(api_world, receiver):
    w = api_world
    receiver.fail_next(503, count=3)
    assert post(w, message(w, HUMAN, message_id="d1")).status_code == 202
    w.settle()
    assert escalations(w)
    assert not [b for b in receiver.accepted() if b.get("type") == "message"]
    w.advance_to(w.clock.now() + timedelta(minutes=5))
    transition = [b for b in receiver.accepted() if b.get("kind") == "transition"]
    assert len(transition) == 1
    deliveries = [
        r.headers.get("x-baton-delivery") for r in receiver.received if r.body.get("kind") == "transition"
    ]
    assert len(set(deliveries)) == 1  # every retry is the same delivery: the receiver can drop duplicates
