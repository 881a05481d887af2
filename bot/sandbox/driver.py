"""SlackDriver: plays Slack's side of the Events API and interactivity against Baton's endpoint.

It records what humans do in a :class:`FakeSlack` and sends Baton the very requests Slack would
send -- signed, shaped and retried like Slack -- so Baton's real Bolt app (and its signature
verifier) handles them::

    driver = SlackDriver("http://127.0.0.1:PORT/slack/events", "signing-secret", fake)
    result = driver.user_says("C0SHARED", "U0CUSTOMER", "this is broken, I want a refund")
    driver.click("U0AGENT", card_ts, "C0TEAM", "claim")

Contracts from PLATFORM-FACTS.md: "Slack: Events API" (3 s ack, 3 retries with X-Slack-Retry-Num
and X-Slack-Retry-Reason, X-Slack-No-Retry), "Slack: request signing" (v0 HMAC-SHA256) and
"Slack: interactivity" (payload shapes, trigger_id, response_url).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from bot.clock import SystemClock
from bot.sandbox.slack import FakeSlack

# PLATFORM-FACTS "Slack: Events API": an event must be acked within 3 s; failed deliveries are
# retried 3 times, almost at once, after ~1 min and after ~5 min.
ACK_TIMEOUT = 3.0
SLACK_RETRY_DELAYS = (0.0, 60.0, 300.0)
MAX_RETRIES = 3
VERIFICATION_TOKEN = "sandbox-verification-token"  # the legacy `token` field Slack still sends


class _ClockLike(Protocol):
    def now(self) -> datetime: ...


def sign(secret: str, timestamp: int | str, body: str | bytes) -> dict[str, str]:
    """Slack's request-signing headers for ``body``.

    PLATFORM-FACTS "Slack: request signing": X-Slack-Signature = "v0=" +
    hex(HMAC-SHA256(signing_secret, "v0:{timestamp}:{raw_body}")), with X-Slack-Request-Timestamp.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + raw
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": str(timestamp)}


@dataclass
class Attempt:
    """One HTTP delivery attempt of an event."""

    retry_num: int  # 0 for the first delivery, then 1..3
    retry_reason: str | None  # the X-Slack-Retry-Reason sent with this attempt
    status: int | None  # None when no answer came (timeout, connection failure)
    failure: str | None  # why it failed: http_timeout | http_error | connection_failed | unknown_error
    headers: dict[str, str] = field(default_factory=dict)  # the answer's headers (lower-case names)
    body: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class DeliveryResult:
    envelope: dict[str, Any]
    attempts: list[Attempt] = field(default_factory=list)
    message: dict[str, Any] | None = None  # the stored message, for user_says

    @property
    def ok(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].failure is None

    @property
    def status(self) -> int | None:
        return self.attempts[-1].status if self.attempts else None

    @property
    def event_id(self) -> str:
        return str(self.envelope["event_id"])

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)

    @property
    def ts(self) -> str | None:
        return self.message["ts"] if self.message else None


def _is_2xx(status: int) -> bool:
    return 200 <= status < 300


