"""A local stand-in for an OpenAI-compatible chat completions API (`POST /v1/chat/completions`).

It checks requests as the real API does (Bearer key when one is set; a JSON body with `model` and a
non-empty `messages` list of `{role, content}`; 401/400 with `{"error": {message, type, code}}`), and
answers a `chat.completion` whose message content is a summary JSON object written from the
transcript. It can answer slowly (`delay`), fail on demand (`fail_next`), or say something else
(`reply`), so tests see the deadline and the fallbacks work.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bot.sandbox.httpserver import FailingStandIn, Request, Response, json_response

PATH = "/v1/chat/completions"
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


def _error(
    status: int, message: str, kind: str = "invalid_request_error", code: str | None = None
) -> Response:
    return json_response({"error": {"message": message, "type": kind, "param": None, "code": code}}, status)


class LlmStandIn(FailingStandIn):
    """`url` is the base URL (the client adds /v1/chat/completions)."""

    def __init__(self, api_key: str = "", model: str = "sandbox-summarizer") -> None:
        super().__init__()
        self.api_key = api_key
        self.model = model
        self.delay = 0.0  # seconds before answering (a slow model)
        self.reply: str | None = None  # message content to answer instead of the summary
        self.requests: list[dict[str, Any]] = []

    @staticmethod
    def summary_for(transcript: str) -> dict[str, str]:
        """What this stand-in "understands": the first customer line and the last AI line."""
        lines = transcript.splitlines()
        customer = next((line.split(": ", 1)[1] for line in lines if line.startswith("Customer: ")), "")
        ai = next((line.split(": ", 1)[1] for line in reversed(lines) if line.startswith("AI agent: ")), "")
        return {
            "wants": f"LLM: the customer wants help with: {customer[:120]}",
            "tried": f"LLM: the AI answered: {ai[:120]}" if ai else "LLM: the AI did not answer",
            "failed": "LLM: the customer was not satisfied",
            "next": "LLM: reply in the thread with a concrete fix",
        }

    def _handle(self, req: Request) -> Response:
        if req.method != "POST" or req.path != PATH:
            return _error(404, f"Unknown request URL: {req.method} {req.path}", code="unknown_url")
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if self.api_key and req.header("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided", code="invalid_api_key")
        try:
            body = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, "We could not parse the JSON body of your request.")
        problem = self._invalid(body)
        if problem:
            return _error(400, problem)
        with self._lock:
            self.requests.append(body)
        if self.delay:
            time.sleep(self.delay)
        if failure is not None:
            return _error(failure, "The server had an error while processing your request.", "server_error")
        transcript = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        content = self.reply if self.reply is not None else json.dumps(self.summary_for(transcript))
        return json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": len(transcript) // 4, "completion_tokens": 60, "total_tokens": 0},
            }
        )

    @staticmethod
    def _invalid(body: Any) -> str:
        if not isinstance(body, dict):
            return "The request body must be a JSON object."
        if not isinstance(body.get("model"), str) or not body["model"]:
            return "you must provide a model parameter"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "'messages' must be a non-empty array"
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
                return f"Invalid value for 'messages[{i}]': each message needs a role and a text content"
        for key in ("temperature", "max_tokens"):
            if key in body and (isinstance(body[key], bool) or not isinstance(body[key], int | float)):
                return f"Invalid type for '{key}': expected a number"
        return ""
