"""A local stand-in for the Freshdesk API v2 (tickets), as Baton uses it for async handoff tickets.

HTTP Basic `{api_key}:X` (else 401 `{"code": "invalid_credentials"}`).
- `POST /api/v2/tickets`: `subject` and `description` required; one of `email`, `requester_id`,
  `phone`, `twitter_id`, `facebook_id`, `unique_external_id` required; `priority` 1-4, `status` 2-5,
  `source` one of 1, 2, 3, 5, 6, 7, 9, 10; `tags` strings; `group_id` a number. Anything else: 400
  `{"description": "Validation failed", "errors": [{field, message, code}]}`, as Freshdesk answers.
  201 with the ticket.
- `GET /api/v2/search/tickets?query="tag:'x'"` (the query in double quotes, the value in single
  quotes) -> `{"results": [...], "total"}`; a malformed query: 400. Found at once here; the real
  search index may take a moment (docs/integrations.md).
- `GET /api/v2/tickets/{id}` -> the ticket.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.helpdesk_base import HelpdeskStandIn
from bot.sandbox.httpserver import Request, Response, json_response

FRESHDESK_KEY = "freshdesk-sandbox-key"
REQUESTER_FIELDS = ("requester_id", "email", "phone", "twitter_id", "facebook_id", "unique_external_id")
SOURCES = (1, 2, 3, 5, 6, 7, 9, 10)
_TAG_QUERY = re.compile(r"^\"tag:'([^'\"]{1,255})'\"$")
FIRST_TICKET = 1


class FreshdeskStandIn(HelpdeskStandIn):
    def __init__(self, api_key: str = FRESHDESK_KEY) -> None:
        super().__init__()
        self._auth = "Basic " + base64.b64encode(f"{api_key}:X".encode()).decode()
        self.tickets: dict[int, dict[str, Any]] = {}
        self._next_id = FIRST_TICKET

    def created(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t) for t in self.tickets.values()]

    @staticmethod
    def _invalid(errors: list[tuple[str, str, str]]) -> Response:
        return json_response(
            {
                "description": "Validation failed",
                "errors": [{"field": f, "message": m, "code": c} for f, m, c in errors],
            },
            status=400,
        )

    def answer(self, req: Request, body: Any) -> Response:
        if req.header("authorization") != self._auth:
            return json_response({"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}, status=401)
        parts = req.path.strip("/").split("/")
        if req.method == "POST" and parts == ["api", "v2", "tickets"]:
            return self._create(body)
        if req.method == "GET" and parts == ["api", "v2", "search", "tickets"]:
            return self._search(req)
        if req.method == "GET" and parts[:3] == ["api", "v2", "tickets"] and len(parts) == 4 and parts[3].isdigit():
            with self._lock:
                found = self.tickets.get(int(parts[3]))
            if found is None:
                return json_response({"code": "access_denied"}, status=404)
            return json_response(found)
        return json_response({"code": "invalid_url", "message": "no such endpoint"}, status=404)

    def _create(self, body: Any) -> Response:
        if not isinstance(body, dict):
            return self._invalid([("body", "must be a JSON object", "invalid_json")])
        errors: list[tuple[str, str, str]] = []
        for field in ("subject", "description"):
            if not isinstance(body.get(field), str) or not body[field].strip():
                errors.append((field, "It should be a/an String", "missing_field"))
        if not any(body.get(f) for f in REQUESTER_FIELDS):
            errors.append(
                ("requester_id", "Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id, unique_external_id fields", "missing_field")
            )
        email = body.get("email")
        if email is not None and (not isinstance(email, str) or "@" not in email):
            errors.append(("email", "It should be in the 'valid email address' format", "invalid_value"))
        if body.get("priority", 1) not in (1, 2, 3, 4):
            errors.append(("priority", "It should be one of these values: '1,2,3,4'", "invalid_value"))
        if body.get("status", 2) not in (2, 3, 4, 5):
            errors.append(("status", "It should be one of these values: '2,3,4,5'", "invalid_value"))
        if body.get("source", 2) not in SOURCES:
            errors.append(("source", "It should be one of these values: '1,2,3,5,6,7,9,10'", "invalid_value"))
        tags = body.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in tags):
            errors.append(("tags", "It should be an Array of Strings", "datatype_mismatch"))
        group = body.get("group_id")
        if group is not None and (isinstance(group, bool) or not isinstance(group, int)):
            errors.append(("group_id", "It should be a/an Positive Integer", "datatype_mismatch"))
        known = {"subject", "description", "priority", "status", "source", "tags", "group_id", "name", "type",
                 "responder_id", "cc_emails", "custom_fields", "due_by", "fr_due_by", *REQUESTER_FIELDS}  # fmt: skip
        errors += [(k, "Unexpected/invalid field in request", "invalid_field") for k in body if k not in known]
        if errors:
            return self._invalid(errors)
        now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        with self._lock:
            ticket_id = self._next_id
            self._next_id += 1
            ticket = {
                "id": ticket_id,
                "subject": body["subject"],
                "description": body["description"],
                "description_text": re.sub(r"<[^>]*>", "\n", body["description"]),
                "email": email,
                "priority": body.get("priority", 1),
                "status": body.get("status", 2),
                "source": body.get("source", 2),
                "tags": list(tags),
                "group_id": group,
                "created_at": now,
                "updated_at": now,
            }
            self.tickets[ticket_id] = ticket
        return json_response(ticket, status=201, headers={"Location": f"{self.url}/api/v2/tickets/{ticket_id}"})

    def _search(self, req: Request) -> Response:
        query = (req.query.get("query") or [""])[0]
        match = _TAG_QUERY.match(query)
        if match is None:
            return self._invalid([("query", "It should be in the format \"field:'value'\"", "invalid_value")])
        tag = match.group(1)
        with self._lock:
            results = [dict(t) for t in self.tickets.values() if tag in t["tags"]]
        return json_response({"results": results, "total": len(results)})
