"""Helpers for end-to-end tests: read what Baton did from the database and the local Slack."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.sandbox.world import World
from storage.db import session_scope
from storage.models import Escalation

ACME = "acme"
AGENT = "U0ALICE"
ACCOUNTS = [
    {"id": ACME, "name": "Acme Corp", "tier": "enterprise", "channel": "C0ACME", "mrr": 12000},
    {"id": "initech", "name": "Initech", "tier": "self-serve", "channel": "C0INITECH"},
]


def escalations(world: World) -> list[Escalation]:
    with session_scope(world.deps.db) as session:
        return list(session.exec(select(Escalation).order_by(col(Escalation.id))))


def card_messages(world: World, channel: str | None = None) -> list[dict[str, Any]]:
    """Messages the bot posted with a Claim/Resolve card, in one channel or in every team channel."""
    channels = [channel] if channel else [t.channel for t in world.policy.teams.values()]
    out = []
    for ch in channels:
        # a thread parent carries thread_ts == ts once it has replies; replies have another thread_ts
        out += [
            m
            for m in world.slack.bot_messages(ch)
            if m.get("blocks") and m.get("thread_ts", m["ts"]) == m["ts"]
        ]
    return out


def thread_texts(world: World, channel: str, ts: str | None) -> list[str]:
    assert ts is not None
    return [str(m.get("text", "")) for m in world.slack.thread(channel, ts)]
