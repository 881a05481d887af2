"""POST /webhooks/intercom and /webhooks/zendesk: helpdesk conversations into the same inbox as Slack's.

Each request is checked before anything of it is believed: the body limit before reading (413), the
signature over the raw bytes (PLATFORM-FACTS "Webhook signatures"), compared in constant time; a
forged signature, or a Zendesk timestamp more than 5 minutes from now, is a 401 and nothing is
stored. Then the notification is reduced to `ExternalMessage`s (bot/flows/external.py) and stored in
the inbox under the sender's delivery id, so a redelivery stores nothing new (and each message's own
id keeps it from being recorded twice anyway). Topics Baton does not read are answered 200 and
dropped, so the helpdesk does not retry them.

Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body with the app's client secret>`; topics
conversation.user.created, conversation.user.replied, conversation.admin.replied (Baton's own admin
is skipped: those are its own replies coming back). Intercom signs no timestamp: replays are stopped
by the notification id.

Zendesk: `X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256 of timestamp + body>` with
`X-Zendesk-Webhook-Signature-Timestamp`; event types zen:event-type:ticket.created (the
description) and zen:event-type:ticket.comment_added (public comments; staff are agents).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.flows.external import ExternalMessage, stored_body
from bot.inbox import Inbox, Stored
from bot.intake import Rejected, read_body
from bot.web import Environ, Handler, StartResponse, respond
from storage.models import Source

log = logging.getLogger(__name__)

MAX_AGE = 300  # seconds: a Zendesk signature timestamp further from now is stale
INTERCOM_TOPICS = frozenset(
    {"conversation.user.created", "conversation.user.replied", "conversation.admin.replied"}
)
ZENDESK_CREATED = "zen:event-type:ticket.created"
ZENDESK_COMMENT = "zen:event-type:ticket.comment_added"
_TAGS = re.compile(r"<[^>]+>")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _text(body: Any) -> str:
    """Helpdesk bodies are HTML: the words, without tags and entities."""
    plain = _TAGS.sub(" ", str(body or ""))
    return " ".join(html.unescape(plain).split())[:40000]


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id(value: Any) -> str:
    text = str(value if value is not None else "").strip()
    return text[:56] if text and " " not in text else ""


def _at(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e11:
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        except ValueError:
            pass
    return None  # no time given: when Baton takes it in (the stored body stays the same on redelivery)


# ---------------------------------------------------------------- Intercom


INTERCOM_ROLES = {
    "user": "customer",
    "lead": "customer",
    "contact": "customer",
    "admin": "agent",
    "bot": "ai",
}


def intercom_messages(data: Mapping[str, Any], *, admin_id: str) -> list[ExternalMessage]:
    """The messages of one notification (empty: nothing Baton reads)."""
    if data.get("topic") not in INTERCOM_TOPICS:
        return []
    item = (data.get("data") or {}).get("item") if isinstance(data.get("data"), Mapping) else None
    if not isinstance(item, Mapping):
        raise Refused(400, "data.item (the conversation) is missing")
    conversation = _id(item.get("id"))
    if not conversation:
        raise Refused(400, "data.item.id is missing")
    attributes = _obj(item.get("custom_attributes"))
    contacts = (
        (item.get("contacts") or {}).get("contacts") if isinstance(item.get("contacts"), Mapping) else None
    )
    first = (
        contacts[0] if isinstance(contacts, list) and contacts and isinstance(contacts[0], Mapping) else {}
    )
    account = _id(attributes.get("account_id")) or _id(first.get("external_id")) or _id(first.get("id"))
    account = account or f"intercom-{conversation}"
    parts: list[tuple[str, Mapping[str, Any], Any]] = []
    if data.get("topic") == "conversation.user.created":
        source = _obj(item.get("source"))
        parts.append((f"source-{source.get('id') or conversation}", source, item.get("created_at")))
    listed = (item.get("conversation_parts") or {}).get("conversation_parts")
    for part in listed if isinstance(listed, list) else []:
        if isinstance(part, Mapping) and part.get("part_type") in ("comment", None) and part.get("body"):
            parts.append((f"part-{part.get('id')}", part, part.get("created_at")))
    out = []
    for message_id, part, at in parts:
        author = _obj(part.get("author"))
        role = INTERCOM_ROLES.get(str(author.get("type", "")), "")
        if not role or (role == "agent" and str(author.get("id", "")) == admin_id):
            continue  # unknown authors, and Baton's own replies coming back
        text = _text(part.get("body"))
        if not text:
            continue
        out.append(
            ExternalMessage(
                source=Source.INTERCOM,
                conversation_id=conversation,
                account_id=account[:128],
                role=role,
                text=text,
                message_id=message_id[:64],
                sent_at=_at(at),
                author=str(author.get("name") or author.get("id") or "")[:64],
                conversation_url=f"https://app.intercom.com/a/inbox/_/inbox/conversation/{conversation}",
            )
        )
    return out


def _intercom_signed(secret: str, environ: Environ, body: bytes) -> None:
    given = str(environ.get("HTTP_X_HUB_SIGNATURE", ""))
    if not given:
        raise Refused(401, "unsigned: X-Hub-Signature is required")
    expected = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise Refused(401, "invalid X-Hub-Signature")


# ---------------------------------------------------------------- Zendesk


def zendesk_messages(data: Mapping[str, Any]) -> list[ExternalMessage]:
    kind = data.get("type")
    if kind not in (ZENDESK_CREATED, ZENDESK_COMMENT):
        return []
    detail = data.get("detail") if isinstance(data.get("detail"), Mapping) else None
    if detail is None:
        raise Refused(400, "detail (the ticket) is missing")
    ticket = _id(detail.get("id")) or _id(str(data.get("subject", "")).rpartition(":")[2])
    if not ticket:
        raise Refused(400, "detail.id (the ticket id) is missing")
    org = _id(detail.get("organization_id"))
    account = (
        org if org and org != "0" else ""
    ) or f"zendesk-requester-{_id(detail.get('requester_id')) or ticket}"
    if kind == ZENDESK_CREATED:
        text = _text(detail.get("description"))
        if not text:
            return []
        message = ExternalMessage(
            source=Source.ZENDESK, conversation_id=ticket, account_id=account[:128], role="customer", text=text,
            message_id=f"desc-{ticket}", sent_at=_at(detail.get("created_at") or data.get("time")),
            author=str(detail.get("requester_id") or "")[:64],
        )  # fmt: skip
        return [message]
    event = _obj(data.get("event"))
    comment = event.get("comment") if isinstance(event.get("comment"), Mapping) else None
    if comment is None:
        raise Refused(400, "event.comment is missing")
    if comment.get("is_public") is False:
        return []  # internal notes (Baton's among them) are not the conversation with the customer
    author = _obj(comment.get("author"))
    text = _text(comment.get("body"))
    if not text:
        return []
    return [
        ExternalMessage(
            source=Source.ZENDESK, conversation_id=ticket, account_id=account[:128],
            role="agent" if author.get("is_staff") else "customer", text=text,
            message_id=f"c-{comment.get('id') or data.get('id')}"[:64], sent_at=_at(data.get("time")),
            author=str(author.get("name") or author.get("id") or "")[:64],
        )
    ]  # fmt: skip


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    ).decode()


def _zendesk_signed(secret: str, environ: Environ, body: bytes, now: float) -> None:
    given = str(environ.get("HTTP_X_ZENDESK_WEBHOOK_SIGNATURE", ""))
    stamp = str(environ.get("HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP", ""))
    if not given or not stamp:
        raise Refused(401, "unsigned: X-Zendesk-Webhook-Signature and -Timestamp are required")
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(401, "X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 time") from None
    if when.tzinfo is None or abs(now - when.timestamp()) > MAX_AGE:
        raise Refused(401, "stale: the signature timestamp is more than 5 minutes from now")
    if not hmac.compare_digest(
        zendesk_signature(secret, stamp, body).encode(), given.encode("utf-8", "replace")
    ):
        raise Refused(401, "invalid X-Zendesk-Webhook-Signature")


# ---------------------------------------------------------------- the HTTP side


Parse = Callable[[Mapping[str, Any]], list[ExternalMessage]]


def _handler(
    inbox: Inbox,
    *,
    source: Source,
    secret: str,
    verify: Callable[[str, Environ, bytes], None],
    parse: Parse,
    delivery: Callable[[Mapping[str, Any], bytes], str],
    max_body: int,
) -> Handler:
    setting = {
        Source.INTERCOM: "BATON_INTERCOM_CLIENT_SECRET",
        Source.ZENDESK: "BATON_ZENDESK_WEBHOOK_SECRET",
    }[source]

    def handle(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            if not secret:
                raise Refused(404, f"the {source} webhook is off: set {setting} to turn it on")
            try:
                body = read_body(environ, max_body)
            except Rejected as rejected:
                raise Refused(rejected.status, rejected.reason) from None
            verify(secret, environ, body)
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise Refused(400, f"the body is not UTF-8 JSON ({str(exc)[:100]})") from None
            if not isinstance(data, dict):
                raise Refused(400, "the body must be a JSON object")
            messages = parse(data)
            if not messages:
                return respond(
                    start_response, 200, '{"ok": true, "taken": 0}', {"Content-Type": "application/json"}
                )
            key = f"{source.value}:{delivery(data, body)}"[:200]
            outcome = inbox.store(key=key, kind=f"{source.value}.webhook", body=stored_body(messages))
        except Refused as refused:
            log.info("refused a %s webhook: %s %s", source, refused.status, refused.reason)
            payload = json.dumps({"error": refused.reason})
            return respond(start_response, refused.status, payload, {"Content-Type": "application/json"})
        if outcome is Stored.FAILED:
            return respond(
                start_response, 503, '{"error": "cannot store it right now"}', {"Retry-After": "1"}
            )
        # A redelivery is never another notification under the same id (CONFLICT: a time we filled in).
        duplicate = outcome in (Stored.DUPLICATE, Stored.CONFLICT)
        answer = json.dumps({"ok": True, "taken": len(messages), "duplicate": duplicate})
        return respond(start_response, 200, answer, {"Content-Type": "application/json"})

    return handle


def _delivery(data: Mapping[str, Any], body: bytes) -> str:
    given = str(data.get("id") or "")
    return given[:150] if given else "sha256:" + hashlib.sha256(body).hexdigest()


def routes(
    inbox: Inbox, *, intercom_secret: str, intercom_admin: str, zendesk_secret: str, max_body: int
) -> dict[tuple[str, str], Handler]:
    return {
        ("POST", "/webhooks/intercom"): _handler(
            inbox,
            source=Source.INTERCOM,
            secret=intercom_secret,
            verify=_intercom_signed,
            parse=lambda data: intercom_messages(data, admin_id=intercom_admin),
            delivery=_delivery,
            max_body=max_body,
        ),
        ("POST", "/webhooks/zendesk"): _handler(
            inbox,
            source=Source.ZENDESK,
            secret=zendesk_secret,
            verify=lambda secret, environ, body: _zendesk_signed(secret, environ, body, time.time()),
            parse=zendesk_messages,
            delivery=_delivery,
            max_body=max_body,
        ),
    }
