"""Helpdesk tickets for async handoffs (bot/flows/tickets.py): Zendesk and Freshdesk, create-once.

Both clients speak one small interface: `find(key)` looks a ticket Baton made up by its key,
`create(...)` makes one. The key is chosen per escalation (`baton-escalation-<id>`), so a retry after a
crash, a timeout or a lost answer finds the ticket instead of making a second one.

Zendesk (PLATFORM-FACTS "CRM, billing, bugs, helpdesk"): `https://{sub}.zendesk.com/api/v2`, HTTP
Basic `{email}/token:{api_token}`.
- `POST /api/v2/tickets.json` with `{"ticket": {subject, comment: {body, public: false}, priority,
  tags, external_id, group_id?, requester?}}` and the header `Idempotency-Key: <key>` -> 201
  `{"ticket": {"id", ...}}`; 422 `RecordInvalid`; 429 with Retry-After. Zendesk keeps idempotency
  keys for a while; the same key with another body is refused (400 `IdempotentRequestError`): the
  ticket exists, so it is looked up again (a retry).
- `GET /api/v2/tickets.json?external_id=<key>` -> `{"tickets": [...]}`: the lookup before a create.
- The agent's link: `https://{sub}.zendesk.com/agent/tickets/{id}`.

Freshdesk: `https://{domain}.freshdesk.com/api/v2`, HTTP Basic `{api_key}:X`.
- `POST /api/v2/tickets` with `{subject, description (HTML), email, priority (1 low .. 4 urgent),
  status: 2 (open), source: 7 (chat), tags, group_id?}` -> 201 with the ticket; 400 `Validation
  failed` with `errors[]`; 429 with Retry-After.
- `GET /api/v2/search/tickets?query="tag:'<key>'"` -> `{"results": [...], "total"}`: the lookup
  (Freshdesk has no idempotency key; the tag is the key. Its search index can lag a new ticket by a
  little: see docs/integrations.md).
- The agent's link: `https://{domain}.freshdesk.com/a/tickets/{id}`.

Failures come back as `ServiceFailure`: `retryable` for 429, 5xx and transport errors; a validation or
authentication error is not.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from integrations.accounts import JsonReply, ServiceFailure, request_json

SERVICE = "helpdesk"
ZENDESK_PRIORITY: Mapping[str, str] = {"immediate": "urgent", "queued": "normal"}
FRESHDESK_PRIORITY: Mapping[str, int] = {"immediate": 4, "queued": 2}  # 1 low, 2 medium, 3 high, 4 urgent
FRESHDESK_OPEN, FRESHDESK_CHAT = 2, 7


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    url: str


@dataclass(frozen=True, slots=True)
class NewTicket:
    key: str  # Baton's key for this ticket: Zendesk external_id + Idempotency-Key, Freshdesk tag
    subject: str
    body: str  # plain text
    html: str  # the same as HTML (Freshdesk)
    urgency: str
    tags: Sequence[str] = ()
    group_id: int | None = None
    requester_email: str = ""
    requester_name: str = ""


class TicketDesk(Protocol):
    name: str

    def find(self, key: str) -> Ticket | None | ServiceFailure: ...

    def create(self, ticket: NewTicket) -> Ticket | ServiceFailure: ...


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _refused(provider: str, reply: JsonReply) -> ServiceFailure:
    body = reply.body if isinstance(reply.body, dict) else {}
    what = str(body.get("description") or body.get("error") or body.get("message") or "")
    errors = body.get("errors") or body.get("details")
    if errors:
        what = f"{what} {str(errors)[:300]}".strip()
    return ServiceFailure(SERVICE, provider, f"refused (HTTP {reply.status}): {what or 'no reason'}", status=reply.status)


def _ticket_id(value: Any) -> str:
    if isinstance(value, Mapping) and isinstance(value.get("id"), int | str) and str(value["id"]):
        return str(value["id"])
    return ""


class ZendeskTickets:
    name = "Zendesk"

    def __init__(
        self, http: httpx.Client, *, base_url: str, email: str, token: str, timeout: float = 10.0
    ) -> None:
        self._http, self._timeout = http, timeout
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": basic(f"{email}/token", token), "Accept": "application/json"}

    def link(self, ticket_id: str) -> str:
        return f"{self.base_url}/agent/tickets/{ticket_id}"

    def _call(self, method: str, path: str, **kwargs: Any) -> JsonReply | ServiceFailure:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        return request_json(
            self._http, method, self.base_url + path, service=SERVICE, provider=self.name,
            timeout=self._timeout, headers=headers, retries=0, **kwargs,
        )  # fmt: skip

    def find(self, key: str) -> Ticket | None | ServiceFailure:
        reply = self._call("GET", "/api/v2/tickets.json", params={"external_id": key})
        if isinstance(reply, ServiceFailure):
            return reply
        if reply.status != 200:
            return _refused(self.name, reply)
        found = reply.body.get("tickets") if isinstance(reply.body, dict) else None
        ids = sorted((_ticket_id(t) for t in found or []), key=lambda i: (len(i), i))
        ids = [i for i in ids if i]
        return Ticket(ids[0], self.link(ids[0])) if ids else None

    def create(self, ticket: NewTicket) -> Ticket | ServiceFailure:
        body: dict[str, Any] = {
            "subject": ticket.subject,
            "comment": {"body": ticket.body, "public": False},  # an internal note: the customer is not emailed
            "priority": ZENDESK_PRIORITY.get(ticket.urgency, "normal"),
            "tags": list(ticket.tags),
            "external_id": ticket.key,
        }
        if ticket.group_id is not None:
            body["group_id"] = ticket.group_id
        if ticket.requester_email:
            body["requester"] = {"email": ticket.requester_email, "name": ticket.requester_name or ticket.requester_email}
        reply = self._call(
            "POST", "/api/v2/tickets.json", json_body={"ticket": body}, headers={"Idempotency-Key": ticket.key}
        )
        if isinstance(reply, ServiceFailure):
            return reply
        if reply.status == 400 and isinstance(reply.body, dict) and reply.body.get("error") == "IdempotentRequestError":
            # The key was used with another body: the ticket was made by an earlier attempt. Look again.
            return ServiceFailure(SERVICE, self.name, "already took this key: looking the ticket up", retryable=True, status=400)
        created = _ticket_id(reply.body.get("ticket")) if isinstance(reply.body, dict) else ""
        if reply.status not in (200, 201) or not created:
            return _refused(self.name, reply)
        return Ticket(created, self.link(created))


class FreshdeskTickets:
    name = "Freshdesk"

    def __init__(self, http: httpx.Client, *, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self._http, self._timeout = http, timeout
        self.base_url = base_url.rstrip("/")
        self._headers = {
            "Authorization": basic(api_key, "X"),
            "Accept": "application/json",
        }

    def link(self, ticket_id: str) -> str:
        return f"{self.base_url}/a/tickets/{ticket_id}"

    def _call(self, method: str, path: str, **kwargs: Any) -> JsonReply | ServiceFailure:
        return request_json(
            self._http, method, self.base_url + path, service=SERVICE, provider=self.name,
            timeout=self._timeout, headers=self._headers, retries=0, **kwargs,
        )  # fmt: skip

    def find(self, key: str) -> Ticket | None | ServiceFailure:
        reply = self._call("GET", "/api/v2/search/tickets", params={"query": f"\"tag:'{key}'\""})
        if isinstance(reply, ServiceFailure):
            return reply
        if reply.status != 200:
            return _refused(self.name, reply)
        found = reply.body.get("results") if isinstance(reply.body, dict) else None
        ids = sorted((i for i in (_ticket_id(t) for t in found or []) if i), key=lambda i: (len(i), i))
        return Ticket(ids[0], self.link(ids[0])) if ids else None

    def create(self, ticket: NewTicket) -> Ticket | ServiceFailure:
        body: dict[str, Any] = {
            "subject": ticket.subject,
            "description": ticket.html,
            "email": ticket.requester_email,
            "priority": FRESHDESK_PRIORITY.get(ticket.urgency, 2),
            "status": FRESHDESK_OPEN,
            "source": FRESHDESK_CHAT,
            "tags": [*ticket.tags, ticket.key],
        }
        if ticket.requester_name:
            body["name"] = ticket.requester_name
        if ticket.group_id is not None:
            body["group_id"] = ticket.group_id
        reply = self._call("POST", "/api/v2/tickets", json_body=body)
        if isinstance(reply, ServiceFailure):
            return reply
        created = _ticket_id(reply.body)
        if reply.status not in (200, 201) or not created:
            return _refused(self.name, reply)
        return Ticket(created, self.link(created))
