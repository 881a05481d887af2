"""A local stand-in for Jira Cloud's REST API v3 (issues), as Baton uses it for bug issues.

HTTP Basic `{email}:{api_token}` (else 401). Routes, answered as Jira does:
- `POST /rest/api/3/issue` `{"fields": {project: {key}, issuetype: {name}, summary, description, labels}}`:
  the project must exist and have the issue type; `summary` required, at most 255 characters, one
  line; `description` an Atlassian Document (`{"type": "doc", "version": 1, "content": [...]}`, no
  empty text nodes); labels strings without spaces. Else 400 `{"errorMessages": [], "errors":
  {field: message}}`. 201 `{"id", "key", "self"}`; keys count up per project (ENG-1, ENG-2...).
- `POST /rest/api/3/search/jql` `{jql, fields, maxResults}`: the JQL Baton sends (`labels = "x"`,
  optionally `AND statusCategory != Done`, `ORDER BY ...`) -> `{"issues": [{id, key, fields: {summary,
  status}}]}`; any other JQL: 400, as an unparsable query is.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from bot.sandbox.helpdesk_base import HelpdeskStandIn
from bot.sandbox.httpserver import Request, Response, json_response

JIRA_EMAIL = "baton@ourteam.example"
JIRA_TOKEN = "jira-sandbox-token"
_JQL = re.compile(r'^labels = "([^"\s]+)"( AND statusCategory != Done)?( ORDER BY \w+ (?:ASC|DESC))?$')


def _valid_adf(node: Any) -> bool:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return False
    if node["type"] == "text":
        return isinstance(node.get("text"), str) and node["text"] != ""
    content = node.get("content", [])
    return isinstance(content, list) and all(_valid_adf(c) for c in content)


class JiraStandIn(HelpdeskStandIn):
    def __init__(self, email: str = JIRA_EMAIL, token: str = JIRA_TOKEN) -> None:
        super().__init__()
        self._auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.projects: dict[str, set[str]] = {}  # key -> issue type names
        self.issues: dict[str, dict[str, Any]] = {}  # key -> issue
        self._counts: dict[str, int] = {}

    def add_project(self, key: str, issue_types: tuple[str, ...] = ("Bug", "Task")) -> None:
        with self._lock:
            self.projects[key] = set(issue_types)

    def created(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(i) for i in self.issues.values()]

    def set_status(self, key: str, category: str) -> None:
        """Move an issue: category "new" | "indeterminate" | "done"."""
        with self._lock:
            self.issues[key]["status_category"] = category

    @staticmethod
    def _bad(errors: dict[str, str]) -> Response:
        return json_response({"errorMessages": [], "errors": errors}, status=400)

    def answer(self, req: Request, body: Any) -> Response:
        if req.header("authorization") != self._auth:
            return json_response({"errorMessages": ["You are not authenticated."]}, status=401)
        if req.method == "POST" and req.path == "/rest/api/3/issue":
            return self._create(body)
        if req.method == "POST" and req.path == "/rest/api/3/search/jql":
            return self._search(body)
        return json_response({"errorMessages": ["Not found"]}, status=404)

    def _create(self, body: Any) -> Response:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return json_response({"errorMessages": ["Can not deserialize the request: fields is required"]}, status=400)
        errors: dict[str, str] = {}
        project = str((fields.get("project") or {}).get("key", "")) if isinstance(fields.get("project"), dict) else ""
        with self._lock:
            types = self.projects.get(project)
        if types is None:
            errors["project"] = "valid project is required"
        issue_type = fields.get("issuetype")
        name = issue_type.get("name") if isinstance(issue_type, dict) else None
        if types is not None and name not in types:
            errors["issuetype"] = "Specify a valid issue type"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255 or "\n" in summary:
            errors["summary"] = "Summary must be less than 255 characters and on one line."
        description = fields.get("description")
        if description is not None and not (
            isinstance(description, dict) and description.get("type") == "doc" and description.get("version") == 1
            and _valid_adf(description)
        ):  # fmt: skip
            errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) and x and " " not in x for x in labels):
            errors["labels"] = "The label must not contain spaces."
        if errors:
            return self._bad(errors)
        with self._lock:
            n = self._counts.get(project, 0) + 1
            self._counts[project] = n
            key = f"{project}-{n}"
            issue_id = str(10000 + len(self.issues) + 1)
            self.issues[key] = {"id": issue_id, "key": key, "summary": summary, "description": description,
                                "labels": list(labels), "issuetype": name, "status_category": "new"}  # fmt: skip
        return json_response({"id": issue_id, "key": key, "self": f"{self.url}/rest/api/3/issue/{issue_id}"}, status=201)

    def _search(self, body: Any) -> Response:
        jql = body.get("jql") if isinstance(body, dict) else None
        match = _JQL.match(jql.strip()) if isinstance(jql, str) else None
        if match is None:
            return json_response({"errorMessages": [f"Error in the JQL Query: {jql!r}"], "errors": {}}, status=400)
        label, open_only = match.group(1), bool(match.group(2))
        limit = body.get("maxResults", 50) if isinstance(body.get("maxResults", 50), int) else 50
        with self._lock:
            found = [
                {"id": i["id"], "key": i["key"], "fields": {"summary": i["summary"], "status": {"name": i["status_category"]}}}
                for i in self.issues.values()
                if label in i["labels"] and not (open_only and i["status_category"] == "done")
            ]
        return json_response({"issues": found[:limit], "isLast": True})
