"""Linear client against the loopback Linear GraphQL stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.crm import LINEAR_KEY, CrmSandbox
from integrations.accounts import ServiceFailure
from integrations.linear import OPERATION, LinearClient, LinearIssue


@pytest.fixture(scope="module")
def _servers() -> Iterator[CrmSandbox]:
    with CrmSandbox() as crm:
        yield crm


@pytest.fixture
def sandbox(_servers: CrmSandbox) -> CrmSandbox:
    _servers.reset()
    return _servers


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def load(sandbox: CrmSandbox) -> None:
    linear = sandbox.linear
    linear.add_issue("Export times out", labels=["customer:acme", "Bug"], identifier="ENG-1", priority=2)
    linear.add_issue(
        "SSO loop",
        labels=["Customer:ACME"],
        identifier="ENG-2",
        priority=1,
        state="Todo",
        state_type="unstarted",
    )
    linear.add_issue(
        "Fixed thing", labels=["customer:acme"], identifier="ENG-3", state="Done", state_type="completed"
    )
    linear.add_issue(
        "Won't fix", labels=["customer:acme"], identifier="ENG-4", state="Canceled", state_type="canceled"
    )
    linear.add_issue("Someone else's", labels=["customer:globex"], identifier="ENG-5")


def test_open_bugs_of_the_account_only(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load(sandbox)
    bugs = sandbox.linear_client(http).open_bugs("acme", timeout=2)
    assert isinstance(bugs, tuple), bugs
    assert [b.identifier for b in bugs] == ["ENG-1", "ENG-2"]
    first = bugs[0]
    assert first == LinearIssue(
        identifier="ENG-1",
        title="Export times out",
        url="https://linear.app/sandbox/issue/eng-1",
        priority=2,
        priority_label="High",
        state="In Progress",
        id=first.id,
    )
    assert first.to_dict()["priority_label"] == "High"


def test_no_bugs_is_an_empty_tuple(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load(sandbox)
    assert sandbox.linear_client(http).open_bugs("initech", timeout=2) == ()


def test_request_follows_the_linear_contract(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load(sandbox)
    sandbox.linear_client(http, limit=7).open_bugs("acme", timeout=2)
    (request,) = sandbox.linear.requests
    assert request.method == "POST" and request.path == "/graphql"
    assert request.headers["authorization"] == LINEAR_KEY  # personal API key: no "Bearer"
    assert request.json["operationName"] == OPERATION
    assert request.json["variables"]["first"] == 7
    flt: dict[str, Any] = request.json["variables"]["filter"]
    assert flt["labels"]["some"]["name"]["eqIgnoreCase"] == "customer:acme"
    assert sorted(flt["state"]["type"]["nin"]) == ["canceled", "completed"]


def test_limit_is_respected(sandbox: CrmSandbox, http: httpx.Client) -> None:
    for i in range(4):
        sandbox.linear.add_issue(f"bug {i}", labels=["customer:acme"])
    bugs = sandbox.linear_client(http, limit=3).open_bugs("acme", timeout=2)
    assert isinstance(bugs, tuple) and len(bugs) == 3


def test_label_prefix_is_configurable(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.linear.add_issue("Tagged differently", labels=["acct/acme"])
    bugs = sandbox.linear_client(http, label_prefix="acct/").open_bugs("acme", timeout=2)
    assert isinstance(bugs, tuple) and [b.title for b in bugs] == ["Tagged differently"]


def test_bad_key_is_an_authentication_failure(sandbox: CrmSandbox, http: httpx.Client) -> None:
    result = LinearClient(http, api_key="lin_api_wrong", base_url=sandbox.linear_url).open_bugs(
        "acme", timeout=2
    )
    assert isinstance(result, ServiceFailure) and not result.retryable
    assert result.status == 400
    assert (
        result.describe() == "bugs: Linear rejected the API key (Authentication required, not authenticated)"
    )


def test_bearer_prefix_is_rejected_like_linear_does(sandbox: CrmSandbox) -> None:
    reply = httpx.post(
        f"{sandbox.linear_url}/graphql",
        json={"query": "query BatonOpenBugs { x }", "operationName": OPERATION},
        headers={"Authorization": f"Bearer {LINEAR_KEY}"},
    )
    assert reply.status_code == 400
    assert reply.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"


def test_graphql_errors_with_http_200_are_failures(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load(sandbox)
    sandbox.linear.fail_next_graphql("Field 'issues' is temporarily unavailable")
    result = sandbox.linear_client(http).open_bugs("acme", timeout=2)
    assert isinstance(result, ServiceFailure)
    assert result.status == 200
    assert result.reason == "query failed: Field 'issues' is temporarily unavailable"


def test_rate_limited_is_retryable(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.linear.fail_next(1, 429)  # Linear answers HTTP 400 with code RATELIMITED
    result = sandbox.linear_client(http).open_bugs("acme", timeout=2)
    assert isinstance(result, ServiceFailure) and result.retryable
    assert result.describe() == "bugs: Linear rate limited"


def test_server_error_is_retried_once(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load(sandbox)
    sandbox.linear.fail_next(1, 502)
    bugs = sandbox.linear_client(http, retries=1).open_bugs("acme", timeout=2)
    assert isinstance(bugs, tuple) and len(bugs) == 2
    sandbox.linear.fail_next(2, 502)
    result = sandbox.linear_client(http, retries=1).open_bugs("acme", timeout=2)
    assert isinstance(result, ServiceFailure) and result.status == 502


def test_slow_linear_times_out(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.linear.set_delay(1.0)
    result = sandbox.linear_client(http).open_bugs("acme", timeout=0.1)
    assert isinstance(result, ServiceFailure) and result.describe() == "bugs: Linear timed out"


def test_stand_in_checks_the_variables(sandbox: CrmSandbox) -> None:
    reply = httpx.post(
        f"{sandbox.linear_url}/graphql",
        json={
            "query": "query BatonOpenBugs($filter: IssueFilter!) { x }",
            "operationName": OPERATION,
            "variables": {"first": 5},
        },
        headers={"Authorization": LINEAR_KEY},
    )
    assert reply.status_code == 400
    assert reply.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    "body",
    [
        {"data": None},
        {"data": {"issues": None}},
        {"data": {"issues": {"nodes": "nope"}}},
    ],
)
def test_answers_without_issues_are_failures(body: dict[str, Any]) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body))) as http:
        result = LinearClient(http, api_key="k", base_url="http://linear.test").open_bugs("acme", timeout=1)
    assert isinstance(result, ServiceFailure) and "without issues" in result.reason


def test_odd_nodes_are_tolerated() -> None:
    body = {
        "data": {
            "issues": {
                "nodes": [
                    None,
                    {"identifier": "ENG-9", "title": "t", "priority": 9, "state": None},
                    {"identifier": "ENG-10", "title": "done", "state": {"type": "completed"}},
                ]
            }
        }
    }
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body))) as http:
        result = LinearClient(http, api_key="k", base_url="http://linear.test").open_bugs("acme", timeout=1)
    assert isinstance(result, tuple)
    assert [(b.identifier, b.priority, b.priority_label) for b in result] == [("ENG-9", 0, "No priority")]
