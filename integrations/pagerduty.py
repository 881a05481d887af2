"""PagerDuty: Events API v2 for paging, REST /oncalls for who is on call.

Contracts (PLATFORM-FACTS.md, "PagerDuty"):
- POST {events_url}/v2/enqueue, no auth header, the 32-char routing_key in the body; event_action
  trigger | acknowledge | resolve; dedup_key max 255; payload.summary max 1024, source, severity
  critical | error | warning | info; whole event max 512 KB. 202 on success, 400 invalid event
  (never retry), 429 / 5xx (retry with backoff). Resolving an unknown key still answers 202.
- GET {api_url}/oncalls, `Authorization: Token token=KEY`, `Accept: application/vnd.pagerduty+json;version=2`,
  schedule_ids[] / escalation_policy_ids[], include[]=users, since/until, earliest, limit (<= 100), offset;
  answer {oncalls: [...], more}.

Usage::

    events = PagerDutyEvents(httpx.Client(timeout=10), routing_key=..., events_url=settings.pagerduty_events_url)
    result = events.trigger(PageRequest(dedup_key=str(escalation.id), summary="...", links=(Link(permalink, "Card"),)))
    oncalls = PagerDutyOnCalls(httpx.Client(timeout=10), api_token=..., api_url=...).oncalls(schedule_ids=["P123ABC"])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.clock import Clock, SystemClock
from integrations.pager import PageRequest, PageResult, result_from_exception, result_from_response

EVENTS_URL = "https://events.pagerduty.com"
API_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
MAX_SUMMARY = 1024  # payload.summary
MAX_DEDUP_KEY = 255
MAX_EVENT_BYTES = 512 * 1024
MAX_ONCALL_LIMIT = 100
MAX_ONCALL_PAGES = 50  # 5,000 entries: far beyond any real roster; stops a server that always says `more`


def truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_key(key: str, limit: int) -> str:
    """A dedup key within the service's limit: kept as is when short, else a stable digest of it."""
    return key if len(key) <= limit else "sha256-" + hashlib.sha256(key.encode()).hexdigest()


