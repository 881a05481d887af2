"""Jira Cloud, the alternative bug tracker: link the account's open bug or create one, idempotently.

The same interface as integrations/linear_issues.py (bot/flows/bugs.py picks one per team's `bugs:`):
`find(issue_id)`, `open_bugs(account)`, `customer_label(account)`, `create(...)`.

Jira Cloud REST v3, `https://{site}.atlassian.net`, HTTP Basic `{email}:{api_token}`:
- `POST /rest/api/3/issue` with `{"fields": {project: {key}, issuetype: {name}, summary (max 255),
  description: <Atlassian Document Format>, labels: [...]}}` -> 201 `{id, key, self}`; 400
  `{"errorMessages": [...], "errors": {field: message}}`; 401/403; 429 with Retry-After.
- `POST /rest/api/3/search/jql` with `{jql, fields, maxResults}` -> `{"issues": [{id, key, fields}]}`.

Idempotency: Jira has no client-chosen issue id, so Baton labels every issue it creates
`baton-<uuid>` (the UUID chosen when the escalation opened, stored in the outbox item) and searches
that label before creating on a retry. The account's open bugs carry `customer-<account>` (labels
are created on first use). Jira's search can lag a new issue by a moment (see docs/integrations.md).
Failures come back as `ServiceFailure`, `retryable` for 429, 5xx and transport errors.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from integrations.accounts import JsonReply, ServiceFailure, request_json
from integrations.helpdesk_tickets import basic
from integrations.linear import LinearIssue
from integrations.linear_issues import CreatedIssue

SERVICE, PROVIDER = "bugs", "Jira"
SUMMARY_LIMIT = 255
_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((https?://[^)\s]{1,500})\)")
_STRONG = re.compile(r"\*\*([^*\n]{1,300})\*\*")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _inline(text: str) -> list[dict[str, Any]]:
    """One line of Baton's Markdown (links, **bold**, _italic_) as ADF text nodes."""
    nodes: list[dict[str, Any]] = []
    pos = 0
    for m in _LINK.finditer(text):
        nodes += _strong(text[pos : m.start()])
        nodes.append({"type": "text", "text": m.group(1), "marks": [{"type": "link", "attrs": {"href": m.group(2)}}]})
        pos = m.end()
    return nodes + _strong(text[pos:])


