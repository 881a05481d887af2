"""Local stand-in for Opsgenie alerts (and who is on call), a real HTTP server on 127.0.0.1.

Contract (PLATFORM-FACTS.md, "Opsgenie"): `Authorization: GenieKey KEY`; `POST /v2/alerts` with
`message` (required, max 130), `alias` (max 512, the dedup key), `priority` P1-P5, `responders[]`;
202 {"result": "Request will be processed", "took", "requestId"} (asynchronous); close with
`POST /v2/alerts/{alias}/close?identifierType=alias`. Validation failures answer 422 with
{"message", "errors": {field: reason}} as Opsgenie does. An alert whose alias matches an open alert is
deduplicated (its `count` goes up). `GET /v2/schedules/{name}/on-calls?scheduleIdentifierType=name`
answers from a configurable roster.

Opsgenie ends support on 2027-04-05: Baton keeps it behind the Pager interface.

    with OpsgenieStandIn(schedules={"billing_schedule": ["bob@example.com"]}) as og:
        pager = OpsgenieAlerts(httpx.Client(), api_key=og.api_key, api_url=og.url)
        og.fail_next(1, 503); og.set_down(True); og.alerts(); og.write_log("pager.jsonl")
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from bot.clock import Clock
from bot.sandbox.httpserver import Request, Response, json_response
from bot.sandbox.pagerduty import PagerStandIn

API_KEY = "00000000-0000-4000-8000-00000000feed"
MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_DESCRIPTION = 15000
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")
IDENTIFIER_TYPES = ("id", "alias", "tiny")


def _answer(status: int, **body: Any) -> Response:
    return json_response({**body, "took": 0.01, "requestId": str(uuid.uuid4())}, status)


class OpsgenieStandIn(PagerStandIn):
    name = "opsgenie"

    def __init__(
        self,
        api_key: str = API_KEY,
        schedules: Mapping[str, Iterable[str]] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`schedules`: schedule name -> emails of whoever is on call in it."""
        super().__init__(clock)
        self.api_key = api_key
        self._alerts: list[dict[str, Any]] = []
        self._tiny = itertools.count(1)
        self._schedules = {name: list(emails) for name, emails in (schedules or {}).items()}

    def set_schedule(self, name: str, emails: Iterable[str]) -> None:
        with self._lock:
            self._schedules[name] = list(emails)

    # inspection
    def alerts(self) -> list[dict[str, Any]]:
        """Every alert created, oldest first (copies)."""
        with self._lock:
            return copy.deepcopy(self._alerts)

    def alert(self, alias: str) -> dict[str, Any] | None:
        """The latest alert with this alias."""
        with self._lock:
            for a in reversed(self._alerts):
                if a["alias"] == alias:
                    return copy.deepcopy(a)
        return None

    # HTTP
    def _failure(self, status: int) -> Response:
        if status == 429:
            return _answer(
                429,
                message="You are making too many requests! To avoid errors, we recommend you limit requests.",
            )
        if status in (400, 422):
            return _answer(
                status,
                message="Request body is not processable. Please check the errors.",
                errors={"injected": "injected failure"},
            )
        return _answer(status, message="Internal Server Error" if status >= 500 else f"HTTP {status}")

    def _route(self, request: Request, body: Any) -> Response:
        if request.header("authorization") != f"GenieKey {self.api_key}":
            return _answer(401, message="Could not authenticate")
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        if request.method == "POST" and parts == ["v2", "alerts"]:
            return self._create(body)
        if (
            request.method == "POST"
            and len(parts) == 4
            and parts[:2] == ["v2", "alerts"]
            and parts[3] == "close"
        ):
            return self._close(request, parts[2])
        if (
            request.method == "GET"
            and len(parts) == 4
            and parts[:2] == ["v2", "schedules"]
            and parts[3] == "on-calls"
        ):
            return self._on_calls(request, parts[2])
        return _answer(404, message="Not found")

    def _create(self, body: Any) -> Response:
        if not isinstance(body, dict):
            return _answer(400, message="Could not parse request body")
        errors: dict[str, str] = {}
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            errors["message"] = "Message can not be empty."
        elif len(message) > MAX_MESSAGE:
            errors["message"] = f"Message can not be longer than {MAX_MESSAGE} characters."
        alias = body.get("alias")
        if alias is not None and (not isinstance(alias, str) or len(alias) > MAX_ALIAS):
            errors["alias"] = f"Alias must be a string of at most {MAX_ALIAS} characters."
        priority = body.get("priority", "P3")
        if priority not in PRIORITIES:
            errors["priority"] = "Priority should be one of " + ", ".join(PRIORITIES)
        description = body.get("description")
        if description is not None and (
            not isinstance(description, str) or len(description) > MAX_DESCRIPTION
        ):
            errors["description"] = f"Description can not be longer than {MAX_DESCRIPTION} characters."
        details = body.get("details")
        if details is not None and (
            not isinstance(details, dict) or not all(isinstance(v, str) for v in details.values())
        ):
            errors["details"] = "Details must be a map of string to string."
        responders = body.get("responders")
        if responders is not None:
            ok = isinstance(responders, list) and all(
                isinstance(r, dict)
                and r.get("type") in RESPONDER_TYPES
                and any(isinstance(r.get(k), str) and r.get(k) for k in ("id", "name", "username"))
                for r in responders
            )
            if not ok:
                errors["responders"] = (
                    "Responders must have a type (team, user, escalation, schedule) and an id, name or username."
                )
        if errors:
            return _answer(
                422, message="Request body is not processable. Please check the errors.", errors=errors
            )
        alias = alias or uuid.uuid4().hex
        now = self._clock.now()
        existing = next(
            (a for a in reversed(self._alerts) if a["alias"] == alias and a["status"] == "open"), None
        )
        if existing is not None:
            existing["count"] += 1
            existing["last_occurred_at"] = now
        else:
            self._alerts.append(
                {
                    "id": str(uuid.uuid4()),
                    "tinyId": str(next(self._tiny)),
                    "alias": alias,
                    "message": message,
                    "priority": priority,
                    "description": description,
                    "details": details or {},
                    "responders": responders or [],
                    "source": body.get("source"),
                    "status": "open",
                    "count": 1,
                    "created_at": now,
                    "last_occurred_at": now,
                    "closed_at": None,
                }
            )
        return _answer(202, result="Request will be processed")

    def _close(self, request: Request, identifier: str) -> Response:
        id_type = request.query.get("identifierType", ["id"])[0]
        if id_type not in IDENTIFIER_TYPES:
            return _answer(
                422,
                message="Request body is not processable. Please check the errors.",
                errors={"identifierType": "identifierType should be one of id, alias, tiny"},
            )
        field = {"id": "id", "alias": "alias", "tiny": "tinyId"}[id_type]
        for a in reversed(self._alerts):
            if a[field] == identifier and a["status"] == "open":
                a["status"] = "closed"
                a["closed_at"] = self._clock.now()
                break
        return _answer(202, result="Request will be processed")  # asynchronous: unknown aliases too

    def _on_calls(self, request: Request, identifier: str) -> Response:
        id_type = request.query.get("scheduleIdentifierType", ["id"])[0]
        if id_type != "name" or identifier not in self._schedules:
            return _answer(404, message=f"No schedule exists with {id_type} [{identifier}]")
        return _answer(
            200,
            data={
                "_parent": {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, identifier)),
                    "name": identifier,
                    "enabled": True,
                },
                "onCallRecipients": list(self._schedules[identifier]),
            },
        )
