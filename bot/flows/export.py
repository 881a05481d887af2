"""`baton export`: what humans resolved, for the AI agent's training, and Baton's conversations as
`baton backtest` input.

resolved: one JSON object per escalation a person resolved in the period — the customer's question,
  what the AI answered before the handoff, what the agent answered, the resolution note, labels and
  the resolver's "Was a human needed?" — with every kind of personal data and secret masked (emails,
  phone numbers, card numbers, tokens and keys: bot/domain/redact.py, all kinds, whatever the
  policy's `redaction` says: the file leaves the support team).
conversations: one line per conversation active in the period, in backtest's input format (roles,
  texts, times, the AI's confidence), labelled where a person said what should have happened: a
  "Was a human needed?" answer (yes/partly: escalate, no: do not) or a "Should have escalated" mark.
  Texts are masked as the policy's `redaction` says (`redact=False` keeps them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.domain.report import Needed
from bot.flows import missed
from bot.flows.gaps import EVERYTHING, question_of
from bot.policy import Policy
from storage import learning_repo
from storage.db import read_scope
from storage.models import Conversation, Escalation, Message, MissedEscalation

BATCH = 200  # conversations whose messages are read at once


def jsonl(record: dict[str, Any]) -> str:
    """One JSON Lines line: UTF-8 text kept readable, but the line separators some readers split on
    (U+2028, U+2029) escaped, so one record is always exactly one line."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=False)
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def resolved_record(esc: Escalation, messages: Sequence[Message], redact: Callable[[str], str]) -> dict[str, Any]:
    since = esc.first_customer_at
    ended = esc.resolved_at or esc.opened_at
    episode = [m for m in messages if (since is None or m.sent_at >= since) and m.sent_at <= ended]
    question = question_of(messages, since=since, opened=esc.opened_at)
    ai = [m for m in episode if m.role == "ai" and m.sent_at <= esc.opened_at]
    agent = [m for m in episode if m.role == "agent" and m.sent_at >= esc.opened_at]
    return {
        "escalation_id": esc.id,
        "conversation_id": esc.conversation_id,
        "opened_at": _iso(esc.opened_at),
        "resolved_at": _iso(esc.resolved_at),
        "question": redact(question.text) if question is not None else "",
        "customer_messages": [redact(m.text) for m in episode if m.role == "customer"],
        "ai_answers": [redact(m.text) for m in ai],
        "agent_answers": [redact(m.text) for m in agent],
        "resolution_note": redact(esc.resolution_note),
        "labels": {
            "category": esc.category,
            "urgency": esc.urgency,
            "segment": esc.tier,
            "team": esc.team,
            "language": esc.language,
            "triggers": [str(t.get("id", "")) for t in esc.triggers or () if isinstance(t, dict)],
        },
        "feedback": {"needed": esc.needed or None, "reason": redact(esc.needed_reason) or None},
        "csat": esc.csat,
    }


def export_resolved(*, db: Engine, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    """Records of the escalations people resolved in [start, end), in the order they were resolved."""
    with read_scope(db) as session:
        escs = learning_repo.resolved_escalations(session, start, end)
        for at in range(0, len(escs), BATCH):
            chunk = escs[at : at + BATCH]
            messages = learning_repo.messages_of(session, (e.conversation_id for e in chunk))
            for esc in chunk:
                yield resolved_record(esc, messages.get(esc.conversation_id, []), EVERYTHING)


def _label(escs: Sequence[Escalation], missed: Sequence[MissedEscalation]) -> dict[str, Any] | None:
    """What a person said should have happened, if anyone did."""
    needed = [e for e in escs if e.needed in (Needed.YES, Needed.PARTLY)]
    if needed:
        return {"escalate": True, "category": needed[0].category}
    if missed:
        return {"escalate": True, **({"category": missed[0].category} if missed[0].category else {})}
    if escs and all(e.needed == Needed.NO for e in escs):
        return {"escalate": False}
    return None


def conversation_record(
    conv: Conversation,
    messages: Sequence[Message],
    escs: Sequence[Escalation],
    missed: Sequence[MissedEscalation],
    redact: Callable[[str], str],
) -> dict[str, Any] | None:
    """A backtest input line, or None when the conversation has no customer message to replay."""
    lines = []
    for m in messages:
        if m.role not in ("customer", "ai", "agent") or not m.text.strip():
            continue
        line: dict[str, Any] = {"role": m.role, "text": redact(m.text), "ts": _iso(m.sent_at), "ref": m.ts}
        if m.confidence is not None:
            line["confidence"] = m.confidence
        lines.append(line)
    if not any(m["role"] == "customer" for m in lines):
        return None
    account: dict[str, Any] = {"id": redact(conv.account_id)}
    if escs:
        account["tier"] = escs[-1].tier
    record: dict[str, Any] = {
        "id": f"baton-{conv.id}",
        "account": account,
        "messages": lines,
        "tags": {
            "source": "baton",
            "escalated": bool(escs),
            **({"category": escs[0].category, "language": escs[0].language} if escs else {}),
        },
    }
    label = _label(escs, missed)
    if label is not None:
        record["label"] = label
    return record


def export_conversations(
    *, db: Engine, policy: Policy, start: datetime, end: datetime, redact: bool = True
) -> Iterator[dict[str, Any]]:
    """Backtest input for the conversations with a message in [start, end), oldest first."""
    mask: Callable[[str], str] = policy.redactor if redact else (lambda text: text)
    with read_scope(db) as session:
        ids = learning_repo.conversation_ids_active(session, start, end)
        for at in range(0, len(ids), BATCH):
            yield from _conversation_batch(session, learning_repo.conversations_by_id(session, ids[at : at + BATCH]), mask)


def _conversation_batch(session: Any, convs: Sequence[Conversation], mask: Callable[[str], str]) -> Iterator[dict[str, Any]]:
    ids = [c.id for c in convs if c.id is not None]
    messages = learning_repo.messages_of(session, ids)
    escs = learning_repo.escalations_of(session, ids)
    missed = learning_repo.missed_of(session, ids)
    for conv in convs:
        assert conv.id is not None
        record = conversation_record(conv, messages[conv.id], escs[conv.id], missed[conv.id], mask)
        if record is not None:
            yield record


def export_missed(
    *, db: Engine, policy: Policy, start: datetime, end: datetime, redact: bool = True
) -> Iterator[dict[str, Any]]:
    """The "Should have escalated" marks of [start, end) as backtest input (bot.flows.missed), texts
    masked as the policy's `redaction` says."""
    mask: Callable[[str], str] = policy.redactor if redact else (lambda text: text)
    for line in missed.backtest_lines(db, start, end):
        line["messages"] = [{**m, "text": mask(str(m.get("text", "")))} for m in line["messages"]]
        if "reason" in line.get("tags", {}):
            line["tags"]["reason"] = mask(str(line["tags"]["reason"]))
        yield line


__all__ = ["EVERYTHING", "conversation_record", "export_conversations", "export_missed", "export_resolved", "jsonl", "resolved_record"]
