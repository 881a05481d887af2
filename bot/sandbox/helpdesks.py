"""Local stand-ins for the Intercom and Zendesk REST APIs, and signed webhooks as they send them.

They check what a real service checks (PLATFORM-FACTS "CRM, billing, bugs, helpdesk"; the published
request shapes): the credentials, Intercom-Version, the required fields and their values, answering
as the service does (Intercom `{"type": "error.list", "errors": [...]}`, Zendesk 422
`RecordInvalid`); they keep the state Baton changes (assignee, parts, tags, priority, group,
comments), can fail the next requests on demand (`fail_next(503, count=2)`, with Retry-After on 429),
and log every request (`{"url", "method", "body"}`) for `--helpdesk-log`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.httpserver import FailingStandIn, Request, Response, json_response

INTERCOM_TOKEN = "intercom-sandbox-token"
INTERCOM_SECRET = "intercom-client-secret"
INTERCOM_ADMIN = "814860"
ZENDESK_EMAIL = "baton@ourteam.example"
ZENDESK_TOKEN = "zendesk-sandbox-token"
ZENDESK_SECRET = "zendesk-webhook-secret"
PRIORITIES = ("urgent", "high", "normal", "low")


class _StandIn(FailingStandIn):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    def _handle(self, req: Request) -> Response:
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        with self._lock:
            self.requests.append({"url": self.url + req.path, "method": req.method, "body": body})
            failure = self._failures.popleft() if self._failures else 0
        if failure:
            headers = {"Retry-After": "2"} if failure == 429 else {}
            return json_response({"error": "failing on demand"}, status=failure, headers=headers)
        return self.answer(req, body)

    def answer(self, req: Request, body: Any) -> Response:
        raise NotImplementedError


class IntercomStandIn(_StandIn):
    def __init__(self, token: str = INTERCOM_TOKEN, admin_id: str = INTERCOM_ADMIN) -> None:
        super().__init__()
        self.token, self.admin_id = token, admin_id
        self.conversations: dict[str, dict[str, Any]] = {}

    def conversation(self, conv_id: str) -> dict[str, Any]:
        with self._lock:
            return self.conversations.setdefault(
                conv_id, {"assignee": None, "team": None, "parts": [], "state": "open"}
            )

    @staticmethod
    def _error(status: int, code: str, message: str) -> Response:
        return json_response(
            {"type": "error.list", "errors": [{"code": code, "message": message}]}, status=status
        )

    def answer(self, req: Request, body: Any) -> Response:
        if req.header("authorization") != f"Bearer {self.token}":
            return self._error(401, "unauthorized", "Access Token Invalid")
        if not req.header("intercom-version"):
            return self._error(400, "intercom_version_invalid", "Intercom-Version header is required")
        segments = req.path.strip("/").split("/")
        if req.method != "POST" or len(segments) != 3 or segments[0] != "conversations":
            return self._error(404, "not_found", f"no route {req.method} {req.path}")
        if not isinstance(body, dict):
            return self._error(400, "parameter_invalid", "the body must be a JSON object")
        conv = self.conversation(segments[1])
        kind = body.get("message_type")
        if body.get("admin_id") != self.admin_id:
            return self._error(400, "parameter_invalid", "admin_id is not an admin of this workspace")
        if segments[2] == "reply":
            if kind not in ("comment", "note") or body.get("type") != "admin" or not body.get("body"):
                return self._error(
                    400, "parameter_invalid", "reply needs message_type comment|note, type admin, body"
                )
            part = {"part_type": kind, "body": body["body"], "author": {"type": "admin", "id": self.admin_id}}
        elif segments[2] == "parts":
            if kind == "assignment":
                if body.get("type") not in ("admin", "team") or not str(body.get("assignee_id", "")):
                    return self._error(
                        400, "parameter_invalid", "assignment needs type admin|team and assignee_id"
                    )
                with self._lock:
                    conv["team" if body["type"] == "team" else "assignee"] = str(body["assignee_id"])
                part = {"part_type": "assignment", "assigned_to": str(body["assignee_id"])}
            elif kind == "close":
                with self._lock:
                    conv["state"] = "closed"
                part = {"part_type": "close"}
            else:
                return self._error(400, "parameter_invalid", f"unsupported message_type {kind!r}")
        else:
            return self._error(404, "not_found", f"no route {req.path}")
        with self._lock:
            conv["parts"].append(part)
        return json_response({"type": "conversation", "id": segments[1], "state": conv["state"]})

    # ------------------------------------------------------------ webhooks, as Intercom sends them

    @staticmethod
    def notification(
        topic: str,
        conv_id: str,
        *,
        notification_id: str,
        text: str,
        author_type: str = "user",
        author_id: str = "contact-1",
        account: str = "",
        part_id: str = "",
        created_at: int = 0,
    ) -> dict[str, Any]:
        """A notification_event for one message (the conversation's first, or a reply part)."""
        created_at = created_at or int(datetime.now(UTC).timestamp())
        author = {"type": author_type, "id": author_id, "name": f"{author_type} {author_id}"}
        item: dict[str, Any] = {
            "type": "conversation", "id": conv_id, "created_at": created_at,
            "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "contact-1", "external_id": account}]},
            "source": {"type": "conversation", "id": f"src-{conv_id}", "body": f"<p>{text}</p>", "author": author},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": []},
        }  # fmt: skip
        if topic != "conversation.user.created":
            item["conversation_parts"]["conversation_parts"] = [
                {"type": "conversation_part", "id": part_id or notification_id, "part_type": "comment",
                 "body": f"<p>{text}</p>", "created_at": created_at, "author": author}
            ]  # fmt: skip
        return {"type": "notification_event", "id": notification_id, "topic": topic, "created_at": created_at,
                "data": {"type": "notification_event_data", "item": item}}  # fmt: skip

    @staticmethod
    def sign(body: bytes, secret: str = INTERCOM_SECRET) -> dict[str, str]:
        return {"X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


class ZendeskStandIn(_StandIn):
    def __init__(self, email: str = ZENDESK_EMAIL, token: str = ZENDESK_TOKEN) -> None:
        super().__init__()
        self._auth = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self.tickets: dict[str, dict[str, Any]] = {}

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        with self._lock:
            return self.tickets.setdefault(
                ticket_id, {"priority": None, "group_id": None, "tags": [], "comments": [], "status": "new"}
            )

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
        parts = req.path.strip("/").split("/")
        if (
            req.method != "PUT"
            or len(parts) != 4
            or parts[:3] != ["api", "v2", "tickets"]
            or not parts[3].endswith(".json")
        ):
            return json_response({"error": "InvalidEndpoint", "description": "Not found"}, status=404)
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            return json_response(
                {"error": "InvalidJSON", "description": 'send {"ticket": {...}}'}, status=400
            )
        change = body["ticket"]
        if "priority" in change and change["priority"] not in PRIORITIES:
            return self._invalid("priority", f"priority must be one of {', '.join(PRIORITIES)}")
        if "group_id" in change and not isinstance(change["group_id"], int):
            return self._invalid("group_id", "group_id must be a number")
        tags = change.get("additional_tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and " " not in t for t in tags):
            return self._invalid("additional_tags", "tags are strings without spaces")
        comment = change.get("comment")
        if comment is not None and (
            not isinstance(comment, dict) or not str(comment.get("body", "")).strip()
        ):
            return self._invalid("comment", "a comment needs a body")
        ticket = self.ticket(parts[3].removesuffix(".json"))
        with self._lock:
            for field in ("priority", "group_id", "status"):
                if field in change:
                    ticket[field] = change[field]
            ticket["tags"] = sorted(set(ticket["tags"]) | set(tags))
            if comment is not None:
                ticket["comments"].append({"body": comment["body"], "public": comment.get("public", True)})
        return json_response(
            {
                "ticket": {
                    "id": int(parts[3].removesuffix(".json")) if parts[3][:-5].isdigit() else parts[3][:-5],
                    **ticket,
                }
            }
        )

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


def write_log(path: str, *standins: _StandIn) -> None:
    """Every request sent to the helpdesk stand-ins, one JSON object per line (`--helpdesk-log`)."""
    lines = [json.dumps(entry, sort_keys=True) for s in standins for entry in s.log()]
    with open(path, "w", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in lines))
