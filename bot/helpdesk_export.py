"""Helpdesk exports (Zendesk tickets with comments, Intercom conversations with parts) turned into
`baton backtest` conversations. Pure: parsed JSON in, a backtest record or `BadRecord` out.

One converter per helpdesk in `CONVERTERS`. Each knows where a document keeps its records (a list
page, one record, or one record per JSON line), who wrote each message (customer, AI agent or agent)
and which parts the customer never saw (internal notes), which are left out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

MAX_TEXT = 20_000  # characters kept per message (backtests read what a customer wrote, not attachments)


class Helpdesk(StrEnum):
    ZENDESK = "zendesk"
    INTERCOM = "intercom"


class BadRecord(ValueError):
    """A record that cannot become a conversation; the message says what is wrong and where."""


@dataclass(frozen=True)
class Options:
    ai_authors: frozenset[str] = frozenset()  # author ids that are the AI agent
    label_handoffs: bool = False  # label.escalate = a human agent wrote in the conversation
    redact: Callable[[str], str] = str  # masks personal data in the texts


# ---------------------------------------------------------------- shared helpers

_TAG = re.compile(r"<[^<>]{0,2000}>")  # stops at the next "<": linear on "<<<<"
_BREAK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/h[1-6])\s*/?\s*>")
_BLANKS = re.compile(r"\n{3,}")


def html_to_text(body: str) -> str:
    """Intercom bodies are HTML: line breaks kept, tags dropped, entities decoded."""
    text = _BREAK.sub("\n", body)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    return _BLANKS.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def _id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return str(value)[:200]
    return ""


def _iso(value: Any, where: str) -> str | None:
    """ISO-8601 UTC text from an ISO string (Zendesk) or Unix seconds (Intercom); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            raise BadRecord(f"{where}: {value!r} is not a time (Unix seconds)") from None
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise BadRecord(f"{where}: {value!r} is not an ISO-8601 time") from None
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise BadRecord(f"{where}: must be a time, got {type(value).__name__}")


def _text(value: Any, options: Options, *, is_html: bool = False) -> str:
    if not isinstance(value, str):
        return ""
    text = html_to_text(value) if is_html else value.strip()
    return options.redact(text[:MAX_TEXT])


