"""LinearIssues: the GraphQL requests it sends and how it reads Linear's answers and errors."""

from __future__ import annotations

import json
from typing import Any

import httpx

from integrations.accounts import ServiceFailure
from integrations.linear_issues import LinearIssues

ISSUE = {"id": "3f1c9d2e-0000-4000-8000-000000000001", "identifier": "ENG-7", "title": "T", "url": "https://l/e7"}


def _client(answers: list[tuple[int, Any]]) -> tuple[LinearIssues, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        status, body = answers.pop(0)
        return httpx.Response(status, json=body)

    http = httpx.Client(transport=httpx.MockTransport(handle))
    return LinearIssues(http, api_key="lin_api_k", base_url="https://api.example/"), sent


def test_issue_create_request_shape() -> None:
    client, sent = _client([(200, {"data": {"issueCreate": {"success": True, "issue": ISSUE}}})])
    got = client.create(
        issue_id=ISSUE["id"], team_id="team-uuid", title="x" * 400, description="d", label_ids=("a", "b", "a")
    )
    assert got == type(got)(ISSUE["id"], "ENG-7", "T", "https://l/e7")
    [request] = sent
    assert request.method == "POST" and str(request.url) == "https://api.example/graphql"
    assert request.headers["authorization"] == "lin_api_k"  # an API key: no "Bearer"
    body = json.loads(request.content)
    assert body["operationName"] == "BatonIssueCreate"
    assert body["query"].startswith("mutation BatonIssueCreate($input: IssueCreateInput!)")
    assert body["variables"] == {
        "input": {"id": ISSUE["id"], "teamId": "team-uuid", "title": "x" * 255, "description": "d", "labelIds": ["a", "b"]}
    }


def test_errors_retryable_or_not() -> None:
    cases = [
        ((503, {"errors": [{"message": "down"}]}), True),
        ((400, {"errors": [{"message": "slow down", "extensions": {"code": "RATELIMITED"}}]}), True),
        ((200, {"errors": [{"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}), True),
        ((400, {"errors": [{"message": "Entity not found: Team", "extensions": {"code": "INVALID_INPUT"}}]}), False),
        ((400, {"errors": [{"message": "no", "extensions": {"code": "AUTHENTICATION_ERROR"}}]}), False),
        ((200, {"data": {"issueCreate": {"success": False, "issue": None}}}), True),
    ]
    for answer, retryable in cases:
        client, _ = _client([answer])
        got = client.create(issue_id="i", team_id="t", title="t", description="d")
        assert isinstance(got, ServiceFailure) and got.retryable is retryable, (answer, got)


def test_find_by_id_and_the_customer_label() -> None:
    client, sent = _client(
        [
            (200, {"data": {"issues": {"nodes": []}}}),
            (200, {"data": {"issueLabels": {"nodes": []}}}),
            (200, {"data": {"issueLabelCreate": {"success": True, "issueLabel": {"id": "L1", "name": "customer:acme"}}}}),
        ]
    )
    assert client.find(ISSUE["id"]) is None
    assert client.customer_label("acme") == "L1"
    bodies = [json.loads(r.content) for r in sent]
    assert bodies[0]["variables"] == {"filter": {"id": {"eq": ISSUE["id"]}}}
    assert bodies[1]["variables"] == {"filter": {"name": {"eqIgnoreCase": "customer:acme"}}}
    assert bodies[2]["operationName"] == "BatonLabelCreate"
    assert bodies[2]["variables"] == {"input": {"name": "customer:acme"}}
