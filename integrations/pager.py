"""The pager interface: what Baton needs from PagerDuty, Opsgenie or any other paging service.

A client makes ONE attempt per call and never raises for HTTP or transport failures: it returns a
PageResult that says whether trying again can help (400 -> no; 429, 5xx, connection errors -> yes,
with the server's Retry-After when it sent one). The durable outbox in storage keeps the PageRequest
(`to_dict`/`from_dict`) and calls again when integrations.retry says, so a page is never lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import httpx

from integrations.retry import parse_retry_after

Severity = Literal["critical", "error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("critical", "error", "warning", "info")


def severity_for(urgency: str) -> Severity:
    """Immediate escalations page as critical; queued ones as warning."""
    return "critical" if urgency == "immediate" else "warning"


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class PageRequest:
    dedup_key: str  # the escalation id: repeats of the same page never open a second incident
    summary: str  # one line: who, what, how urgent (clients truncate to their service's limit)
    urgency: str = "immediate"  # immediate | queued: picks severity / priority
    source: str = "baton"  # where it comes from (PagerDuty payload.source)
    severity: Severity | None = None  # None: severity_for(urgency)
    links: tuple[Link, ...] = ()  # the card permalink first
    custom_details: Mapping[str, Any] = field(default_factory=dict)  # account, category, triggers...
    description: str = ""  # longer text (Opsgenie description)
    component: str = ""  # PagerDuty payload.component, e.g. the category
    group: str = ""  # PagerDuty payload.group, e.g. the team
    class_: str = ""  # PagerDuty payload.class, e.g. the trigger id
    timestamp: datetime | None = None  # when the escalation opened (aware)
    responders: tuple[Mapping[str, str], ...] = ()  # Opsgenie responders, e.g. {"type": "team", "name": "billing"}

    @property
    def effective_severity(self) -> Severity:
        return self.severity or severity_for(self.urgency)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dedup_key": self.dedup_key,
            "summary": self.summary,
            "urgency": self.urgency,
            "source": self.source,
            "severity": self.severity,
            "links": [{"href": ln.href, "text": ln.text} for ln in self.links],
            "custom_details": dict(self.custom_details),
            "description": self.description,
            "component": self.component,
            "group": self.group,
            "class": self.class_,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "responders": [dict(r) for r in self.responders],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PageRequest:
        ts = d.get("timestamp")
        return cls(
            dedup_key=str(d["dedup_key"]),
            summary=str(d.get("summary", "")),
            urgency=str(d.get("urgency", "immediate")),
            source=str(d.get("source", "baton")),
            severity=d.get("severity"),
            links=tuple(Link(str(ln["href"]), str(ln.get("text", ""))) for ln in d.get("links", ())),
            custom_details=dict(d.get("custom_details") or {}),
            description=str(d.get("description", "")),
            component=str(d.get("component", "")),
            group=str(d.get("group", "")),
            class_=str(d.get("class", "")),
            timestamp=datetime.fromisoformat(ts) if ts else None,
            responders=tuple(dict(r) for r in d.get("responders", ())),
        )


@dataclass(frozen=True, slots=True)
class PageResult:
    ok: bool
    retryable: bool  # meaningful when not ok: trying again later can help
    status: int | None  # HTTP status; None when no answer came (connection refused, timeout)
    detail: str  # for the timeline and the card: "accepted", "rate limited (429)", "unreachable (ConnectError)"
    retry_after: float | None = None  # seconds, from the server's Retry-After
    dedup_key: str = ""  # as the service acknowledged it

    def describe(self) -> str:
        if self.ok:
            return self.detail or "accepted"
        return f"paging failed, {'retrying' if self.retryable else 'not retrying'}: {self.detail}"


class Pager(Protocol):
    name: str

    def trigger(self, alert: PageRequest) -> PageResult:
        """Open (or repeat: deduplicated by alert.dedup_key) a page."""
        ...

    def resolve(self, dedup_key: str) -> PageResult:
        """Resolve the page: the escalation was claimed or resolved. Unknown keys are fine."""
        ...


class NoPager:
    """For teams without a pager (built-in rotation or none): the DM is the page. Always succeeds."""

    name = "none"

    def trigger(self, alert: PageRequest) -> PageResult:
        return PageResult(ok=True, retryable=False, status=None, detail="no pager configured", dedup_key=alert.dedup_key)

    def resolve(self, dedup_key: str) -> PageResult:
        return PageResult(ok=True, retryable=False, status=None, detail="no pager configured", dedup_key=dedup_key)


def result_from_response(response: httpx.Response, *, ok_statuses: tuple[int, ...] = (200, 201, 202),
                         dedup_key: str = "", now: datetime | None = None) -> PageResult:
    """Classify one HTTP answer: 2xx ok; 429 and 5xx retryable; other 4xx (bad request, auth) not."""
    status = response.status_code
    detail = _error_detail(response)
    if status in ok_statuses:
        return PageResult(True, False, status, detail or "accepted", dedup_key=dedup_key)
    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    if status == 429:
        return PageResult(False, True, status, f"rate limited (429){': ' + detail if detail else ''}", retry_after, dedup_key)
    if status >= 500:
        return PageResult(False, True, status, f"server error ({status}){': ' + detail if detail else ''}", retry_after, dedup_key)
    if status in (401, 403):
        return PageResult(False, False, status, f"not authorised ({status}): check the API key", None, dedup_key)
    return PageResult(False, False, status, f"rejected ({status}){': ' + detail if detail else ''}", None, dedup_key)


def result_from_exception(exc: Exception, dedup_key: str = "") -> PageResult:
    """No answer at all (refused, reset, timed out): always worth another try."""
    return PageResult(False, True, None, f"unreachable ({type(exc).__name__})", dedup_key=dedup_key)


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if not isinstance(body, dict):
        return ""
    parts = []
    for key in ("message", "result", "status"):
        if isinstance(body.get(key), str) and body[key]:
            parts.append(body[key])
            break
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts.append("; ".join(str(e) for e in errors[:5]))
    elif isinstance(errors, dict) and errors:
        parts.append("; ".join(f"{k}: {v}" for k, v in list(errors.items())[:5]))
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        parts.append(str(error["message"]))
    return " - ".join(parts)[:500]


def make_pager(
    provider: str,
    client: httpx.Client,
    *,
    pagerduty_routing_key: str | None = None,
    pagerduty_events_url: str | None = None,
    opsgenie_api_key: str | None = None,
    opsgenie_api_url: str | None = None,
) -> Pager:
    """The pager for a team's `oncall.provider` (OnCallConfig.provider): PagerDuty, Opsgenie, or NoPager for
    `rotation` / `none`. Raises ValueError when the provider needs a key that is not configured."""
    if provider == "pagerduty":
        from integrations.pagerduty import EVENTS_URL, PagerDutyEvents

        if not pagerduty_routing_key:
            raise ValueError("oncall provider pagerduty needs PAGERDUTY_ROUTING_KEY")
        return PagerDutyEvents(client, pagerduty_routing_key, pagerduty_events_url or EVENTS_URL)
    if provider == "opsgenie":
        from integrations.opsgenie import API_URL, OpsgenieAlerts

        if not opsgenie_api_key:
            raise ValueError("oncall provider opsgenie needs OPSGENIE_API_KEY")
        return OpsgenieAlerts(client, opsgenie_api_key, opsgenie_api_url or API_URL)
    if provider in ("rotation", "none"):
        return NoPager()
    raise ValueError(f"unknown pager provider {provider!r}")
