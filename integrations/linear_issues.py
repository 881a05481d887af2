"""Linear, writing: create an issue for a customer's bug report, idempotently.

Idempotency: Baton chooses the issue's UUID (`IssueCreateInput.id`, PLATFORM-FACTS "CRM, billing,
bugs") when it decides to create one, and stores it before the first call. A retry first looks the
issue up by that id (`BatonIssueById`), so a crash between Linear's answer and Baton's record never
makes a second issue; Linear also refuses a second create with the same id.

The `customer:<account>` label makes the next escalation of the account find the issue (the
`BatonOpenBugs` query of integrations/linear.py matches label names). `issueCreate` takes label ids,
so the label is looked up by name (`BatonLabelByName`) and created when missing (`BatonLabelCreate`,
a workspace label).

Same transport and auth as integrations/linear.py: `POST {url}/graphql`, `Authorization: <key>`.
Failures come back as `ServiceFailure`, `retryable` for 5xx, 429/RATELIMITED and transport errors;
validation and authentication errors are not retryable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from integrations.accounts import ServiceFailure, request_json
from integrations.linear import DEFAULT_URL, PROVIDER, SERVICE, LinearClient, LinearIssue

ISSUE_BY_ID = """
query BatonIssueById($filter: IssueFilter!) {
  issues(filter: $filter, first: 1) { nodes { id identifier title url } }
}
""".strip()

LABEL_BY_NAME = """
query BatonLabelByName($filter: IssueLabelFilter!) {
  issueLabels(filter: $filter, first: 1) { nodes { id name } }
}
""".strip()

LABEL_CREATE = """
mutation BatonLabelCreate($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name } }
}
""".strip()

ISSUE_CREATE = """
mutation BatonIssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier title url } }
}
""".strip()

RETRYABLE_CODES = ("RATELIMITED", "RATE_LIMITED", "INTERNAL_SERVER_ERROR", "INTERNAL_ERROR")
TITLE_LIMIT = 255


@dataclass(frozen=True, slots=True)
class CreatedIssue:
    id: str
    identifier: str
    title: str
    url: str


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _failure(errors: list[Any], status: int) -> ServiceFailure:
    first = _obj(errors[0]) if errors else {}
    ext = _obj(first.get("extensions"))
    code = str(ext.get("code") or ext.get("type") or "").upper().replace(" ", "_")
    message = str(ext.get("userPresentableMessage") or first.get("message") or "unknown error")
    retryable = any(c in code for c in RETRYABLE_CODES) or status >= 500
    return ServiceFailure(SERVICE, PROVIDER, f"refused: {message} ({code or status})", retryable=retryable, status=status)


def _issue(node: Any) -> CreatedIssue | None:
    node = _obj(node)
    if not node.get("id") or not node.get("identifier"):
        return None
    return CreatedIssue(
        id=str(node["id"]),
        identifier=str(node["identifier"]),
        title=str(node.get("title") or ""),
        url=str(node.get("url") or ""),
    )


class LinearIssues:
    """Creates issues in Linear. Never raises for transport or GraphQL errors."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_key: str,
        base_url: str = DEFAULT_URL,
        label_prefix: str = "customer:",
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._key = api_key
        self._base = base_url.rstrip("/")
        self.label_prefix = label_prefix
        self._timeout = timeout
        self._reader = LinearClient(
            http, api_key=api_key, base_url=base_url, label_prefix=label_prefix, timeout=timeout, retries=0
        )

    def open_bugs(self, account_id: str) -> tuple[LinearIssue, ...] | ServiceFailure:
        """The account's open bugs, asked now (the card's cached facts may be older)."""
        return self._reader.open_bugs(account_id)

    def _call(self, query: str, operation: str, variables: dict[str, Any]) -> dict[str, Any] | ServiceFailure:
        reply = request_json(
            self._http,
            "POST",
            f"{self._base}/graphql",
            service=SERVICE,
            provider=PROVIDER,
            timeout=self._timeout,
            headers={"Authorization": self._key, "Content-Type": "application/json"},
            json_body={"query": query, "operationName": operation, "variables": variables},
            retries=0,  # the outbox retries, with its own policy
        )
        if isinstance(reply, ServiceFailure):
            return reply
        body = _obj(reply.body)
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return _failure(errors, reply.status)
        if reply.status != 200:
            return ServiceFailure(SERVICE, PROVIDER, f"refused (HTTP {reply.status})", status=reply.status)
        return _obj(body.get("data"))

    def find(self, issue_id: str) -> CreatedIssue | None | ServiceFailure:
        """The issue Baton created under this id, if Linear has it."""
        data = self._call(ISSUE_BY_ID, "BatonIssueById", {"filter": {"id": {"eq": issue_id}}})
        if isinstance(data, ServiceFailure):
            return data
        nodes = _obj(data.get("issues")).get("nodes")
        return _issue(nodes[0]) if isinstance(nodes, list) and nodes else None

    def customer_label(self, account_id: str) -> str | ServiceFailure:
        """The id of the `customer:<account>` label, created when the workspace has none yet."""
        name = f"{self.label_prefix}{account_id}"
        data = self._call(LABEL_BY_NAME, "BatonLabelByName", {"filter": {"name": {"eqIgnoreCase": name}}})
        if isinstance(data, ServiceFailure):
            return data
        nodes = _obj(data.get("issueLabels")).get("nodes")
        if isinstance(nodes, list) and nodes and _obj(nodes[0]).get("id"):
            return str(nodes[0]["id"])
        made = self._call(LABEL_CREATE, "BatonLabelCreate", {"input": {"name": name}})
        if isinstance(made, ServiceFailure):
            return made
        label = _obj(_obj(made.get("issueLabelCreate")).get("issueLabel"))
        if not label.get("id"):
            return ServiceFailure(SERVICE, PROVIDER, "created no label", retryable=True)
        return str(label["id"])

    def create(
        self,
        *,
        issue_id: str,
        team_id: str,
        title: str,
        description: str,
        label_ids: tuple[str, ...] = (),
    ) -> CreatedIssue | ServiceFailure:
        """`issueCreate` with Baton's own id (so a replay cannot make a second issue)."""
        variables = {
            "input": {
                "id": issue_id,
                "teamId": team_id,
                "title": title[:TITLE_LIMIT],
                "description": description,
                "labelIds": list(dict.fromkeys(label_ids)),
            }
        }
        data = self._call(ISSUE_CREATE, "BatonIssueCreate", variables)
        if isinstance(data, ServiceFailure):
            return data
        payload = _obj(data.get("issueCreate"))
        issue = _issue(payload.get("issue"))
        if payload.get("success") is not True or issue is None:
            return ServiceFailure(SERVICE, PROVIDER, "did not create the issue", retryable=True)
        return issue
