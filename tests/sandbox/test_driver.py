"""SlackDriver against a real Bolt app (its verifier and listeners) and against bare receivers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.clock import SystemClock, VirtualClock
from bot.sandbox.driver import SlackDriver, sign
from bot.sandbox.httpserver import LocalHTTPServer, Request, Response, json_response, text_response
from bot.sandbox.slack import FakeSlack

from .conftest import START, TOKEN

SECRET = "sandbox-signing-secret"

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
        },
        {
            "type": "input",
            "block_id": "urgency",
            "label": {"type": "plain_text", "text": "Urgency"},
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "High"}, "value": "high"},
                    {"text": {"type": "plain_text", "text": "Low"}, "value": "low"},
                ],
            },
        },
    ],
}
CARD_BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Refund request*"}},
    {
        "type": "actions",
        "block_id": "card_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "claim",
                "value": "esc-1",
                "text": {"type": "plain_text", "text": "Claim"},
            },
            {
                "type": "button",
                "action_id": "note",
                "value": "esc-1",
                "text": {"type": "plain_text", "text": "Note"},
            },
        ],
    },
]


def serve_bolt(app: App) -> LocalHTTPServer:
    """Serve a Bolt app over real HTTP, passing the raw body and headers to its dispatcher."""

    def handle(req: Request) -> Response:
        bolt_req = BoltRequest(body=req.body.decode("utf-8"), query=req.query, headers=req.headers)
        resp = app.dispatch(bolt_req)
        headers = {k: v[0] for k, v in resp.headers.items() if v}
        return Response(resp.status, resp.body.encode("utf-8"), headers)

    return LocalHTTPServer(handle).start()


class Baton:
    """A minimal Bolt app standing in for Baton: records what its listeners saw."""

    def __init__(self, fake: FakeSlack) -> None:
        self.seen: list[dict[str, Any]] = []
        app = App(
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=fake.base_url),
            process_before_response=True,
        )

        @app.event("message")
        def on_message(body: dict[str, Any]) -> None:
            self.seen.append(body)

        @app.event("app_mention")
        def on_mention(body: dict[str, Any]) -> None:
            self.seen.append(body)

        @app.action("claim")
        def on_claim(ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
            ack()
            self.seen.append(body)
            client.views_open(trigger_id=body["trigger_id"], view=MODAL)
            respond(text=f"claimed by <@{body['user']['id']}>", replace_original=False)

        @app.view("handoff")
        def on_submit(ack: Any, body: dict[str, Any]) -> None:
            ack()
            self.seen.append(body)

        @app.command("/escalations")
        def on_command(ack: Any, body: dict[str, Any], respond: Any) -> None:
            ack()
            self.seen.append(body)
            respond(text="report")

        self.server = serve_bolt(app)
        self.url = self.server.url + "/slack/events"


@pytest.fixture
def baton(fake: FakeSlack) -> Iterator[Baton]:
    app = Baton(fake)
    yield app
    app.server.stop()


@pytest.fixture
def driver(baton: Baton, fake: FakeSlack) -> Iterator[SlackDriver]:
    with SlackDriver(baton.url, SECRET, fake) as d:
        yield d


class Receiver:
    """A bare endpoint answering from a script of handlers; records each request's headers."""

    def __init__(self, *answers: Callable[[Request], Response]) -> None:
        self.answers = list(answers)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.server = LocalHTTPServer(self._handle).start()
        self.url = self.server.url + "/slack/events"

    def _handle(self, req: Request) -> Response:
        with self._lock:
            self.requests.append(req)
            answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer(req)


def status(code: int, headers: dict[str, str] | None = None) -> Callable[[Request], Response]:
    return lambda _req: text_response("", status=code, headers=headers)


# ------------------------------------------------------------------ signing


def test_sign_matches_slack_sdk_verifier() -> None:
    body = '{"type":"event_callback"}'
    headers = sign(SECRET, 1_700_000_000, body)
    verifier = SignatureVerifier(SECRET, clock=_FixedClock(1_700_000_010))
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other-secret", clock=_FixedClock(1_700_000_010)).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert headers["X-Slack-Signature"].startswith("v0=")
    assert sign(SECRET, 1_700_000_000, body.encode()) == headers


class _FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_bolt_verifier_rejects_wrong_secret_and_stale_timestamp(baton: Baton, fake: FakeSlack) -> None:
    with SlackDriver(baton.url, "not-the-secret", fake) as wrong:
        assert wrong.url_verification().status_code == 401
    with SlackDriver(baton.url, SECRET, fake) as right:
        stale = int(time.time()) - 301  # PLATFORM-FACTS: reject when |now - timestamp| > 300 s
        assert right.url_verification().status_code == 200
        resp = right.post_json({"type": "url_verification", "challenge": "c"}, timestamp=stale)
        assert resp.status_code == 401


