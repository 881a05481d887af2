"""A local stand-in for the Zendesk Support API (PLATFORM-FACTS "CRM, billing, bugs, helpdesk"), and
signed webhooks as Zendesk sends them.

Routes, as Zendesk answers them (HTTP Basic `{email}/token:{api_token}`, else 401):
- `PUT /api/v2/tickets/{id}.json` `{"ticket": {...}}`: comment, priority, group_id, additional_tags,
  status (new | open | pending | hold | solved | closed), assignee_id. A ticket is solved only with
  an assignee (422, as Zendesk refuses it).
- `POST /api/v2/tickets[.json]` `{"ticket": {comment: {body}, subject, priority, tags, external_id,
  group_id, requester: {email, name}}}` -> 201 `{"ticket": {...}, "audit": {...}}`; no comment body:
  422 `RecordInvalid`. `Idempotency-Key`: the same key and body answer the first ticket again
  (`x-idempotency-lookup: hit`); the same key with another body: 400 `IdempotentRequestError`.
- `GET /api/v2/tickets[.json]?external_id=X` -> `{"tickets": [...], "count", "next_page": null}`.
- `GET /api/v2/users/search[.json]?query=email:X` -> `{"users": [...]}` (the agents added with
  `add_agent`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.helpdesk_base import HelpdeskStandIn
from bot.sandbox.httpserver import Request, Response, json_response

ZENDESK_EMAIL = "baton@ourteam.example"
ZENDESK_TOKEN = "zendesk-sandbox-token"
ZENDESK_SECRET = "zendesk-webhook-secret"
PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
FIRST_TICKET = 1001


class ZendeskStandIn(HelpdeskStandIn):
    def __init__(self, email: str = ZENDESK_EMAIL, token: str = ZENDESK_TOKEN) -> None:
        super().__init__()
        self._auth = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self.tickets: dict[str, dict[str, Any]] = {}
        self.agents: dict[str, int] = {}  # email -> user id
        self._idempotency: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> (body digest, answer)
        self._next_id = FIRST_TICKET

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        with self._lock:
            return self.tickets.setdefault(ticket_id, self._blank())

    @staticmethod
    def _blank() -> dict[str, Any]:
        return {"priority": None, "group_id": None, "tags": [], "comments": [], "status": "new", "assignee_id": None}

    def created(self) -> list[dict[str, Any]]:
        """The tickets made through POST /api/v2/tickets, oldest first."""
        with self._lock:
            return [dict(t, id=int(i)) for i, t in self.tickets.items() if t.get("created_by_api")]

    def add_agent(self, email: str, user_id: int) -> None:
        with self._lock:
            self.agents[email.lower()] = user_id

    @staticmethod
    def _invalid(field: str, message: str) -> Response:
        details = {field: [{"description": message, "error": "InvalidValue"}]}
        return json_response(
            {"error": "RecordInvalid", "description": "Record validation errors", "details": details},
            status=422,
        )

    def answer(self, req: Request, body: Any) -> Response:
        if req.header("authorization") != self._auth:
            return json_response({"error": "Couldn't authenticate you"}, status=401)
        parts = [p.removesuffix(".json") for p in req.path.strip("/").split("/")]
        if parts[:2] != ["api", "v2"]:
            return self._not_found()
        route = (req.method, *parts[2:3], len(parts))
        if route == ("PUT", "tickets", 4):
            return self._update(parts[3], body)
        if route == ("POST", "tickets", 3):
            return self._create(req, body)
        if route == ("GET", "tickets", 3):
            return self._list(req)
        if req.method == "GET" and parts[2:] == ["users", "search"]:
            return self._users(req)
        return self._not_found()

    @staticmethod
    def _not_found() -> Response:
        return json_response({"error": "InvalidEndpoint", "description": "Not found"}, status=404)

    @staticmethod
    def _shape(body: Any) -> Response | None:
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            return json_response({"error": "InvalidJSON", "description": 'send {"ticket": {...}}'}, status=400)
        return None

    def _check_fields(self, change: dict[str, Any], *, tags_key: str) -> Response | None:
        if "priority" in change and change["priority"] not in PRIORITIES:
            return self._invalid("priority", f"priority must be one of {', '.join(PRIORITIES)}")
        for key in ("group_id", "assignee_id"):
            if key in change and change[key] is not None and not isinstance(change[key], int):
                return self._invalid(key, f"{key} must be a number")
        if "status" in change and change["status"] not in STATUSES:
            return self._invalid("status", f"status must be one of {', '.join(STATUSES)}")
        tags = change.get(tags_key, [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and " " not in t for t in tags):
            return self._invalid(tags_key, "tags are strings without spaces")
        comment = change.get("comment")
        if comment is not None and (not isinstance(comment, dict) or not str(comment.get("body", "")).strip()):
            return self._invalid("comment", "a comment needs a body")
        return None

    def _update(self, ticket_id: str, body: Any) -> Response:
        bad = self._shape(body)
        if bad is not None:
            return bad
        change = body["ticket"]
        bad = self._check_fields(change, tags_key="additional_tags")
        if bad is not None:
            return bad
        ticket = self.ticket(ticket_id)
        with self._lock:
            assignee = change.get("assignee_id", ticket["assignee_id"])
            if change.get("status") == "solved" and assignee is None:
                return self._invalid("assignee", "Assignee: is required when solving a ticket")
            for field in ("priority", "group_id", "status", "assignee_id"):
                if field in change:
                    ticket[field] = change[field]
            ticket["tags"] = sorted(set(ticket["tags"]) | set(change.get("additional_tags", [])))
            comment = change.get("comment")
            if comment is not None:
                ticket["comments"].append({"body": comment["body"], "public": comment.get("public", True)})
            shown = dict(ticket)
        return json_response({"ticket": {"id": int(ticket_id) if ticket_id.isdigit() else ticket_id, **shown}})

    def _create(self, req: Request, body: Any) -> Response:
        bad = self._shape(body)
        if bad is not None:
            return bad
        new = body["ticket"]
        bad = self._check_fields(new, tags_key="tags")
        if bad is not None:
            return bad
        if not isinstance(new.get("comment"), dict):
            return self._invalid("description", "Description: cannot be blank")
        requester = new.get("requester")
        if requester is not None and (not isinstance(requester, dict) or "@" not in str(requester.get("email", ""))):
            return self._invalid("requester", "Requester: needs an email")
        if "external_id" in new and not isinstance(new["external_id"], str | None):
            return self._invalid("external_id", "external_id must be a string")
        key = req.header("idempotency-key")
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self._lock:
            if key and key in self._idempotency:
                seen, answer = self._idempotency[key]
                if seen != digest:
                    return json_response(
                        {"error": "IdempotentRequestError", "description": "Request parameters do not match the original request"},
                        status=400,
                    )
                return json_response(answer, status=201, headers={"x-idempotency-lookup": "hit"})
            ticket_id = self._next_id
            self._next_id += 1
            ticket = {
                **self._blank(),
                "subject": str(new.get("subject", "")),
                "priority": new.get("priority"),
                "group_id": new.get("group_id"),
                "tags": sorted(set(new.get("tags", []))),
                "external_id": new.get("external_id"),
                "requester": requester,
                "comments": [{"body": new["comment"]["body"], "public": new["comment"].get("public", True)}],
                "created_by_api": True,
            }
            self.tickets[str(ticket_id)] = ticket
            answer = {
                "ticket": {"id": ticket_id, "url": f"{self.url}/api/v2/tickets/{ticket_id}.json", **ticket},
                "audit": {"id": ticket_id * 10, "ticket_id": ticket_id, "events": []},
            }
            if key:
                self._idempotency[key] = (digest, answer)
        return json_response(answer, status=201, headers={"x-idempotency-lookup": "miss"} if key else {})

    def _list(self, req: Request) -> Response:
        wanted: str | None = (req.query.get("external_id") or [None])[0]  # type: ignore[list-item]
        with self._lock:
            found = [
                {"id": int(i) if i.isdigit() else i, **t}
                for i, t in self.tickets.items()
                if wanted is None or t.get("external_id") == wanted
            ]
        return json_response({"tickets": found, "count": len(found), "next_page": None, "previous_page": None})

    def _users(self, req: Request) -> Response:
        query = (req.query.get("query") or [""])[0].strip()
        email = query.removeprefix("email:").strip().lower() if query.startswith("email:") else ""
        with self._lock:
            users = [{"id": uid, "email": e, "role": "agent"} for e, uid in self.agents.items() if e == email]
        return json_response({"users": users, "count": len(users), "next_page": None})

    # ------------------------------------------------------------ webhooks, as Zendesk sends them

    @staticmethod
    def event(
        kind: str,
        ticket_id: str,
        *,
        event_id: str,
        text: str,
        organization: str = "",
        staff: bool = False,
        public: bool = True,
        comment_id: str = "",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        when = (at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
        detail: dict[str, Any] = {"id": ticket_id, "organization_id": organization, "requester_id": "9001", "description": text,
                  "subject": text[:60], "created_at": when, "status": "new", "priority": None, "tags": []}  # fmt: skip
        data: dict[str, Any] = {
            "type": f"zen:event-type:ticket.{kind}", "account_id": 12514403, "id": event_id, "time": when,
            "zendesk_event_version": "2022-11-06", "subject": f"zen:ticket:{ticket_id}", "detail": detail, "event": {},
        }  # fmt: skip
        if kind == "comment_added":
            data["event"] = {"comment": {"id": comment_id or event_id, "body": text, "is_public": public,
                                         "author": {"id": "9001" if not staff else "42", "is_staff": staff, "name": "someone"}}}  # fmt: skip
        return data

    @staticmethod
    def sign(body: bytes, secret: str = ZENDESK_SECRET, at: datetime | None = None) -> dict[str, str]:
        stamp = (at or datetime.now(UTC)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
        return {
            "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }
