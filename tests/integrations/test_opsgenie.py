from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.clock import VirtualClock
from bot.sandbox.opsgenie import API_KEY, OpsgenieStandIn
from integrations.opsgenie import MAX_MESSAGE, OpsgenieAlerts, priority_for
from integrations.pager import Link, PageRequest
from integrations.pagerduty import OnCallLookupError

NOW = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


@pytest.fixture
def og() -> Iterator[OpsgenieStandIn]:
    with OpsgenieStandIn(schedules={"billing_schedule": ["bob@example.com"]}, clock=VirtualClock(NOW)) as s:
        yield s  # type: ignore[misc]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def pager(og: OpsgenieStandIn, http: httpx.Client, key: str = API_KEY) -> OpsgenieAlerts:
    return OpsgenieAlerts(http, api_key=key, api_url=og.url)


def alert(**kw) -> PageRequest:
    base = dict(
        dedup_key="esc-1",
        summary="Acme (enterprise): customer asked for a human",
        urgency="immediate",
        links=(Link("https://slack.example/archives/C1/p1", "Escalation card"),),
        custom_details={"account": "Acme", "mrr": 4990},
        responders=({"type": "team", "name": "billing-ops"},),
        group="billing",
    )
    base.update(kw)
    return PageRequest(**base)  # type: ignore[arg-type]


def test_trigger_creates_an_alert(og, http):
    result = pager(og, http).trigger(alert())
    assert result.ok and result.status == 202 and result.dedup_key == "esc-1"
    [a] = og.alerts()
    assert (a["alias"], a["priority"], a["status"], a["count"]) == ("esc-1", "P1", "open", 1)
    assert a["details"] == {"account": "Acme", "mrr": "4990", "card": "https://slack.example/archives/C1/p1"}
    assert "Escalation card: https://slack.example/archives/C1/p1" in a["description"]
    assert a["responders"] == [{"type": "team", "name": "billing-ops"}]
    req = og.requests[0]
    assert req.headers["authorization"] == f"GenieKey {API_KEY}"
    assert og.pager_log()[0]["url"] == og.url + "/v2/alerts"


def test_priority_mapping():
    assert priority_for("immediate") == "P1" and priority_for("queued") == "P3"


def test_queued_is_p3_and_message_is_truncated(og, http):
    assert pager(og, http).trigger(alert(urgency="queued", summary="z" * 400)).ok
    a = og.alerts()[0]
    assert a["priority"] == "P3" and len(a["message"]) == MAX_MESSAGE and a["message"].endswith("…")


def test_same_alias_is_deduplicated_and_close_by_alias(og, http):
    client = pager(og, http)
    client.trigger(alert())
    client.trigger(alert())
    [a] = og.alerts()
    assert a["count"] == 2
    assert client.resolve("esc-1").ok
    assert og.alert("esc-1")["status"] == "closed"
    close = og.requests[-1]
    assert close.path == "/v2/alerts/esc-1/close" and close.query["identifierType"] == ["alias"]
    assert client.resolve("never-sent").ok  # asynchronous API: accepted either way


def test_alias_with_slashes_is_escaped_in_the_close_url(og, http):
    client = pager(og, http)
    assert client.trigger(alert(dedup_key="team/esc 1")).ok
    assert client.resolve("team/esc 1").ok
    assert og.alert("team/esc 1")["status"] == "closed"


def test_long_alias_is_digested_consistently(og, http):
    client = pager(og, http)
    key = "a" * 600
    result = client.trigger(alert(dedup_key=key))
    assert result.ok and len(result.dedup_key) <= 512
    assert client.resolve(key).ok
    assert og.alerts()[0]["status"] == "closed"


def test_bad_key_is_not_retryable(og, http):
    result = pager(og, http, key="nope").trigger(alert())
    assert not result.ok and not result.retryable and result.status == 401


def test_422_is_not_retryable(og, http):
    result = pager(og, http).trigger(alert(responders=({"type": "robot", "name": "x"},)))
    assert not result.ok and not result.retryable and result.status == 422
    assert "responders" in result.detail


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retryable(og, http, status):
    og.fail_next(1, status, retry_after=30)
    client = pager(og, http)
    result = client.trigger(alert())
    assert not result.ok and result.retryable and result.retry_after == 30
    assert client.trigger(alert()).ok and len(og.alerts()) == 1


def test_connection_refused_then_recovery(og, http):
    client = pager(og, http)
    assert client.trigger(alert()).ok
    og.set_down(True)
    result = client.resolve("esc-1")
    assert not result.ok and result.retryable and result.status is None
    og.set_down(False)
    assert client.resolve("esc-1").ok and og.alert("esc-1")["status"] == "closed"


def test_on_call_emails(og, http):
    client = pager(og, http)
    assert client.on_call_emails("billing_schedule") == ["bob@example.com"]
    with pytest.raises(OnCallLookupError) as missing:
        client.on_call_emails("nobody")
    assert missing.value.status == 404 and not missing.value.retryable
    og.fail_next(1, 503)
    with pytest.raises(OnCallLookupError) as down:
        client.on_call_emails("billing_schedule")
    assert down.value.retryable
