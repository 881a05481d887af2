"""A Slack request off the wire: size-checked, signature-verified, then parsed defensively.

Order matters. The signature headers are checked before the body is read, the declared length
before the body is read (413 for too much), the HMAC before the body is parsed: nothing of an
unsigned or forged request is ever interpreted. A signed but malformed request gets a 400 that says
what is wrong, never a 500.

The result says which inbox lane the request goes to and its idempotency key: an event's
`event_id`, an interaction's own `trigger_id` (a hash of the body when it has none).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 1 << 20  # Slack's requests are a few kilobytes; a message with blocks stays far below this
SIGNATURE_MAX_AGE = 300  # seconds (PLATFORM-FACTS "Slack: request signing": reject older than 5 minutes)
_SLACK_TS = re.compile(r"^\d{1,12}(\.\d{1,9})?$")  # "1700000000.123456": a string, never a float


class Lane(StrEnum):
    """Inbox lanes: interactive work (clicks, commands) is never queued behind slow event work."""

    EVENTS = "events"
    INTERACTIVE = "interactive"


class Kind(StrEnum):
    """What a request is, as far as the HTTP side is concerned."""

    EVENT = "event_callback"
    INTERACTION = "interaction"  # block_actions, view_submission, shortcuts... (a `payload` form field)
    COMMAND = "slash_command"
    URL_VERIFICATION = "url_verification"
    SSL_CHECK = "ssl_check"
    RATE_LIMITED = "app_rate_limited"


class Rejected(Exception):
    """The request is refused with `status` and a one-line reason for the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class SlackRequest:
    kind: Kind
    body: str  # the raw body, exactly as signed (stored in the inbox and dispatched from it)
    content_type: str
    key: str = ""  # the inbox key; empty for requests that are answered without the inbox
    lane: Lane = Lane.EVENTS
    subtype: str = ""  # the event type or the interaction type: message, block_actions, ...
    challenge: str = ""  # url_verification
    retry_num: int = 0  # X-Slack-Retry-Num