def test_url_verification_echoes_challenge(driver: SlackDriver) -> None:
    resp = driver.url_verification("abc123")
    assert resp.status_code == 200
    assert "abc123" in resp.text


# ------------------------------------------------------------------ events


def test_user_says_delivers_slack_connect_message_event(
    driver: SlackDriver, baton: Baton, fake: FakeSlack
) -> None:
    result = driver.user_says("C0SHARED", "U0CUST", "I want a refund")
    assert result.ok and result.status == 200 and result.retries == 0
    assert fake.message("C0SHARED", result.ts or "")["text"] == "I want a refund"  # type: ignore[index]
    body = baton.seen[-1]
    assert body["type"] == "event_callback"
    assert body["event_id"] == result.event_id and body["event_id"].startswith("Ev")
    assert body["team_id"] == "T0OURS"
    assert body["api_app_id"] == "A0BATON"
    assert body["is_ext_shared_channel"] is True
    assert body["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": "T0OURS",
            "user_id": "U0BATON",
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    event = body["event"]
    assert event["type"] == "message"
    assert event["channel"] == "C0SHARED" and event["channel_type"] == "channel"
    assert event["user"] == "U0CUST"
    assert event["ts"] == event["event_ts"] == result.ts
    assert event["team"] == event["user_team"] == event["source_team"] == "T0ACME"
    assert event["client_msg_id"]
    assert "thread_ts" not in event
    assert body["event_time"] == int(START.timestamp())


def test_reply_event_carries_thread_ts_and_parent_user(driver: SlackDriver, baton: Baton) -> None:
    parent = driver.user_says("C0SHARED", "U0CUST", "help")
    reply = driver.user_says("C0SHARED", "U0AGENT", "on it", thread_ts=parent.ts)
    event = baton.seen[-1]["event"]
    assert event["thread_ts"] == parent.ts
    assert event["parent_user_id"] == "U0CUST"
    assert event["team"] == "T0OURS"
    assert reply.envelope["is_ext_shared_channel"] is True


def test_internal_channel_and_subtype(driver: SlackDriver, baton: Baton) -> None:
    driver.user_says("C0TEAM", "U0AGENT", "joined", subtype="channel_join")
    body = baton.seen[-1]
    assert body["is_ext_shared_channel"] is False
    assert body["event"]["subtype"] == "channel_join"


def test_redeliver_keeps_event_id_and_resend_as_new_event_changes_it(
    driver: SlackDriver, baton: Baton
) -> None:
    first = driver.user_says("C0SHARED", "U0CUST", "hello <@U0BATON>")
    dup = driver.redeliver(first.envelope)
    mention = driver.resend_as_new_event(first.envelope, event_type="app_mention")
    ids = [b["event_id"] for b in baton.seen]
    assert ids[0] == ids[1] == first.event_id
    assert ids[2] != first.event_id
    assert baton.seen[2]["event"]["type"] == "app_mention"
    assert baton.seen[2]["event"]["ts"] == first.ts
    assert dup.ok and mention.ok


def test_user_says_without_delivery(driver: SlackDriver, baton: Baton, fake: FakeSlack) -> None:
    result = driver.user_says("C0TEAM", "U0AGENT", "lost event", deliver=False)
    assert result.attempts == [] and not result.ok
    assert baton.seen == []
    assert fake.message("C0TEAM", result.ts or "") is not None


def test_envelope_for_bot_message(driver: SlackDriver, fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    ts = client.chat_postMessage(channel="C0TEAM", text="card")["ts"]
    event = driver.envelope_for("C0TEAM", ts)["event"]
    assert event["bot_id"] == "B0BATON"
    assert "user_team" not in event
    with pytest.raises(KeyError):
        driver.envelope_for("C0TEAM", "1.000001")


# ------------------------------------------------------------------ retries


def test_http_500_is_retried_three_times_with_retry_headers(fake: FakeSlack) -> None:
    receiver = Receiver(status(500))
    try:
        with SlackDriver(receiver.url, SECRET, fake) as d:
            result = d.user_says("C0TEAM", "U0AGENT", "hi")
    finally:
        receiver.server.stop()
    assert [a.status for a in result.attempts] == [500, 500, 500, 500]
    assert not result.ok and result.retries == 3
    nums = [r.header("x-slack-retry-num") for r in receiver.requests]
    reasons = [r.header("x-slack-retry-reason") for r in receiver.requests]
    assert nums == ["", "1", "2", "3"]
    assert reasons == ["", "http_error", "http_error", "http_error"]
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1  # the same envelope every time, same event_id


def test_retry_stops_after_success(fake: FakeSlack) -> None:
    receiver = Receiver(status(503), status(200))
    try:
        with SlackDriver(receiver.url, SECRET, fake) as d:
            result = d.user_says("C0TEAM", "U0AGENT", "hi")
    finally:
        receiver.server.stop()
    assert [a.status for a in result.attempts] == [503, 200]
    assert result.ok
    assert result.attempts[1].retry_reason == "http_error"


def test_no_retry_header_stops_retries(fake: FakeSlack) -> None:
    receiver = Receiver(status(500, {"X-Slack-No-Retry": "1"}))
    try:
        with SlackDriver(receiver.url, SECRET, fake) as d:
            result = d.user_says("C0TEAM", "U0AGENT", "hi")
    finally:
        receiver.server.stop()
    assert len(receiver.requests) == 1
    assert result.attempts[0].failure == "http_error"
    assert result.attempts[0].headers["x-slack-no-retry"] == "1"


def test_retry_false_sends_once(fake: FakeSlack) -> None:
    receiver = Receiver(status(500))
    try:
        with SlackDriver(receiver.url, SECRET, fake) as d:
            envelope = d.user_says("C0TEAM", "U0AGENT", "hi", deliver=False).envelope
            result = d.deliver_event(envelope, retry=False)
    finally:
        receiver.server.stop()
    assert len(receiver.requests) == 1 and result.retries == 0


def test_slow_answer_is_retried_with_http_timeout(fake: FakeSlack) -> None:
    release = threading.Event()

    def slow(_req: Request) -> Response:
        release.wait(1.0)
        return json_response({})

    receiver = Receiver(slow, status(200))
    try:
        with SlackDriver(receiver.url, SECRET, fake, ack_timeout=0.2) as d:
            result = d.user_says("C0TEAM", "U0AGENT", "hi")
    finally:
        release.set()
        receiver.server.stop()
    assert result.attempts[0].failure == "http_timeout"
    assert result.attempts[0].status is None
    assert result.attempts[1].retry_reason == "http_timeout"
    assert receiver.requests[1].header("x-slack-retry-reason") == "http_timeout"
    assert receiver.requests[1].header("x-slack-retry-num") == "1"
    assert result.ok


def test_connection_failed(fake: FakeSlack) -> None:
    closed = LocalHTTPServer(lambda r: text_response("")).start()
    url = closed.url + "/slack/events"
    closed.stop()
    with SlackDriver(url, SECRET, fake) as d:
        result = d.user_says("C0TEAM", "U0AGENT", "hi")
    assert [a.failure for a in result.attempts] == ["connection_failed"] * 4
    assert [a.retry_reason for a in result.attempts] == [None] + ["connection_failed"] * 3


def test_retry_waits_advance_a_virtual_clock(fake: FakeSlack, clock: VirtualClock) -> None:
    receiver = Receiver(status(500))
    before = clock.now()
    try:
        with SlackDriver(receiver.url, SECRET, fake, retry_delays=(0, 60, 300)) as d:
            d.user_says("C0TEAM", "U0AGENT", "hi")
    finally:
        receiver.server.stop()
    assert clock.now() - before == timedelta(seconds=360)
    with pytest.raises(ValueError):
        SlackDriver(receiver.url, SECRET, fake, retry_delays=(0, 0))


# ------------------------------------------------------------------ interactivity


def post_card(fake: FakeSlack, channel: str = "C0SHARED") -> str:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    return str(client.chat_postMessage(channel=channel, text="Refund request", blocks=CARD_BLOCKS)["ts"])


def test_click_reaches_bolt_and_its_trigger_opens_a_modal(
    driver: SlackDriver, baton: Baton, fake: FakeSlack
) -> None:
    ts = post_card(fake)
    resp = driver.click("U0CUST", ts, "C0SHARED", "claim")
    assert resp.status_code == 200
    body = baton.seen[-1]
    assert body["type"] == "block_actions"
    assert body["user"] == {"id": "U0CUST", "username": "carla", "name": "carla", "team_id": "T0ACME"}
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0SHARED",
        "is_ephemeral": False,
    }
    assert body["channel"] == {"id": "C0SHARED", "name": "acme-support"}
    assert body["team"]["id"] == "T0OURS"
    assert body["message"]["ts"] == ts and body["message"]["blocks"] == CARD_BLOCKS
    action = body["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "claim",
        "card_actions",
        "esc-1",
        "button",
    )
    assert body["response_url"].startswith(fake.url + "/response/")
    # the listener used the trigger (views.open) and the response_url (respond)
    assert fake.views[-1]["callback_id"] == "handoff"
    assert fake.view_user(fake.views[-1]["id"]) == "U0CUST"
    assert fake.ephemerals[-1]["text"] == "claimed by <@U0CUST>"


def test_click_value_override_and_missing_element(driver: SlackDriver, baton: Baton, fake: FakeSlack) -> None:
    ts = post_card(fake)
    driver.click("U0AGENT", ts, "C0SHARED", "claim", value="esc-9", block_id="custom")
    action = baton.seen[-1]["actions"][0]
    assert (action["value"], action["block_id"]) == ("esc-9", "custom")
    with pytest.raises(KeyError):
        driver.click("U0AGENT", ts, "C0SHARED", "no_such_button")
    with pytest.raises(KeyError):
        driver.click("U0AGENT", "1.000001", "C0SHARED", "claim")


def test_submit_view_sends_state_in_slack_shape(driver: SlackDriver, baton: Baton, fake: FakeSlack) -> None:
    ts = post_card(fake)
    driver.click("U0AGENT", ts, "C0SHARED", "claim")
    view_id = fake.views[-1]["id"]
    resp = driver.submit_view(
        "U0AGENT", view_id, {"note": {"text": "call them"}, "urgency": {"pick": "high"}}
    )
    assert resp.status_code == 200
    body = baton.seen[-1]
    assert body["type"] == "view_submission"
    assert body["user"]["id"] == "U0AGENT" and body["user"]["team_id"] == "T0OURS"
    assert body["view"]["id"] == view_id
    assert body["view"]["callback_id"] == "handoff"
    assert body["view"]["private_metadata"] == "esc-1"
    values = body["view"]["state"]["values"]
    assert values["note"]["text"] == {"type": "plain_text_input", "value": "call them"}
    assert values["urgency"]["pick"]["selected_option"]["value"] == "high"
    assert fake.view(view_id)["state"]["values"] == values  # type: ignore[index]
    with pytest.raises(KeyError):
        driver.submit_view("U0AGENT", view_id, {"note": {"wrong": "x"}})
    with pytest.raises(KeyError):
        driver.submit_view("U0AGENT", view_id, {"urgency": {"pick": "medium"}})
    with pytest.raises(KeyError):
        driver.submit_view("U0AGENT", "V0NOPE", {})


def test_slash_command(driver: SlackDriver, baton: Baton, fake: FakeSlack) -> None:
    resp = driver.slash("U0AGENT", "C0TEAM", "/escalations", "week")
    assert resp.status_code == 200
    body = baton.seen[-1]
    assert body["command"] == "/escalations"
    assert body["text"] == "week"
    assert (body["user_id"], body["user_name"]) == ("U0AGENT", "dana")
    assert (body["channel_id"], body["channel_name"]) == ("C0TEAM", "billing-escalations")
    assert (body["team_id"], body["team_domain"]) == ("T0OURS", "ourteam")
    assert body["trigger_id"] and body["api_app_id"] == "A0BATON"
    assert fake.ephemerals[-1] == {
        "channel": "C0TEAM",
        "user": "U0AGENT",
        "text": "report",
        "blocks": None,
        "thread_ts": None,
        "message_ts": fake.ephemerals[-1]["message_ts"],
    }


def test_click_is_form_encoded_payload(fake: FakeSlack) -> None:
    receiver = Receiver(status(200))
    try:
        with SlackDriver(receiver.url, SECRET, fake) as d:
            d.click("U0AGENT", post_card(fake, "C0TEAM"), "C0TEAM", "note")
    finally:
        receiver.server.stop()
    req = receiver.requests[0]
    assert req.header("content-type") == "application/x-www-form-urlencoded"
    payload = json.loads(parse_qs(req.body.decode())["payload"][0])
    assert payload["actions"][0]["action_id"] == "note"
    assert SignatureVerifier(SECRET).is_valid(
        req.body.decode(), req.header("x-slack-request-timestamp"), req.header("x-slack-signature")
    )


def test_signatures_use_real_time_even_with_a_virtual_clock(fake: FakeSlack, baton: Baton) -> None:
    # Bolt compares the signature timestamp with the wall clock, so by default the driver signs
    # with real time, whatever the virtual clock says; a signing clock an hour off fails.
    fake.clock.set(SystemClock().now() + timedelta(days=30))  # type: ignore[attr-defined]
    with SlackDriver(baton.url, SECRET, fake) as d:
        assert d.url_verification().status_code == 200
    hour_ago = VirtualClock(SystemClock().now() - timedelta(hours=1))
    with SlackDriver(baton.url, SECRET, fake, signing_clock=hour_ago) as d:
        assert d.url_verification().status_code == 401


def test_dm_event_has_channel_type_im(driver: SlackDriver, baton: Baton, fake: FakeSlack) -> None:
    dm = WebClient(token=TOKEN, base_url=fake.base_url).conversations_open(users="U0AGENT")["channel"]["id"]
    driver.user_says(dm, "U0AGENT", "status?")
    event = baton.seen[-1]["event"]
    assert (event["channel"], event["channel_type"]) == (dm, "im")
    assert baton.seen[-1]["is_ext_shared_channel"] is False
