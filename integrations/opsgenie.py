"""Opsgenie (Jira Service Management ops) as the alternative pager, behind the same Pager interface.

Opsgenie ends support on 2027-04-05 (PLATFORM-FACTS.md): it lives only behind integrations.pager.Pager,
so a team moves to another pager by changing `oncall.provider` in the policy, with no other code touched.

Contracts (PLATFORM-FACTS.md, "Opsgenie"):
- POST {api_url}/v2/alerts, `Authorization: GenieKey KEY`; `message` (max 130) required; `alias` (max 512)
  is the dedup key; `priority` P1-P5; `responders[]`; answer 202 {"result": "Request will be processed",
  "took", "requestId"} (asynchronous: accepted, not yet created).
- Close: POST {api_url}/v2/alerts/{alias}/close?identifierType=alias.
- Who is on call: GET {api_url}/v2/schedules/{name}/on-calls?scheduleIdentifierType=name&flat=true
  -> {"data": {"onCallRecipients": [emails]}}.
Field limits not in PLATFORM-FACTS are from Opsgenie's Alert API reference: description 15,000 characters,
details values are strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from bot.clock import Clock, SystemClock
from integrations.pager import PageRequest, PageResult, result_from_exception, result_from_response
from integrations.pagerduty import OnCallLookupError, safe_key, truncate

API_URL = "https://api.opsgenie.com"
MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_DESCRIPTION = 15000
PRIORITY = {"immediate": "P1", "queued": "P3"}


def priority_for(urgency: str) -> str:
    return PRIORITY.get(urgency, "P3")


def _details(custom: Mapping[str, Any]) -> dict[str, str]:
    """Opsgenie details are a flat string -> string map."""
    out = {}
    for k, v in custom.items():
        out[str(k)] = v if isinstance(v, str) else json.dumps(v, default=str)
    return out


class OpsgenieAlerts:
    """The Pager for Opsgenie. One HTTP attempt per call; never raises."""

    name = "opsgenie"

    def __init__(self, client: httpx.Client, api_key: str, api_url: str = API_URL, timeout: float = 10.0,
                 clock: Clock | None = None) -> None:
        self._client = client
        self._key = api_key
        self._api = api_url.rstrip("/")
        self._timeout = timeout
        self._clock = clock or SystemClock()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"GenieKey {self._key}", "Content-Type": "application/json"}

    def alert_body(self, alert: PageRequest) -> dict[str, Any]:
        """The create-alert request exactly as it will be sent."""
        description = alert.description
        if alert.links:
            description = (description + "\n\n" if description else "") + "\n".join(
                f"{ln.text or 'Link'}: {ln.href}" for ln in alert.links
            )
        body: dict[str, Any] = {
            "message": truncate(alert.summary.strip() or f"Escalation {alert.dedup_key}", MAX_MESSAGE),
            "alias": safe_key(alert.dedup_key, MAX_ALIAS),
            "priority": priority_for(alert.urgency),
            "source": alert.source or "baton",
        }
        if description:
            body["description"] = truncate(description, MAX_DESCRIPTION)
        details = _details(alert.custom_details)
        if alert.links:
            details.setdefault("card", alert.links[0].href)
        if details:
            body["details"] = details
        if alert.responders:
            body["responders"] = [dict(r) for r in alert.responders]
        if alert.group:
            body["entity"] = alert.group
        return body

    def trigger(self, alert: PageRequest) -> PageResult:
        body = self.alert_body(alert)
        return self._post(f"{self._api}/v2/alerts", body, None, body["alias"])

    def resolve(self, dedup_key: str) -> PageResult:
        alias = safe_key(dedup_key, MAX_ALIAS)
        url = f"{self._api}/v2/alerts/{quote(alias, safe='')}/close"
        return self._post(url, {"source": "baton", "note": "Claimed or resolved in Slack"},
                          {"identifierType": "alias"}, alias)

    def _post(self, url: str, body: dict[str, Any], params: dict[str, str] | None, key: str) -> PageResult:
        try:
            response = self._client.post(url, content=json.dumps(body).encode(), params=params,
                                         headers=self._headers(), timeout=self._timeout)
        except httpx.HTTPError as exc:
            return result_from_exception(exc, key)
        return result_from_response(response, ok_statuses=(200, 202), dedup_key=key, now=self._clock.now())

    def on_call_emails(self, schedule: str) -> list[str]:
        """Emails of whoever is on call now in this schedule (by name). Raises OnCallLookupError."""
        url = f"{self._api}/v2/schedules/{quote(schedule, safe='')}/on-calls"
        try:
            response = self._client.get(url, params={"scheduleIdentifierType": "name", "flat": "true"},
                                        headers=self._headers(), timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise OnCallLookupError(f"Opsgenie unreachable ({type(exc).__name__})", None, True) from exc
        if response.status_code != 200:
            r = result_from_response(response, ok_statuses=(200,))
            raise OnCallLookupError(f"Opsgenie on-calls {r.detail}", r.status, r.retryable)
        try:
            recipients = response.json()["data"]["onCallRecipients"]
        except (ValueError, KeyError, TypeError) as exc:
            raise OnCallLookupError("Opsgenie on-calls answered without data.onCallRecipients", 200, True) from exc
        return [str(r) for r in recipients or []]
