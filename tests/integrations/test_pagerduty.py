import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import VirtualClock
from bot.sandbox.pagerduty import API_TOKEN, ROUTING_KEY, PagerDutyStandIn
from integrations.pager import Link, NoPager, PageRequest, severity_for
from integrations.pagerduty import (
    MAX_SUMMARY,
    OnCallLookupError,
    PagerDutyEvents,
    PagerDutyOnCalls,
)

NOW = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


@pytest.fixture
def pd() -> Iterator[PagerDutyStandIn]:
    with PagerDutyStandIn(clock=VirtualClock(NOW)) as stand_in:
        yield stand_in  # type: ignore[misc]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def events(pd: PagerDutyStandIn, http: httpx.Client, key: str = ROUTING_KEY) -> PagerDutyEvents:
    return PagerDutyEvents(http, routing_key=key, events_url=pd.url)


def alert(**kw) -> PageRequest:
    base = dict(
        dedup_key="esc-1",
        summary="Acme (enterprise): customer asked for a human, billing",
        urgency="immediate",
        links=(Link("https://slack.example/archives/C1/p1", "Escalation card"),),
        custom_details={"account": "Acme", "mrr": 4990, "triggers": ["human_request"]},
        component="billing",
        group="billing-team",
        class_="human_request",
        timestamp=NOW,
    )
    base.update(kw)
    return PageRequest(**base)  # type: ignore[arg-type]


def test_trigger_sends_the_event_and_opens_one_incident(pd, http):
    result = events(pd, http).trigger(alert())
    assert result.ok and result.status == 202 and result.dedup_key == "esc-1"
    [inc] = pd.incidents()
    assert inc["status"] == "triggered" and inc["severity"] == "critical"
    assert inc["links"] == [{"href": "https://slack.example/archives/C1/p1", "text": "Escalation card"}]
    body = pd.pager_log()[0]["body"]
    assert body["routing_key"] == ROUTING_KEY and body["event_action"] == "trigger"
    assert body["payload"]["timestamp"].startswith("2026-06-08T14:00:00")
    assert body["payload"]["custom_details"]["mrr"] == 4990
    assert (body["payload"]["component"], body["payload"]["group"], body["payload"]["class"]) == (
        "billing", "billing-team", "human_request")
    assert pd.pager_log()[0]["url"] == pd.url + "/v2/enqueue"


def test_queued_pages_as_warning():
    assert severity_for("queued") == "warning" and severity_for("immediate") == "critical"
    assert alert(urgency="queued").effective_severity == "warning"
    assert alert(urgency="queued", severity="info").effective_severity == "info"


def test_repeated_trigger_is_deduplicated(pd, http):
    client = events(pd, http)
    assert client.trigger(alert()).ok and client.trigger(alert()).ok
    [inc] = pd.incidents()
    assert inc["trigger_count"] == 2


def test_resolve_and_resolve_of_unknown_key(pd, http):
    client = events(pd, http)
    client.trigger(alert())
    assert client.resolve("esc-1").ok
    assert pd.incident("esc-1")["status"] == "resolved"
    assert client.resolve("never-paged").ok  # PagerDuty answers 202 for unknown keys
    assert client.acknowledge("esc-1").ok


def test_long_summary_is_truncated_and_accepted(pd, http):
    result = events(pd, http).trigger(alert(summary="x" * 5000))
    assert result.ok
    sent = pd.incidents()[0]["summary"]
    assert len(sent) == MAX_SUMMARY and sent.endswith("…")


def test_blank_summary_still_pages(pd, http):
    assert events(pd, http).trigger(alert(summary="  ")).ok
    assert pd.incidents()[0]["summary"] == "Escalation esc-1"


def test_long_dedup_key_is_digested_consistently(pd, http):
    client = events(pd, http)
    key = "k" * 300
    result = client.trigger(alert(dedup_key=key))
    assert result.ok and len(result.dedup_key) <= 255
    assert client.resolve(key).ok
    assert pd.incidents()[0]["status"] == "resolved"