class SlackDriver:
    """Sends Slack's requests to Baton's HTTP endpoint, signed like Slack.

    ``clock`` gives event times and drives retry waits (advanced instead of slept when it has
    ``advance``). Signature timestamps come from ``signing_clock``, by default real time: Bolt's
    verifier compares them with the real wall clock (PLATFORM-FACTS: reject when |now - ts| > 300 s),
    so a virtual clock far from now would make every request fail verification.
    """

    def __init__(
        self,
        target_url: str,
        signing_secret: str,
        slack: FakeSlack,
        clock: _ClockLike | None = None,
        retry_delays: tuple[float, ...] = (0.0, 0.0, 0.0),
        *,
        ack_timeout: float = ACK_TIMEOUT,
        signing_clock: _ClockLike | None = None,
        verification_token: str = VERIFICATION_TOKEN,
    ) -> None:
        if len(retry_delays) < MAX_RETRIES:
            raise ValueError(f"retry_delays needs {MAX_RETRIES} entries (Slack retries 3 times)")
        self.target_url = target_url
        self.signing_secret = signing_secret
        self.slack = slack
        self.clock: _ClockLike = clock or slack.clock
        self.signing_clock: _ClockLike = signing_clock or SystemClock()
        self.retry_delays = tuple(retry_delays)
        self.ack_timeout = ack_timeout
        self.verification_token = verification_token
        self._http = httpx.Client(timeout=ack_timeout)
        self._seq = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing
    def _timestamp(self, override: int | None) -> int:
        return int(override) if override is not None else int(self.signing_clock.now().timestamp())

    def _post(
        self,
        body: str,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        headers.update(sign(self.signing_secret, self._timestamp(timestamp), body))
        headers.update(extra_headers or {})
        return self._http.post(self.target_url, content=body.encode("utf-8"), headers=headers)

    def post_json(self, payload: dict[str, Any], *, timestamp: int | None = None) -> httpx.Response:
        """One signed JSON POST (no retries)."""
        return self._post(json.dumps(payload), "application/json", timestamp=timestamp)

    def post_form(self, fields: dict[str, str], *, timestamp: int | None = None) -> httpx.Response:
        """One signed form-encoded POST (no retries)."""
        return self._post(urlencode(fields), "application/x-www-form-urlencoded", timestamp=timestamp)

    def _ts_now(self) -> str:
        now = self.clock.now().timestamp()
        return f"{now:.6f}"

    def _new_event_id(self) -> str:
        alphabet = string.ascii_uppercase + string.digits
        return "Ev" + f"{next(self._seq):04d}" + "".join(secrets.choice(alphabet) for _ in range(6))

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        advance = getattr(self.clock, "advance", None)
        if callable(advance):
            advance(timedelta(seconds=seconds))
        else:
            time.sleep(seconds)

    def _user_fields(self, user: str) -> dict[str, Any]:
        info = self.slack.user(user)
        return {"id": user, "username": info["name"], "name": info["name"], "team_id": info["team_id"]}

    # ------------------------------------------------------------------ Events API
    def envelope_for(self, channel: str, ts: str, event_type: str = "message") -> dict[str, Any]:
        """The event_callback envelope Slack sends for the stored message ``ts`` in ``channel``."""
        msg = self.slack.message(channel, ts)
        if msg is None:
            raise KeyError(f"no message {ts!r} in {channel}")
        info = self.slack.channel_info(channel)
        event: dict[str, Any] = {"type": event_type, "channel": channel}
        for key in ("user", "text", "ts", "subtype", "bot_id", "app_id", "bot_profile", "files", "blocks"):
            if key in msg:
                event[key] = copy.deepcopy(msg[key])
        event["event_ts"] = msg["ts"]
        if event_type == "message":
            event["channel_type"] = self.slack.channel_type(channel)
        sender_team = msg.get("team", self.slack.team_id)
        event["team"] = sender_team
        if "bot_id" not in msg:
            event["user_team"] = sender_team
            event["source_team"] = sender_team
        if "client_msg_id" in msg:
            event["client_msg_id"] = msg["client_msg_id"]
        if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
            event["thread_ts"] = msg["thread_ts"]
            if msg.get("parent_user_id"):
                event["parent_user_id"] = msg["parent_user_id"]
        return {
            "token": self.verification_token,
            "team_id": self.slack.team_id,
            "context_team_id": self.slack.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.slack.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": self._new_event_id(),
            "event_time": int(self.clock.now().timestamp()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.slack.team_id,
                    "user_id": self.slack.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": bool(info.get("is_ext_shared")),
            "event_context": "4-" + secrets.token_urlsafe(24),
        }

    def user_says(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        subtype: str | None = None,
        *,
        files: list[dict[str, Any]] | None = None,
        deliver: bool = True,
    ) -> DeliveryResult:
        """A human types ``text``: record it in FakeSlack and deliver the `message` event."""
        msg = self.slack.post_as_user(channel, user, text, thread_ts=thread_ts, subtype=subtype, files=files)
        envelope = self.envelope_for(channel, msg["ts"])
        if not deliver:
            return DeliveryResult(envelope=envelope, message=msg)
        result = self.deliver_event(envelope)
        result.message = msg
        return result

    def deliver_event(
        self, envelope: dict[str, Any], retry: bool = True, *, timestamp: int | None = None
    ) -> DeliveryResult:
        """POST an envelope with Slack's retry rules; returns every attempt."""
        result = DeliveryResult(envelope=envelope)
        body = json.dumps(envelope)
        reason: str | None = None
        for retry_num in range(MAX_RETRIES + 1):
            if retry_num > 0:
                self._wait(self.retry_delays[retry_num - 1])
            extra = {}
            if retry_num > 0 and reason is not None:
                extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}
            attempt = Attempt(
                retry_num=retry_num, retry_reason=reason if retry_num else None, status=None, failure=None
            )
            try:
                response = self._post(body, "application/json", extra, timestamp=timestamp)
            except httpx.TimeoutException:
                attempt.failure = "http_timeout"
            except httpx.ConnectError:
                attempt.failure = "connection_failed"
            except httpx.TransportError:
                attempt.failure = "unknown_error"
            else:
                attempt.status = response.status_code
                attempt.headers = {k.lower(): v for k, v in response.headers.items()}
                attempt.body = response.text
                if not _is_2xx(response.status_code):
                    attempt.failure = "http_error"
            attempt.request_headers = dict(extra)
            result.attempts.append(attempt)
            if attempt.failure is None or not retry:
                break
            if attempt.headers.get("x-slack-no-retry") == "1":
                break  # PLATFORM-FACTS: a non-2xx answer with X-Slack-No-Retry: 1 stops retries
            reason = attempt.failure
        return result

    def redeliver(self, envelope: dict[str, Any], retry: bool = True) -> DeliveryResult:
        """Send the same envelope again: a duplicate with the same event_id."""
        return self.deliver_event(envelope, retry=retry)

    def resend_as_new_event(self, envelope: dict[str, Any], event_type: str | None = None) -> DeliveryResult:
        """The same message under a new event_id (e.g. ``event_type="app_mention"``)."""
        fresh = copy.deepcopy(envelope)
        fresh["event_id"] = self._new_event_id()
        if event_type is not None:
            fresh["event"]["type"] = event_type
            if event_type != "message":
                fresh["event"].pop("channel_type", None)
        return self.deliver_event(fresh)

    def url_verification(self, challenge: str | None = None) -> httpx.Response:
        """Slack's endpoint check; Baton must echo the challenge."""
        payload = {
            "token": self.verification_token,
            "challenge": challenge or secrets.token_urlsafe(24),
            "type": "url_verification",
        }
        return self.post_json(payload)

    # ------------------------------------------------------------------ interactivity
    @staticmethod
    def _find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[int, dict[str, Any]] | None:
        for index, block in enumerate(blocks or []):
            candidates: list[Any] = []
            if block.get("type") == "actions":
                candidates = list(block.get("elements") or [])
            elif block.get("type") in ("section",) and block.get("accessory"):
                candidates = [block["accessory"]]
            elif block.get("type") == "input" and block.get("element"):
                candidates = [block["element"]]
            for el in candidates:
                if isinstance(el, dict) and el.get("action_id") == action_id:
                    return index, el
        return None

    @staticmethod
    def _generated_block_id(index: int, block: dict[str, Any]) -> str:
        # Slack gives blocks sent without a block_id a random one; keep ours stable per block.
        digest = hashlib.sha1(json.dumps(block, sort_keys=True).encode("utf-8")).hexdigest()
        return f"{digest[:4]}{index}"

    def click(
        self,
        user: str,
        message_ts: str,
        channel: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        *,
        timestamp: int | None = None,
        seen: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """``user`` clicks the element ``action_id`` on a stored message: a block_actions request.

        The element must exist on the message (else KeyError: a button Baton never posted cannot be
        clicked). ``value`` defaults to the element's own value. ``seen``: the message as the user's
        client showed it (FakeSlack.message_seen), when that is not the latest version.
        """
        payload = self.block_actions_payload(user, message_ts, channel, action_id, value, block_id, seen=seen)
        return self.post_form({"payload": json.dumps(payload)}, timestamp=timestamp)

    def block_actions_payload(
        self,
        user: str,
        message_ts: str,
        channel: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        *,
        seen: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The block_actions payload of a click (what `click` posts; Socket Mode sends it in an envelope)."""
        msg = seen if seen is not None else self.slack.message(channel, message_ts)
        if msg is None:
            raise KeyError(f"no message {message_ts!r} in {channel}")
        blocks = msg.get("blocks") or []
        found = self._find_element(blocks, action_id)
        if found is None:
            raise KeyError(f"message {message_ts} in {channel} has no element with action_id {action_id!r}")
        index, element = found
        if block_id is None:
            block_id = blocks[index].get("block_id") or self._generated_block_id(index, blocks[index])
        element_type = element.get("type", "button")
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": element_type,
            "action_ts": self._ts_now(),
        }
        chosen = value if value is not None else element.get("value")
        if element_type == "button":
            if "text" in element:
                action["text"] = copy.deepcopy(element["text"])
            if chosen is not None:
                action["value"] = chosen
            if "style" in element:
                action["style"] = element["style"]
        elif element_type in ("static_select", "overflow", "radio_buttons"):
            options = element.get("options") or []
            option = next((o for o in options if o.get("value") == chosen), None)
            if option is None:
                raise KeyError(f"{action_id!r} has no option with value {chosen!r}")
            action["selected_option"] = copy.deepcopy(option)
        elif element_type == "users_select":
            action["selected_user"] = chosen
        elif element_type == "conversations_select":
            action["selected_conversation"] = chosen
        elif element_type == "channels_select":
            action["selected_channel"] = chosen
        elif element_type == "datepicker":
            action["selected_date"] = chosen
        elif chosen is not None:
            action["value"] = chosen
        team = self.slack.team()
        channel_info = self.slack.channel_info(channel)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_fields(user),
            "api_app_id": self.slack.app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.slack.new_trigger_id(user),
            "team": {"id": team["id"], "domain": team["domain"]},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": channel_info.get("name", "directmessage")},
            "message": msg,
            "state": {"values": {}},
            "response_url": self.slack.new_response_url(channel, user, message_ts),
            "actions": [action],
        }
        if msg.get("thread_ts") and msg["thread_ts"] != message_ts:
            payload["container"]["thread_ts"] = msg["thread_ts"]
        return payload

    def click_in_view(
        self, user: str, view_id: str, action_id: str, *, timestamp: int | None = None
    ) -> httpx.Response:
        """``user`` clicks the button ``action_id`` inside an open modal: a block_actions request whose
        container is the view (Slack sends the view, with its id and hash, instead of a message)."""
        view = self.slack.view(view_id)
        if view is None:
            raise KeyError(f"no view {view_id!r} in FakeSlack")
        blocks = view.get("blocks") or []
        found = self._find_element(blocks, action_id)
        if found is None:
            raise KeyError(f"view {view_id} has no element with action_id {action_id!r}")
        index, element = found
        block_id = blocks[index].get("block_id") or self._generated_block_id(index, blocks[index])
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": element.get("type", "button"),
            "action_ts": self._ts_now(),
        }
        if "text" in element:
            action["text"] = copy.deepcopy(element["text"])
        if element.get("value") is not None:
            action["value"] = element["value"]
        team = self.slack.team()
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_fields(user),
            "api_app_id": self.slack.app_id,
            "token": self.verification_token,
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self.slack.new_trigger_id(user),
            "team": {"id": team["id"], "domain": team["domain"]},
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
            "actions": [action],
        }
        return self.post_form({"payload": json.dumps(payload)}, timestamp=timestamp)

    def message_shortcut(
        self, user: str, channel: str, message_ts: str, callback_id: str, *, timestamp: int | None = None
    ) -> httpx.Response:
        """``user`` runs the message shortcut ``callback_id`` on a stored message: a message_action request."""
        msg = self.slack.message(channel, message_ts)
        if msg is None:
            raise KeyError(f"no message {message_ts!r} in {channel}")
        team = self.slack.team()
        channel_info = self.slack.channel_info(channel)
        payload = {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": self._ts_now(),
            "team": {"id": team["id"], "domain": team["domain"]},
            "user": self._user_fields(user),
            "channel": {"id": channel, "name": channel_info.get("name", "directmessage")},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.slack.new_trigger_id(user),
            "response_url": self.slack.new_response_url(channel, user, message_ts),
            "message_ts": message_ts,
            "message": copy.deepcopy(msg),
        }
        return self.post_form({"payload": json.dumps(payload)}, timestamp=timestamp)

    @staticmethod
    def _input_elements(view: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for block in view.get("blocks") or []:
            el = block.get("element") if block.get("type") == "input" else block.get("accessory")
            if isinstance(el, dict) and block.get("block_id") and el.get("action_id"):
                out[(block["block_id"], el["action_id"])] = el
            if block.get("type") == "actions" and block.get("block_id"):
                for el in block.get("elements") or []:
                    if el.get("action_id"):
                        out[(block["block_id"], el["action_id"])] = el
        return out

    def submit_view(
        self,
        user: str,
        view_id: str,
        values: dict[str, dict[str, Any]],
        *,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """``user`` presses Submit on a view opened in FakeSlack: a view_submission request.

        ``values`` maps block_id -> action_id -> the typed value (a string for text inputs, the
        option value for selects, a user id for users_select; a dict is passed through as-is).
        """
        view = self.slack.view(view_id)
        if view is None:
            raise KeyError(f"no view {view_id!r} in FakeSlack")
        elements = self._input_elements(view)
        state: dict[str, dict[str, Any]] = {}
        for block_id, actions in values.items():
            for action_id, raw in actions.items():
                el = elements.get((block_id, action_id))
                if el is None:
                    raise KeyError(f"view {view_id} has no input {block_id}/{action_id}")
                state.setdefault(block_id, {})[action_id] = self._state_value(el, raw)
        self.slack.set_view_state(view_id, state)
        view["state"] = {"values": state}
        team = self.slack.team()
        payload = {
            "type": "view_submission",
            "team": {"id": team["id"], "domain": team["domain"]},
            "user": self._user_fields(user),
            "api_app_id": self.slack.app_id,
            "token": self.verification_token,
            "trigger_id": self.slack.new_trigger_id(user),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self.post_form({"payload": json.dumps(payload)}, timestamp=timestamp)

    @staticmethod
    def _state_value(element: dict[str, Any], raw: Any) -> dict[str, Any]:
        kind = element.get("type", "plain_text_input")
        if isinstance(raw, dict):
            return {"type": kind, **raw}
        if kind in ("static_select", "radio_buttons", "external_select"):
            option = next((o for o in element.get("options") or [] if o.get("value") == raw), None)
            if option is None and kind != "external_select":
                raise KeyError(f"{element.get('action_id')!r} has no option with value {raw!r}")
            return {"type": kind, "selected_option": option or {"value": raw}}
        if kind == "users_select":
            return {"type": kind, "selected_user": raw}
        if kind == "conversations_select":
            return {"type": kind, "selected_conversation": raw}
        if kind == "channels_select":
            return {"type": kind, "selected_channel": raw}
        if kind == "datepicker":
            return {"type": kind, "selected_date": raw}
        if kind == "checkboxes":
            wanted = raw if isinstance(raw, list) else [raw]
            opts = [o for o in element.get("options") or [] if o.get("value") in wanted]
            return {"type": kind, "selected_options": opts}
        return {"type": kind, "value": raw}

    def slash(
        self, user: str, channel: str, command: str, text: str = "", *, timestamp: int | None = None
    ) -> httpx.Response:
        """``user`` runs ``/command text`` in ``channel``: a form-encoded slash command request."""
        return self.post_form(self.slash_fields(user, channel, command, text), timestamp=timestamp)

    def slash_fields(self, user: str, channel: str, command: str, text: str = "") -> dict[str, str]:
        """The fields of a slash command request (what `slash` posts)."""
        team = self.slack.team()
        info = self.slack.user(user)
        channel_info = self.slack.channel_info(channel)
        fields = {
            "token": self.verification_token,
            "team_id": team["id"],
            "team_domain": team["domain"],
            "channel_id": channel,
            "channel_name": str(channel_info.get("name", "directmessage")),
            "user_id": user,
            "user_name": info["name"],
            "command": command if command.startswith("/") else "/" + command,
            "text": text,
            "api_app_id": self.slack.app_id,
            "is_enterprise_install": "false",
            "response_url": self.slack.new_response_url(channel, user),
            "trigger_id": self.slack.new_trigger_id(user),
        }
        return fields
