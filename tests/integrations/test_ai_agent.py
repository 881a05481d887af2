"""The AI agent webhook client: one signed POST per call; what is worth retrying and what is refused."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.domain import handoff
from integrations.ai_agent import AiAgentWebhook

BODY = {"type": "baton_handoff", "escalation_id": 7, "state": "human"}


def client_answering(
    status: int, headers: dict[str, str] | None = None, seen: list | None = None
) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, headers=headers or {})

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_a_delivery_is_signed_over_the_exact_body_sent():
    seen: list[httpx.Request] = []
    hook = AiAgentWebhook(client_answering(204, seen=seen), "https://agent.example/h", "s3cret")
    assert hook.deliver(BODY, delivery_id="baton-7-human", timestamp=1_764_687_600).ok
    [req] = seen
    assert json.loads(req.content) == BODY
    assert req.headers["X-Baton-Delivery"] == "baton-7-human"
    assert handoff.verify(
        "s3cret",
        req.headers["X-Baton-Request-Timestamp"],
        req.headers["X-Baton-Signature"],
        req.content,
        now=1_764_687_600 + 10,
    )


@pytest.mark.parametrize(
    ("status", "retry", "after"),
    [
        (500, True, None),
        (503, True, 30.0),
        (429, True, 30.0),
        (408, True, None),
        (400, False, None),
        (401, False, None),
    ],
)
def test_what_is_retried(status, retry, after):
    headers = {"Retry-After": "30"} if after else {}
    result = AiAgentWebhook(client_answering(status, headers), "https://a.example", "s").deliver(
        BODY, delivery_id="d", timestamp=1
    )
    assert not result.ok and result.retry is retry and result.retry_after == after
    assert result.detail == f"HTTP {status}"


def test_no_answer_is_retried():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    hook = AiAgentWebhook(httpx.Client(transport=httpx.MockTransport(down)), "https://a.example", "s")
    result = hook.deliver(BODY, delivery_id="d", timestamp=1)
    assert not result.ok and result.retry and "ConnectError" in result.detail


def test_verify_refuses_replays_and_tampering():
    body = b"{}"
    sig = handoff.sign("k", 1000, body)
    assert handoff.verify("k", "1000", sig, body, now=1000 + 300)
    assert not handoff.verify("k", "1000", sig, body, now=1000 + 301)
    assert not handoff.verify("k", "1001", sig, body, now=1000)
    assert not handoff.verify("k", "x", sig, body, now=1000)
    assert not handoff.verify("j", "1000", sig, body, now=1000)
    assert handoff.metadata(3, handoff.HandoffState.AI) == {
        "event_type": "baton_handoff",
        "event_payload": {"escalation_id": 3, "state": "ai"},
    }
