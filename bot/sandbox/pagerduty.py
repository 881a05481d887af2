"""Local stand-in for PagerDuty: Events API v2 (`POST /v2/enqueue`) and REST `GET /oncalls`.

A real HTTP server on 127.0.0.1 (ephemeral port) following the published contract
(PLATFORM-FACTS.md, "PagerDuty"): the event is validated like PagerDuty does (routing_key of 32
characters, event_action, dedup_key up to 255, payload.summary up to 1024, source, severity, 512 KB),
202 with the dedup_key on success, 400 "invalid event" with errors[]; incidents are kept by dedup_key
(a repeated trigger does not open a second incident; acknowledge/resolve of an unknown key is 202).
`/oncalls` checks the `Token token=` header and pages with limit/offset/more.

    with PagerDutyStandIn() as pd:
        pd.add_oncall({"id": "PUBOB", "name": "Bob", "email": "bob@example.com"}, escalation_policy_id="PEP1",
                      schedule_id="PSCH1")
        events = PagerDutyEvents(httpx.Client(), routing_key=pd.routing_key, events_url=pd.url)
        pd.fail_next(2, 429, retry_after=3)     # rate limited twice
        pd.set_down(True)                       # connection refused until set_down(False)
        pd.incidents(); pd.write_log("pager.jsonl")

The shared plumbing (`PagerStandIn`: lifecycle, request log, `fail_next`, `set_down`, `write_log`) is
reused by bot/sandbox/opsgenie.py.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.clock import Clock, SystemClock
from bot.sandbox.httpserver import LocalHTTPServer, Request, Response, json_response, text_response

ROUTING_KEY = "R0UT1NGKEYSANDB0X000000000000000"  # 32 characters, like a real integration key
API_TOKEN = "pd-sandbox-token"
SEVERITIES = ("critical", "error", "warning", "info")
EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
MAX_EVENT_BYTES = 512 * 1024
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or the raw text when it was not JSON


class PagerStandIn:
    """Lifecycle, request log and failure injection shared by the pager stand-ins."""

    name = "pager"

    def __init__(self, clock: Clock | None = None) -> None:
        self._lock = threading.RLock()
        self._clock = clock or SystemClock()
        self._fail: list[tuple[int, float | None]] = []
        self._down: str | None = None  # None, "refuse" or "503"
        self._port = 0
        self._server: LocalHTTPServer | None = None
        self.requests: list[LoggedRequest] = []
        self.log: list[dict[str, Any]] = []  # {"url", "body"} of every POST received (the pager log)

    # lifecycle
    def start(self) -> PagerStandIn:
        with self._lock:
            if self._server is None:
                self._server = LocalHTTPServer(self._handle, port=self._port).start()
                self._port = self._server.port  # kept, so set_down(False) comes back on the same URL
        return self

    def stop(self) -> None:
        """Close the port and cut every open connection (pooled keep-alive ones too)."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> PagerStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("stand-in not started")
        return f"http://127.0.0.1:{self._port}"

    # test controls
    def fail_next(self, count: int, status: int = 500, retry_after: float | None = None) -> None:
        """The next `count` requests get `status` (429, 500, 503, 400...) with this service's error body."""
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._fail.extend([(status, retry_after)] * count)

    def set_down(self, down: bool, mode: str = "refuse") -> None:
        """An outage: mode "refuse" closes the port (connection refused), "503" answers every request with 503.
        set_down(False) brings the service back on the same port."""
        if mode not in ("refuse", "503"):
            raise ValueError("mode is 'refuse' or '503'")
        with self._lock:
            was_refusing = self._down == "refuse"
            self._down = mode if down else None
            running = self._server is not None
        if down and mode == "refuse" and running:
            self.stop()
        elif (not down or mode == "503") and was_refusing:
            self.start()

    def pager_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.log)

    def write_log(self, path: str | Path) -> None:
        """Every request sent to this pager, one JSON object per line: {"url": ..., "body": {...as sent}}."""
        with self._lock:
            lines = [json.dumps(entry, sort_keys=True) for entry in self.log]
        Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.log.clear()

    # request handling
    def _handle(self, request: Request) -> Response:
        try:
            body: Any = request.json()
        except (ValueError, UnicodeDecodeError):
            body = request.body.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(
                LoggedRequest(request.method, request.path, request.query, dict(request.headers), body)
            )
            if request.method == "POST":
                query = urlencode(request.query, doseq=True)
                self.log.append(
                    {"url": self.url + request.path + (f"?{query}" if query else ""), "body": body}
                )
            failure = self._fail.pop(0) if self._fail else None
            down = self._down
        if down == "503":
            return self._failure(503)
        if failure is not None:
            status, retry_after = failure
            response = self._failure(status)
            if retry_after is not None:
                response.headers["Retry-After"] = (
                    str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
                )
            return response
        with self._lock:
            return self._route(request, body)

    def _failure(self, status: int) -> Response:
        return text_response(f"injected failure {status}", status=status)

    def _route(self, request: Request, body: Any) -> Response:
        raise NotImplementedError


