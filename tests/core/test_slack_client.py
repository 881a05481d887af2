"""KeepAliveWebClient: slack_sdk's WebClient with pooled keep-alive connections, same answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import FakeSlack
from bot.slack_client import KeepAliveWebClient
from integrations import retry

TOKEN = "xoxb-sandbox"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack(TOKEN)
    slack.add_channel("C0TEAM", "team")
    with slack:
        yield slack


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []
    real = socket.create_connection

    def counting(*args: Any, **kwargs: Any) -> socket.socket:
        made.append(args[0] if args else kwargs.get("address"))
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting)
    return made


def test_calls_reuse_one_connection_where_webclient_opens_one_each(fake: FakeSlack, connections: list[Any]):
    plain = WebClient(token=TOKEN, base_url=fake.base_url)
    for i in range(5):
        plain.chat_postMessage(channel="C0TEAM", text=f"plain {i}")
    assert len(connections) == 5
    connections.clear()
    client = KeepAliveWebClient(token=TOKEN, base_url=fake.base_url)
    for i in range(5):
        client.chat_postMessage(channel="C0TEAM", text=f"kept {i}")
    client.close()
    assert len(connections) == 1
    assert [m["text"] for m in fake.messages("C0TEAM")][-5:] == [f"kept {i}" for i in range(5)]


def test_answers_errors_and_rate_limits_look_like_webclient_s(fake: FakeSlack):
    client = KeepAliveWebClient(token=TOKEN, base_url=fake.base_url)
    auth = client.auth_test()
    assert auth["ok"] and "chat:write" in auth.headers["x-oauth-scopes"]
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0NOPE", text="x")
    assert err.value.response["error"] == "channel_not_found"
    fake.fail_next("chat.postMessage", "ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0TEAM", text="x")
    assert err.value.response.status_code == 429
    assert retry.parse_retry_after(retry.header(err.value.response.headers)) == 7
    client.close()


def test_a_refused_connection_is_a_connection_error_slack_sdk_knows():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = KeepAliveWebClient(token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/", retry_handlers=[])
    with pytest.raises(Exception) as err:
        client.auth_test()
    assert type(err.value).__name__ == "URLError"