class Verifier:
    """Slack's v0 signature over the raw bytes (PLATFORM-FACTS "Slack: request signing"): hex
    HMAC-SHA256 of `v0:{timestamp}:{body}` under the signing secret. Computed on bytes, so a body that
    is not UTF-8 is refused as such after its signature is checked, not as a crash inside the check."""

    def __init__(self, signing_secret: str) -> None:
        self._key = signing_secret.encode("utf-8")

    def is_valid(self, timestamp: str, body: bytes, signature: str) -> bool:
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = "v0=" + hmac.new(self._key, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def read_verified(
    environ: dict[str, Any],
    verifier: Verifier,
    *,
    max_bytes: int = MAX_BODY_BYTES,
    now: Callable[[], float] = time.time,
) -> bytes:
    """The body of a WSGI request whose Slack signature is valid; Rejected otherwise."""
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE", ""))
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
    if not signature or not timestamp:
        raise Rejected(401, "unsigned request: X-Slack-Signature and X-Slack-Request-Timestamp are required")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise Rejected(401, "X-Slack-Request-Timestamp is not a number")
    if abs(now() - int(timestamp)) > SIGNATURE_MAX_AGE:
        raise Rejected(401, "stale request: X-Slack-Request-Timestamp is more than 5 minutes from now")
    body = _read_body(environ, max_bytes)
    if not verifier.is_valid(timestamp, body, signature):
        raise Rejected(401, "invalid signature")
    return body


def read_body(environ: dict[str, Any], max_bytes: int) -> bytes:
    """The body of a WSGI request, refused (411/413/400) before reading more than `max_bytes`."""
    return _read_body(environ, max_bytes)


def _read_body(environ: dict[str, Any], max_bytes: int) -> bytes:
    stream = environ.get("wsgi.input")
    raw_length = str(environ.get("CONTENT_LENGTH") or "").strip()
    if raw_length:
        if not raw_length.isdigit():
            raise Rejected(400, "Content-Length is not a number")
        length = int(raw_length)
        if length > max_bytes:
            raise Rejected(413, f"body of {length} bytes is over the limit of {max_bytes}")
        body = stream.read(length) if (stream is not None and length) else b""
        if len(body) != length:
            raise Rejected(400, "body shorter than its Content-Length")
        return bytes(body)
    if environ.get("wsgi.input_terminated") and stream is not None:  # chunked, the server ends the stream
        body = stream.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise Rejected(413, f"body is over the limit of {max_bytes} bytes")
        return bytes(body)
    raise Rejected(411, "Content-Length is required")


def parse(raw: bytes, content_type: str, *, retry_num: str = "") -> SlackRequest:
    """What a verified body is; Rejected(400/415) with the reason when it is not one of Slack's requests."""
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(400, f"body is not UTF-8 (byte {exc.start})") from None
    mime = content_type.split(";", 1)[0].strip().lower()
    retries = int(retry_num) if retry_num.isascii() and retry_num.isdigit() else 0
    if mime == "application/json":
        return _parse_json(body, content_type, retries)
    if mime == "application/x-www-form-urlencoded":
        return _parse_form(body, content_type, retries)
    raise Rejected(415, f"unsupported Content-Type {mime or '(none)'}: Slack sends JSON or form data")


def _loads(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise Rejected(400, f"{what} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise Rejected(400, f"{what} must be a JSON object, not {type(data).__name__}")
    return data


def _text(data: dict[str, Any], field: str, where: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise Rejected(400, f"{where}{field} is missing or not a string")
    return value


def _parse_json(body: str, content_type: str, retries: int) -> SlackRequest:
    data = _loads(body, "body")
    kind = _text(data, "type", "")
    if kind == Kind.URL_VERIFICATION:
        return SlackRequest(Kind.URL_VERIFICATION, body, content_type, challenge=_text(data, "challenge", ""))
    if kind == Kind.RATE_LIMITED:
        return SlackRequest(Kind.RATE_LIMITED, body, content_type)
    if kind != Kind.EVENT:
        raise Rejected(400, f"unsupported request type {kind!r}")
    event_id = _text(data, "event_id", "")
    event = data.get("event")
    if not isinstance(event, dict):
        raise Rejected(400, "event is missing or not an object")
    event_type = _text(event, "type", "event.")
    _check_event(event)
    return SlackRequest(
        Kind.EVENT,
        body,
        content_type,
        key=f"event:{event_id}"[:200],
        lane=Lane.EVENTS,
        subtype=event_type[:64],
        retry_num=retries,
    )


def _check_event(event: dict[str, Any]) -> None:
    """The fields the listeners read have the types Slack gives them."""
    for field in ("ts", "thread_ts", "event_ts"):
        value = event.get(field)
        if value is not None and not (isinstance(value, str) and _SLACK_TS.match(value)):
            raise Rejected(400, f"event.{field} must be a Slack timestamp string like '1700000000.000100'")
    for field in ("channel", "user", "user_team", "team", "bot_id", "subtype", "tab"):
        value = event.get(field)
        if value is not None and not isinstance(value, str):
            raise Rejected(400, f"event.{field} must be a string")
    if event.get("text") is not None and not isinstance(event["text"], str):
        raise Rejected(400, "event.text must be a string")
    for field in ("files", "blocks"):
        if event.get(field) is not None and not isinstance(event[field], list):
            raise Rejected(400, f"event.{field} must be a list")
    if event.get("metadata") is not None and not isinstance(event["metadata"], dict):
        raise Rejected(400, "event.metadata must be an object")


def _parse_form(body: str, content_type: str, retries: int) -> SlackRequest:
    try:
        fields = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body), max_num_fields=200))
    except ValueError as exc:
        raise Rejected(400, f"form body is malformed ({exc})") from None
    if fields.get("ssl_check") == "1":
        return SlackRequest(Kind.SSL_CHECK, body, content_type)
    if "payload" in fields:
        payload = _loads(fields["payload"], "payload")
        kind = _text(payload, "type", "payload.")
        return SlackRequest(
            Kind.INTERACTION,
            body,
            content_type,
            key=_interaction_key(kind, payload.get("trigger_id"), body),
            lane=Lane.INTERACTIVE,
            subtype=kind[:64],
            retry_num=retries,
        )
    if "command" in fields:
        command = fields["command"]
        if not command.startswith("/"):
            raise Rejected(400, "command must start with /")
        return SlackRequest(
            Kind.COMMAND,
            body,
            content_type,
            key=_interaction_key("command", fields.get("trigger_id"), body),
            lane=Lane.INTERACTIVE,
            subtype=command[:64],
            retry_num=retries,
        )
    raise Rejected(400, "form body has neither payload nor command")


def _interaction_key(kind: str, trigger_id: Any, body: str) -> str:
    if isinstance(trigger_id, str) and trigger_id:
        return f"{kind}:{trigger_id}"[:200]
    return f"{kind}:sha256:{hashlib.sha256(body.encode('utf-8')).hexdigest()}"
