"""integrations/llm.py against httpx.MockTransport: the request it sends, and every way an answer can
be unusable (each a None summary with the reason, never an exception)."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.domain.summary import SummarySource
from integrations.llm import MAX_PROMPT_CHARS, LlmSummarizer, parse_reply, transcript_prompt

GOOD = {"wants": "a refund", "tried": "explained the policy", "failed": "still charged", "next": "refund it"}


def _completion(content: object) -> dict:
    return {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }


def _summarizer(handler, **kw) -> LlmSummarizer:
    return LlmSummarizer(httpx.Client(transport=httpx.MockTransport(handler)), model="m", **kw)


def test_the_request_is_an_openai_chat_completion():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_completion(json.dumps(GOOD)))

    llm = _summarizer(handler, base_url="https://llm.example.com/v1/", api_key="sk-x")
    result = llm.summarize([("Customer", "refund please"), ("AI agent", "no")])
    assert result.summary is not None and result.summary.source is SummarySource.LLM
    assert result.summary.wants == "a refund" and result.summary.next == "refund it"
    [req] = seen
    assert str(req.url) == "https://llm.example.com/v1/chat/completions" and req.method == "POST"
    assert req.headers["authorization"] == "Bearer sk-x"
    body = json.loads(req.content)
    assert body["model"] == "m" and body["temperature"] == 0 and body["max_tokens"] == 300
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"] == "Customer: refund please\nAI agent: no"
    llm.close()


def test_no_key_no_authorization_header():
    def handler(request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        return httpx.Response(200, json=_completion(json.dumps(GOOD)))

    assert (
        _summarizer(handler, base_url="http://127.0.0.1:1").summarize([("Customer", "x")]).summary is not None
    )


@pytest.mark.parametrize(
    "response, detail",
    [
        (httpx.Response(500, json={"error": {"message": "boom"}}), "HTTP 500"),
        (httpx.Response(401, json={"error": {"message": "bad key"}}), "HTTP 401"),
        (httpx.Response(200, content=b"<html>"), "not JSON"),
        (httpx.Response(200, json={"choices": []}), "no summary object"),
        (httpx.Response(200, json=_completion("I think they want a refund.")), "no summary object"),
        (httpx.Response(200, json=_completion('{"wants": 1, "tried": null}')), "no summary object"),
        (httpx.Response(200, json=_completion(None)), "no summary object"),
        (httpx.Response(200, content=b"x" * 300_000), "larger than 256 KB"),
    ],
)
def test_unusable_answers_are_none_with_a_reason(response, detail):
    llm = _summarizer(lambda request: response, base_url="http://llm")
    result = llm.summarize([("Customer", "x")])
    assert result.summary is None and detail in result.detail


def test_transport_errors_are_none_with_a_reason():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    result = _summarizer(handler, base_url="http://llm").summarize([("Customer", "x")])
    assert result.summary is None and "ConnectError" in result.detail


def test_fenced_json_and_hostile_values():
    fenced = "Here you go:\n```json\n" + json.dumps({**GOOD, "wants": "<!channel> " + "w" * 5000}) + "\n```"
    got = parse_reply(_completion(fenced))
    assert (
        got is not None and len(got.wants) <= 600 and got.wants.startswith("<!channel>")
    )  # the card escapes it


def test_the_prompt_keeps_the_latest_part_of_a_long_transcript():
    lines = [("Customer", f"message {i} " + "x" * 100) for i in range(500)]
    prompt = transcript_prompt(lines)
    assert len(prompt) == MAX_PROMPT_CHARS and prompt.startswith("…") and "message 499" in prompt
