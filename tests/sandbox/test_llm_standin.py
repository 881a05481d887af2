"""The OpenAI-compatible stand-in refuses what the real API refuses, and answers a chat.completion."""

from __future__ import annotations

import json

import httpx

from bot.sandbox.llm import LlmStandIn


def test_the_stand_in_checks_requests_like_the_real_api():
    standin = LlmStandIn(api_key="sk-1").start()
    try:
        url = standin.url + "/v1/chat/completions"
        auth = {"Authorization": "Bearer sk-1"}
        good = {"model": "m", "messages": [{"role": "user", "content": "Customer: hi\nAI agent: hello"}]}
        assert httpx.post(url, json=good).status_code == 401
        assert (
            httpx.post(url, json=good, headers={"Authorization": "Bearer nope"}).json()["error"]["code"]
            == "invalid_api_key"
        )
        assert httpx.post(url, json={"messages": good["messages"]}, headers=auth).status_code == 400
        assert httpx.post(url, json={"model": "m", "messages": []}, headers=auth).status_code == 400
        assert (
            httpx.post(
                url, json={"model": "m", "messages": [{"role": "wizard", "content": "x"}]}, headers=auth
            ).status_code
            == 400
        )
        assert httpx.post(url, content=b"{", headers=auth).status_code == 400
        assert httpx.post(standin.url + "/v1/completions", json=good, headers=auth).status_code == 404
        resp = httpx.post(url, json=good, headers=auth)
        assert resp.status_code == 200 and resp.json()["object"] == "chat.completion"
        content = json.loads(resp.json()["choices"][0]["message"]["content"])
        assert content["wants"].endswith("hi") and content["tried"].endswith("hello")
        standin.fail_next(503)
        assert httpx.post(url, json=good, headers=auth).status_code == 503
        assert len(standin.requests) == 2  # only valid requests are recorded
    finally:
        standin.stop()
