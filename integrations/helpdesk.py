"""Intercom and Zendesk REST clients: the few writes Baton makes when it takes a conversation over.

One HTTP attempt per call; the outbox retries (integrations/retry.py). Every call returns a `Delivery`
(integrations/ai_agent.py): 2xx ok; 408, 429, 5xx or no answer: retry (Retry-After honoured); any
other 4xx: refused, and it would be refused again.

Intercom (PLATFORM-FACTS "CRM, billing, bugs, helpdesk"): `Authorization: Bearer TOKEN`,
`Intercom-Version: 2.14`. A reply or an internal note: `POST /conversations/{id}/reply` with
`{message_type: comment | note, type: admin, admin_id, body}`; assignment and close:
`POST /conversations/{id}/parts` with `{message_type: assignment | close | open, type: admin | team,
admin_id, assignee_id}` ("0" unassigns); admins (to find a claimer by email): `GET /admins`.

Zendesk: `https://{subdomain}.zendesk.com/api/v2`, HTTP Basic `{email}/token:{api_token}`. Updates go
to `PUT /tickets/{id}.json` as `{"ticket": {...}}`: `comment: {body, public}`, `priority`
(urgent | high | normal | low), `group_id`, `additional_tags`, `assignee_id`, `status`; an agent by
email: `GET /api/v2/users/search.json?query=email:X`. New tickets: integrations/helpdesk_tickets.py.
"""

from __future__ import annotations

from typing import Any

import httpx

from integrations.ai_agent import RETRYABLE_STATUS, Delivery
from integrations.retry import parse_retry_after

INTERCOM_VERSION = "2.14"