def test_oversized_details_are_replaced_so_the_page_still_goes(pd, http):
    result = events(pd, http).trigger(alert(custom_details={"blob": "y" * 600_000}))
    assert result.ok
    assert "too large" in pd.incidents()[0]["custom_details"]["note"]


def test_400_is_not_retryable(pd, http):
    result = events(pd, http, key="short").trigger(alert())
    assert not result.ok and not result.retryable and result.status == 400
    assert "routing_key" in result.detail
    assert "not retrying" in result.describe()
    assert pd.incidents() == []


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_429_and_5xx_are_retryable_with_retry_after(pd, http, status):
    pd.fail_next(1, status, retry_after=7)
    client = events(pd, http)
    result = client.trigger(alert())
    assert not result.ok and result.retryable and result.status == status and result.retry_after == 7
    assert "retrying" in result.describe()
    assert client.trigger(alert()).ok  # one attempt per call: the next call succeeds
    assert len(pd.incidents()) == 1


def test_429_without_retry_after(pd, http):
    pd.fail_next(1, 429)
    result = events(pd, http).trigger(alert())
    assert result.retryable and result.retry_after is None and "rate limited" in result.detail


def test_outage_then_recovery_delivers_the_page_once(pd, http):
    client = events(pd, http)
    pd.set_down(True)
    down = client.trigger(alert())
    assert not down.ok and down.retryable and down.status is None and "unreachable" in down.detail
    pd.set_down(False)
    pd.set_down(True, mode="503")
    assert client.trigger(alert()).status == 503
    pd.set_down(False)
    assert client.trigger(alert()).ok
    [inc] = pd.incidents()
    assert inc["trigger_count"] == 1


def test_timeouts_are_retryable():
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = PagerDutyEvents(httpx.Client(transport=httpx.MockTransport(boom)), ROUTING_KEY, "http://pd.invalid")
    result = client.trigger(alert())
    assert not result.ok and result.retryable and "ReadTimeout" in result.detail


def test_retry_after_as_http_date_uses_the_injected_clock():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "Mon, 08 Jun 2026 14:01:00 GMT"}, json={})

    client = PagerDutyEvents(httpx.Client(transport=httpx.MockTransport(answer)), ROUTING_KEY, "http://pd.invalid",
                             clock=VirtualClock(NOW))
    assert client.trigger(alert()).retry_after == 60


def test_page_request_round_trips_through_json():
    a = alert(responders=({"type": "team", "name": "billing"},), severity="error", description="d")
    assert PageRequest.from_dict(json.loads(json.dumps(a.to_dict()))) == a


def test_no_pager_always_succeeds():
    assert NoPager().trigger(alert()).ok and NoPager().resolve("x").ok


# --- /oncalls ---------------------------------------------------------------------------------------


def roster(pd: PagerDutyStandIn) -> None:
    pd.add_oncall({"id": "PBOB", "name": "Bob", "email": "bob@example.com"}, escalation_policy_id="PEP1",
                  schedule_id="PSCH1", level=1)
    pd.add_oncall({"id": "PCAROL", "name": "Carol", "email": "carol@example.com"}, escalation_policy_id="PEP1",
                  schedule_id="PSCH2", level=2)
    pd.add_oncall({"id": "PDAN", "name": "Dan", "email": "dan@example.com"}, escalation_policy_id="PEP1", level=3)
    pd.add_oncall({"id": "PERIN", "name": "Erin", "email": "erin@example.com"}, escalation_policy_id="PEP2",
                  schedule_id="PSCH3", start=NOW + timedelta(days=1), end=NOW + timedelta(days=8))


