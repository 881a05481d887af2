"""FakeSlack: a faithful local stand-in of the Slack Web API on 127.0.0.1.

Baton's tests, ``baton demo`` and ``baton simulate`` point the real Bolt app at it::

    fake = FakeSlack().start()
    client = WebClient(token="xoxb-sandbox", base_url=fake.base_url)

It speaks Slack's request/response contract for the methods Baton uses, checks what real Slack
checks (tokens, required arguments, Block Kit limits, message ownership, trigger ids, rate limits)
and answers with Slack's shapes and error codes, so a bug in Baton's requests fails the tests.
Every request is recorded in ``calls`` (and optionally a JSONL file, Baton's ``--slack-log``).

Numbers cited from PLATFORM-FACTS.md (Slack sections); argument and error names from Slack's
per-method reference (slack-api-ref).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs

from bot.clock import SystemClock
from bot.sandbox.blockkit import validate_blocks, validate_view
from bot.sandbox.httpserver import LocalHTTPServer, Request, Response, json_response, text_response


class _ClockLike(Protocol):
    def now(self) -> datetime: ...


# PLATFORM-FACTS "Slack: interactivity": trigger_id single-use, expires after 3 s;
# response_url: 5 uses within 30 min.
TRIGGER_TTL = timedelta(seconds=3)
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL = timedelta(minutes=30)
# PLATFORM-FACTS "Slack: Block Kit limits": chat.update rejects text over 4,000 (msg_too_long);
# slack-api-ref chat.update warnings: text over 40,000 characters is truncated (message_truncated).
UPDATE_TEXT_LIMIT = 4000
TRUNCATE_TEXT_LIMIT = 40000
# PLATFORM-FACTS "Slack: Bolt for Python": scopes a bot like Baton needs.
DEFAULT_SCOPES = (
    "chat:write",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "im:write",
    "users:read",
    "users:read.email",
    "commands",
    "reactions:write",
    "files:write",
)
# PLATFORM-FACTS "Slack: Web API rate limits": Tier 3 = 50/min, Tier 4 = 100/min,
# chat.postMessage "a few hundred/min per workspace" plus ~1/s per channel with short bursts.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, float]] = {
    "chat.postMessage": (300, 60.0),
    "chat.update": (50, 60.0),
    "conversations.info": (50, 60.0),
    "conversations.open": (50, 60.0),
    "conversations.replies": (50, 60.0),
    "users.lookupByEmail": (50, 60.0),
    "reactions.add": (50, 60.0),
    "chat.delete": (50, 60.0),
    "chat.postEphemeral": (100, 60.0),
    "views.open": (100, 60.0),
    "views.update": (100, 60.0),
    "views.publish": (100, 60.0),
    "users.info": (100, 60.0),
    "users.getPresence": (50, 60.0),
    "files.getUploadURLExternal": (100, 60.0),
    "files.completeUploadExternal": (100, 60.0),
}
DEFAULT_CHANNEL_POST_LIMIT = (1.0, 5)  # (messages per second per channel, burst allowance)

# Methods whose reference says json_input_supported; Slack ignores a JSON body sent to the others.
JSON_METHODS = frozenset(
    {
        "auth.test",
        "chat.delete",
        "reactions.add",
        "files.completeUploadExternal",
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "conversations.open",
        "views.open",
        "views.update",
        "views.publish",
    }
)
JSON_ARGS = frozenset({"blocks", "attachments", "view", "metadata"})
TRIGGER_RE = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")


_Result = tuple[dict[str, Any], dict[str, str]]


def _log_line(entry: dict[str, Any]) -> str:
    """What Baton sent, without the stand-in's own notes on the outcome."""
    return json.dumps({"method": entry["method"], "args": entry["args"]}, sort_keys=True)


class SlackError(Exception):
    """An ok:false answer; ``extra`` fields are merged into the body."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _blocks_error(code: str, messages: list[str]) -> SlackError:
    # Slack lists the plain messages in `errors` and "[ERROR] "-prefixed ones in response_metadata.
    if code == "invalid_blocks":
        return SlackError(
            code, errors=messages, response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
        )
    return SlackError(code, response_metadata={"messages": [f"[ERROR] {m}" for m in messages]})


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


METADATA_LIMIT = 8000  # bytes of JSON; Slack answers metadata_too_large past its limit


def _checked_metadata(value: Any) -> dict[str, Any]:
    """Message metadata as Slack takes it: {"event_type": str, "event_payload": object}."""
    if not isinstance(value, dict):
        raise SlackError("invalid_metadata_format")
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise SlackError("invalid_metadata_schema")
    if len(json.dumps(value)) > METADATA_LIMIT:
        raise SlackError("metadata_too_large")
    return {"event_type": event_type, "event_payload": copy.deepcopy(payload)}


def _without_metadata(msgs: list[dict[str, Any]], keep: bool) -> list[dict[str, Any]]:
    """Messages as history/replies return them: metadata only when include_all_metadata is set."""
    out = copy.deepcopy(msgs)
    if not keep:
        for m in out:
            m.pop("metadata", None)
    return out


def _ts_bounds(msgs: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Apply oldest / latest (exclusive unless `inclusive`), as conversations.history and .replies do."""
    inclusive = _truthy(args.get("inclusive"))
    for key, code in (("oldest", "invalid_ts_oldest"), ("latest", "invalid_ts_latest")):
        bound = args.get(key)
        if bound in (None, ""):
            continue
        try:
            limit_ts = float(bound)
        except (TypeError, ValueError):
            raise SlackError(code) from None
        if key == "oldest":
            msgs = [m for m in msgs if float(m["ts"]) > limit_ts or (inclusive and float(m["ts"]) == limit_ts)]
        else:
            msgs = [m for m in msgs if float(m["ts"]) < limit_ts or (inclusive and float(m["ts"]) == limit_ts)]
    return msgs


