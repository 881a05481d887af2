"""Local stand-ins for the helpdesk APIs Baton writes to, and signed webhooks as they send them.

Intercom is here; Zendesk is in bot/sandbox/zendesk.py and Freshdesk in bot/sandbox/freshdesk.py
(re-exported). They check what a real service checks (PLATFORM-FACTS "CRM, billing, bugs, helpdesk";
the published request shapes): the credentials, Intercom-Version, the required fields and their
values, answering as the service does (Intercom `{"type": "error.list", "errors": [...]}`, Zendesk
422 `RecordInvalid`, Freshdesk 400 `Validation failed`); they keep the state Baton changes
(assignee, parts, tags, priority, group, comments, new tickets), can fail the next requests on demand
(bot/sandbox/helpdesk_base.py), and log every request for `--helpdesk-log`.

Intercom routes: `POST /conversations/{id}/reply` (comment | note) and `POST /conversations/{id}/parts`
(assignment to an admin or a team, "0" unassigns; close; open), `GET /admins` (`{"type":
"admin.list", "admins": [{type, id, name, email}]}`, the admins added with `add_admin`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.freshdesk import FRESHDESK_KEY, FreshdeskStandIn
from bot.sandbox.helpdesk_base import HelpdeskStandIn, write_log
from bot.sandbox.httpserver import Request, Response, json_response
from bot.sandbox.zendesk import ZENDESK_EMAIL, ZENDESK_SECRET, ZENDESK_TOKEN, ZendeskStandIn

__all__ = [
    "FRESHDESK_KEY",
    "INTERCOM_ADMIN",
    "INTERCOM_SECRET",
    "INTERCOM_TOKEN",
    "ZENDESK_EMAIL",
    "ZENDESK_SECRET",
    "ZENDESK_TOKEN",
    "FreshdeskStandIn",
    "HelpdeskStandIn",
    "IntercomStandIn",
    "ZendeskStandIn",
    "write_log",
]

INTERCOM_TOKEN = "intercom-sandbox-token"
INTERCOM_SECRET = "intercom-client-secret"
INTERCOM_ADMIN = "814860"


class IntercomStandIn(HelpdeskStandIn):
    def __init__(self, token: str = INTERCOM_TOKEN, admin_id: str = INTERCOM_ADMIN) -> None:
        super().__init__()
        self.token, self.admin_id = token, admin_id
        self.conversations: dict[str, dict[str, Any]] = {}
        self.admins: dict[str, dict[str, str]] = {admin_id: {"name": "Baton", "email": "baton@ourteam.example"}}

    def add_admin(self, admin_id: str, name: str, email: str) -> None:
        with self._lock:
            self.admins[admin_id] = {"name": name, "email": email}

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
        if req.method == "GET" and segments == ["admins"]:
            with self._lock:
                admins = [{"type": "admin", "id": i, **a} for i, a in self.admins.items()]
            return json_response({"type": "admin.list", "admins": admins})
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
                target = str(body["assignee_id"])
                if body["type"] == "admin" and target != "0" and target not in self.admins:
                    return self._error(404, "admin_not_found", f"no admin {target} in this workspace")
                with self._lock:
                    conv["team" if body["type"] == "team" else "assignee"] = None if target == "0" else target
                part = {"part_type": "assignment", "assigned_to": str(body["assignee_id"])}
            elif kind in ("close", "open"):
                with self._lock:
                    conv["state"] = "closed" if kind == "close" else "open"
                part = {"part_type": kind}
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
