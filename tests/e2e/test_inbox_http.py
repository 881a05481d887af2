"""The request path of /slack/events: verified before it is read, stored before it is answered, and
malformed input refused with a 4xx and its reason (never a 500). Runs on SQLite, and on PostgreSQL
when DATABASE_URL points at one.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bot.cards import Action
from bot.sandbox.driver import sign
from bot.sandbox.world import SIGNING_SECRET, World
from storage import inbox as store
from storage.db import session_scope
from tests.e2e.helpers import ACME, AGENT, escalations

HUMAN = "I want to talk to a real person please"


def _post(
    world: World, body: bytes, content_type: str = "application/json", **headers: str
) -> httpx.Response:
    assert world.driver is not None
    signed = sign(SIGNING_SECRET, int(time.time()), body)
    return httpx.post(
        world.driver.target_url,
        content=body,
        headers={"Content-Type": content_type, **signed, **headers},
        timeout=5,
    )


def _keys(world: World) -> list[str]:
    with session_scope(world.deps.db) as session:
        return store.keys(session)


def _envelope(world: World, event: dict[str, Any] | None, event_id: str = "Ev0BAD") -> dict[str, Any]:
    return {"type": "event_callback", "event_id": event_id, "team_id": world.slack.team_id, "event": event}


MALFORMED: list[tuple[str, bytes, str]] = [
    ("bad JSON", b'{"type": "event_callback", ', "not valid JSON"),
    ("invalid UTF-8", b'{"type": "event_callback", "x": "\xff\xfe"}', "not UTF-8"),
    ("a JSON array", b'[{"type": "event_callback"}]', "must be a JSON object"),
    ("a JSON string", b'"event_callback"', "must be a JSON object"),
    ("no type", b'{"event_id": "Ev1", "event": {"type": "message"}}', "type is missing"),
    ("event null", b'{"type": "event_callback", "event_id": "Ev1", "event": null}', "event is missing"),
    ("event a list", b'{"type": "event_callback", "event_id": "Ev1", "event": []}', "event is missing"),
    ("no event_id", b'{"type": "event_callback", "event": {"type": "message"}}', "event_id is missing"),
    (
        "numeric event_id",
        b'{"type": "event_callback", "event_id": 7, "event": {"type": "message"}}',
        "event_id",
    ),
    (
        "non-numeric ts",
        b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "message", "channel": "C0ACME", "ts": "yesterday"}}',
        "event.ts",
    ),
    (
        "float ts",
        b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "message", "channel": "C0ACME", "ts": 1700000000.1}}',
        "event.ts",
    ),
    (
        "text an object",
        b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "message", "ts": "1.2", "text": {}}}',
        "event.text",
    ),
    ("event without type", b'{"type": "event_callback", "event_id": "Ev1", "event": {}}', "event.type"),
    ("unknown type", b'{"type": "block_party"}', "unsupported request type"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "JSON"),
]


@pytest.mark.parametrize(("name", "body", "reason"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_signed_requests_get_400_with_a_reason(world: World, name: str, body: bytes, reason: str):
    response = _post(world, body)
    assert response.status_code == 400, (name, response.status_code, response.text)
    assert reason in response.text
    assert response.headers.get("x-slack-no-retry") == "1"
    assert _keys(world) == []


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded", 400, "payload is not valid JSON"),
        (b"payload=%5B%5D", "application/x-www-form-urlencoded", 400, "must be a JSON object"),
        (b"payload=%7B%7D", "application/x-www-form-urlencoded", 400, "payload.type"),
        (b"text=hello", "application/x-www-form-urlencoded", 400, "neither payload nor command"),
        (b"command=escalations", "application/x-www-form-urlencoded", 400, "must start with /"),
        (b"<xml/>", "application/xml", 415, "unsupported Content-Type"),
        (b"{}", "", 415, "unsupported Content-Type"),
    ],
)
def test_malformed_forms_and_content_types(
    world: World, body: bytes, content_type: str, status: int, reason: str
):
    response = _post(world, body, content_type)
    assert response.status_code == status and reason in response.text
    assert _keys(world) == []


def test_unsigned_forged_and_stale_requests_are_refused_before_the_body_is_parsed(world: World):
    assert world.driver is not None
    url = world.driver.target_url
    body = b"this is not even JSON"
    unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and "unsigned" in unsigned.text
    forged = httpx.post(
        url,
        content=body,
        headers={"Content-Type": "application/json", **sign("not-the-secret", int(time.time()), body)},
    )
    assert forged.status_code == 401 and "invalid signature" in forged.text
    stale = httpx.post(
        url,
        content=body,
        headers={"Content-Type": "application/json", **sign(SIGNING_SECRET, int(time.time()) - 600, body)},
    )
    assert stale.status_code == 401 and "stale" in stale.text
    garbage_ts = httpx.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Slack-Signature": "v0=00",
            "X-Slack-Request-Timestamp": "soon",
        },
    )
    assert garbage_ts.status_code == 401 and "not a number" in garbage_ts.text
    # a signed copy of the same bytes gets as far as the parser, which is what the refusals above never reached
    assert _post(world, body).status_code == 400


def _raw_request(url: str, head: str, body: bytes = b"") -> str:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(head.encode("ascii") + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


def test_an_oversized_body_is_413_before_it_is_read(world: World):
    assert world.driver is not None
    signed = sign(SIGNING_SECRET, int(time.time()), b"")
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-Slack-Signature: {signed['X-Slack-Signature']}\r\n"
        f"X-Slack-Request-Timestamp: {signed['X-Slack-Request-Timestamp']}\r\n"
        f"Content-Length: {10**12}\r\nConnection: close\r\n"
    )
    # No body is sent at all: a server that tried to read 10^12 bytes would wait, not answer.
    answer = _raw_request(world.driver.target_url, head)
    assert answer.startswith("HTTP/1.0 413") or answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "over the limit" in answer


def test_url_verification_and_ssl_check(world: World):
    assert world.driver is not None
    assert world.driver.url_verification("the-challenge").text == "the-challenge"
    ssl = _post(world, b"ssl_check=1&token=x", "application/x-www-form-urlencoded")
    assert ssl.status_code == 200
    assert _keys(world) == []


def test_an_event_is_stored_before_the_answer_and_a_retry_is_a_no_op(world: World):
    assert world.driver is not None
    cust = world.customers[ACME]
    first = world.driver.user_says(cust.channel, cust.user, HUMAN)
    assert first.status == 200
    # answered 200 means stored: the key is there whether or not a worker has got to it yet
    assert f"event:{first.event_id}" in _keys(world)
    world.settle()
    retried = world.driver._post(
        json.dumps(first.envelope),
        "application/json",
        {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retried.status_code == 200
    world.settle()
    assert _keys(world) == [f"event:{first.event_id}"]
    [esc] = escalations(world)
    assert len([m for m in world.slack.bot_messages(esc.card_channel) if m.get("blocks")]) == 1
    with session_scope(world.deps.db) as session:
        item = store.by_key(session, f"event:{first.event_id}")
        assert item is not None and item.status == store.Status.DONE and item.attempts == 1


def test_a_click_is_recorded_under_its_trigger_id_and_answered_at_once(world: World):
    assert world.driver is not None
    cust = world.customers[ACME]
    world.driver.user_says(cust.channel, cust.user, HUMAN)
    world.settle()
    [esc] = escalations(world)
    response = world.driver.click(AGENT, esc.card_ts, esc.card_channel, Action.CLAIM.value)
    assert response.status_code == 200
    world.settle()
    [esc] = escalations(world)
    assert esc.status == "claimed" and esc.claimed_by == AGENT
    with session_scope(world.deps.db) as session:
        [click] = [k for k in store.keys(session, store.Status.DONE) if k.startswith("block_actions:")]
    assert click.startswith("block_actions:") and len(click) > len("block_actions:")


def test_the_same_slash_command_delivered_twice_runs_once(world: World):
    assert world.driver is not None
    team_channel = next(iter(world.policy.teams.values())).channel
    fields = {
        "token": "x",
        "team_id": world.slack.team_id,
        "channel_id": team_channel,
        "user_id": AGENT,
        "command": "/escalations",
        "text": "help",
        "response_url": world.slack.new_response_url(team_channel, AGENT),
        "trigger_id": "1337.42.abc",
    }
    first = world.driver.post_form(fields)
    second = world.driver.post_form(fields)
    assert first.status_code == 200 and second.status_code == 200
    world.settle()
    with session_scope(world.deps.db) as session:
        assert store.keys(session) == ["command:1337.42.abc"]
    answers = [c for c in world.slack.calls_to("response_url") if "/escalations" in json.dumps(c["args"])]
    assert len(answers) == 1


def test_an_event_whose_processing_fails_is_retried_from_the_inbox(world: World, monkeypatch):
    assert world.driver is not None
    from bot.flows import ingest

    real = ingest.accounts.facts_for
    failures = []

    def flaky(deps: Any, entry: Any) -> Any:
        if not failures:
            failures.append(1)
            raise ConnectionError("CRM connection reset")
        return real(deps, entry)

    monkeypatch.setattr(ingest.accounts, "facts_for", flaky)
    cust = world.customers[ACME]
    result = world.driver.user_says(cust.channel, cust.user, HUMAN)
    assert result.status == 200
    world.settle()
    assert escalations(world) == []  # the first attempt failed; the item waits for its retry
    with session_scope(world.deps.db) as session:
        item = store.by_key(session, f"event:{result.event_id}")
        assert (
            item is not None
            and item.status == store.Status.PENDING
            and "CRM connection reset" in item.last_error
        )
    for _ in range(5):  # the retry is due 1 s later (virtual time); give the workers a few ticks
        world.clock.advance(timedelta(seconds=2))
        world.settle()
        if escalations(world):
            break
    [esc] = escalations(world)
    assert esc.status == "open"
    with session_scope(world.deps.db) as session:
        item = store.by_key(session, f"event:{result.event_id}")
        assert item is not None and item.status == store.Status.DONE and item.attempts >= 2