class PagerDutyEvents:
    """The Pager for PagerDuty (Events API v2). One HTTP attempt per call; never raises."""

    name = "pagerduty"

    def __init__(self, client: httpx.Client, routing_key: str, events_url: str = EVENTS_URL,
                 timeout: float = 10.0, clock: Clock | None = None) -> None:
        self._client = client
        self._clock = clock or SystemClock()  # only to read a Retry-After given as an HTTP date
        self._routing_key = routing_key
        self._url = events_url.rstrip("/") + "/v2/enqueue"
        self._timeout = timeout

    def event_body(self, alert: PageRequest) -> dict[str, Any]:
        """The trigger event exactly as it will be sent (the summary truncated, oversized details replaced)."""
        payload: dict[str, Any] = {
            "summary": truncate(alert.summary.strip() or f"Escalation {alert.dedup_key}", MAX_SUMMARY),
            "source": alert.source or "baton",
            "severity": alert.effective_severity,
        }
        if alert.timestamp is not None:
            payload["timestamp"] = alert.timestamp.astimezone(UTC).isoformat()
        if alert.component:
            payload["component"] = alert.component
        if alert.group:
            payload["group"] = alert.group
        if alert.class_:
            payload["class"] = alert.class_
        if alert.custom_details:
            payload["custom_details"] = dict(alert.custom_details)
        body: dict[str, Any] = {
            "routing_key": self._routing_key,
            "event_action": "trigger",
            "dedup_key": safe_key(alert.dedup_key, MAX_DEDUP_KEY),
            "payload": payload,
            "client": "Baton",
        }
        if alert.links:
            body["links"] = [{"href": ln.href, **({"text": ln.text} if ln.text else {})} for ln in alert.links]
        if len(json.dumps(body, default=str).encode()) > MAX_EVENT_BYTES and "custom_details" in payload:
            # over PagerDuty's 512 KB: still page, pointing at the card for the details
            payload["custom_details"] = {"note": "details too large for PagerDuty; see the card"}
        return body

    def trigger(self, alert: PageRequest) -> PageResult:
        return self._send(self.event_body(alert))

    def acknowledge(self, dedup_key: str) -> PageResult:
        return self._send(self._action_body("acknowledge", dedup_key))

    def resolve(self, dedup_key: str) -> PageResult:
        return self._send(self._action_body("resolve", dedup_key))

    def _action_body(self, action: str, dedup_key: str) -> dict[str, Any]:
        return {"routing_key": self._routing_key, "event_action": action,
                "dedup_key": safe_key(dedup_key, MAX_DEDUP_KEY)}

    def _send(self, body: dict[str, Any]) -> PageResult:
        key = str(body.get("dedup_key", ""))
        try:
            response = self._client.post(
                self._url,
                content=json.dumps(body, default=str).encode(),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            return result_from_exception(exc, key)
        result = result_from_response(response, ok_statuses=(202,), dedup_key=key, now=self._clock.now())
        if result.ok:
            try:
                answered = response.json().get("dedup_key")
            except (ValueError, AttributeError):
                answered = None
            if answered:
                return PageResult(True, False, result.status, result.detail, dedup_key=str(answered))
        return result


@dataclass(frozen=True, slots=True)
class OnCall:
    user_id: str
    email: str
    name: str
    escalation_level: int
    start: datetime | None  # None: permanently on call (no schedule)
    end: datetime | None
    schedule_id: str | None = None
    escalation_policy_id: str | None = None


class OnCallLookupError(Exception):
    def __init__(self, detail: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.retryable = retryable


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class PagerDutyOnCalls:
    """Who is on call, from PagerDuty's REST API. Raises OnCallLookupError on any failure."""

    def __init__(self, client: httpx.Client, api_token: str, api_url: str = API_URL, timeout: float = 10.0) -> None:
        self._client = client
        self._token = api_token
        self._url = api_url.rstrip("/") + "/oncalls"
        self._timeout = timeout

    def oncalls(
        self,
        *,
        schedule_ids: Sequence[str] = (),
        escalation_policy_ids: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        earliest: bool = True,
        page_size: int = MAX_ONCALL_LIMIT,
    ) -> list[OnCall]:
        """Everyone on call for these schedules / escalation policies (lowest escalation level first)."""
        if not schedule_ids and not escalation_policy_ids:
            raise ValueError("give schedule_ids or escalation_policy_ids")
        if not 1 <= page_size <= MAX_ONCALL_LIMIT:
            raise ValueError(f"page_size must be 1..{MAX_ONCALL_LIMIT}")
        base: list[tuple[str, Any]] = [("include[]", "users")]
        base += [("schedule_ids[]", s) for s in schedule_ids]
        base += [("escalation_policy_ids[]", e) for e in escalation_policy_ids]
        if since is not None:
            base.append(("since", since.astimezone(UTC).isoformat()))
        if until is not None:
            base.append(("until", until.astimezone(UTC).isoformat()))
        if earliest:
            base.append(("earliest", "true"))
        headers = {"Authorization": f"Token token={self._token}", "Accept": ACCEPT}
        out: list[OnCall] = []
        offset = 0
        for _ in range(MAX_ONCALL_PAGES):
            params = base + [("limit", str(page_size)), ("offset", str(offset))]
            try:
                response = self._client.get(self._url, params=params, headers=headers, timeout=self._timeout)
            except httpx.HTTPError as exc:
                raise OnCallLookupError(f"PagerDuty unreachable ({type(exc).__name__})", None, True) from exc
            if response.status_code != 200:
                r = result_from_response(response, ok_statuses=(200,))
                raise OnCallLookupError(f"PagerDuty /oncalls {r.detail}", r.status, r.retryable)
            try:
                body = response.json()
                entries = body["oncalls"]
            except (ValueError, KeyError, TypeError) as exc:
                raise OnCallLookupError("PagerDuty /oncalls answered without an `oncalls` list", 200, True) from exc
            out.extend(self._entry(e) for e in entries if isinstance(e, dict))
            if not body.get("more") or not entries:
                break
            offset += len(entries)
        out.sort(key=lambda o: o.escalation_level)
        return out

    @staticmethod
    def _entry(e: dict[str, Any]) -> OnCall:
        user = e.get("user") or {}
        schedule = e.get("schedule") or {}
        policy = e.get("escalation_policy") or {}
        return OnCall(
            user_id=str(user.get("id", "")),
            email=str(user.get("email", "")),
            name=str(user.get("name") or user.get("summary") or ""),
            escalation_level=int(e.get("escalation_level") or 0),
            start=_parse_time(e.get("start")),
            end=_parse_time(e.get("end")),
            schedule_id=schedule.get("id") if isinstance(schedule, dict) else None,
            escalation_policy_id=policy.get("id") if isinstance(policy, dict) else None,
        )