def _page(msgs: list[dict[str, Any]], args: dict[str, Any], default: int, most: int) -> tuple[list[Any], bool, str]:
    start = 0
    cursor = args.get("cursor")
    if cursor:
        match = re.fullmatch(r"next_ts:(\d+)", str(cursor))
        if not match:
            raise SlackError("invalid_cursor")
        start = int(match.group(1))
    try:
        limit = int(args.get("limit") or default)
    except (TypeError, ValueError):
        limit = default
    limit = max(1, min(limit, most))
    has_more = start + limit < len(msgs)
    return msgs[start : start + limit], has_more, f"next_ts:{start + limit}" if has_more else ""


class _Channel:
    def __init__(self, info: dict[str, Any], members: set[str] | None) -> None:
        self.info = info
        self.members = members  # None: everyone in the teams that share the channel
        self.messages: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []  # ts of every message (top level and replies), as posted


class FakeSlack:
    """A Slack workspace (plus Slack Connect teams) behind a real loopback HTTP server."""

    def __init__(
        self,
        bot_token: str = "xoxb-sandbox",
        *,
        clock: _ClockLike | None = None,
        team_id: str = "T0OURS",
        team_name: str = "Our Team",
        team_domain: str = "ourteam",
        bot_user_id: str = "U0BATON",
        bot_id: str = "B0BATON",
        app_id: str = "A0BATON",
        bot_name: str = "baton",
        rate_limits: dict[str, tuple[int, float]] | None = None,
        channel_post_limit: tuple[float, int] | None = None,
        log_path: str | Path | None = None,
        home_enabled: bool = True,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        app_token: str = "xapp-sandbox",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        # Methods answered by another stand-in (bot/sandbox/socket_mode.py adds apps.connections.open).
        self._app_methods: dict[str, Callable[[dict[str, Any]], _Result]] = {}
        self.clock: _ClockLike = clock or SystemClock()
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.home_enabled = home_enabled
        self.scopes = tuple(scopes)
        self.log_path = Path(log_path) if log_path else None

        self._lock = threading.RLock()
        self._server = LocalHTTPServer(self._handle)
        self._teams: dict[str, dict[str, Any]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, _Channel] = {}
        self._dms: dict[str, str] = {}  # user id -> D... channel
        self._ephemerals: list[dict[str, Any]] = []
        # (channel, ts) -> [(when, the message as it was from then on)]: what a client still shows a moment
        # after an update (message_seen), so a click can land on a stale render as it does in Slack.
        self._revisions: dict[tuple[str, str], list[tuple[datetime, dict[str, Any]]]] = {}
        self._views: dict[str, dict[str, Any]] = {}  # modal views by id, in opening order
        self._view_users: dict[str, str] = {}
        self._home_views: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, dict[str, Any]] = {}
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._calls: list[dict[str, Any]] = []
        self._last_ts_us = 0
        self._ids = itertools.count(1)
        self._rate_limits: dict[str, tuple[int, float]] = dict(rate_limits or {})
        self._channel_post_limit = channel_post_limit
        self._windows: dict[str, deque[float]] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, last refill)
        self._failures: dict[str, deque[tuple[str, int, int]]] = {}
        self._delay = 0.0  # seconds every Web API call takes (set_delay): a slow Slack
        self._presence: dict[str, str] = {}  # user id -> "away"; everyone else is "active"

        self.add_team(team_id, team_name, team_domain)
        self._users[bot_user_id] = self._user_object(
            bot_user_id, bot_name, team_id, real_name="Baton", email=None, is_bot=True, tz="UTC"
        )
        self._users[bot_user_id]["profile"]["bot_id"] = bot_id

    def add_app_level_method(self, method: str, handler: Callable[[dict[str, Any]], _Result]) -> None:
        """Answer an app-level Web API method (called with the xapp- token) with `handler(args)`."""
        with self._lock:
            self._app_methods[method] = handler

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeSlack:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT (no trailing slash)."""
        return self._server.url

    @property
    def base_url(self) -> str:
        """What slack_sdk's WebClient(base_url=...) wants: http://127.0.0.1:PORT/api/."""
        return f"{self._server.url}/api/"

    # ------------------------------------------------------------------ workspace setup
    def add_team(self, team_id: str, name: str, domain: str | None = None) -> dict[str, Any]:
        with self._lock:
            team = {"id": team_id, "name": name, "domain": domain or re.sub(r"[^a-z0-9]", "", name.lower())}
            self._teams[team_id] = team
            return dict(team)

    def add_user(
        self,
        id: str,  # noqa: A002 - mirrors Slack's field name
        name: str,
        team_id: str | None = None,
        *,
        real_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        tz: str = "America/New_York",
    ) -> dict[str, Any]:
        with self._lock:
            team = team_id or self.team_id
            if team not in self._teams:
                self.add_team(team, f"Team {team}")
            user = self._user_object(id, name, team, real_name=real_name, email=email, is_bot=is_bot, tz=tz)
            self._users[id] = user
            return copy.deepcopy(user)

    def _user_object(
        self,
        uid: str,
        name: str,
        team: str,
        *,
        real_name: str | None,
        email: str | None,
        is_bot: bool,
        tz: str,
    ) -> dict[str, Any]:
        real = real_name or name
        profile: dict[str, Any] = {
            "real_name": real,
            "display_name": name,
            "real_name_normalized": real,
            "display_name_normalized": name,
            "team": team,
        }
        if email:
            profile["email"] = email
        return {
            "id": uid,
            "team_id": team,
            "name": name,
            "deleted": False,
            "real_name": real,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_stranger": team != self.team_id,
            "updated": int(self.clock.now().timestamp()),
        }

    def add_channel(
        self,
        id: str,  # noqa: A002 - mirrors Slack's field name
        name: str,
        *,
        ext_shared: bool = False,
        private: bool = False,
        members: Iterable[str] | None = None,
        shared_team_ids: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """A channel; ``members=None`` means every user of the teams sharing it is a member."""
        with self._lock:
            member_set = set(members) if members is not None else None
            if shared_team_ids is not None:
                teams = list(dict.fromkeys([self.team_id, *shared_team_ids]))
            else:
                teams = [self.team_id]
                if ext_shared and member_set:
                    for uid in sorted(member_set):
                        team = self._users.get(uid, {}).get("team_id")
                        if team and team not in teams:
                            teams.append(team)
            if member_set is not None:
                member_set.add(self.bot_user_id)
            info = {
                "id": id,
                "name": name,
                "name_normalized": name,
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_mpim": False,
                "is_private": private,
                "created": int(self.clock.now().timestamp()),
                "is_archived": False,
                "is_general": False,
                "is_shared": ext_shared,
                "is_ext_shared": ext_shared,
                "is_org_shared": False,
                "is_pending_ext_shared": False,
                "pending_shared": [],
                "context_team_id": self.team_id,
                "shared_team_ids": teams,
                "is_member": True,
                "creator": self.bot_user_id,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
                "previous_names": [],
            }
            self._channels[id] = _Channel(info, member_set)
            return copy.deepcopy(info)

    def add_member(self, channel: str, user: str) -> None:
        with self._lock:
            chan = self._get_channel(channel)
            if chan.members is not None:
                chan.members.add(user)

    def dm_channel(self, user: str) -> str | None:
        """The D... id of the bot's DM with ``user``, if one was opened."""
        with self._lock:
            return self._dms.get(user)

    def _get_channel(self, channel: str) -> _Channel:
        chan = self._channels.get(channel)
        if chan is None:
            raise KeyError(f"no channel {channel!r} in FakeSlack")
        return chan

    def _is_member(self, chan: _Channel, user: str) -> bool:
        if user == self.bot_user_id:
            return True
        if chan.members is not None:
            return user in chan.members
        team = self._users.get(user, {}).get("team_id")
        return team in chan.info.get("shared_team_ids", [self.team_id])

    def channel_type(self, channel: str) -> str:
        """The event's channel_type: channel | group | im | mpim."""
        with self._lock:
            info = self._get_channel(channel).info
            if info.get("is_im"):
                return "im"
            if info.get("is_mpim"):
                return "mpim"
            return "group" if info.get("is_private") else "channel"

    def channel_info(self, channel: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._get_channel(channel).info)

    def set_presence(self, user_id: str, presence: str) -> None:
        """What users.getPresence answers for `user_id`: "active" (the default) or "away"."""
        if presence not in ("active", "away"):
            raise ValueError(f"presence is active or away, not {presence!r}")
        with self._lock:
            if user_id not in self._users:
                raise KeyError(f"no user {user_id!r} in FakeSlack")
            self._presence[user_id] = presence

    def deactivate_user(self, user_id: str) -> None:
        """The user leaves the workspace: users.info says deleted, and presence is away."""
        with self._lock:
            self._users[user_id]["deleted"] = True
            self._presence[user_id] = "away"

    def user(self, user_id: str) -> dict[str, Any]:
        with self._lock:
            if user_id not in self._users:
                raise KeyError(f"no user {user_id!r} in FakeSlack")
            return copy.deepcopy(self._users[user_id])

    def team(self, team_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            return dict(self._teams[team_id or self.team_id])

    # ------------------------------------------------------------------ time and ids
    def _now(self) -> datetime:
        return self.clock.now()

    def _new_ts(self) -> str:
        """Unique, strictly increasing "<seconds>.<6 digits>" from the clock."""
        with self._lock:
            us = int(round(self._now().timestamp() * 1_000_000))
            if us <= self._last_ts_us:
                us = self._last_ts_us + 1
            self._last_ts_us = us
            return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):08d}"

    # ------------------------------------------------------------------ messages
    def post_as_user(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Record a message typed by a human; returns the stored message (a copy)."""
        with self._lock:
            chan = self._get_channel(channel)
            if user not in self._users:
                raise KeyError(f"no user {user!r} in FakeSlack")
            if chan.members is not None:
                chan.members.add(user)
            if thread_ts is not None and thread_ts not in chan.messages:
                raise KeyError(f"no message {thread_ts!r} in {channel} to reply to")
            msg: dict[str, Any] = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": self._new_ts(),
                "team": self._users[user]["team_id"],
                "client_msg_id": str(uuid.uuid4()),
                "blocks": [
                    {
                        "type": "rich_text",
                        "block_id": secrets.token_hex(3),
                        "elements": [
                            {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                        ],
                    }
                ],
            }
            if subtype:
                msg["subtype"] = subtype
            if files:
                msg["files"] = copy.deepcopy(files)
                msg.setdefault("subtype", "file_share")
            self._store(channel, msg, thread_ts)
            return copy.deepcopy(msg)

    def _store(self, channel: str, msg: dict[str, Any], thread_ts: str | None) -> None:
        chan = self._channels[channel]
        if thread_ts is not None:
            parent = chan.messages[thread_ts]
            root = parent.get("thread_ts", parent["ts"])  # a reply's ts: Slack threads under its parent
            parent = chan.messages[root]
            msg["thread_ts"] = root
            msg["parent_user_id"] = parent.get("user")
            parent["thread_ts"] = root
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = msg["ts"]
            users = parent.setdefault("reply_users", [])
            if msg.get("user") and msg["user"] not in users:
                users.append(msg["user"])
            parent["reply_users_count"] = len(users)
        chan.messages[msg["ts"]] = msg
        chan.order.append(msg["ts"])
        self._revised(channel, msg)

    def _revised(self, channel: str, msg: dict[str, Any]) -> None:
        self._revisions.setdefault((channel, msg["ts"]), []).append((self._now(), copy.deepcopy(msg)))

    def message_seen(self, channel: str, ts: str, at: datetime) -> dict[str, Any] | None:
        """The message as it was at `at` (its first version if it is younger): what a client that has not
        caught up with the latest update still shows."""
        with self._lock:
            revisions = self._revisions.get((channel, ts)) or []
            seen = [m for when, m in revisions if when <= at] or [m for _, m in revisions[:1]]
            return copy.deepcopy(seen[-1]) if seen else None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in the channel (top level and replies), in posting order."""
        with self._lock:
            chan = self._get_channel(channel)
            return [copy.deepcopy(chan.messages[ts]) for ts in chan.order if ts in chan.messages]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent and its replies, in order."""
        with self._lock:
            chan = self._get_channel(channel)
            return [copy.deepcopy(m) for m in self._thread_messages(chan, ts)]

    def _thread_messages(self, chan: _Channel, ts: str) -> list[dict[str, Any]]:
        msg = chan.messages.get(ts)
        if msg is None:
            return []
        root = msg.get("thread_ts", ts)
        out = [chan.messages[root]] if root in chan.messages else []
        for t in chan.order:
            m = chan.messages.get(t)
            if m is not None and t != root and m.get("thread_ts") == root:
                out.append(m)
        return out

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            msg = self._get_channel(channel).messages.get(ts)
            return copy.deepcopy(msg) if msg is not None else None

    def bot_messages(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if m.get("bot_id") == self.bot_id]

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    @property
    def views(self) -> list[dict[str, Any]]:
        """Modal views opened (current state, in opening order)."""
        with self._lock:
            return [copy.deepcopy(v) for v in self._views.values()]

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            v = self._views.get(view_id) or next(
                (h for h in self._home_views.values() if h["id"] == view_id), None
            )
            return copy.deepcopy(v) if v is not None else None

    def set_view_state(self, view_id: str, values: dict[str, dict[str, Any]]) -> None:
        """Record what the user typed into a view (the driver does this on submit)."""
        with self._lock:
            for v in [*self._views.values(), *self._home_views.values()]:
                if v["id"] == view_id:
                    v["state"] = {"values": copy.deepcopy(values)}
                    return
            raise KeyError(f"no view {view_id!r} in FakeSlack")

    def view_user(self, view_id: str) -> str | None:
        with self._lock:
            return self._view_users.get(view_id)

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Uploaded files by id: name, title, length, data (bytes), channels."""
        with self._lock:
            return copy.deepcopy(self._files)

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._home_views)

    @property
    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == method]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def write_log(self, path: str | Path) -> None:
        """The call log as JSONL: one {"method": ..., "args": {...as sent}} object per line (`--slack-log`)."""
        with self._lock:
            lines = [_log_line(c) for c in self._calls]
        Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def permalink(self, channel: str, ts: str) -> str:
        with self._lock:
            chan = self._get_channel(channel)
            msg = chan.messages.get(ts)
            link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            if msg is not None and msg.get("thread_ts") and msg["thread_ts"] != ts:
                link += f"?thread_ts={msg['thread_ts']}&cid={channel}"
            return link

    # ------------------------------------------------------------------ triggers, response_urls
    def new_trigger_id(self, user: str) -> str:
        """Register a single-use trigger id valid for 3 s of the clock (PLATFORM-FACTS)."""
        with self._lock:
            now = self._now()
            trigger = f"{int(now.timestamp())}.{next(self._ids)}.{secrets.token_hex(16)}"
            self._triggers[trigger] = {"user": user, "created": now, "used": False}
            return trigger

    def new_response_url(self, channel: str, user: str, message_ts: str | None = None) -> str:
        """A local response_url: 5 uses within 30 min (PLATFORM-FACTS); then 404 used_url/expired_url."""
        with self._lock:
            key = secrets.token_hex(12)
            self._response_urls[key] = {
                "channel": channel,
                "user": user,
                "message_ts": message_ts,
                "created": self._now(),
                "uses": 0,
            }
            return f"{self.url}/response/{key}"

    # ------------------------------------------------------------------ rate limits and failures
    def enable_rate_limits(
        self,
        limits: dict[str, tuple[int, float]] | None = None,
        channel_post_limit: tuple[float, int] | None = DEFAULT_CHANNEL_POST_LIMIT,
    ) -> None:
        """Turn limits on: per method (requests, window seconds), and chat.postMessage per channel."""
        with self._lock:
            self._rate_limits = dict(DEFAULT_RATE_LIMITS if limits is None else limits)
            self._channel_post_limit = channel_post_limit
            self._windows.clear()
            self._buckets.clear()

    def disable_rate_limits(self) -> None:
        with self._lock:
            self._rate_limits = {}
            self._channel_post_limit = None

    def fail_next(
        self, method: str, error: str = "ratelimited", count: int = 1, retry_after: int = 1
    ) -> None:
        """Force the next ``count`` calls of ``method`` to fail: "ratelimited" -> HTTP 429 with
        Retry-After; any other error -> HTTP 200 {"ok": false, "error": error}."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failures.setdefault(method, deque()).append((error, count, retry_after))

    def set_delay(self, seconds: float) -> None:
        """Make every Web API call take ``seconds`` before it is answered (0: answer at once).

        Real time, whatever the clock: it models a slow network or a slow Slack, for benchmarks of
        slow neighbours. Calls wait in parallel (the stand-in serves each request on its own thread).
        """
        if seconds < 0:
            raise ValueError("delay must be >= 0")
        with self._lock:
            self._delay = float(seconds)

    def clear_failures(self) -> None:
        """Forget every failure queued with fail_next (the service recovers)."""
        with self._lock:
            self._failures.clear()

    def _take_failure(self, method: str) -> tuple[str, int] | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        error, count, retry_after = queue[0]
        if count <= 1:
            queue.popleft()
        else:
            queue[0] = (error, count - 1, retry_after)
        return error, retry_after

    def _check_rate_limit(self, method: str, args: dict[str, Any]) -> int | None:
        """Seconds to wait if this call is over a limit (then it is not counted), else None."""
        now = self._now().timestamp()
        limit = self._rate_limits.get(method)
        if limit is not None:
            count, window = limit
            times = self._windows.setdefault(method, deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= count:
                return max(1, math.ceil(times[0] + window - now))
        if method == "chat.postMessage" and self._channel_post_limit is not None:
            rate, burst = self._channel_post_limit
            channel = str(args.get("channel", ""))
            tokens, last = self._buckets.get(channel, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[channel] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / rate))
            self._buckets[channel] = (tokens - 1.0, now)
        if limit is not None:
            self._windows[method].append(now)
        return None

    # ------------------------------------------------------------------ HTTP plumbing
    def _handle(self, req: Request) -> Response:
        if req.path.startswith("/api/"):
            with self._lock:
                delay = self._delay
            if delay:
                time.sleep(delay)
            return self._handle_api(req, req.path[len("/api/") :])
        if req.path.startswith("/response/"):
            return self._handle_response_url(req, req.path[len("/response/") :])
        if req.path.startswith("/upload/"):
            return self._handle_upload(req, req.path[len("/upload/") :])
        return text_response("not found", status=404)

    def _parse_args(self, req: Request, method: str) -> tuple[dict[str, Any], str | None, bool]:
        """(args, token, json_body) from the query string and the body."""
        args: dict[str, Any] = {k: v[-1] for k, v in req.query.items()}
        ctype = req.header("content-type").lower()
        json_body = "application/json" in ctype
        if req.body:
            if json_body:
                body = json.loads(req.body.decode("utf-8"))
                if not isinstance(body, dict):
                    raise SlackError("invalid_json")
                if method in JSON_METHODS:
                    args.update(body)
            elif "multipart/form-data" in ctype:
                raise SlackError("invalid_form_data")
            else:
                form = parse_qs(req.body.decode("utf-8"), keep_blank_values=True)
                args.update({k: v[-1] for k, v in form.items()})
        token: str | None = None
        auth = req.header("authorization")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        token_arg = args.pop("token", None)
        if token is None and token_arg is not None and not json_body:
            token = str(token_arg)  # Slack ignores a token inside a JSON body
        return args, token, json_body

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._calls.append(entry)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as fh:
                    fh.write(_log_line(entry) + "\n")

    def _handle_api(self, req: Request, method: str) -> Response:
        entry: dict[str, Any] = {"method": method, "args": {}}
        try:
            try:
                args, token, _ = self._parse_args(req, method)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise SlackError("invalid_json") from None
            entry["args"] = copy.deepcopy(args)
            app_level = self._app_methods.get(method)
            handler = app_level or getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                raise SlackError("unknown_method", req_method=method)
            if not token:
                raise SlackError("not_authed")
            # App-level methods (apps.connections.open) take the xapp- token, everything else the bot's.
            if token not in (self.bot_token, self.app_token):
                raise SlackError("invalid_auth")
            if (token == self.app_token) != (app_level is not None):
                raise SlackError("not_allowed_token_type")
            with self._lock:
                failure = self._take_failure(method)
                if failure is not None:
                    error, retry_after = failure
                    if error == "ratelimited":
                        return self._ratelimited(entry, retry_after)
                    raise SlackError(error)
                wait = self._check_rate_limit(method, args)
                if wait is not None:
                    return self._ratelimited(entry, wait)
                for key in JSON_ARGS:
                    if isinstance(args.get(key), str):
                        try:
                            args[key] = json.loads(args[key])
                        except json.JSONDecodeError:
                            code = "invalid_arguments" if key == "view" else f"invalid_{key}_format"
                            if key == "blocks":
                                code = "invalid_blocks_format"
                            raise SlackError(code) from None
                body, headers = handler(args)
        except SlackError as exc:
            entry["ok"] = False
            entry["error"] = exc.error
            self._record(entry)
            return json_response({"ok": False, "error": exc.error, **exc.extra})
        entry["ok"] = True
        if "warning" in body:
            entry["warning"] = body["warning"]
        self._record(entry)
        return json_response({"ok": True, **body}, headers=headers)

    def _ratelimited(self, entry: dict[str, Any], retry_after: int) -> Response:
        entry["ok"] = False
        entry["error"] = "ratelimited"
        entry["status"] = 429
        self._record(entry)
        # PLATFORM-FACTS: HTTP 429, integer Retry-After, body {"ok":false,"error":"ratelimited"}.
        return json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(int(retry_after))}
        )

    # ------------------------------------------------------------------ argument helpers
    def _channel_arg(self, args: dict[str, Any], key: str = "channel") -> _Channel:
        value = args.get(key)
        if not value or not isinstance(value, str):
            raise SlackError("channel_not_found")
        chan = self._channels.get(value)
        if chan is None and value.startswith(("U", "W")) and value in self._users:
            chan = self._channels[self._open_dm(value)]  # posting to a user id goes to the app DM
        if chan is None:
            name = value.lstrip("#")
            chan = next((c for c in self._channels.values() if c.info.get("name") == name), None)
        if chan is None:
            raise SlackError("channel_not_found")
        return chan

    def _open_dm(self, user: str) -> str:
        dm = self._dms.get(user)
        if dm is None:
            dm = self._new_id("D")
            info = {
                "id": dm,
                "created": int(self._now().timestamp()),
                "is_im": True,
                "is_channel": False,
                "is_group": False,
                "is_mpim": False,
                "is_private": True,
                "is_org_shared": False,
                "is_ext_shared": False,
                "is_shared": False,
                "context_team_id": self.team_id,
                "user": user,
                "is_open": True,
                "is_member": True,
                "priority": 0,
            }
            self._channels[dm] = _Channel(info, {self.bot_user_id, user})
            self._dms[user] = dm
        return dm

    def _check_message_content(self, args: dict[str, Any], *, update: bool = False) -> list[str]:
        """Validates text/blocks; returns warnings. Raises no_text / invalid_blocks / msg_too_long."""
        warnings: list[str] = []
        text = args.get("text")
        blocks = args.get("blocks")
        if text is not None and not isinstance(text, str):
            text = str(text)
            args["text"] = text
        if blocks is not None and not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        has_attachments = bool(args.get("attachments"))
        if not text and not blocks and not has_attachments:
            raise SlackError("no_text")
        if blocks:
            errors = validate_blocks(blocks, "message")
            if errors:
                raise _blocks_error("invalid_blocks", errors)
        if text and update and len(text) > UPDATE_TEXT_LIMIT:
            raise SlackError("msg_too_long")
        if text and len(text) > TRUNCATE_TEXT_LIMIT:
            args["text"] = text[:TRUNCATE_TEXT_LIMIT]
            warnings.append("message_truncated")
        return warnings

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": args.get("text") or "",
            "ts": ts,
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_name,
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        if args.get("blocks"):
            msg["blocks"] = copy.deepcopy(args["blocks"])
        if args.get("attachments"):
            msg["attachments"] = copy.deepcopy(args["attachments"])
        if args.get("metadata"):
            msg["metadata"] = _checked_metadata(args["metadata"])
        return msg

    @staticmethod
    def _with_warnings(body: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
        if warnings:
            body["warning"] = ",".join(warnings)
            body["response_metadata"] = {"warnings": warnings}
        return body

    # ------------------------------------------------------------------ Web API methods
    # Each returns (body without "ok", extra response headers) or raises SlackError.

    def _m_auth_test(self, args: dict[str, Any]) -> _Result:
        body = {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "is_enterprise_install": False,
        }
        scopes = ",".join(self.scopes)
        return body, {"x-oauth-scopes": scopes, "x-accepted-oauth-scopes": ""}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> _Result:
        chan = self._channel_arg(args)
        warnings = self._check_message_content(args)
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None and str(thread_ts) not in chan.messages:
            # Slack does not reject an unknown thread_ts: the message lands in the channel.
            thread_ts = None
        msg = self._bot_message(args, self._new_ts())
        if thread_ts is not None and _truthy(args.get("reply_broadcast")):
            msg["subtype"] = "thread_broadcast"
        self._store(chan.info["id"], msg, str(thread_ts) if thread_ts is not None else None)
        body = {"channel": chan.info["id"], "ts": msg["ts"], "message": copy.deepcopy(msg)}
        return self._with_warnings(body, warnings), {}

    def _m_chat_update(self, args: dict[str, Any]) -> _Result:
        chan = self._channel_arg(args)
        ts = args.get("ts")
        if not ts or str(ts) not in chan.messages:
            raise SlackError("message_not_found")
        msg = chan.messages[str(ts)]
        if msg.get("bot_id") != self.bot_id:
            raise SlackError("cant_update_message")
        if args.get("text") is None and args.get("blocks") is None and args.get("attachments") is None:
            raise SlackError("no_text")
        merged = dict(args)
        if merged.get("blocks") is None and msg.get("blocks"):
            merged["blocks"] = msg["blocks"]  # blocks not sent: Slack keeps the previous ones
        if merged.get("text") is None:
            merged["text"] = msg.get("text", "")
        warnings = self._check_message_content(merged, update=True)
        msg["text"] = merged.get("text") or ""
        if args.get("blocks") is not None:
            if args["blocks"]:
                msg["blocks"] = copy.deepcopy(args["blocks"])
            else:
                msg.pop("blocks", None)
        if args.get("attachments") is not None:
            msg["attachments"] = copy.deepcopy(args["attachments"])
        if args.get("metadata") is not None:  # not sent: the previous metadata is kept; {} removes it
            if args["metadata"] == {}:
                msg.pop("metadata", None)
            else:
                msg["metadata"] = _checked_metadata(args["metadata"])
        msg["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        self._revised(chan.info["id"], msg)
        body = {
            "channel": chan.info["id"],
            "ts": msg["ts"],
            "text": msg["text"],
            "message": copy.deepcopy(msg),
        }
        return self._with_warnings(body, warnings), {}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> _Result:
        chan = self._channel_arg(args)
        user = args.get("user")
        if not user or user not in self._users or not self._is_member(chan, str(user)):
            raise SlackError("user_not_in_channel")
        warnings = self._check_message_content(args)
        ts = self._new_ts()
        self._ephemerals.append(
            {
                "channel": chan.info["id"],
                "user": user,
                "text": args.get("text") or "",
                "blocks": copy.deepcopy(args.get("blocks")),
                "thread_ts": args.get("thread_ts"),
                "message_ts": ts,
            }
        )
        return self._with_warnings({"message_ts": ts}, warnings), {}

    def _m_chat_getPermalink(self, args: dict[str, Any]) -> _Result:
        chan = self._channel_arg(args)
        ts = args.get("message_ts")
        if not ts or str(ts) not in chan.messages:
            raise SlackError("message_not_found")
        return {"channel": chan.info["id"], "permalink": self.permalink(chan.info["id"], str(ts))}, {}

    def _m_conversations_info(self, args: dict[str, Any]) -> _Result:
        value = args.get("channel")
        chan = self._channels.get(str(value)) if value else None
        if chan is None:
            raise SlackError("channel_not_found")
        info = copy.deepcopy(chan.info)
        if _truthy(args.get("include_num_members")):
            if chan.members is not None:
                info["num_members"] = len(chan.members)
            else:
                teams = info.get("shared_team_ids", [self.team_id])
                info["num_members"] = sum(1 for u in self._users.values() if u["team_id"] in teams)
        return {"channel": info}, {}

    def _m_conversations_replies(self, args: dict[str, Any]) -> _Result:
        value = args.get("channel")
        chan = self._channels.get(str(value)) if value else None
        if chan is None:
            raise SlackError("channel_not_found")
        ts = args.get("ts")
        if not ts or str(ts) not in chan.messages:
            raise SlackError("thread_not_found")
        msgs = _ts_bounds(self._thread_messages(chan, str(ts)), args)
        page, has_more, cursor = _page(msgs, args, 1000, 1000)
        body: dict[str, Any] = {
            "messages": _without_metadata(page, _truthy(args.get("include_all_metadata"))),
            "has_more": has_more,
            "response_metadata": {"next_cursor": cursor},
        }
        return body, {}

    def _m_conversations_history(self, args: dict[str, Any]) -> _Result:
        """Top-level messages (and thread broadcasts), newest first, as Slack returns them."""
        value = args.get("channel")
        chan = self._channels.get(str(value)) if value else None
        if chan is None:
            raise SlackError("channel_not_found")
        if not self._is_member(chan, self.bot_user_id):
            raise SlackError("not_in_channel")
        top = [
            chan.messages[t]
            for t in reversed(chan.order)
            if t in chan.messages
            and (
                chan.messages[t].get("thread_ts", t) == t
                or chan.messages[t].get("subtype") == "thread_broadcast"
            )
        ]
        page, has_more, cursor = _page(_ts_bounds(top, args), args, 100, 999)
        body: dict[str, Any] = {
            "messages": _without_metadata(page, _truthy(args.get("include_all_metadata"))),
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }
        return body, {}

    def _m_conversations_open(self, args: dict[str, Any]) -> _Result:
        if args.get("channel"):
            chan = self._channels.get(str(args["channel"]))
            if chan is None:
                raise SlackError("channel_not_found")
            return {
                "channel": copy.deepcopy(chan.info)
                if _truthy(args.get("return_im"))
                else {"id": chan.info["id"]}
            }, {}
        users_arg = args.get("users")
        if not users_arg:
            raise SlackError("users_list_not_supplied")
        users = [u.strip() for u in str(users_arg).split(",") if u.strip()]
        if len(users) > 8:
            raise SlackError("too_many_users")
        for u in users:
            if u not in self._users:
                raise SlackError("user_not_found")
        if len(users) != 1:
            raise SlackError("method_not_supported_for_channel_type")  # this stand-in has no group DMs
        already = users[0] in self._dms
        dm = self._open_dm(users[0])
        info = self._channels[dm].info
        body: dict[str, Any] = {
            "channel": copy.deepcopy(info) if _truthy(args.get("return_im")) else {"id": dm}
        }
        if already:
            body["no_op"] = True
            body["already_open"] = True
        return body, {}

    def _m_users_info(self, args: dict[str, Any]) -> _Result:
        user = self._users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}, {}

    def _m_users_getPresence(self, args: dict[str, Any]) -> _Result:
        """slack-api-ref users.getPresence: for another user only `presence` (active | away) comes back."""
        user = str(args.get("user") or self.bot_user_id)
        if user not in self._users:
            raise SlackError("user_not_found")
        if user == self.bot_user_id:  # the token's own user: the details too (always_online bot)
            return {"presence": "active", "online": True, "auto_away": False, "manual_away": False,
                    "connection_count": 1, "last_activity": int(self._now().timestamp())}, {}
        return {"presence": self._presence.get(user, "active")}, {}

    def _m_users_lookupByEmail(self, args: dict[str, Any]) -> _Result:
        email = str(args.get("email") or "").strip().lower()
        for user in self._users.values():
            if email and str(user["profile"].get("email", "")).lower() == email:
                return {"user": copy.deepcopy(user)}, {}
        raise SlackError("users_not_found")

    def _view_errors(self, view: Any, kind: str) -> None:
        if not isinstance(view, dict):
            raise _blocks_error("invalid_arguments", ["must provide an object [json-pointer:/view]"])
        errors = validate_view(view)
        if not errors and view.get("type") != kind:
            errors = [f"must be {kind} [json-pointer:/view/type]"]
        if errors:
            raise _blocks_error("invalid_arguments", errors)

    def _build_view(self, view: dict[str, Any], view_id: str, root: str | None = None) -> dict[str, Any]:
        built = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self._now().timestamp())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root or view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        for key in ("title", "submit", "close"):
            if key in view:
                built[key] = copy.deepcopy(view[key])
        return built

    def _check_external_id(self, view: dict[str, Any], own_id: str | None = None) -> None:
        ext = view.get("external_id")
        if not ext:
            return
        for other in [*self._views.values(), *self._home_views.values()]:
            if other.get("external_id") == ext and other["id"] != own_id:
                raise SlackError("duplicate_external_id")

    def _m_views_open(self, args: dict[str, Any]) -> _Result:
        trigger = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger or not TRIGGER_RE.match(str(trigger)):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["invalid `trigger_id`"]})
        record = self._triggers.get(str(trigger))
        if record is None:
            raise SlackError("invalid_trigger_id")
        if record["used"]:
            raise SlackError("exchanged_trigger_id")
        if self._now() - record["created"] > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        view = args.get("view")
        self._view_errors(view, "modal")
        assert isinstance(view, dict)
        self._check_external_id(view)
        record["used"] = True
        view_id = self._new_id("V")
        built = self._build_view(view, view_id)
        self._views[view_id] = built
        self._view_users[view_id] = record["user"]
        return {"view": copy.deepcopy(built)}, {}

    def _m_views_update(self, args: dict[str, Any]) -> _Result:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: view_id"]},
            )
        current = None
        for v in [*self._views.values(), *self._home_views.values()]:
            if (view_id and v["id"] == view_id) or (not view_id and v.get("external_id") == external_id):
                current = v
                break
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = args.get("view")
        self._view_errors(view, current["type"])
        assert isinstance(view, dict)
        self._check_external_id(view, current["id"])
        built = self._build_view(view, current["id"], current["root_view_id"])
        built["state"] = current["state"]
        current.clear()
        current.update(built)
        return {"view": copy.deepcopy(current)}, {}

    def _m_views_publish(self, args: dict[str, Any]) -> _Result:
        user = args.get("user_id")
        if not user or user not in self._users:
            raise SlackError("user_not_found")
        if not self.home_enabled:
            raise SlackError("not_enabled")  # PLATFORM-FACTS: App Home tab off -> not_enabled
        view = args.get("view")
        self._view_errors(view, "home")
        assert isinstance(view, dict)
        self._check_slack_files(view)
        current = self._home_views.get(str(user))
        if current is not None and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        self._check_external_id(view, current["id"] if current else None)
        built = self._build_view(view, current["id"] if current else self._new_id("V"))
        self._home_views[str(user)] = built
        self._view_users[built["id"]] = str(user)
        return {"view": copy.deepcopy(built)}, {}

    def _check_slack_files(self, view: dict[str, Any]) -> None:
        """An image block's slack_file must name a file uploaded (and completed) in this workspace."""
        for block in view.get("blocks") or []:
            ref = block.get("slack_file") if isinstance(block, dict) and block.get("type") == "image" else None
            if isinstance(ref, dict) and "id" in ref:
                record = self._files.get(str(ref["id"]))
                if record is None or not record["completed"]:
                    raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] invalid slack_file id"]})

    def _m_chat_delete(self, args: dict[str, Any]) -> _Result:
        chan = self._channel_arg(args)
        ts = args.get("ts")
        if not ts or str(ts) not in chan.messages:
            raise SlackError("message_not_found")
        if chan.messages[str(ts)].get("bot_id") != self.bot_id:
            raise SlackError("cant_delete_message")
        del chan.messages[str(ts)]
        return {"channel": chan.info["id"], "ts": str(ts)}, {}

    def _m_reactions_add(self, args: dict[str, Any]) -> _Result:
        if not args.get("channel") or not args.get("timestamp"):
            raise SlackError("no_item_specified")
        chan = self._channel_arg(args)
        name = str(args.get("name") or "").strip(":")
        if not name or not re.fullmatch(r"[a-z0-9_+\-']+(::skin-tone-[2-6])?", name):
            raise SlackError("invalid_name")
        msg = chan.messages.get(str(args["timestamp"]))
        if msg is None:
            raise SlackError("message_not_found")
        reactions = msg.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            reactions.append(reaction)
        if self.bot_user_id in reaction["users"]:
            raise SlackError("already_reacted")
        reaction["users"].append(self.bot_user_id)
        reaction["count"] = len(reaction["users"])
        return {}, {}

    def _m_files_upload(self, args: dict[str, Any]) -> _Result:
        raise SlackError("method_deprecated")  # PLATFORM-FACTS: files.upload is retired

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> _Result:
        filename = args.get("filename")
        try:
            length = int(args.get("length", ""))
        except (TypeError, ValueError):
            raise SlackError("missing_argument") from None
        if not filename or length < 0:
            raise SlackError("missing_argument")
        file_id = self._new_id("F")
        self._files[file_id] = {
            "id": file_id,
            "name": str(filename),
            "title": str(filename),
            "length": length,
            "alt_txt": args.get("alt_txt"),
            "data": None,
            "channels": [],
            "completed": False,
        }
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}, {}

    def _handle_upload(self, req: Request, file_id: str) -> Response:
        with self._lock:
            record = self._files.get(file_id)
            if record is None or record["completed"] or req.method != "POST":
                return text_response("not found", status=404)
            record["data"] = req.body
        return text_response(f"OK - {len(req.body)}")

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> _Result:
        raw = args.get("files")
        try:
            items = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            raise SlackError("invalid_arguments") from None
        if not isinstance(items, list) or not items:
            raise SlackError("invalid_arguments")
        records = []
        for item in items:
            record = self._files.get(str(item.get("id") if isinstance(item, dict) else ""))
            if record is None or record["data"] is None or record["completed"]:
                raise SlackError("file_not_found")
            records.append((record, item))
        channel_id = args.get("channel_id") or args.get("channels")
        chan = None
        if channel_id:
            chan = self._channels.get(str(channel_id).split(",")[0])
            if chan is None:
                raise SlackError("channel_not_found")
        if args.get("blocks"):
            errors = validate_blocks(args["blocks"], "message")
            if errors:
                raise _blocks_error("invalid_blocks", errors)
        out = []
        for record, item in records:
            record["completed"] = True
            if item.get("title"):
                record["title"] = item["title"]
            out.append({"id": record["id"], "title": record["title"], "name": record["name"]})
        if chan is not None:
            msg = self._bot_message(
                {"text": args.get("initial_comment") or "", "blocks": args.get("blocks")}, self._new_ts()
            )
            msg["files"] = copy.deepcopy(out)
            msg["upload"] = True
            thread_ts = args.get("thread_ts")
            self._store(chan.info["id"], msg, str(thread_ts) if thread_ts in chan.messages else None)
            for record, _ in records:
                record["channels"].append(chan.info["id"])
        return {"files": out}, {}

    def _m_files_info(self, args: dict[str, Any]) -> _Result:
        record = self._files.get(str(args.get("file") or ""))
        if record is None or not record["completed"]:
            raise SlackError("file_not_found")
        info = {k: v for k, v in record.items() if k not in ("data", "completed", "length")}
        info["size"] = record["length"]
        return {"file": info}, {}

    # ------------------------------------------------------------------ response_url
    def _handle_response_url(self, req: Request, key: str) -> Response:
        entry: dict[str, Any] = {"method": "response_url", "args": {}}
        try:
            payload = json.loads(req.body.decode("utf-8")) if req.body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = None
        if isinstance(payload, dict):
            entry["args"] = copy.deepcopy(payload)
        with self._lock:
            record = self._response_urls.get(key)
            status, text = self._apply_response(record, payload)
        entry["ok"] = status == 200
        if status != 200:
            entry["error"] = text
            entry["status"] = status
        self._record(entry)
        return text_response(text, status=status)

    def _apply_response(self, record: dict[str, Any] | None, payload: Any) -> tuple[int, str]:
        if record is None:
            return 404, "no_such_url"
        if self._now() - record["created"] > RESPONSE_URL_TTL:
            return 404, "expired_url"
        if record["uses"] >= RESPONSE_URL_MAX_USES:
            return 404, "used_url"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        record["uses"] += 1
        channel = record["channel"]
        chan = self._channels.get(channel)
        if chan is None:
            return 404, "channel_not_found"
        original = record.get("message_ts")
        if _truthy(payload.get("delete_original")):
            if not original or original not in chan.messages:
                return 404, "message_not_found"
            del chan.messages[original]
            return 200, "ok"
        args = dict(payload)
        try:
            self._check_message_content(args)
        except SlackError as exc:
            return 400, exc.error
        if _truthy(payload.get("replace_original")) and original and original in chan.messages:
            msg = chan.messages[original]
            if msg.get("bot_id") != self.bot_id:
                return 400, "cant_update_message"
            msg["text"] = args.get("text") or ""
            if args.get("blocks"):
                msg["blocks"] = copy.deepcopy(args["blocks"])
            else:
                msg.pop("blocks", None)
            msg["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
            self._revised(channel, msg)
            return 200, "ok"
        if payload.get("response_type") == "in_channel":
            thread_ts = args.get("thread_ts")
            msg = self._bot_message(args, self._new_ts())
            self._store(channel, msg, thread_ts if thread_ts in chan.messages else None)
            return 200, "ok"
        self._ephemerals.append(
            {
                "channel": channel,
                "user": record["user"],
                "text": args.get("text") or "",
                "blocks": copy.deepcopy(args.get("blocks")),
                "thread_ts": args.get("thread_ts"),
                "message_ts": self._new_ts(),
            }
        )
        return 200, "ok"
