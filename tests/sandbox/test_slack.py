"""FakeSlack exercised the way Baton uses it: through slack_sdk's WebClient pointed at base_url."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.clock import VirtualClock
from bot.sandbox.slack import FakeSlack

from .conftest import TOKEN

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Escalation*"}}


def error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


# ------------------------------------------------------------------ auth


def test_auth_test_answers_like_slack_with_scopes_header(client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["ok"] is True
    assert resp["team_id"] == "T0OURS"
    assert resp["user_id"] == "U0BATON"
    assert resp["bot_id"] == "B0BATON"
    assert resp["app_id"] == "A0BATON"
    assert resp["url"] == "https://ourteam.slack.com/"
    assert "chat:write" in resp.headers["x-oauth-scopes"].split(",")


def test_missing_token_is_not_authed_and_wrong_token_invalid_auth(fake: FakeSlack) -> None:
    err = error_of(WebClient(base_url=fake.base_url).auth_test)
    assert err.response.status_code == 200
    assert err.response["error"] == "not_authed"
    err = error_of(WebClient(token="xoxb-wrong", base_url=fake.base_url).auth_test)
    assert err.response["error"] == "invalid_auth"


def test_token_accepted_as_form_param_but_not_inside_json_body(fake: FakeSlack) -> None:
    ok = httpx.post(fake.base_url + "auth.test", data={"token": TOKEN}).json()
    assert ok["ok"] is True
    in_json = httpx.post(fake.base_url + "auth.test", json={"token": TOKEN}).json()
    assert in_json == {"ok": False, "error": "not_authed"}


def test_unknown_method(client: WebClient) -> None:
    err = error_of(lambda: client.api_call("chat.teleport", json={"channel": "C0TEAM"}))
    assert err.response["error"] == "unknown_method"


def test_token_never_recorded_in_call_log(fake: FakeSlack) -> None:
    httpx.post(fake.base_url + "users.info", data={"token": TOKEN, "user": "U0AGENT"})
    assert fake.calls[-1] == {"method": "users.info", "args": {"user": "U0AGENT"}, "ok": True}


# ------------------------------------------------------------------ chat.postMessage


def test_post_message_stores_bot_message_with_blocks(client: WebClient, fake: FakeSlack) -> None:
    resp = client.chat_postMessage(channel="C0TEAM", text="New escalation", blocks=[SECTION])
    assert resp["channel"] == "C0TEAM"
    assert re.fullmatch(r"\d+\.\d{6}", resp["ts"])
    stored = fake.message("C0TEAM", resp["ts"])
    assert stored is not None
    assert stored["bot_id"] == "B0BATON"
    assert stored["app_id"] == "A0BATON"
    assert stored["user"] == "U0BATON"
    assert stored["blocks"] == [SECTION]
    assert resp["message"]["text"] == "New escalation"


def test_ts_come_from_the_clock_and_strictly_increase(
    client: WebClient, fake: FakeSlack, clock: VirtualClock
) -> None:
    first = client.chat_postMessage(channel="C0TEAM", text="a")["ts"]
    second = client.chat_postMessage(channel="C0TEAM", text="b")["ts"]  # same virtual instant
    assert first.split(".")[0] == str(int(clock.now().timestamp()))
    assert isinstance(first, str) and float(second) > float(first)
    clock.advance(timedelta(hours=1))
    third = client.chat_postMessage(channel="C0TEAM", text="c")["ts"]
    assert int(third.split(".")[0]) - int(first.split(".")[0]) == 3600


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": "hi"}, "channel_not_found"),
        ({"channel": "C0NOPE", "text": "hi"}, "channel_not_found"),
        ({"channel": "C0TEAM"}, "no_text"),
        ({"channel": "C0TEAM", "text": ""}, "no_text"),
    ],
)
def test_post_message_errors(client: WebClient, kwargs: dict[str, Any], error: str) -> None:
    err = error_of(lambda: client.api_call("chat.postMessage", json=kwargs))
    assert err.response["error"] == error


def test_post_message_invalid_blocks_answers_with_slack_messages(client: WebClient, fake: FakeSlack) -> None:
    blocks = [SECTION] * 51
    err = error_of(lambda: client.chat_postMessage(channel="C0TEAM", text="x", blocks=blocks))
    assert err.response.status_code == 200
    assert err.response["error"] == "invalid_blocks"
    assert "no more than 50 items allowed [json-pointer:/blocks]" in err.response["errors"]
    assert (
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
        in (err.response["response_metadata"]["messages"])
    )
    assert fake.messages("C0TEAM") == []


def test_post_message_blocks_not_a_list_is_invalid_blocks_format(client: WebClient) -> None:
    err = error_of(
        lambda: client.api_call("chat.postMessage", json={"channel": "C0TEAM", "blocks": {"a": 1}})
    )
    assert err.response["error"] == "invalid_blocks_format"


def test_post_message_form_body_with_json_encoded_blocks(fake: FakeSlack) -> None:
    resp = httpx.post(
        fake.base_url + "chat.postMessage",
        data={"token": TOKEN, "channel": "C0TEAM", "text": "t", "blocks": json.dumps([SECTION])},
    ).json()
    assert resp["ok"] is True
    assert fake.message("C0TEAM", resp["ts"])["blocks"] == [SECTION]  # type: ignore[index]


def test_post_message_over_40000_chars_is_truncated_with_warning(client: WebClient, fake: FakeSlack) -> None:
    resp = client.chat_postMessage(channel="C0TEAM", text="x" * 40001)
    assert resp["warning"] == "message_truncated"
    assert resp["response_metadata"]["warnings"] == ["message_truncated"]
    assert len(fake.message("C0TEAM", resp["ts"])["text"]) == 40000  # type: ignore[index]


def test_post_message_to_user_id_goes_to_the_dm(client: WebClient, fake: FakeSlack) -> None:
    resp = client.chat_postMessage(channel="U0AGENT", text="you are on call")
    assert resp["channel"] == fake.dm_channel("U0AGENT")
    assert resp["channel"].startswith("D")


def test_thread_bookkeeping(client: WebClient, fake: FakeSlack) -> None:
    parent = fake.post_as_user("C0SHARED", "U0CUST", "help")
    reply = client.chat_postMessage(channel="C0SHARED", text="a human is on it", thread_ts=parent["ts"])
    stored_parent = fake.message("C0SHARED", parent["ts"])
    assert stored_parent is not None
    assert stored_parent["thread_ts"] == parent["ts"]
    assert stored_parent["reply_count"] == 1
    assert stored_parent["latest_reply"] == reply["ts"]
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert reply["message"]["parent_user_id"] == "U0CUST"
    # a reply's ts as thread_ts lands in the parent's thread
    nested = client.chat_postMessage(channel="C0SHARED", text="again", thread_ts=reply["ts"])
    assert nested["message"]["thread_ts"] == parent["ts"]
    assert [m["ts"] for m in fake.thread("C0SHARED", parent["ts"])] == [
        parent["ts"],
        reply["ts"],
        nested["ts"],
    ]


def test_unknown_thread_ts_is_posted_top_level_not_an_error(client: WebClient, fake: FakeSlack) -> None:
    resp = client.chat_postMessage(channel="C0TEAM", text="orphan", thread_ts="1234.000001")
    assert "thread_ts" not in resp["message"]
    assert [m["text"] for m in fake.messages("C0TEAM")] == ["orphan"]


# ------------------------------------------------------------------ chat.update


def test_update_replaces_text_and_blocks(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0TEAM", text="unclaimed", blocks=[SECTION])["ts"]
    new_blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "claimed by <@U0AGENT>"}}]
    resp = client.chat_update(channel="C0TEAM", ts=ts, text="claimed", blocks=new_blocks)
    assert resp["ts"] == ts
    stored = fake.message("C0TEAM", ts)
    assert stored is not None
    assert stored["text"] == "claimed"
    assert stored["blocks"] == new_blocks
    assert "edited" in stored


def test_update_without_blocks_keeps_previous_blocks(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0TEAM", text="one", blocks=[SECTION])["ts"]
    client.chat_update(channel="C0TEAM", ts=ts, text="two")
    assert fake.message("C0TEAM", ts)["blocks"] == [SECTION]  # type: ignore[index]


def test_update_errors(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0TEAM", text="card")["ts"]
    human = fake.post_as_user("C0TEAM", "U0AGENT", "mine")
    cases = [
        ({"channel": "C0TEAM", "ts": "1.000001", "text": "x"}, "message_not_found"),
        ({"channel": "C0NOPE", "ts": ts, "text": "x"}, "channel_not_found"),
        ({"channel": "C0TEAM", "ts": human["ts"], "text": "x"}, "cant_update_message"),
        ({"channel": "C0TEAM", "ts": ts, "text": "x" * 4001}, "msg_too_long"),
        ({"channel": "C0TEAM", "ts": ts}, "no_text"),
        ({"channel": "C0TEAM", "ts": ts, "blocks": [{"type": "nope"}]}, "invalid_blocks"),
    ]
    for kwargs, error in cases:
        err = error_of(lambda kwargs=kwargs: client.api_call("chat.update", json=kwargs))
        assert err.response["error"] == error, kwargs
    assert fake.message("C0TEAM", ts)["text"] == "card"  # type: ignore[index]
    assert fake.message("C0TEAM", human["ts"])["text"] == "mine"  # type: ignore[index]


def test_update_accepts_exactly_4000_chars(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0TEAM", text="card")["ts"]
    assert client.chat_update(channel="C0TEAM", ts=ts, text="y" * 4000)["ok"] is True


# ------------------------------------------------------------------ ephemeral, permalink


def test_post_ephemeral_to_member_and_non_member(client: WebClient, fake: FakeSlack) -> None:
    resp = client.chat_postEphemeral(channel="C0TEAM", user="U0AGENT", text="only you")
    assert re.fullmatch(r"\d+\.\d{6}", resp["message_ts"])
    assert fake.ephemerals[-1]["user"] == "U0AGENT"
    assert fake.ephemerals[-1]["text"] == "only you"
    assert fake.messages("C0TEAM") == []
    for user in ("U0OTHER", "U0NOBODY"):
        err = error_of(lambda user=user: client.chat_postEphemeral(channel="C0TEAM", user=user, text="x"))
        assert err.response["error"] == "user_not_in_channel"


def test_channel_without_member_list_includes_every_user_of_its_teams(
    client: WebClient, fake: FakeSlack
) -> None:
    fake.add_channel("C0ALL", "general")
    assert client.chat_postEphemeral(channel="C0ALL", user="U0OTHER", text="hi")["ok"]
    err = error_of(lambda: client.chat_postEphemeral(channel="C0ALL", user="U0CUST", text="hi"))
    assert err.response["error"] == "user_not_in_channel"


def test_permalinks_for_top_level_and_reply(client: WebClient, fake: FakeSlack) -> None:
    parent = fake.post_as_user("C0SHARED", "U0CUST", "help")
    reply = client.chat_postMessage(channel="C0SHARED", text="on it", thread_ts=parent["ts"])
    top = client.chat_getPermalink(channel="C0SHARED", message_ts=parent["ts"])["permalink"]
    assert top == f"https://ourteam.slack.com/archives/C0SHARED/p{parent['ts'].replace('.', '')}"
    link = client.chat_getPermalink(channel="C0SHARED", message_ts=reply["ts"])["permalink"]
    assert link.endswith(f"?thread_ts={parent['ts']}&cid=C0SHARED")
    err = error_of(lambda: client.chat_getPermalink(channel="C0SHARED", message_ts="1.000002"))
    assert err.response["error"] == "message_not_found"


# ------------------------------------------------------------------ conversations.*


def test_conversations_info_for_shared_channel(client: WebClient) -> None:
    info = client.conversations_info(channel="C0SHARED", include_num_members=True)["channel"]
    assert info["is_ext_shared"] is True
    assert info["is_shared"] is True
    assert info["shared_team_ids"] == ["T0OURS", "T0ACME"]
    assert info["is_member"] is True
    assert info["num_members"] == 3  # two humans and the bot
    assert client.conversations_info(channel="C0TEAM")["channel"]["is_ext_shared"] is False
    err = error_of(lambda: client.conversations_info(channel="C0NOPE"))
    assert err.response["error"] == "channel_not_found"


def test_get_method_ignores_json_body_like_slack(client: WebClient) -> None:
    err = error_of(lambda: client.api_call("conversations.info", json={"channel": "C0TEAM"}))
    assert err.response["error"] == "channel_not_found"


def test_conversations_replies_and_pagination(client: WebClient, fake: FakeSlack) -> None:
    parent = fake.post_as_user("C0SHARED", "U0CUST", "help")
    for i in range(3):
        fake.post_as_user("C0SHARED", "U0AGENT", f"r{i}", thread_ts=parent["ts"])
    page = client.conversations_replies(channel="C0SHARED", ts=parent["ts"], limit=2)
    assert [m["text"] for m in page["messages"]] == ["help", "r0"]
    assert page["has_more"] is True
    cursor = page["response_metadata"]["next_cursor"]
    rest = client.conversations_replies(channel="C0SHARED", ts=parent["ts"], limit=2, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["r1", "r2"]
    assert rest["has_more"] is False
    err = error_of(lambda: client.conversations_replies(channel="C0SHARED", ts="9.000009"))
    assert err.response["error"] == "thread_not_found"
    err = error_of(lambda: client.conversations_replies(channel="C0SHARED", ts=parent["ts"], cursor="junk"))
    assert err.response["error"] == "invalid_cursor"


def test_message_metadata_is_checked_and_returned_only_when_asked(client: WebClient, fake: FakeSlack) -> None:
    mark = {"event_type": "baton_card", "event_payload": {"escalation_id": 7, "effect": 3}}
    posted = client.chat_postMessage(channel="C0TEAM", text="card", metadata=mark)
    for bad, code in (
        ({"event_payload": {}}, "invalid_metadata_schema"),
        ({"event_type": "x", "event_payload": "no"}, "invalid_metadata_schema"),
        ({"event_type": "x", "event_payload": {"big": "y" * 9000}}, "metadata_too_large"),
    ):
        err = error_of(lambda bad=bad: client.chat_postMessage(channel="C0TEAM", text="x", metadata=bad))
        assert err.response["error"] == code
    plain = client.conversations_history(channel="C0TEAM")
    assert [m.get("metadata") for m in plain["messages"]] == [None]
    full = client.conversations_history(channel="C0TEAM", include_all_metadata=True)
    assert [m["metadata"] for m in full["messages"]] == [mark]
    assert full["messages"][0]["ts"] == posted["ts"]


def test_conversations_history_newest_first_top_level_bounds_and_pages(
    client: WebClient, fake: FakeSlack, clock: VirtualClock
) -> None:
    first = fake.post_as_user("C0TEAM", "U0AGENT", "one")
    clock.advance(timedelta(seconds=10))
    second = fake.post_as_user("C0TEAM", "U0AGENT", "two")
    fake.post_as_user("C0TEAM", "U0OTHER", "a reply", thread_ts=first["ts"])
    client.chat_postMessage(channel="C0TEAM", thread_ts=first["ts"], reply_broadcast=True, text="loud")
    clock.advance(timedelta(seconds=10))
    fake.post_as_user("C0TEAM", "U0AGENT", "three")
    texts = [m["text"] for m in client.conversations_history(channel="C0TEAM")["messages"]]
    assert texts == ["three", "loud", "two", "one"]  # replies only when broadcast
    after = client.conversations_history(channel="C0TEAM", oldest=first["ts"])
    assert [m["text"] for m in after["messages"]] == ["three", "loud", "two"]  # oldest is exclusive
    inclusive = client.conversations_history(channel="C0TEAM", oldest=first["ts"], inclusive=True)
    assert [m["text"] for m in inclusive["messages"]][-1] == "one"
    before = client.conversations_history(channel="C0TEAM", latest=second["ts"])
    assert [m["text"] for m in before["messages"]] == ["one"]
    page = client.conversations_history(channel="C0TEAM", limit=3)
    assert page["has_more"] is True and len(page["messages"]) == 3
    rest = client.conversations_history(
        channel="C0TEAM", limit=3, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["one"] and rest["has_more"] is False
    err = error_of(lambda: client.conversations_history(channel="C0NOPE"))
    assert err.response["error"] == "channel_not_found"
    err = error_of(lambda: client.conversations_history(channel="C0TEAM", oldest="soon"))
    assert err.response["error"] == "invalid_ts_oldest"


def test_conversations_replies_metadata_only_when_asked(client: WebClient, fake: FakeSlack) -> None:
    parent = fake.post_as_user("C0SHARED", "U0CUST", "help")
    mark = {"event_type": "baton_message", "event_payload": {"escalation_id": 1, "effect": 2}}
    client.chat_postMessage(channel="C0SHARED", thread_ts=parent["ts"], text="on it", metadata=mark)
    plain = client.conversations_replies(channel="C0SHARED", ts=parent["ts"])
    assert all("metadata" not in m for m in plain["messages"])
    full = client.conversations_replies(channel="C0SHARED", ts=parent["ts"], include_all_metadata=True)
    assert [m.get("metadata") for m in full["messages"]] == [None, mark]


def test_conversations_open_dm(client: WebClient, fake: FakeSlack) -> None:
    first = client.conversations_open(users="U0AGENT")
    dm = first["channel"]["id"]
    assert dm.startswith("D") and fake.dm_channel("U0AGENT") == dm
    again = client.conversations_open(users=["U0AGENT"], return_im=True)
    assert again["channel"]["id"] == dm
    assert again["already_open"] is True
    assert again["channel"]["is_im"] is True
    client.chat_postMessage(channel=dm, text="you are paged")
    assert [m["text"] for m in fake.messages(dm)] == ["you are paged"]
    assert error_of(lambda: client.conversations_open(users="U0GHOST")).response["error"] == "user_not_found"
    assert (
        error_of(lambda: client.api_call("conversations.open")).response["error"] == "users_list_not_supplied"
    )


# ------------------------------------------------------------------ users.*


def test_users_info_and_lookup_by_email(client: WebClient) -> None:
    user = client.users_info(user="U0CUST")["user"]
    assert user["team_id"] == "T0ACME"
    assert user["is_stranger"] is True
    assert client.users_lookupByEmail(email="carla@acme.example")["user"]["id"] == "U0CUST"
    assert error_of(lambda: client.users_info(user="U0GHOST")).response["error"] == "user_not_found"
    err = error_of(lambda: client.users_lookupByEmail(email="nobody@acme.example"))
    assert err.response["error"] == "users_not_found"


# ------------------------------------------------------------------ views.*

MODAL = {
    "type": "modal",
    "callback_id": "handoff",
    "title": {"type": "plain_text", "text": "Hand off"},
    "submit": {"type": "plain_text", "text": "Send"},
    "private_metadata": "esc-1",
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


def test_views_open_with_trigger_and_single_use(client: WebClient, fake: FakeSlack) -> None:
    trigger = fake.new_trigger_id("U0AGENT")
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V")
    assert view["callback_id"] == "handoff"
    assert view["private_metadata"] == "esc-1"
    assert view["state"] == {"values": {}}
    assert fake.views[0]["id"] == view["id"]
    assert fake.view_user(view["id"]) == "U0AGENT"
    err = error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL))
    assert err.response["error"] == "exchanged_trigger_id"
    assert len(fake.views) == 1


def test_views_open_trigger_expires_after_3_seconds(
    client: WebClient, fake: FakeSlack, clock: VirtualClock
) -> None:
    trigger = fake.new_trigger_id("U0AGENT")
    clock.advance(timedelta(seconds=3, milliseconds=1))
    err = error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL))
    assert err.response["error"] == "expired_trigger_id"


def test_views_open_missing_or_unknown_trigger(client: WebClient) -> None:
    err = error_of(lambda: client.api_call("views.open", json={"view": MODAL}))
    assert err.response["error"] == "invalid_arguments"
    assert err.response["response_metadata"]["messages"] == ["invalid `trigger_id`"]
    err = error_of(lambda: client.views_open(trigger_id="123.456.abcdef", view=MODAL))
    assert err.response["error"] == "invalid_trigger_id"


def test_views_open_invalid_view_is_invalid_arguments(client: WebClient, fake: FakeSlack) -> None:
    bad = dict(MODAL, title={"type": "plain_text", "text": "A title far too long for Slack"})
    trigger = fake.new_trigger_id("U0AGENT")
    err = error_of(lambda: client.views_open(trigger_id=trigger, view=bad))
    assert err.response["error"] == "invalid_arguments"
    assert err.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    home = dict(MODAL, type="home")
    err = error_of(lambda: client.views_open(trigger_id=trigger, view=home))
    assert err.response["error"] == "invalid_arguments"


def test_views_update_and_hash_conflict(client: WebClient, fake: FakeSlack) -> None:
    view = client.views_open(trigger_id=fake.new_trigger_id("U0AGENT"), view=MODAL)["view"]
    changed = dict(MODAL, private_metadata="esc-2")
    updated = client.views_update(view_id=view["id"], view=changed, hash=view["hash"])["view"]
    assert updated["id"] == view["id"]
    assert updated["private_metadata"] == "esc-2"
    assert fake.view(view["id"])["private_metadata"] == "esc-2"  # type: ignore[index]
    err = error_of(lambda: client.views_update(view_id=view["id"], view=changed, hash=view["hash"]))
    assert err.response["error"] == "hash_conflict"
    assert (
        error_of(lambda: client.views_update(view_id="V0NOPE", view=changed)).response["error"] == "not_found"
    )


def test_views_publish_home(client: WebClient, fake: FakeSlack) -> None:
    home = {"type": "home", "blocks": [SECTION]}
    view = client.views_publish(user_id="U0AGENT", view=home)["view"]
    assert fake.home_views["U0AGENT"]["id"] == view["id"]
    assert error_of(lambda: client.views_publish(user_id="U0AGENT", view=MODAL)).response["error"] == (
        "invalid_arguments"
    )
    fake.home_enabled = False
    assert (
        error_of(lambda: client.views_publish(user_id="U0AGENT", view=home)).response["error"]
        == "not_enabled"
    )


# ------------------------------------------------------------------ rate limits and forced failures


def test_method_rate_limit_answers_429_with_retry_after(
    client: WebClient, fake: FakeSlack, clock: VirtualClock
) -> None:
    fake.enable_rate_limits({"users.info": (2, 60)}, channel_post_limit=None)
    client.users_info(user="U0AGENT")
    clock.advance(timedelta(seconds=10))
    client.users_info(user="U0AGENT")
    err = error_of(lambda: client.users_info(user="U0AGENT"))
    assert err.response.status_code == 429
    assert err.response["error"] == "ratelimited"
    assert err.response.headers["Retry-After"] == "50"  # the oldest call leaves the window in 50 s
    clock.advance(timedelta(seconds=50))
    assert client.users_info(user="U0AGENT")["ok"] is True
    assert fake.calls_to("users.info")[2]["status"] == 429


def test_post_message_per_channel_limit_tolerates_bursts(
    client: WebClient, fake: FakeSlack, clock: VirtualClock
) -> None:
    fake.enable_rate_limits({}, channel_post_limit=(1.0, 3))
    for _ in range(3):
        client.chat_postMessage(channel="C0TEAM", text="burst")
    err = error_of(lambda: client.chat_postMessage(channel="C0TEAM", text="one too many"))
    assert err.response.status_code == 429
    assert int(err.response.headers["Retry-After"]) >= 1
    assert client.chat_postMessage(channel="C0SHARED", text="other channel")["ok"] is True
    clock.advance(timedelta(seconds=1))
    assert client.chat_postMessage(channel="C0TEAM", text="after a second")["ok"] is True


def test_limits_are_off_by_default(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0TEAM", text="card")["ts"]
    for i in range(55):  # more than Tier 3's 50/min, all at one virtual instant
        client.chat_update(channel="C0TEAM", ts=ts, text=f"v{i}")
    for _ in range(10):  # more than the per-channel burst
        client.chat_postMessage(channel="C0TEAM", text="fast")


def test_default_limits_when_enabled(client: WebClient, fake: FakeSlack) -> None:
    fake.enable_rate_limits()
    ts = client.chat_postMessage(channel="C0TEAM", text="card")["ts"]
    for i in range(50):  # PLATFORM-FACTS: chat.update is Tier 3, 50/min
        client.chat_update(channel="C0TEAM", ts=ts, text=f"v{i}")
    assert error_of(lambda: client.chat_update(channel="C0TEAM", ts=ts, text="x")).response.status_code == 429


def test_disable_rate_limits(client: WebClient, fake: FakeSlack) -> None:
    fake.enable_rate_limits({"users.info": (1, 60)})
    client.users_info(user="U0AGENT")
    fake.disable_rate_limits()
    assert client.users_info(user="U0AGENT")["ok"] is True


def test_fail_next_forces_429s_then_recovers(client: WebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", count=2, retry_after=7)
    for _ in range(2):
        err = error_of(lambda: client.chat_postMessage(channel="C0TEAM", text="x"))
        assert err.response.status_code == 429
        assert err.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C0TEAM", text="x")["ok"] is True
    assert len(fake.messages("C0TEAM")) == 1


def test_fail_next_with_an_error_code(client: WebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.update", error="internal_error")
    ts = client.chat_postMessage(channel="C0TEAM", text="x")["ts"]
    err = error_of(lambda: client.chat_update(channel="C0TEAM", ts=ts, text="y"))
    assert err.response.status_code == 200
    assert err.response["error"] == "internal_error"
    assert client.chat_update(channel="C0TEAM", ts=ts, text="y")["ok"] is True
    with pytest.raises(ValueError):
        fake.fail_next("chat.update", count=0)


# ------------------------------------------------------------------ call log


def test_call_log_in_order_and_jsonl_files(client: WebClient, tmp_path: Path, clock: VirtualClock) -> None:
    live = tmp_path / "live.jsonl"
    with FakeSlack(TOKEN, clock=clock, log_path=live) as slack:
        slack.add_channel("C1", "c")
        c = WebClient(token=TOKEN, base_url=slack.base_url)
        c.chat_postMessage(channel="C1", text="hello", unfurl_links=False)
        error_of(lambda: c.chat_update(channel="C1", ts="1.000001", text="x"))
        assert [(e["method"], e["ok"]) for e in slack.calls] == [
            ("chat.postMessage", True),
            ("chat.update", False),
        ]
        assert slack.calls[0]["args"] == {"channel": "C1", "text": "hello", "unfurl_links": False}
        assert slack.calls[1]["error"] == "message_not_found"
        dumped = tmp_path / "dump.jsonl"
        slack.write_log(dumped)
    lines = [json.loads(line) for line in live.read_text().splitlines()]
    assert lines == [json.loads(line) for line in dumped.read_text().splitlines()]
    assert [line["method"] for line in lines] == ["chat.postMessage", "chat.update"]
    assert all("token" not in line["args"] for line in lines)


# ------------------------------------------------------------------ response_url


def test_response_url_ephemeral_in_channel_replace_and_delete(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0TEAM", text="card", blocks=[SECTION])["ts"]
    hook = WebhookClient(fake.new_response_url("C0TEAM", "U0AGENT", message_ts=ts))
    assert hook.send(text="just for you").status_code == 200
    assert fake.ephemerals[-1]["user"] == "U0AGENT"
    assert hook.send(text="for everyone", response_type="in_channel").status_code == 200
    assert [m["text"] for m in fake.messages("C0TEAM")] == ["card", "for everyone"]
    assert hook.send(text="replaced", replace_original=True).status_code == 200
    assert fake.message("C0TEAM", ts)["text"] == "replaced"  # type: ignore[index]
    assert "blocks" not in fake.message("C0TEAM", ts)  # type: ignore[operator]
    assert hook.send_dict({"delete_original": True}).status_code == 200
    assert fake.message("C0TEAM", ts) is None
    assert fake.calls_to("response_url")[0]["args"] == {"text": "just for you"}


def test_response_url_allows_five_uses(fake: FakeSlack) -> None:
    hook = WebhookClient(fake.new_response_url("C0TEAM", "U0AGENT"))
    for _ in range(5):
        assert hook.send(text="ok").status_code == 200
    sixth = hook.send(text="one more")
    assert sixth.status_code == 404
    assert sixth.body == "used_url"
    assert len(fake.ephemerals) == 5


def test_response_url_expires_after_30_minutes(fake: FakeSlack, clock: VirtualClock) -> None:
    hook = WebhookClient(fake.new_response_url("C0TEAM", "U0AGENT"))
    clock.advance(timedelta(minutes=30, seconds=1))
    resp = hook.send(text="late")
    assert (resp.status_code, resp.body) == (404, "expired_url")
    unknown = WebhookClient(fake.url + "/response/nope").send(text="x")
    assert unknown.status_code == 404


def test_response_url_rejects_empty_and_invalid_blocks(fake: FakeSlack) -> None:
    hook = WebhookClient(fake.new_response_url("C0TEAM", "U0AGENT"))
    assert hook.send_dict({"response_type": "ephemeral"}).body == "no_text"
    bad = hook.send(text="x", blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}])
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    assert fake.ephemerals == []


# ------------------------------------------------------------------ post_as_user


def test_post_as_user_records_human_message(fake: FakeSlack) -> None:
    msg = fake.post_as_user("C0SHARED", "U0CUST", "my invoice is wrong")
    assert msg["team"] == "T0ACME"
    assert "bot_id" not in msg
    assert msg["blocks"][0]["type"] == "rich_text"
    with pytest.raises(KeyError):
        fake.post_as_user("C0NOPE", "U0CUST", "x")
    with pytest.raises(KeyError):
        fake.post_as_user("C0SHARED", "U0GHOST", "x")
    with pytest.raises(KeyError):
        fake.post_as_user("C0SHARED", "U0CUST", "x", thread_ts="1.000001")


def test_plain_http_404_outside_the_api(fake: FakeSlack) -> None:
    assert httpx.get(fake.url + "/elsewhere").status_code == 404


# ------------------------------------------------------------------ reactions, delete, files


def test_reactions_add(client: WebClient, fake: FakeSlack) -> None:
    msg = fake.post_as_user("C0SHARED", "U0CUST", "help")
    client.reactions_add(channel="C0SHARED", timestamp=msg["ts"], name="eyes")
    assert fake.message("C0SHARED", msg["ts"])["reactions"] == [  # type: ignore[index]
        {"name": "eyes", "users": ["U0BATON"], "count": 1}
    ]
    cases = [
        ({"channel": "C0SHARED", "timestamp": msg["ts"], "name": "eyes"}, "already_reacted"),
        ({"channel": "C0SHARED", "timestamp": "1.000001", "name": "eyes"}, "message_not_found"),
        ({"channel": "C0SHARED", "timestamp": msg["ts"], "name": "Not An Emoji"}, "invalid_name"),
        ({"channel": "C0SHARED", "name": "eyes"}, "no_item_specified"),
    ]
    for kwargs, error in cases:
        err = error_of(lambda kwargs=kwargs: client.api_call("reactions.add", json=kwargs))
        assert err.response["error"] == error, kwargs


def test_chat_delete(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0TEAM", text="oops")["ts"]
    human = fake.post_as_user("C0TEAM", "U0AGENT", "mine")
    err = error_of(lambda: client.chat_delete(channel="C0TEAM", ts=human["ts"]))
    assert err.response["error"] == "cant_delete_message"
    assert client.chat_delete(channel="C0TEAM", ts=ts)["ts"] == ts
    assert fake.message("C0TEAM", ts) is None
    assert (
        error_of(lambda: client.chat_delete(channel="C0TEAM", ts=ts)).response["error"] == "message_not_found"
    )


def test_files_upload_v2_through_local_upload_url(client: WebClient, fake: FakeSlack) -> None:
    parent = fake.post_as_user("C0TEAM", "U0AGENT", "/escalations week")
    resp = client.files_upload_v2(
        channel="C0TEAM",
        content=b"\x89PNG fake chart",
        filename="week.png",
        title="Escalations this week",
        initial_comment="Weekly report",
        thread_ts=parent["ts"],
    )
    file_id = resp["files"][0]["id"]
    stored = fake.files[file_id]
    assert stored["data"] == b"\x89PNG fake chart"
    assert stored["title"] == "Escalations this week"
    assert stored["channels"] == ["C0TEAM"]
    shared = fake.thread("C0TEAM", parent["ts"])[-1]
    assert shared["text"] == "Weekly report"
    assert shared["files"][0]["id"] == file_id
    assert [c["method"] for c in fake.calls][-2:] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_files_errors(client: WebClient, fake: FakeSlack) -> None:
    assert error_of(lambda: client.api_call("files.upload", data={"channels": "C0TEAM"})).response[
        "error"
    ] == ("method_deprecated")
    err = error_of(lambda: client.files_getUploadURLExternal(filename="x.png", length="lots"))  # type: ignore[arg-type]
    assert err.response["error"] == "missing_argument"
    ticket = client.files_getUploadURLExternal(filename="x.png", length=3)
    # completing before the bytes were uploaded: the file does not exist yet
    err = error_of(
        lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C0TEAM")
    )
    assert err.response["error"] == "file_not_found"
    assert httpx.post(ticket["upload_url"], content=b"abc").status_code == 200
    err = error_of(
        lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C0NOPE")
    )
    assert err.response["error"] == "channel_not_found"
    assert httpx.post(fake.url + "/upload/F0NOPE", content=b"abc").status_code == 404


# ------------------------------------------------------------------ message metadata

HANDOFF = {"event_type": "baton_handoff", "event_payload": {"escalation_id": 3, "state": "human"}}


def test_metadata_is_stored_and_returned_like_slack(client: WebClient, fake: FakeSlack) -> None:
    parent = fake.post_as_user("C0SHARED", "U0CUST", "help")
    resp = client.chat_postMessage(
        channel="C0SHARED", thread_ts=parent["ts"], text="a person", metadata=HANDOFF
    )
    assert resp["message"]["metadata"] == HANDOFF
    assert fake.message("C0SHARED", resp["ts"])["metadata"] == HANDOFF  # type: ignore[index]
    # conversations.replies returns the payload only with include_all_metadata
    plain = client.conversations_replies(channel="C0SHARED", ts=parent["ts"])["messages"][-1]
    assert "event_payload" not in plain.get("metadata", {})
    full = client.conversations_replies(channel="C0SHARED", ts=parent["ts"], include_all_metadata=True)
    assert full["messages"][-1]["metadata"] == HANDOFF
    # chat.update keeps it unless told otherwise; {} removes it
    client.chat_update(channel="C0SHARED", ts=resp["ts"], text="edited")
    assert fake.message("C0SHARED", resp["ts"])["metadata"] == HANDOFF  # type: ignore[index]
    client.chat_update(channel="C0SHARED", ts=resp["ts"], text="edited", metadata={})
    assert "metadata" not in fake.message("C0SHARED", resp["ts"])  # type: ignore[operator]


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"event_type": "baton_handoff"}, "invalid_metadata_schema"),
        ({"event_type": "", "event_payload": {}}, "invalid_metadata_schema"),
        ({"event_type": "x", "event_payload": "state=human"}, "invalid_metadata_schema"),
        ("{not json", "invalid_metadata_format"),
    ],
)
def test_malformed_metadata_is_refused(client: WebClient, metadata: Any, error: str) -> None:
    err = error_of(
        lambda: client.api_call(
            "chat.postMessage",
            data={
                "channel": "C0SHARED",
                "text": "x",
                "metadata": metadata if isinstance(metadata, str) else json.dumps(metadata),
            },
        )
    )
    assert err.response["error"] == error


def test_set_delay_holds_every_web_api_answer_and_zero_restores_it():
    """The latency knob (for slow-neighbour benchmarks): a client that waits less than the delay gets
    no answer; the call still happens; with 0 the same client is answered."""
    fake = FakeSlack().start()
    try:
        auth = {"Authorization": f"Bearer {fake.bot_token}"}
        fake.set_delay(3.0)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{fake.base_url}auth.test", headers=auth, timeout=0.5)
        fake.set_delay(0)
        assert httpx.post(f"{fake.base_url}auth.test", headers=auth, timeout=30).json()["ok"] is True
        with pytest.raises(ValueError):
            fake.set_delay(-1)
    finally:
        fake.stop()
