"""Linear client: the open bugs of a customer account.

Convention (see docs/integrations.md): an issue concerns a customer when it carries a label named
`customer:<account id>` (prefix configurable). "Open" means its workflow state type is neither
`completed` nor `canceled`. One GraphQL query, `BatonOpenBugs`, with the whole filter passed as
variables (no string-building of GraphQL).

`POST {url}/graphql`, `Authorization: <API key>` (personal API keys take no "Bearer"; PLATFORM-FACTS
"CRM, billing, bugs"). GraphQL errors usually come back with HTTP 200 and `errors[]`; Linear
reports authentication and rate-limit errors as HTTP 400 with `extensions.code`
(AUTHENTICATION_ERROR, RATELIMITED). All of these become a `ServiceFailure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from integrations.accounts import ServiceFailure, request_json

DEFAULT_URL = "https://api.linear.app"
SERVICE = "bugs"
PROVIDER = "Linear"
OPERATION = "BatonOpenBugs"
CLOSED_STATE_TYPES = ("completed", "canceled")

OPEN_BUGS_QUERY = """
query BatonOpenBugs($filter: IssueFilter!, $first: Int!) {
  issues(filter: $filter, first: $first, orderBy: updatedAt) {
    nodes {
      id
      identifier
      title
      url
      priority
      priorityLabel
      state { name type }
    }
  }
}
""".strip()

PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}


@dataclass(frozen=True, slots=True)
class LinearIssue:
    identifier: str
    title: str
    url: str = ""
    priority: int = 0  # 0 none, 1 urgent, 2 high, 3 medium, 4 low
    priority_label: str = ""
    state: str = ""
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for Account.extra["open_bugs"]."""
        return {
            "identifier": self.identifier,
            "title": self.title,
            "url": self.url,
            "priority": self.priority,
            "priority_label": self.priority_label,
            "state": self.state,
        }


def open_bugs_filter(label: str) -> dict[str, Any]:
    """The IssueFilter for open issues carrying `label` (label match ignores case)."""
    return {
        "labels": {"some": {"name": {"eqIgnoreCase": label}}},
        "state": {"type": {"nin": list(CLOSED_STATE_TYPES)}},
    }


def _graphql_failure(errors: list[Any], status: int) -> ServiceFailure:
    first = _obj(errors[0]) if errors else {}
    extensions = _obj(first.get("extensions"))
    code = str(extensions.get("code") or extensions.get("type") or "").upper().replace(" ", "_")
    message = str(extensions.get("userPresentableMessage") or first.get("message") or "unknown error")
    if "AUTHENTICATION" in code:
        return ServiceFailure(SERVICE, PROVIDER, f"rejected the API key ({message})", status=status)
    if "RATELIMITED" in code or "RATE_LIMITED" in code:
        return ServiceFailure(SERVICE, PROVIDER, "rate limited", retryable=True, status=status)
    if "FORBIDDEN" in code:
        return ServiceFailure(SERVICE, PROVIDER, f"refused access ({message})", status=status)
    return ServiceFailure(SERVICE, PROVIDER, f"query failed: {message}", status=status)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse_priority(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float) and 0 <= value <= 4:
        return int(value)
    return 0


class LinearClient:
    """Reads open customer bugs from Linear. Never raises for transport or GraphQL errors."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_key: str,
        base_url: str = DEFAULT_URL,
        label_prefix: str = "customer:",
        timeout: float = 5.0,
        retries: int = 1,
        limit: int = 10,
    ) -> None:
        self._http = http
        self._key = api_key
        self._base = base_url.rstrip("/")
        self.label_prefix = label_prefix
        self._timeout = timeout
        self._retries = retries
        self._limit = max(1, min(limit, 50))

    def label_for(self, account_id: str) -> str:
        return f"{self.label_prefix}{account_id}"

    def open_bugs(
        self, account_id: str, *, timeout: float | None = None
    ) -> tuple[LinearIssue, ...] | ServiceFailure:
        """Open issues labelled for this account, most recently updated first (at most `limit`)."""
        reply = request_json(
            self._http,
            "POST",
            f"{self._base}/graphql",
            service=SERVICE,
            provider=PROVIDER,
            timeout=self._timeout if timeout is None else timeout,
            headers={"Authorization": self._key, "Content-Type": "application/json"},
            json_body={
                "query": OPEN_BUGS_QUERY,
                "operationName": OPERATION,
                "variables": {"filter": open_bugs_filter(self.label_for(account_id)), "first": self._limit},
            },
            retries=self._retries,
        )
        if isinstance(reply, ServiceFailure):
            return reply
        body = reply.body if isinstance(reply.body, dict) else {}
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return _graphql_failure(errors, reply.status)
        if reply.status != 200:
            return ServiceFailure(
                SERVICE, PROVIDER, f"refused the query (HTTP {reply.status})", status=reply.status
            )
        data = body.get("data")
        issues = data.get("issues") if isinstance(data, dict) else None
        nodes = issues.get("nodes") if isinstance(issues, dict) else None
        if not isinstance(nodes, list):
            return ServiceFailure(SERVICE, PROVIDER, "sent an answer without issues", status=reply.status)
        found: list[LinearIssue] = []
        for node in nodes:
            if not isinstance(node, dict):
                continue
            state = _obj(node.get("state"))
            if state.get("type") in CLOSED_STATE_TYPES:
                continue  # belt and braces: the filter already excludes them
            priority = _parse_priority(node.get("priority"))
            found.append(
                LinearIssue(
                    identifier=str(node.get("identifier") or ""),
                    title=str(node.get("title") or ""),
                    url=str(node.get("url") or ""),
                    priority=priority,
                    priority_label=str(node.get("priorityLabel") or PRIORITY_LABELS[priority]),
                    state=str(state.get("name") or ""),
                    id=str(node.get("id") or ""),
                )
            )
        return tuple(found)