def test_oncalls_pages_through_everything(pd, http):
    roster(pd)
    client = PagerDutyOnCalls(http, api_token=API_TOKEN, api_url=pd.url)
    got = client.oncalls(escalation_policy_ids=["PEP1"], page_size=1)
    assert [(o.email, o.name, o.escalation_level) for o in got] == [
        ("bob@example.com", "Bob", 1), ("carol@example.com", "Carol", 2), ("dan@example.com", "Dan", 3)]
    assert got[0].schedule_id == "PSCH1" and got[2].schedule_id is None and got[0].escalation_policy_id == "PEP1"
    gets = [r for r in pd.requests if r.path == "/oncalls"]
    assert [r.query["offset"] for r in gets] == [["0"], ["1"], ["2"]]
    first = gets[0]
    assert first.headers["authorization"] == f"Token token={API_TOKEN}"
    assert first.headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert first.query["include[]"] == ["users"] and first.query["earliest"] == ["true"]


def test_oncalls_by_schedule_and_window(pd, http):
    roster(pd)
    client = PagerDutyOnCalls(http, api_token=API_TOKEN, api_url=pd.url)
    assert [o.email for o in client.oncalls(schedule_ids=["PSCH2"])] == ["carol@example.com"]
    assert client.oncalls(schedule_ids=["PSCH3"]) == []  # Erin starts tomorrow
    later = client.oncalls(schedule_ids=["PSCH3"], since=NOW + timedelta(days=2), until=NOW + timedelta(days=2))
    assert [o.email for o in later] == ["erin@example.com"] and later[0].start == NOW + timedelta(days=1)


def test_oncalls_failures_raise_a_typed_error(pd, http):
    roster(pd)
    with pytest.raises(OnCallLookupError) as bad_token:
        PagerDutyOnCalls(http, api_token="wrong", api_url=pd.url).oncalls(schedule_ids=["PSCH1"])
    assert bad_token.value.status == 401 and not bad_token.value.retryable
    pd.fail_next(1, 500)
    with pytest.raises(OnCallLookupError) as server:
        PagerDutyOnCalls(http, api_token=API_TOKEN, api_url=pd.url).oncalls(schedule_ids=["PSCH1"])
    assert server.value.retryable
    pd.set_down(True)
    with pytest.raises(OnCallLookupError) as down:
        PagerDutyOnCalls(http, api_token=API_TOKEN, api_url=pd.url).oncalls(schedule_ids=["PSCH1"])
    assert down.value.retryable and down.value.status is None


def test_oncalls_argument_checks(http):
    client = PagerDutyOnCalls(http, api_token=API_TOKEN, api_url="http://pd.invalid")
    with pytest.raises(ValueError):
        client.oncalls()
    with pytest.raises(ValueError):
        client.oncalls(schedule_ids=["P1"], page_size=101)


def test_oncalls_stops_on_a_server_that_always_says_more():
    calls = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        user = {"id": "P1", "email": "a@x", "name": "A"}
        return httpx.Response(200, json={"oncalls": [{"user": user, "escalation_level": 1}], "more": True})

    client = PagerDutyOnCalls(httpx.Client(transport=httpx.MockTransport(answer)), API_TOKEN, "http://pd.invalid")
    assert len(client.oncalls(schedule_ids=["P1"])) == len(calls) == 50


def test_oncalls_garbage_answer():
    client = PagerDutyOnCalls(
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>"))),
        API_TOKEN, "http://pd.invalid",
    )
    with pytest.raises(OnCallLookupError):
        client.oncalls(schedule_ids=["P1"])


def test_make_pager_picks_the_client_by_provider(http):
    from integrations.opsgenie import OpsgenieAlerts
    from integrations.pager import make_pager

    assert isinstance(make_pager("pagerduty", http, pagerduty_routing_key=ROUTING_KEY), PagerDutyEvents)
    assert isinstance(make_pager("opsgenie", http, opsgenie_api_key="k"), OpsgenieAlerts)
    assert isinstance(make_pager("rotation", http), NoPager) and isinstance(make_pager("none", http), NoPager)
    for provider in ("pagerduty", "opsgenie", "victorops"):
        with pytest.raises(ValueError):
            make_pager(provider, http)
