""" "Should have escalated": an agent marks a customer message Baton did not escalate (a false negative),
with an optional category and reason. Stored once per message (a second report updates it); counted
per category in the report; exported as labelled backtest input (`backtest_lines`, the format of
`baton backtest`, label {"escalate": true}).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot import feedback_cards
from bot.deps import Deps
from bot.domain.model import CATEGORIES
from bot.flows.claim import is_internal
from storage import feedback_repo, repo
from storage.db import read_scope, session_scope
from storage.models import MissedEscalation

QUOTE_LIMIT = 1500  # the message as the modal keeps it (private_metadata holds 3000 characters)


def shortcut_view(deps: Deps, *, channel: str, message: dict[str, Any], user_team: str) -> dict[str, Any]:
    """The modal the shortcut opens: the form, or why this message cannot be marked."""
    if not is_internal(deps, user_team):
        return feedback_cards.not_a_customer_message("Only the support team can mark missed escalations.")
    entry = deps.policy.account_for_channel(channel)
    if entry is None:
        return feedback_cards.not_a_customer_message(
            "This is not a customer channel Baton watches (the policy's `accounts`), so there was nothing to escalate."
        )
    author = str(message.get("user") or "")
    if message.get("bot_id") or message.get("subtype") == "bot_message" or author in deps.policy.ai_bot_users:
        return feedback_cards.not_a_customer_message(
            "Pick a message the customer wrote: this one came from a bot or the AI agent."
        )
    ts = str(message.get("ts") or "")
    thread = str(message.get("thread_ts") or "")
    view = feedback_cards.missed_modal(
        channel=channel,
        ts=ts,
        thread_ts=thread if thread and thread != ts else "",
        quote=str(message.get("text") or "")[:QUOTE_LIMIT],
        categories=CATEGORIES,
        account=entry.id,
    )
    meta = json.loads(view["private_metadata"])
    meta["text"] = str(message.get("text") or "")[:QUOTE_LIMIT]
    meta["author"] = author
    view["private_metadata"] = json.dumps(meta)
    return view


@dataclass(frozen=True)
class MissedForm:
    channel: str
    ts: str
    thread_ts: str
    text: str
    author: str

    @classmethod
    def from_metadata(cls, raw: str) -> MissedForm | None:
        try:
            meta = json.loads(raw)
        except (TypeError, ValueError):
            return None
        if not isinstance(meta, dict) or not meta.get("channel") or not meta.get("ts"):
            return None
        return cls(
            channel=str(meta["channel"]),
            ts=str(meta["ts"]),
            thread_ts=str(meta.get("thread_ts") or ""),
            text=str(meta.get("text") or ""),
            author=str(meta.get("author") or ""),
        )


def record(deps: Deps, form: MissedForm, *, category: str, reason: str, user: str, user_team: str) -> bool:
    """Store the report (once per message). True when it is new."""
    if not is_internal(deps, user_team):
        return False
    if category and category not in CATEGORIES:
        category = ""
    entry = deps.policy.account_for_channel(form.channel)
    now = deps.clock.now()
    with session_scope(deps.db) as session:
        conv = repo.find_conversation(session, "slack", form.channel, form.thread_ts or form.ts)
        return feedback_repo.upsert_missed(
            session,
            MissedEscalation(
                channel=form.channel,
                message_ts=form.ts,
                thread_ts=form.thread_ts,
                conversation_id=conv.id if conv is not None else None,
                account_id=entry.id if entry is not None else (conv.account_id if conv else ""),
                category=category,
                reason=reason.strip()[:500],
                text=form.text,
                reported_by=user,
                reported_at=now,
            ),
        )


def backtest_lines(db: Engine, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    """Missed escalations reported in [start, end) as `baton backtest` input: the conversation up to
    the marked message (as Baton recorded it, or the message alone), labelled escalate: true. For
    `baton export`: one JSON object per line (`json.dumps(line)`)."""
    with read_scope(db) as session:
        rows = feedback_repo.missed_between(session, start, end)
        for m in rows:
            messages: list[dict[str, Any]] = []
            found = False
            if m.conversation_id is not None:
                for msg in repo.messages_of(session, m.conversation_id):
                    messages.append({"role": msg.role, "text": msg.text, "ts": msg.sent_at.isoformat()})
                    if msg.ts == m.message_ts:
                        found = True
                        break
            if not found:  # Baton never recorded it (or not in this thread): the message as marked
                messages.append({"role": "customer", "text": m.text or " "})
            label: dict[str, Any] = {"escalate": True}
            if m.category:
                label["category"] = m.category
            tags: dict[str, Any] = {"source": "missed_escalation", "reported_by": m.reported_by}
            if m.reason:
                tags["reason"] = m.reason
            yield {
                "id": f"missed-{m.id}",
                "account": {"id": m.account_id} if m.account_id else {},
                "messages": messages,
                "label": label,
                "tags": tags,
            }
