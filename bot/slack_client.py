"""slack_sdk's WebClient over pooled keep-alive connections.

WebClient sends each call with urllib's `urlopen`: a new TCP (and TLS) connection per Web API
call. KeepAliveWebClient keeps everything slack_sdk does (argument handling, retry handlers,
SlackResponse, errors) and swaps only the transport for one shared httpx.Client, whose pool reuses
connections across calls and threads.

Only a connection that could not be made (nothing was sent) is handed to slack_sdk's
connection-error retry; a failure after the request went out is raised as it is, so the outbox
retries the effect, looking for its own message first (bot/flows/slack_post.py) instead of
letting a blind resend post it twice.
"""

from __future__ import annotations

import email.message
import io
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

import httpx
from slack_sdk import WebClient

POOL = httpx.Limits(max_connections=32, max_keepalive_connections=16, keepalive_expiry=60.0)


class KeepAliveWebClient(WebClient):
    def __init__(self, *args: Any, http: httpx.Client | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = http or httpx.Client(limits=POOL, timeout=float(self.timeout))

    def close(self) -> None:
        self.http.close()

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith(("http://", "https://")):
            return super()._perform_urllib_http_request_internal(url, req)
        headers = {k: str(v) for k, v in req.header_items()}
        data = bytes(req.data) if isinstance(req.data, bytes | bytearray) else None
        try:
            resp = self.http.request(
                req.get_method(), url, content=data, headers=headers, timeout=float(self.timeout)
            )
        except httpx.ConnectError as exc:  # nothing was sent: slack_sdk may retry it safely
            raise URLError(exc) from exc
        if resp.status_code >= 400:
            hdrs = email.message.Message()
            for key, value in resp.headers.multi_items():
                hdrs[key] = value
            raise HTTPError(url, resp.status_code, resp.reason_phrase, hdrs, io.BytesIO(resp.content))
        if resp.headers.get("content-type", "").startswith("application/gzip"):
            return {"status": resp.status_code, "headers": resp.headers, "body": resp.content}
        return {"status": resp.status_code, "headers": resp.headers, "body": resp.text}
