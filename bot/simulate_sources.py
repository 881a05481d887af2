"""`baton simulate` for accounts outside Slack: a scenario account with `source: api | intercom | zendesk`
has its customer, AI and agent messages sent the way that source sends them, over real HTTP into the
running Baton: POST /api/v1/messages with a bearer token, or a signed Intercom / Zendesk webhook.
Everything after that (decision, card, claim, SLA, the expectations) is the same as for Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bot.flows.external import channel_of
from bot.sandbox.ai_agent import AiAgentReceiver
from bot.sandbox.helpdesks import IntercomStandIn, ZendeskStandIn
from bot.sandbox.world import World
from storage.models import Source

TOKEN = "simulate-ingest-token"
CALLBACK_SECRET = "simulate-callback-secret"


@contextmanager
def callback_receiver(clock: Any, needed: bool) -> Iterator[tuple[str, str] | None]:
    """The API source's customer side: receives Baton's signed callbacks (None when no account needs it)."""
    if not needed:
        yield None
        return
    receiver = AiAgentReceiver(secret=CALLBACK_SECRET, clock=clock, path="/baton/callback").start()
    try:
        yield receiver.url, CALLBACK_SECRET
    finally:
        receiver.stop()


class ExternalSender:
    def __init__(self, world: World) -> None:
        self.w = world
        self._seen: set[str] = set()  # conversations that have had their first message
        self._n = 0

    def thread(self, source: str, conversation: str) -> tuple[str, str]:
        """The (channel, thread) the conversation is stored under (bot/flows/external.py)."""
        where = channel_of(Source(source), conversation)
        return where, where

    def send(self, *, source: str, kind: str, conversation: str, account: str, text: str,
             user: str = "", confidence: float | None = None) -> str:  # fmt: skip
        """Send one message; an error text ("" when accepted)."""
        assert self.w.server is not None
        self._n += 1
        first = conversation not in self._seen
        self._seen.add(conversation)
        now = self.w.clock.now()
        if source == Source.API:
            body: dict[str, Any] = {"conversation_id": conversation, "account_id": account, "role": kind,
                                    "text": text, "timestamp": now.isoformat(), "message_id": f"sim-{self._n}"}  # fmt: skip
            if user:
                body["author"] = user
            if confidence is not None and kind == "ai":
                body["confidence"] = confidence
            resp = httpx.post(self.w.server.url + "/api/v1/messages", json=body, timeout=10,
                              headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        elif source == Source.INTERCOM:
            topic = "conversation.user.created" if first and kind == "customer" else (
                "conversation.user.replied" if kind == "customer" else "conversation.admin.replied")  # fmt: skip
            author = {
                "customer": ("user", "contact-1"),
                "ai": ("bot", "fin"),
                "agent": ("admin", user or "admin-1"),
            }
            payload = IntercomStandIn.notification(
                topic, conversation, notification_id=f"sim-{self._n}", text=text, author_type=author[kind][0],
                author_id=author[kind][1], account=account, part_id=f"part-{self._n}",
                created_at=int(now.timestamp()),
            )  # fmt: skip
            raw = json.dumps(payload).encode()
            resp = httpx.post(self.w.server.url + "/webhooks/intercom", content=raw, timeout=10,
                              headers={"Content-Type": "application/json", **IntercomStandIn.sign(raw)})  # fmt: skip
        elif source == Source.ZENDESK:
            if kind == "ai":
                return "Zendesk has no AI author: give the AI agent's account source: api or intercom"
            event = ZendeskStandIn.event(
                "created" if first and kind == "customer" else "comment_added", conversation,
                event_id=f"sim-{self._n}", text=text, organization=account, staff=kind == "agent", at=now,
            )  # fmt: skip
            raw = json.dumps(event).encode()
            resp = httpx.post(self.w.server.url + "/webhooks/zendesk", content=raw, timeout=10,
                              headers={"Content-Type": "application/json", **ZendeskStandIn.sign(raw)})  # fmt: skip
        else:
            return f"unknown source {source!r}"
        return (
            ""
            if resp.status_code < 300
            else f"{source} refused the message: {resp.status_code} {resp.text[:200]}"
        )
