"""POST /api/v1/messages and /api/v1/messages/batch: any AI agent or helpdesk hands Baton its messages.

The order of the checks, each refusing with a JSON reason (docs/ingest-api.md):

1. `Authorization: Bearer <token>`, compared in constant time with every token of BATON_INGEST_TOKEN
   (comma-separated: several callers, or an old and a new token while rotating) ── 401
2. the rate limit of that token (a fixed window counted in the database, so every gunicorn worker
   and every instance share it) ── 429 with Retry-After
3. the declared length against the body limit, before reading ── 413 (411 without a length)
4. Content-Type, UTF-8, JSON, then every field (bot/openapi.py is the contract) ── 415 / 400 / 422
5. `Idempotency-Key` (optional): the same key with the same body is answered as the first time;
   with another body ── 409. Keys are honoured while the inbox keeps the item (at least 24 h).
6. one idempotent insert in the inbox (the spool while the database is down) ── 202

Nothing is processed in the request: an inbox worker runs bot/flows/external.py later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.flows.external import ExternalMessage, stored_body
from bot.inbox import Inbox, Stored
from bot.intake import Rejected, read_body
from bot.openapi import LIMITS, document
from bot.web import Environ, Handler, StartResponse, respond
from storage import ratelimit
from storage.db import session_scope
from storage.models import Source

log = logging.getLogger(__name__)

MAX_BATCH = LIMITS["batch"]
WINDOW = timedelta(seconds=60)
_ID = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_LEAP_SECOND = re.compile(r"(T\d\d:\d\d:)60")  # RFC 3339 allows :60; Python does not
FIELDS = (
    "conversation_id", "account_id", "role", "text", "timestamp", "message_id", "author",
    "confidence", "summary", "language", "conversation_url",
)  # fmt: skip


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Caller:
    name: str  # a fingerprint of the token: logs and rate-limit buckets never hold the token


def parse_tokens(value: str) -> tuple[str, ...]:
    """BATON_INGEST_TOKEN: one token or several, comma-separated."""
    return tuple(t.strip() for t in value.split(",") if t.strip())


class Tokens:
    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [t.encode() for t in tokens]

    def __bool__(self) -> bool:
        return bool(self._tokens)

    def caller(self, header: str) -> Caller:
        scheme, _, presented = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <one of BATON_INGEST_TOKEN>")
        given = presented.strip().encode("utf-8", "replace")
        match = b""
        for token in self._tokens:  # every token is compared: the time does not say which one was close
            if hmac.compare_digest(token, given):
                match = token
        if not match:
            raise ApiError(401, "unauthorized", "the bearer token is not one of BATON_INGEST_TOKEN")
        return Caller(hashlib.sha256(match).hexdigest()[:12])


class RateLimit:
    """`limit` requests per token per minute, counted in the database (one upsert per request).

    With the database down the request is let through: the spool takes it, and refusing a customer's
    message because the counter is unreachable would drop it."""

    def __init__(self, inbox: Inbox, limit: int) -> None:
        self.inbox, self.limit = inbox, limit

    def check(self, caller: Caller) -> None:
        if self.limit <= 0:
            return
        now = self.inbox.clock.now()
        start = datetime.fromtimestamp(
            now.timestamp() // WINDOW.total_seconds() * WINDOW.total_seconds(), UTC
        )
        try:
            with session_scope(self.inbox.db) as session:
                count = ratelimit.hit(session, f"ingest:{caller.name}", start)
        except SQLAlchemyError as exc:
            log.warning("ingest API: cannot count requests (%s); letting the request through", str(exc)[:200])
            return
        if count > self.limit:
            wait = max(1, math.ceil((start + WINDOW - now).total_seconds()))
            raise ApiError(
                429,
                "rate_limited",
                f"over {self.limit} requests a minute for this token; retry in {wait} s",
                {"Retry-After": str(wait)},
            )


# ---------------------------------------------------------------- validation


def _string(
    item: Mapping[str, Any], key: str, where: str, *, required: bool, max_len: int, nonempty: bool = False
) -> str:
    """A string field; an optional one may be absent or null (the document says nullable), and is
    then "". `nonempty`: given, it must not be "" (the document's minLength or pattern)."""
    value = item.get(key)
    if value is None:
        if required:
            raise ApiError(422, "invalid", f"{where}{key} is required")
        return ""
    if not isinstance(value, str):
        raise ApiError(422, "invalid", f"{where}{key} must be a string")
    if (required or nonempty) and not value:
        raise ApiError(422, "invalid", f"{where}{key} must not be empty")
    if len(value) > max_len:
        raise ApiError(422, "invalid", f"{where}{key} is longer than {max_len} characters")
    return value.replace("\x00", "\ufffd")  # no database stores NUL in text


def _ident(item: Mapping[str, Any], key: str, where: str, *, required: bool, max_len: int) -> str:
    value = _string(item, key, where, required=required, max_len=max_len, nonempty=True)
    if value and not _ID.match(value):
        raise ApiError(422, "invalid", f"{where}{key} may hold printable ASCII only, without spaces")
    return value


def _timestamp(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise ApiError(
            422, "invalid", f"{where}timestamp must be an RFC 3339 string like 2026-11-23T15:04:05Z"
        )
    text = _LEAP_SECOND.sub(r"\g<1>59", value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, "invalid", f"{where}timestamp {value[:40]!r} is not RFC 3339") from None
    if when.tzinfo is None:
        raise ApiError(422, "invalid", f"{where}timestamp needs a UTC offset (Z or +hh:mm)")
    try:
        return when.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset
        raise ApiError(422, "invalid", f"{where}timestamp is out of range") from None


def message_from(item: Any, where: str = "") -> ExternalMessage:
    """One message of a request, checked field by field (ApiError 422 naming the field)."""
    if not isinstance(item, dict):
        raise ApiError(422, "invalid", f"{where or 'the body'} must be a JSON object")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise ApiError(422, "invalid", f"{where}{unknown[0]} is not a field; allowed: {', '.join(FIELDS)}")
    conversation = _ident(item, "conversation_id", where, required=True, max_len=LIMITS["conversation_id"])
    account = _ident(item, "account_id", where, required=True, max_len=LIMITS["account_id"])
    role = item.get("role")
    if role not in ("customer", "ai", "agent"):
        raise ApiError(422, "invalid", f"{where}role must be customer, ai or agent")
    text = _string(item, "text", where, required=True, max_len=LIMITS["text"])
    if "timestamp" not in item:
        raise ApiError(422, "invalid", f"{where}timestamp is required")
    sent_at = _timestamp(item["timestamp"], where)
    message_id = _ident(item, "message_id", where, required=False, max_len=LIMITS["message_id"])
    author = _string(item, "author", where, required=False, max_len=LIMITS["author"])
    confidence = item.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1
    ):
        raise ApiError(422, "invalid", f"{where}confidence must be a number from 0 to 1")
    summary = _string(item, "summary", where, required=False, max_len=LIMITS["summary"])
    language = _string(item, "language", where, required=False, max_len=2, nonempty=True)
    if language and not _LANGUAGE.match(language):
        raise ApiError(422, "invalid", f"{where}language must be an ISO 639-1 code like 'en'")
    url = _string(
        item, "conversation_url", where, required=False, max_len=LIMITS["conversation_url"], nonempty=True
    )
    if url and not url.startswith(("https://", "http://")):
        raise ApiError(422, "invalid", f"{where}conversation_url must be an http(s) URL")
    if not message_id:  # the same message sent twice is recorded once
        digest = hashlib.sha256(f"{conversation}\x00{role}\x00{sent_at.isoformat()}\x00{text}".encode())
        message_id = "h-" + digest.hexdigest()[:40]
    return ExternalMessage(
        source=Source.API,
        conversation_id=conversation,
        account_id=account,
        role=str(role),
        text=text,
        message_id=message_id,
        sent_at=sent_at,
        author=author,
        confidence=float(confidence) if confidence is not None else None,
        summary=summary,
        language=language,
        conversation_url=url,
    )


def _json_body(raw: bytes, content_type: str) -> Any:
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime != "application/json":
        raise ApiError(
            415, "unsupported_media_type", f"send Content-Type: application/json, not {mime or '(none)'}"
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed", f"the body is not UTF-8 (byte {exc.start})") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ApiError(400, "malformed", f"the body is not valid JSON ({str(exc)[:120]})") from None


def batch_from(data: Any) -> list[ExternalMessage]:
    if not isinstance(data, dict) or set(data) != {"messages"}:
        raise ApiError(422, "invalid", 'the body must be {"messages": [ ... ]} and nothing else')
    items = data["messages"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ApiError(422, "invalid", f"messages must be a list of 1 to {MAX_BATCH} messages")
    return [message_from(item, f"messages[{i}].") for i, item in enumerate(items)]


# ---------------------------------------------------------------- the HTTP side


def _error(start_response: StartResponse, err: ApiError) -> Iterable[bytes]:
    body = json.dumps({"error": err.code, "message": err.message})
    headers = {"Content-Type": "application/json", **err.headers}
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="baton"'
    return respond(start_response, err.status, body, headers)


def messages_handler(
    inbox: Inbox, tokens: Tokens, limit: RateLimit, *, batch: bool, max_body: int
) -> Handler:
    def handle(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            if not tokens:
                raise ApiError(
                    404, "not_configured", "the ingest API is off: set BATON_INGEST_TOKEN to turn it on"
                )
            caller = tokens.caller(str(environ.get("HTTP_AUTHORIZATION", "")))
            limit.check(caller)
            try:
                raw = read_body(environ, max_body)
            except Rejected as rejected:
                raise ApiError(rejected.status, "body", rejected.reason) from None
            data = _json_body(raw, str(environ.get("CONTENT_TYPE", "")))
            messages = batch_from(data) if batch else [message_from(data)]
            idem = str(environ.get("HTTP_IDEMPOTENCY_KEY", ""))
            given = "HTTP_IDEMPOTENCY_KEY" in environ
            if len(idem) > 255 or (given and not _ID.match(idem)):
                raise ApiError(422, "invalid", "Idempotency-Key must be 1-255 printable ASCII characters")
            body = stored_body(messages, token=caller.name)
            ref = f"idem:{idem}" if idem else f"body:{hashlib.sha256(body.encode()).hexdigest()}"
            key = "api:" + hashlib.sha256(f"{caller.name}\x00{ref}".encode()).hexdigest()
            outcome = inbox.store(key=key, kind="api.messages", body=body)
        except ApiError as err:
            if err.status >= 500 or err.status == 404:
                log.warning("ingest API: %s", err.message)
            return _error(start_response, err)
        if outcome is Stored.CONFLICT:
            return _error(
                start_response,
                ApiError(409, "idempotency_key_reused", "this Idempotency-Key was used with another body"),
            )
        if outcome is Stored.FAILED:
            return _error(
                start_response,
                ApiError(503, "unavailable", "cannot store the messages right now", {"Retry-After": "1"}),
            )
        answer = {
            "accepted": len(messages),
            "messages": [
                {"conversation_id": m.conversation_id, "message_id": m.message_id} for m in messages
            ],
        }
        headers = {"Content-Type": "application/json"}
        if outcome is Stored.DUPLICATE:
            headers["Idempotent-Replayed"] = "true"
        return respond(start_response, 202, json.dumps(answer), headers)

    return handle


def openapi_handler() -> Handler:
    raw = json.dumps(document(), indent=2)

    def handle(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return respond(start_response, 200, raw, {"Content-Type": "application/json"})

    return handle


def routes(
    inbox: Inbox, tokens: Sequence[str], *, rate_per_minute: int, max_body: int
) -> dict[tuple[str, str], Handler]:
    checked, limit = Tokens(tokens), RateLimit(inbox, rate_per_minute)
    return {
        ("POST", "/api/v1/messages"): messages_handler(inbox, checked, limit, batch=False, max_body=max_body),
        ("POST", "/api/v1/messages/batch"): messages_handler(
            inbox, checked, limit, batch=True, max_body=max_body
        ),
        ("GET", "/api/openapi.json"): openapi_handler(),
    }