def _invalid(errors: list[str]) -> Response:
    return json_response(
        {"status": "invalid event", "message": "Event object is invalid", "errors": errors}, 400
    )


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _parse_time(value: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class PagerDutyStandIn(PagerStandIn):
    name = "pagerduty"

    def __init__(
        self,
        routing_keys: Iterable[str] | None = (ROUTING_KEY,),
        api_token: str = API_TOKEN,
        roster: Iterable[Mapping[str, Any]] = (),
        clock: Clock | None = None,
    ) -> None:
        """`routing_keys`: the integration keys that exist (None accepts any well-formed key)."""
        super().__init__(clock)
        self.routing_key = ROUTING_KEY
        self._routing_keys = set(routing_keys) if routing_keys is not None else None
        self._token = api_token
        self._incidents: list[dict[str, Any]] = []
        self._numbers = itertools.count(1)
        self._roster: list[dict[str, Any]] = []
        for entry in roster:
            self.add_oncall(**entry)

    # roster
    def add_oncall(
        self,
        user: Mapping[str, Any],
        *,
        escalation_policy_id: str,
        schedule_id: str | None = None,
        level: int = 1,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """Put `user` ({id, name, email}) on call; start/end None = always (no schedule boundaries)."""
        for k in ("id", "name", "email"):
            if not user.get(k):
                raise ValueError(f"a roster user needs {k!r}")
        with self._lock:
            self._roster.append(
                {
                    "user": dict(user),
                    "escalation_policy_id": escalation_policy_id,
                    "schedule_id": schedule_id,
                    "level": level,
                    "start": start,
                    "end": end,
                }
            )

    def clear_oncalls(self) -> None:
        with self._lock:
            self._roster.clear()

    # inspection
    def incidents(self) -> list[dict[str, Any]]:
        """Every incident opened, oldest first (copies)."""
        with self._lock:
            return copy.deepcopy(self._incidents)

    def incident(self, dedup_key: str) -> dict[str, Any] | None:
        """The latest incident for this dedup_key."""
        with self._lock:
            for inc in reversed(self._incidents):
                if inc["dedup_key"] == dedup_key:
                    return copy.deepcopy(inc)
        return None

    def events(self) -> list[dict[str, Any]]:
        """The accepted events (bodies of 202 answers), oldest first."""
        with self._lock:
            return [copy.deepcopy(e) for inc in self._incidents for e in inc["events"]]

    # HTTP
    def _failure(self, status: int) -> Response:
        if status == 429:
            return json_response(
                {
                    "status": "throttle event",
                    "message": "Requests for this service are arriving too quickly. Please retry later.",
                },
                429,
            )
        if status == 400:
            return _invalid(["injected invalid event"])
        if status >= 500:
            return json_response({"status": "error", "message": "Internal Server Error"}, status)
        return json_response({"status": "error", "message": f"HTTP {status}"}, status)

    def _route(self, request: Request, body: Any) -> Response:
        if request.method == "POST" and request.path == "/v2/enqueue":
            return self._enqueue(request, body)
        if request.method == "GET" and request.path == "/oncalls":
            return self._oncalls(request)
        return json_response({"error": {"message": "Not Found", "code": 2100}}, 404)

    def _enqueue(self, request: Request, body: Any) -> Response:
        if len(request.body) > MAX_EVENT_BYTES:
            return _invalid([f"Event must be smaller than {MAX_EVENT_BYTES // 1024} KB"])
        if not isinstance(body, dict):
            return _invalid(["Event object must be a JSON object"])
        errors: list[str] = []
        key = body.get("routing_key")
        if not isinstance(key, str) or not key:
            errors.append("'routing_key' is missing or blank")
        elif len(key) != 32:
            errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        elif self._routing_keys is not None and key not in self._routing_keys:
            errors.append("Invalid routing key")
        action = body.get("event_action")
        if action not in EVENT_ACTIONS:
            errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
        dedup_key = body.get("dedup_key")
        if dedup_key is not None and (not isinstance(dedup_key, str) or not dedup_key):
            errors.append("'dedup_key' must be a non-empty string")
        elif isinstance(dedup_key, str) and len(dedup_key) > MAX_DEDUP_KEY:
            errors.append(f"'dedup_key' must be at most {MAX_DEDUP_KEY} characters")
        if action in ("acknowledge", "resolve") and dedup_key is None:
            errors.append(f"'dedup_key' is required for event_action '{action}'")
        if action == "trigger":
            errors.extend(self._payload_errors(body.get("payload")))
            links = body.get("links")
            if links is not None and (
                not isinstance(links, list)
                or not all(isinstance(ln, dict) and isinstance(ln.get("href"), str) for ln in links)
            ):
                errors.append("'links' must be a list of objects with 'href'")
        if errors:
            return _invalid(errors)
        if action == "trigger":
            dedup_key = dedup_key or uuid.uuid4().hex
            self._trigger(dedup_key, body)
        else:
            self._transition(str(dedup_key), str(action), body)
        return json_response({"status": "success", "message": "Event processed", "dedup_key": dedup_key}, 202)

    @staticmethod
    def _payload_errors(payload: Any) -> list[str]:
        if not isinstance(payload, dict):
            return ["'payload' is missing or not an object"]
        errors = []
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors.append("'payload.summary' is missing or blank")
        elif len(summary) > MAX_SUMMARY:
            errors.append(f"'payload.summary' must be at most {MAX_SUMMARY} characters")
        source = payload.get("source")
        if not isinstance(source, str) or not source.strip():
            errors.append("'payload.source' is missing or blank")
        if payload.get("severity") not in SEVERITIES:
            errors.append("'payload.severity' is invalid (must be one of: critical, error, warning, info)")
        ts = payload.get("timestamp")
        if ts is not None and (not isinstance(ts, str) or _parse_time(ts) is None):
            errors.append("'payload.timestamp' must be an ISO 8601 time")
        details = payload.get("custom_details")
        if details is not None and not isinstance(details, dict | list | str | int | float | bool):
            errors.append("'payload.custom_details' is invalid")
        return errors

    def _open_incident(self, dedup_key: str) -> dict[str, Any] | None:
        for inc in reversed(self._incidents):
            if inc["dedup_key"] == dedup_key:
                return inc if inc["status"] != "resolved" else None
        return None

    def _trigger(self, dedup_key: str, body: dict[str, Any]) -> None:
        now = self._clock.now()
        inc = self._open_incident(dedup_key)
        if inc is None:
            payload = body["payload"]
            inc = {
                "number": next(self._numbers),
                "dedup_key": dedup_key,
                "status": "triggered",
                "summary": payload["summary"],
                "severity": payload["severity"],
                "source": payload["source"],
                "custom_details": payload.get("custom_details"),
                "links": body.get("links", []),
                "routing_key": body["routing_key"],
                "created_at": now,
                "acknowledged_at": None,
                "resolved_at": None,
                "trigger_count": 0,
                "events": [],
            }
            self._incidents.append(inc)
        inc["trigger_count"] += 1
        inc["events"].append(copy.deepcopy(body))

    def _transition(self, dedup_key: str, action: str, body: dict[str, Any]) -> None:
        inc = self._open_incident(dedup_key)
        if inc is None:
            return  # unknown or already resolved: still 202, nothing changes
        now = self._clock.now()
        inc["events"].append(copy.deepcopy(body))
        if action == "acknowledge":
            inc["status"] = "acknowledged"
            inc["acknowledged_at"] = inc["acknowledged_at"] or now
        else:
            inc["status"] = "resolved"
            inc["resolved_at"] = now

    # /oncalls
    def _oncalls(self, request: Request) -> Response:
        if request.header("authorization") != f"Token token={self._token}":
            return json_response({"error": {"message": "Authentication Required", "code": 2006}}, 401)
        q = request.query

        def bad(message: str) -> Response:
            return json_response(
                {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [message]}}, 400
            )

        try:
            limit = int(q.get("limit", [str(DEFAULT_LIMIT)])[0])
            offset = int(q.get("offset", ["0"])[0])
        except ValueError:
            return bad("limit and offset must be integers")
        if not 1 <= limit <= MAX_LIMIT:
            return bad(f"limit must be between 1 and {MAX_LIMIT}")
        if offset < 0:
            return bad("offset must be >= 0")
        now = self._clock.now()
        since = _parse_time(q["since"][0]) if "since" in q else now
        until = _parse_time(q["until"][0]) if "until" in q else now
        if since is None or until is None:
            return bad("since and until must be ISO 8601 times")
        if until < since:
            return bad("until must be after since")
        schedules = set(q.get("schedule_ids[]", []))
        policies = set(q.get("escalation_policy_ids[]", []))
        include_users = "users" in q.get("include[]", [])
        earliest = q.get("earliest", ["false"])[0] == "true"
        matches = []
        for entry in self._roster:
            if schedules and entry["schedule_id"] not in schedules:
                continue
            if policies and entry["escalation_policy_id"] not in policies:
                continue
            start, end = entry["start"], entry["end"]
            if (end is not None and end <= since) or (start is not None and start > until):
                continue
            matches.append(entry)
        matches.sort(key=lambda e: (e["level"], e["start"] or datetime.min.replace(tzinfo=UTC)))
        if earliest:
            seen: set[tuple[str, str, int]] = set()
            kept = []
            for e in matches:
                k = (e["user"]["id"], e["escalation_policy_id"], e["level"])
                if k not in seen:
                    seen.add(k)
                    kept.append(e)
            matches = kept
        page = matches[offset : offset + limit]
        return json_response(
            {
                "oncalls": [self._render(e, include_users) for e in page],
                "limit": limit,
                "offset": offset,
                "more": offset + limit < len(matches),
                "total": None,
            }
        )

    @staticmethod
    def _render(e: dict[str, Any], include_users: bool) -> dict[str, Any]:
        u = e["user"]
        user: dict[str, Any]
        if include_users:
            user = {
                "id": u["id"],
                "type": "user",
                "summary": u["name"],
                "name": u["name"],
                "email": u["email"],
                "self": f"https://api.pagerduty.com/users/{u['id']}",
            }
        else:
            user = {"id": u["id"], "type": "user_reference", "summary": u["name"]}
        sched = e["schedule_id"]
        return {
            "user": user,
            "schedule": {"id": sched, "type": "schedule_reference", "summary": sched} if sched else None,
            "escalation_policy": {
                "id": e["escalation_policy_id"],
                "type": "escalation_policy_reference",
                "summary": e["escalation_policy_id"],
            },
            "escalation_level": e["level"],
            "start": _iso(e["start"]),
            "end": _iso(e["end"]),
        }