def _strong(text: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    pos = 0
    for m in _STRONG.finditer(text):
        if text[pos : m.start()]:
            nodes.append({"type": "text", "text": text[pos : m.start()]})
        nodes.append({"type": "text", "text": m.group(1), "marks": [{"type": "strong"}]})
        pos = m.end()
    rest = text[pos:]
    if rest.startswith("_") and rest.rstrip().endswith("_") and len(rest.strip()) > 2:
        nodes.append({"type": "text", "text": rest.strip()[1:-1], "marks": [{"type": "em"}]})
    elif rest:
        nodes.append({"type": "text", "text": rest})
    return nodes


def adf(markdown: str) -> dict[str, Any]:
    """Baton's Markdown description as an Atlassian Document: a paragraph per block, a bullet list for
    `- ` lines. Empty text nodes are never emitted (Jira refuses them)."""
    content: list[dict[str, Any]] = []
    for block in (b for b in markdown.split("\n\n") if b.strip()):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if all(ln.lstrip().startswith("- ") for ln in lines):
            items = [
                {"type": "listItem", "content": [{"type": "paragraph", "content": _inline(ln.lstrip()[2:])}]}
                for ln in lines
                if _inline(ln.lstrip()[2:])
            ]
            if items:
                content.append({"type": "bulletList", "content": items})
            continue
        para: list[dict[str, Any]] = []
        for i, ln in enumerate(lines):
            if i:
                para.append({"type": "hardBreak"})
            para += _inline(ln)
        if para:
            content.append({"type": "paragraph", "content": para})
    return {"type": "doc", "version": 1, "content": content}


class JiraIssues:
    """Creates and finds issues in Jira Cloud. Never raises for transport or API errors."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        email: str,
        api_token: str,
        label_prefix: str = "customer-",
        timeout: float = 10.0,
    ) -> None:
        self._http, self._timeout = http, timeout
        self.base_url = base_url.rstrip("/")
        self.label_prefix = label_prefix
        self._headers = {"Authorization": basic(email, api_token), "Accept": "application/json"}

    def _call(self, path: str, body: dict[str, Any]) -> JsonReply | ServiceFailure:
        return request_json(
            self._http, "POST", self.base_url + path, service=SERVICE, provider=PROVIDER,
            timeout=self._timeout, headers=self._headers, json_body=body, retries=0,
        )  # fmt: skip

    def link(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"

    @staticmethod
    def _refused(reply: JsonReply) -> ServiceFailure:
        body = _obj(reply.body)
        what = "; ".join([*map(str, body.get("errorMessages") or []), *(f"{k}: {v}" for k, v in _obj(body.get("errors")).items())])
        return ServiceFailure(SERVICE, PROVIDER, f"refused (HTTP {reply.status}): {what[:300] or 'no reason'}", status=reply.status)

    def _search(self, jql: str, limit: int) -> list[dict[str, Any]] | ServiceFailure:
        reply = self._call("/rest/api/3/search/jql", {"jql": jql, "fields": ["summary", "status"], "maxResults": limit})
        if isinstance(reply, ServiceFailure):
            return reply
        if reply.status != 200:
            return self._refused(reply)
        issues = _obj(reply.body).get("issues")
        return [i for i in issues if isinstance(i, dict) and i.get("key")] if isinstance(issues, list) else []

    def find(self, issue_id: str) -> CreatedIssue | None | ServiceFailure:
        """The issue Baton created for this UUID (labelled `baton-<uuid>`), if Jira has it."""
        found = self._search(f'labels = "baton-{issue_id}" ORDER BY created ASC', 1)
        if isinstance(found, ServiceFailure):
            return found
        if not found:
            return None
        first = found[0]
        summary = str(_obj(first.get("fields")).get("summary") or "")
        return CreatedIssue(id=str(first.get("id", "")), identifier=str(first["key"]), title=summary, url=self.link(str(first["key"])))

    def open_bugs(self, account_id: str) -> tuple[LinearIssue, ...] | ServiceFailure:
        label = self.customer_label(account_id)
        found = self._search(f'labels = "{label}" AND statusCategory != Done ORDER BY updated DESC', 5)
        if isinstance(found, ServiceFailure):
            return found
        out = []
        for issue in found:
            fields = _obj(issue.get("fields"))
            out.append(LinearIssue(
                identifier=str(issue["key"]), title=str(fields.get("summary") or ""), url=self.link(str(issue["key"])),
                state=str(_obj(fields.get("status")).get("name") or ""), id=str(issue.get("id", "")),
            ))  # fmt: skip
        return tuple(out)

    def customer_label(self, account_id: str) -> str:
        """`customer-<account>`: Jira labels have no spaces and are created on first use."""
        return self.label_prefix + re.sub(r"\s+", "-", account_id.strip())

    def create(
        self,
        *,
        issue_id: str,
        team_id: str,
        title: str,
        description: str,
        label_ids: tuple[str, ...] = (),
        issue_type: str = "Bug",
    ) -> CreatedIssue | ServiceFailure:
        """`POST /rest/api/3/issue` in project `team_id`, labelled `baton-<issue_id>` for the lookup."""
        summary = " ".join(title.split())[:SUMMARY_LIMIT]
        fields: dict[str, Any] = {
            "project": {"key": team_id},
            "issuetype": {"name": issue_type},
            "summary": summary,
            "description": adf(description),
            "labels": list(dict.fromkeys([*label_ids, f"baton-{issue_id}"])),
        }
        reply = self._call("/rest/api/3/issue", {"fields": fields})
        if isinstance(reply, ServiceFailure):
            return reply
        body = _obj(reply.body)
        if reply.status != 201 or not body.get("key"):
            return self._refused(reply)
        key = str(body["key"])
        return CreatedIssue(id=str(body.get("id", "")), identifier=key, title=summary, url=self.link(key))