def _record(
    helpdesk: Helpdesk,
    conv_id: str,
    account: str,
    messages: list[dict[str, Any]],
    options: Options,
    **tags: Any,
) -> dict[str, Any]:
    if not messages:
        raise BadRecord("no message the customer saw (only internal notes, or empty bodies)")
    if not any(m["role"] == "customer" for m in messages):
        raise BadRecord("no message from the customer")
    out: dict[str, Any] = {
        "id": f"{helpdesk.value}-{conv_id}",
        "account": {"id": account or f"{helpdesk.value}-{conv_id}"},
        "messages": messages,
        "tags": {
            "source": helpdesk.value,
            **{k: v for k, v in tags.items() if isinstance(v, str | int) and v != ""},
        },
    }
    if options.label_handoffs:
        out["label"] = {"escalate": any(m["role"] == "agent" for m in messages)}
    return out


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadRecord(f"{where}: must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> Sequence[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRecord(f"{where}: must be a list, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------- Zendesk

ZENDESK_AI_CHANNELS = frozenset({"answer_bot", "ai_agent", "answer_bot_for_agents", "answer_bot_api"})


def zendesk_records(doc: Any) -> Iterator[Any]:
    """{"tickets": [...]} (a list or incremental export page), {"ticket": {...}, "comments": [...]}
    (one ticket and its comments), or a ticket object itself (one JSON line of a full export)."""
    if isinstance(doc, list):
        yield from doc
    elif isinstance(doc, Mapping) and "tickets" in doc:
        tickets = doc["tickets"]
        if not isinstance(tickets, list):
            raise BadRecord("tickets: must be a list")
        side = doc.get("comments")
        by_ticket: dict[str, list[Any]] = {}
        if isinstance(side, list):  # comments side-loaded beside the tickets, each with its ticket_id
            for c in side:
                if isinstance(c, Mapping):
                    by_ticket.setdefault(_id(c.get("ticket_id")), []).append(c)
        for t in tickets:
            if isinstance(t, Mapping) and "comments" not in t and by_ticket.get(_id(t.get("id"))):
                t = {**t, "comments": by_ticket[_id(t.get("id"))]}
            yield t
    elif isinstance(doc, Mapping) and isinstance(doc.get("ticket"), Mapping):
        yield {**doc["ticket"], "comments": doc.get("comments", doc["ticket"].get("comments"))}
    else:
        yield doc


def zendesk_conversation(raw: Any, options: Options) -> dict[str, Any]:
    ticket = _mapping(raw, "ticket")
    tid = _id(ticket.get("id"))
    if not tid:
        raise BadRecord('ticket: needs an "id"')
    requester = _id(ticket.get("requester_id"))
    comments = _list(ticket.get("comments"), "comments")
    messages: list[dict[str, Any]] = []
    for i, c in enumerate(comments):
        c = _mapping(c, f"comments[{i}]")
        if c.get("public") is False:
            continue  # an internal note: the customer never saw it
        text = _text(c.get("plain_body") or c.get("body"), options)
        if not text:
            continue
        author = _id(c.get("author_id"))
        found = c.get("via")
        via: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        if (author and author in options.ai_authors) or via.get("channel") in ZENDESK_AI_CHANNELS:
            role = "ai"
        elif author and author == requester:
            role = "customer"
        else:
            role = "agent"
        msg: dict[str, Any] = {
            "role": role,
            "text": text,
            "author": author,
            "ref": _id(c.get("id")) or str(i),
        }
        ts = _iso(c.get("created_at"), f"comments[{i}].created_at")
        if ts:
            msg["ts"] = ts
        messages.append(msg)
    if not comments and isinstance(ticket.get("description"), str):  # exported without its comments
        text = _text(ticket["description"], options)
        if text:
            msg = {"role": "customer", "text": text, "author": requester, "ref": "description"}
            ts = _iso(ticket.get("created_at"), "created_at")
            if ts:
                msg["ts"] = ts
            messages.append(msg)
    account = _id(ticket.get("organization_id")) or (f"requester-{requester}" if requester else "")
    return _record(Helpdesk.ZENDESK, tid, account, messages, options, status=_id(ticket.get("status")))


# ---------------------------------------------------------------- Intercom

INTERCOM_CUSTOMER = frozenset({"user", "lead", "contact"})
INTERCOM_SKIPPED_PARTS = frozenset({"note", "note_and_reopen"})


def intercom_records(doc: Any) -> Iterator[Any]:
    """{"type": "conversation.list", "conversations": [...]} (a list page), or one conversation
    (`GET /conversations/{id}`, or one JSON line of an export)."""
    if isinstance(doc, list):
        yield from doc
    elif isinstance(doc, Mapping) and "conversations" in doc:
        convs = doc["conversations"]
        if not isinstance(convs, list):
            raise BadRecord("conversations: must be a list")
        yield from convs
    else:
        yield doc


def _intercom_role(author: Mapping[str, Any], options: Options) -> str:
    kind, who = str(author.get("type") or ""), _id(author.get("id"))
    if (who and who in options.ai_authors) or kind == "bot":
        return "ai"  # Fin and other bots (or an admin you name as the AI agent)
    return "customer" if kind in INTERCOM_CUSTOMER else "agent"


def intercom_conversation(raw: Any, options: Options) -> dict[str, Any]:
    conv = _mapping(raw, "conversation")
    cid = _id(conv.get("id"))
    if not cid:
        raise BadRecord('conversation: needs an "id"')
    messages: list[dict[str, Any]] = []

    def add(part: Mapping[str, Any], where: str, at: Any) -> None:
        text = _text(part.get("body"), options, is_html=True)
        if not text:
            return
        found = part.get("author")
        author: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        msg: dict[str, Any] = {
            "role": _intercom_role(author, options),
            "text": text,
            "author": _id(author.get("id")),
            "ref": _id(part.get("id")) or where,
        }
        ts = _iso(at, f"{where}.created_at")
        if ts:
            msg["ts"] = ts
        messages.append(msg)

    source = conv.get("source")
    if source is not None:
        add(_mapping(source, "source"), "source", conv.get("created_at"))
    parts_box = conv.get("conversation_parts")
    parts = _list(
        parts_box.get("conversation_parts") if isinstance(parts_box, Mapping) else parts_box, "parts"
    )
    for i, p in enumerate(parts):
        p = _mapping(p, f"conversation_parts[{i}]")
        if p.get("part_type") in INTERCOM_SKIPPED_PARTS:
            continue  # internal notes
        add(p, f"conversation_parts[{i}]", p.get("created_at"))
    contacts = conv.get("contacts")
    listed = contacts.get("contacts") if isinstance(contacts, Mapping) else contacts
    first = listed[0] if isinstance(listed, list) and listed and isinstance(listed[0], Mapping) else {}
    account = _id(first.get("external_id")) or _id(first.get("id"))
    return _record(Helpdesk.INTERCOM, cid, account, messages, options, state=_id(conv.get("state")))


@dataclass(frozen=True)
class Converter:
    records: Callable[[Any], Iterator[Any]]
    convert: Callable[[Any, Options], dict[str, Any]]


CONVERTERS: Mapping[Helpdesk, Converter] = {
    Helpdesk.ZENDESK: Converter(zendesk_records, zendesk_conversation),
    Helpdesk.INTERCOM: Converter(intercom_records, intercom_conversation),
}
