"""Log set-up for every `baton` command: timestamps, optional JSON lines, the ids of the work at hand,
and no secrets.

- Text (default): `2026-12-01T09:10:50.123Z INFO bot.flows.ingest: message ... [escalation=12 event=Ev1]`
- `BATON_LOG_FORMAT=json`: one JSON object per line with `time`, `level`, `logger`, `message`, and
  `escalation_id` / `event_id` when the code at hand knows them (and `exception` for a traceback).

The ids come from context variables set at the top of each unit of work with `log_context(...)`
(an event listener, an outbox run, a click); every record logged inside, by any module, carries them.

Secrets never reach the output: the values of every `SecretStr` in the settings are registered with
`redact_values`, and whatever the formatter produces (message, arguments, tracebacks) is scrubbed of
them, of anything shaped like a Slack token, and of passwords in URLs.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

ESCALATION_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar("escalation_id", default=None)
EVENT_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("event_id", default=None)

# Libraries whose INFO lines are noise for an operator (per sweep tick, migration, socket session, request).
CHATTY = ("apscheduler", "alembic", "baton.socket", "httpx")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")


@contextlib.contextmanager
def log_context(*, escalation_id: int | None = None, event_id: str | None = None) -> Iterator[None]:
    """Tag every log record inside with these ids (only the ones given; outer ones stay otherwise)."""
    tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = []
    if escalation_id is not None:
        tokens.append((ESCALATION_ID, ESCALATION_ID.set(escalation_id)))
    if event_id:
        tokens.append((EVENT_ID, EVENT_ID.set(event_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class _UnlessDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return logging.getLogger().isEnabledFor(logging.DEBUG)


@contextlib.contextmanager
def quiet(*names: str) -> Iterator[None]:
    """Drop these loggers' records inside (shown at -v debug): for a library that logs its own error
    before raising one that Baton reports in a line of its own."""
    dropper = _UnlessDebug()
    loggers = [logging.getLogger(n) for n in names]
    for logger in loggers:
        logger.addFilter(dropper)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(dropper)


class ContextFilter(logging.Filter):
    """Copies the context ids onto each record (as `escalation_id` and `event_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "escalation_id"):
            record.escalation_id = ESCALATION_ID.get()
        if not hasattr(record, "event_id"):
            record.event_id = EVENT_ID.get()
        return True


# ---------------------------------------------------------------- redaction

# Slack tokens (bot, user, app-level, config, legacy), whatever the settings say.
_TOKEN_RE = re.compile(r"\bxox[abposre]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")
# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD_RE = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s/]+)(?=@)")

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def redact_values(values: Iterable[str]) -> None:
    """Never print these strings (secrets shorter than 4 characters would mangle ordinary text)."""
    with _secrets_lock:
        _secrets.update(v for v in values if v and len(v) >= 4)


def redact(text: str) -> str:
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    text = _TOKEN_RE.sub(lambda m: m.group(0)[: m.group(0).index("-") + 1] + "***", text)
    return _URL_PASSWORD_RE.sub(r"\g<head>***", text)


def secret_values(settings: Any) -> list[str]:
    """Every SecretStr value in a pydantic settings object, plus the password of its database URL."""
    out: list[str] = []
    for name in type(settings).model_fields:
        value: Any = getattr(settings, name, None)
        if hasattr(value, "get_secret_value"):
            out.append(str(value.get_secret_value()))
    match = _URL_PASSWORD_RE.search(str(getattr(settings, "database_url", "") or ""))
    if match:
        out.append(match.group("pw"))
    return [v for v in out if v]


# ---------------------------------------------------------------- formatters


def _timestamp(record: logging.LogRecord) -> str:
    when = datetime.fromtimestamp(record.created, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        ids = []
        esc, event = getattr(record, "escalation_id", None), getattr(record, "event_id", None)
        if esc is not None:
            ids.append(f"escalation={esc}")
        if event:
            ids.append(f"event={event}")
        if ids:
            line += f" [{' '.join(ids)}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return redact(line)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        esc, event = getattr(record, "escalation_id", None), getattr(record, "event_id", None)
        if esc is not None:
            obj["escalation_id"] = esc
        if event:
            obj["event_id"] = event
        if record.exc_info:
            obj["exception"] = self.formatException(record.exc_info)
        # Redact the serialised line: a secret can hide in any field, escaped or not.
        return redact(json.dumps(obj, ensure_ascii=False, default=str))


def parse_level(value: str) -> int:
    name = str(value).strip().upper()
    if name == "WARN":
        name = "WARNING"
    if name not in LEVELS:
        raise ValueError(f"expected one of {', '.join(LEVELS).lower()}, got {value!r}")
    return int(getattr(logging, name))


def parse_format(value: str | None) -> str:
    fmt = (value or "text").strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"expected one of {' | '.join(FORMATS)}, got {value!r}")
    return fmt


def configure(level: int, fmt: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """Install one handler on the root logger (replacing what an earlier call installed)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_baton", False)]:
        root.removeHandler(old)
    handler._baton = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:  # their INFO lines are per tick / per connection: shown from DEBUG on
        logging.getLogger(name).setLevel(
            logging.NOTSET if level <= logging.DEBUG else max(level, logging.WARNING)
        )
    return handler