def send(
    client: httpx.Client, method: str, url: str, *, body: dict[str, Any], timeout: float, **kwargs: Any
) -> Delivery:
    try:
        resp = client.request(method, url, json=body, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        return Delivery(False, retry=True, detail=f"{type(exc).__name__}: {exc}")
    if 200 <= resp.status_code < 300:
        return Delivery(True)
    detail = f"HTTP {resp.status_code} {resp.text[:200]}".strip()
    if resp.status_code in RETRYABLE_STATUS or resp.status_code >= 500:
        return Delivery(
            False, retry=True, retry_after=parse_retry_after(resp.headers.get("Retry-After")), detail=detail
        )
    return Delivery(False, detail=detail)


def fetch(client: httpx.Client, url: str, *, timeout: float, **kwargs: Any) -> tuple[Delivery, Any]:
    """A GET: the outcome as a Delivery, and the JSON answer (None unless 2xx)."""
    try:
        resp = client.get(url, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        return Delivery(False, retry=True, detail=f"{type(exc).__name__}: {exc}"), None
    if not 200 <= resp.status_code < 300:
        detail = f"HTTP {resp.status_code} {resp.text[:200]}".strip()
        retry = resp.status_code in RETRYABLE_STATUS or resp.status_code >= 500
        wait = parse_retry_after(resp.headers.get("Retry-After")) if retry else None
        return Delivery(False, retry=retry, retry_after=wait, detail=detail), None
    try:
        return Delivery(True), resp.json()
    except ValueError:
        return Delivery(False, detail=f"HTTP {resp.status_code}: not JSON"), None


class IntercomClient:
    def __init__(
        self,
        client: httpx.Client,
        *,
        token: str,
        admin_id: str,
        base_url: str = "https://api.intercom.io",
        teams: dict[str, str] | None = None,
        app_id: str = "",
        admins: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._client, self._token, self.admin_id, self.app_id = client, token, admin_id, app_id
        self.people = dict(admins or {})  # Slack user id -> Intercom admin id (else found by email)
        self.teams = dict(teams or {})  # Baton team -> Intercom team id ("default" for the others)
        self.base_url, self._timeout = base_url.rstrip("/"), timeout

    def agent_link(self, conversation_id: str) -> str:
        """The conversation in Intercom's inbox ("" without the workspace's app id)."""
        if not self.app_id:
            return ""
        return f"https://app.intercom.com/a/inbox/{self.app_id}/inbox/conversation/{conversation_id}"

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token}",
            "Intercom-Version": INTERCOM_VERSION,
            "Accept": "application/json",
        }

    def _post(self, path: str, body: dict[str, Any]) -> Delivery:
        return send(
            self._client, "POST", self.base_url + path, body=body, timeout=self._timeout, headers=self._headers()
        )

    def admin_by_email(self, email: str) -> tuple[Delivery, str]:
        """`GET /admins` -> the id of the admin with this email ("" when none has it)."""
        result, answer = fetch(self._client, self.base_url + "/admins", timeout=self._timeout, headers=self._headers())
        admins = answer.get("admins") if isinstance(answer, dict) else None
        wanted = email.strip().lower()
        found = next(
            (str(a.get("id")) for a in admins or [] if isinstance(a, dict) and str(a.get("email", "")).lower() == wanted),
            "",
        )
        return result, found

    def reply(self, conversation_id: str, text: str) -> Delivery:
        """The customer reads `text` in the conversation, as an admin's reply."""
        return self._post(
            f"/conversations/{conversation_id}/reply",
            {"message_type": "comment", "type": "admin", "admin_id": self.admin_id, "body": text},
        )

    def note(self, conversation_id: str, text: str) -> Delivery:
        """An internal note: seen by the team in Intercom, never by the customer."""
        return self._post(
            f"/conversations/{conversation_id}/reply",
            {"message_type": "note", "type": "admin", "admin_id": self.admin_id, "body": text},
        )

    def assign(self, conversation_id: str, assignee_id: str, *, to: str = "team") -> Delivery:
        """Assign to a team (or an admin): `assignee_id` "0" unassigns."""
        return self._post(
            f"/conversations/{conversation_id}/parts",
            {"message_type": "assignment", "type": to, "admin_id": self.admin_id, "assignee_id": assignee_id},
        )

    def close(self, conversation_id: str) -> Delivery:
        return self._post(
            f"/conversations/{conversation_id}/parts",
            {"message_type": "close", "type": "admin", "admin_id": self.admin_id},
        )

    def reopen(self, conversation_id: str) -> Delivery:
        return self._post(
            f"/conversations/{conversation_id}/parts",
            {"message_type": "open", "type": "admin", "admin_id": self.admin_id},
        )


class ZendeskClient:
    def __init__(
        self,
        client: httpx.Client,
        *,
        base_url: str,
        email: str,
        token: str,
        groups: dict[str, int] | None = None,
        agents: dict[str, int] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._client, self._auth = client, httpx.BasicAuth(f"{email}/token", token)
        self.people = dict(agents or {})  # Slack user id -> Zendesk agent (user) id (else found by email)
        self.groups = dict(groups or {})  # Baton team -> Zendesk group id ("default" for the others)
        self.base_url, self._timeout = base_url.rstrip("/"), timeout

    def agent_link(self, ticket_id: str) -> str:
        return f"{self.base_url}/agent/tickets/{ticket_id}"

    def update(self, ticket_id: str, ticket: dict[str, Any]) -> Delivery:
        """PUT /api/v2/tickets/{id}.json with `{"ticket": ticket}`."""
        return send(
            self._client,
            "PUT",
            f"{self.base_url}/api/v2/tickets/{ticket_id}.json",
            body={"ticket": ticket},
            timeout=self._timeout,
            auth=self._auth,
        )

    def agent_by_email(self, email: str) -> tuple[Delivery, int | None]:
        """`GET /api/v2/users/search.json?query=email:X` -> the agent's (or admin's) user id, if any."""
        result, answer = fetch(
            self._client,
            f"{self.base_url}/api/v2/users/search.json",
            timeout=self._timeout,
            auth=self._auth,
            params={"query": f"email:{email.strip()}"},
        )
        users = answer.get("users") if isinstance(answer, dict) else None
        found = next(
            (u["id"] for u in users or [] if isinstance(u, dict) and isinstance(u.get("id"), int)
             and u.get("role") in ("agent", "admin")),
            None,
        )  # fmt: skip
        return result, found

    def comment(self, ticket_id: str, text: str, *, public: bool) -> Delivery:
        return self.update(ticket_id, {"comment": {"body": text, "public": public}})


def parse_mapping(value: str, *, what: str) -> dict[str, str]:
    """Parse "billing=123,default=456" into {"billing": "123", ...}; ValueError naming `what`."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        team, sep, ident = part.partition("=")
        if not sep or not team.strip() or not ident.strip():
            raise ValueError(f"{what}: {part!r} is not team=id (e.g. billing=123,default=456)")
        out[team.strip()] = ident.strip()
    return out
