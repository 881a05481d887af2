"""The PagerDuty and Opsgenie stand-ins follow the published contracts (raw HTTP, no Baton client)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import VirtualClock
from bot.sandbox.opsgenie import API_KEY, OpsgenieStandIn
from bot.sandbox.pagerduty import API_TOKEN, ROUTING_KEY, PagerDutyStandIn

T0 = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)
HTTP = httpx.Client(timeout=5)  # one client: building one per call costs more than the calls


@pytest.fixture
def pd() -> Iterator[PagerDutyStandIn]:
    with PagerDutyStandIn(clock=VirtualClock(T0)) as s:
        yield s  # type: ignore[misc]


@pytest.fixture
def og() -> Iterator[OpsgenieStandIn]:
    with OpsgenieStandIn(schedules={"ops": ["a@example.com"]}, clock=VirtualClock(T0)) as s:
        yield s  # type: ignore[misc]


def trigger(**over) -> dict:
    body = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "esc-1",
        "payload": {"summary": "Help", "source": "baton", "severity": "critical"},
    }
    body.update(over)
    return body


def enqueue(pd: PagerDutyStandIn, body) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTP.post(pd.url + "/v2/enqueue", content=data, headers={"Content-Type": "application/json"})


# --- PagerDuty events -------------------------------------------------------------------------------------


def test_trigger_answers_202_with_the_dedup_key(pd):
    r = enqueue(pd, trigger())
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "esc-1"}


def test_trigger_without_dedup_key_gets_one(pd):
    body = trigger()
    del body["dedup_key"]
    r = enqueue(pd, body)
    assert r.status_code == 202 and r.json()["dedup_key"]
    assert pd.incidents()[0]["dedup_key"] == r.json()["dedup_key"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (trigger(routing_key=None), "routing_key"),
        (trigger(routing_key="abc"), "should be 32"),
        (trigger(routing_key="X" * 32), "Invalid routing key"),
        (trigger(event_action="escalate"), "event_action"),
        (trigger(dedup_key="d" * 256), "dedup_key"),
        (trigger(dedup_key=""), "dedup_key"),
        (trigger(payload=None), "payload"),
        (trigger(payload={"source": "b", "severity": "info"}), "summary"),
        (trigger(payload={"summary": "s" * 1025, "source": "b", "severity": "info"}), "summary"),
        (trigger(payload={"summary": "s", "severity": "info"}), "source"),
        (trigger(payload={"summary": "s", "source": "b", "severity": "high"}), "severity"),
        (
            trigger(payload={"summary": "s", "source": "b", "severity": "info", "timestamp": "yesterday"}),
            "timestamp",
        ),
        (trigger(links=[{"text": "no href"}]), "links"),
        ({"routing_key": ROUTING_KEY, "event_action": "resolve"}, "required"),
        ([1, 2], "JSON object"),
    ],
)
def test_invalid_events_get_400_with_errors(pd, body, fragment):
    r = enqueue(pd, body)
    assert r.status_code == 400
    answer = r.json()
    assert answer["status"] == "invalid event" and answer["message"] == "Event object is invalid"
    assert any(fragment in e for e in answer["errors"]), answer["errors"]
    assert pd.incidents() == []


def test_not_json_and_too_large(pd):
    assert enqueue(pd, b"{nope").status_code == 400
    big = trigger(
        payload={"summary": "s", "source": "b", "severity": "info", "custom_details": {"x": "y" * 530_000}}
    )
    r = enqueue(pd, big)
    assert r.status_code == 400 and "512" in r.json()["errors"][0]


def test_incident_lifecycle_by_dedup_key(pd):
    enqueue(pd, trigger())
    enqueue(pd, trigger())
    assert len(pd.incidents()) == 1 and pd.incident("esc-1")["trigger_count"] == 2
    enqueue(pd, {"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": "esc-1"})
    assert pd.incident("esc-1")["status"] == "acknowledged"
    enqueue(pd, trigger())  # still open: deduplicated
    assert len(pd.incidents()) == 1 and pd.incident("esc-1")["status"] == "acknowledged"
    enqueue(pd, {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "esc-1"})
    assert pd.incident("esc-1")["status"] == "resolved" and pd.incident("esc-1")["resolved_at"] == T0
    enqueue(pd, trigger())  # after resolution a trigger opens a new incident
    assert [i["status"] for i in pd.incidents()] == ["resolved", "triggered"]
    assert len(pd.events()) == 6


def test_resolve_unknown_key_is_accepted(pd):
    r = enqueue(pd, {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "ghost"})
    assert r.status_code == 202 and pd.incidents() == []


def test_any_routing_key_when_not_restricted():
    with PagerDutyStandIn(routing_keys=None) as pd:
        assert enqueue(pd, trigger(routing_key="Z" * 32)).status_code == 202


def test_unknown_path_is_404(pd):
    assert HTTP.post(pd.url + "/v1/enqueue", json={}).status_code == 404


# --- failures and the log -------------------------------------------------------------------------------


def test_fail_next_counts_down_and_sets_retry_after(pd):
    pd.fail_next(2, 429, retry_after=3)
    first, second, third = (enqueue(pd, trigger()) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 202)
    assert first.headers["retry-after"] == "3" and first.json()["status"] == "throttle event"
    assert len(pd.incidents()) == 1
    pd.fail_next(1, 400)
    assert enqueue(pd, trigger()).json()["status"] == "invalid event"
    with pytest.raises(ValueError):
        pd.fail_next(-1)


def test_set_down_refuses_connections_even_on_pooled_ones_then_comes_back_on_the_same_url(pd):
    url = pd.url
    with httpx.Client() as client:
        assert client.post(url + "/v2/enqueue", json=trigger()).status_code == 202
        pd.set_down(True)
        with pytest.raises(httpx.TransportError):
            client.post(url + "/v2/enqueue", json=trigger())
        pd.set_down(False)
        assert pd.url == url
        assert client.post(url + "/v2/enqueue", json=trigger()).status_code == 202
        pd.set_down(True, mode="503")
        assert client.post(url + "/v2/enqueue", json=trigger()).status_code == 503
        pd.set_down(False)
        assert client.post(url + "/v2/enqueue", json=trigger()).status_code == 202
    with pytest.raises(ValueError):
        pd.set_down(True, mode="slow")


def test_write_log_is_jsonl_of_posts_as_sent(pd, tmp_path):
    pd.add_oncall({"id": "P1", "name": "A", "email": "a@x"}, escalation_policy_id="PEP1")
    enqueue(pd, trigger())
    enqueue(pd, {"routing_key": "short", "event_action": "trigger"})  # rejected, still sent
    HTTP.get(pd.url + "/oncalls", headers={"Authorization": f"Token token={API_TOKEN}"})
    path = tmp_path / "pager.jsonl"
    pd.write_log(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["url"] for line in lines] == [pd.url + "/v2/enqueue"] * 2
    assert lines[0]["body"] == trigger() and lines[1]["body"]["routing_key"] == "short"
    assert len(pd.requests) == 3  # the GET is in the request log, not the pager log
    pd.clear_log()
    assert pd.pager_log() == [] and pd.requests == []


def test_stopped_stand_in_refuses(pd):
    url = pd.url
    pd.stop()
    with pytest.raises(httpx.TransportError):
        HTTP.post(url + "/v2/enqueue", json=trigger())


# --- PagerDuty /oncalls -------------------------------------------------------------------------------------


def oncalls(pd: PagerDutyStandIn, token: str = API_TOKEN, **params) -> httpx.Response:
    return HTTP.get(pd.url + "/oncalls", params=params, headers={"Authorization": f"Token token={token}"})


def test_oncalls_auth_limit_and_references(pd):
    for i in range(3):
        pd.add_oncall(
            {"id": f"P{i}", "name": f"N{i}", "email": f"{i}@x"}, escalation_policy_id="PEP1", level=i + 1
        )
    assert oncalls(pd, token="bad").status_code == 401
    assert HTTP.get(pd.url + "/oncalls").status_code == 401
    assert oncalls(pd, limit=101).status_code == 400
    assert oncalls(pd, limit="x").status_code == 400
    assert oncalls(pd, offset=-1).status_code == 400
    page = oncalls(pd, limit=2).json()
    assert page["more"] is True and page["limit"] == 2 and len(page["oncalls"]) == 2
    assert page["oncalls"][0]["user"] == {"id": "P0", "type": "user_reference", "summary": "N0"}
    rest = oncalls(pd, limit=2, offset=2, **{"include[]": "users"}).json()
    assert rest["more"] is False and rest["oncalls"][0]["user"]["email"] == "2@x"
    assert rest["oncalls"][0]["escalation_policy"]["id"] == "PEP1" and rest["oncalls"][0]["schedule"] is None


def test_oncalls_time_window_and_earliest(pd):
    user = {"id": "PB", "name": "Bob", "email": "bob@x"}
    pd.add_oncall(
        user,
        escalation_policy_id="PEP1",
        schedule_id="S1",
        start=T0 - timedelta(hours=1),
        end=T0 + timedelta(hours=7),
    )
    pd.add_oncall(
        user,
        escalation_policy_id="PEP1",
        schedule_id="S1",
        start=T0 + timedelta(days=7),
        end=T0 + timedelta(days=8),
    )
    assert len(oncalls(pd, **{"schedule_ids[]": "S1"}).json()["oncalls"]) == 1  # now
    week = {"schedule_ids[]": "S1", "since": T0.isoformat(), "until": (T0 + timedelta(days=9)).isoformat()}
    assert len(oncalls(pd, **week).json()["oncalls"]) == 2
    assert len(oncalls(pd, earliest="true", **week).json()["oncalls"]) == 1
    assert oncalls(pd, since="nope").status_code == 400
    assert oncalls(pd, since=T0.isoformat(), until=(T0 - timedelta(1)).isoformat()).status_code == 400
    with pytest.raises(ValueError):
        pd.add_oncall({"id": "X"}, escalation_policy_id="PEP1")


# --- Opsgenie ------------------------------------------------------------------------------------------------


def og_post(og: OpsgenieStandIn, path: str, body, key: str = API_KEY, **params) -> httpx.Response:
    return HTTP.post(og.url + path, json=body, params=params, headers={"Authorization": f"GenieKey {key}"})


def test_opsgenie_create_is_async_202(og):
    r = og_post(og, "/v2/alerts", {"message": "Help", "alias": "esc-1", "priority": "P1"})
    assert r.status_code == 202
    assert (
        r.json()["result"] == "Request will be processed" and "requestId" in r.json() and "took" in r.json()
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alias": "a"}, "message"),
        ({"message": "m" * 131}, "message"),
        ({"message": "m", "alias": "a" * 513}, "alias"),
        ({"message": "m", "priority": "P0"}, "priority"),
        ({"message": "m", "details": {"n": 1}}, "details"),
        ({"message": "m", "description": "d" * 15001}, "description"),
        ({"message": "m", "responders": [{"type": "team"}]}, "responders"),
    ],
)
def test_opsgenie_validation_422(og, body, field):
    r = og_post(og, "/v2/alerts", body)
    assert r.status_code == 422 and field in r.json()["errors"]
    assert og.alerts() == []


def test_opsgenie_auth_and_routes(og):
    assert og_post(og, "/v2/alerts", {"message": "m"}, key="wrong").status_code == 401
    assert HTTP.post(og.url + "/v2/alerts", json={"message": "m"}).status_code == 401
    assert og_post(og, "/v2/nothing", {}).status_code == 404
    assert og_post(og, "/v2/alerts", [1]).status_code == 400


def test_opsgenie_dedup_and_close_by_alias_id_or_tiny(og):
    og_post(og, "/v2/alerts", {"message": "m", "alias": "esc-1"})
    og_post(og, "/v2/alerts", {"message": "m", "alias": "esc-1"})
    assert og.alert("esc-1")["count"] == 2 and len(og.alerts()) == 1
    assert og_post(og, "/v2/alerts/esc-1/close", {}, identifierType="nope").status_code == 422
    assert og_post(og, "/v2/alerts/esc-1/close", {}).status_code == 202  # default identifierType=id: no match
    assert og.alert("esc-1")["status"] == "open"
    assert og_post(og, "/v2/alerts/esc-1/close", {}, identifierType="alias").status_code == 202
    assert og.alert("esc-1")["status"] == "closed" and og.alert("esc-1")["closed_at"] == T0
    og_post(og, "/v2/alerts", {"message": "m", "alias": "esc-1"})  # a new alert after the close
    assert len(og.alerts()) == 2
    tiny = og.alerts()[1]["tinyId"]
    og_post(og, f"/v2/alerts/{tiny}/close", {}, identifierType="tiny")
    assert og.alerts()[1]["status"] == "closed"


def test_opsgenie_on_calls(og):
    headers = {"Authorization": f"GenieKey {API_KEY}"}
    r = HTTP.get(
        og.url + "/v2/schedules/ops/on-calls", params={"scheduleIdentifierType": "name"}, headers=headers
    )
    assert r.status_code == 200 and r.json()["data"]["onCallRecipients"] == ["a@example.com"]
    og.set_schedule("ops", ["b@example.com"])
    r = HTTP.get(
        og.url + "/v2/schedules/ops/on-calls", params={"scheduleIdentifierType": "name"}, headers=headers
    )
    assert r.json()["data"]["onCallRecipients"] == ["b@example.com"]
    assert (
        HTTP.get(
            og.url + "/v2/schedules/zzz/on-calls", params={"scheduleIdentifierType": "name"}, headers=headers
        ).status_code
        == 404
    )


def test_opsgenie_failures_and_log(og, tmp_path):
    og.fail_next(1, 503, retry_after=2)
    r = og_post(og, "/v2/alerts", {"message": "m", "alias": "a"})
    assert r.status_code == 503 and r.headers["retry-after"] == "2"
    og.fail_next(1, 429)
    assert og_post(og, "/v2/alerts", {"message": "m", "alias": "a"}).status_code == 429
    assert og_post(og, "/v2/alerts", {"message": "m", "alias": "a"}).status_code == 202
    og.write_log(tmp_path / "og.jsonl")
    lines = (tmp_path / "og.jsonl").read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0]) == {
        "url": og.url + "/v2/alerts",
        "body": {"message": "m", "alias": "a"},
    }
