"""What the helpdesk stand-ins (bot/sandbox/helpdesks.py, zendesk.py, freshdesk.py) share: a loopback
HTTP server, failures on demand (`fail_next(503, count=2)`, Retry-After on 429; `lose_next_answers(n)`:
the request is carried out, then answered 504, as when a gateway times out after the service
committed), and a log of every request (`{"url", "method", "body"}`) for `--helpdesk-log`.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.httpserver import FailingStandIn, Request, Response, json_response


class HelpdeskStandIn(FailingStandIn):
    def __init__(self) -> None:
        super().__init__()
        self._lose = 0  # answers to lose after carrying the request out
        self._lose_method = self._lose_path = ""
        self.requests: list[dict[str, Any]] = []

    def lose_next_answers(self, count: int = 1, *, method: str = "", path: str = "") -> None:
        """Carry out the next `count` requests (of `method` to `path`, when given), then answer 504:
        the work is done, the answer is lost."""
        with self._lock:
            self._lose, self._lose_method, self._lose_path = self._lose + count, method.upper(), path

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    def _handle(self, req: Request) -> Response:
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        with self._lock:
            query = "&".join(f"{k}={v}" for k, vs in sorted(req.query.items()) for v in vs)
            url = self.url + req.path + (f"?{query}" if query else "")
            self.requests.append({"url": url, "method": req.method, "body": body})
            failure = self._failures.popleft() if self._failures else 0
            lose = (
                self._lose > 0 and not failure and self._lose_method in ("", req.method)
                and self._lose_path in ("", req.path)
            )  # fmt: skip
            if lose:
                self._lose -= 1
        if failure:
            headers = {"Retry-After": "2"} if failure == 429 else {}
            return json_response({"error": "failing on demand"}, status=failure, headers=headers)
        answer = self.answer(req, body)
        if lose:
            return json_response({"error": "gateway timeout (the answer was lost)"}, status=504)
        return answer

    def answer(self, req: Request, body: Any) -> Response:
        raise NotImplementedError


def write_log(path: str, *standins: HelpdeskStandIn) -> None:
    """Every request sent to the helpdesk stand-ins, one JSON object per line (`--helpdesk-log`)."""
    lines = [json.dumps(entry, sort_keys=True) for s in standins for entry in s.log()]
    with open(path, "w", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in lines))
