"""HubSpot client against the loopback HubSpot stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest

from bot.sandbox.crm import HUBSPOT_TOKEN, CrmSandbox
from integrations.accounts import ServiceFailure
from integrations.hubspot import (
    CrmRecord,
    HubSpotClient,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_number,
    parse_tier,
)


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


def client(sandbox: CrmSandbox, http: httpx.Client, **kwargs: object) -> HubSpotClient:
    kwargs.setdefault("search_rate_per_second", None)
    return sandbox.hubspot_client(http, **kwargs)


ACME = {
    "id": "acme",
    "name": "Acme Corp",
    "tier": "enterprise",
    "mrr": 4990,
    "renewal_date": "2026-09-30",
    "owner": "Dana Lee",
    "owner_email": "dana@example.com",
    "created_at": "2023-02-01T10:00:00Z",
    "at_risk": True,
}


def test_found_company_is_read_into_an_account_with_its_owner(
    sandbox: CrmSandbox, http: httpx.Client
) -> None:
    sandbox.load_accounts([ACME, {"id": "globex", "name": "Globex"}])
    record = client(sandbox, http).fetch("acme", timeout=2)
    assert isinstance(record, CrmRecord), record
    account = record.account
    assert (account.id, account.name, account.tier, account.mrr) == (
        "acme",
        "Acme Corp",
        "enterprise",
        4990.0,
    )
    assert account.renewal_date == date(2026, 9, 30)
    assert account.created_at == datetime(2023, 2, 1, 10, 0, tzinfo=UTC)
    assert account.at_risk is True
    assert account.owner == "Dana Lee"
    assert account.extra["owner_email"] == "dana@example.com"
    assert record.problems == ()


def test_search_request_has_the_contract_shape(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    client(sandbox, http).fetch("acme", timeout=2)
    search = sandbox.hubspot.requests[0]
    assert search.method == "POST" and search.path == "/crm/v3/objects/companies/search"
    assert search.headers["authorization"] == f"Bearer {HUBSPOT_TOKEN}"
    flt = search.json["filterGroups"][0]["filters"][0]
    assert flt == {"propertyName": "baton_account_id", "operator": "EQ", "value": "acme"}
    assert {"name", "baton_tier", "hubspot_owner_id", "createdate"} <= set(search.json["properties"])
    assert sandbox.hubspot.requests[1].path.startswith("/crm/v3/owners/")


def test_account_id_property_is_configurable(http: httpx.Client) -> None:
    from integrations.hubspot import HubSpotProperties

    with CrmSandbox(properties=HubSpotProperties(account_id="customer_code")) as crm:
        crm.load_accounts([{"id": "acme", "name": "Acme"}])
        record = client(crm, http).fetch("acme", timeout=2)
        assert isinstance(record, CrmRecord) and record.account.name == "Acme"
        assert (
            crm.hubspot.requests[0].json["filterGroups"][0]["filters"][0]["propertyName"] == "customer_code"
        )


def test_unknown_account_is_a_not_found_failure(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    result = client(sandbox, http).fetch("initech", timeout=2)
    assert isinstance(result, ServiceFailure)
    assert result.not_found and not result.retryable
    assert result.describe() == "CRM: HubSpot has no company with baton_account_id 'initech'"


def test_bad_token_is_reported_not_raised(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    bad = HubSpotClient(http, token="wrong", base_url=sandbox.hubspot_url, search_rate_per_second=None)
    result = bad.fetch("acme", timeout=2)
    assert isinstance(result, ServiceFailure)
    assert result.status == 401 and not result.retryable
    assert "rejected the token" in result.describe()
    assert len(sandbox.hubspot.requests) == 1  # an auth error is not retried


def test_one_429_is_retried_and_then_succeeds(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    sandbox.hubspot.fail_next(1, 429)
    record = client(sandbox, http, retries=1).fetch("acme", timeout=2)
    assert isinstance(record, CrmRecord)
    searches = [r for r in sandbox.hubspot.requests if r.path.endswith("/search")]
    assert len(searches) == 2


def test_persistent_429_is_a_retryable_failure(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    sandbox.hubspot.fail_next(5, 429)
    result = client(sandbox, http, retries=1).fetch("acme", timeout=2)
    assert isinstance(result, ServiceFailure)
    assert result.retryable and result.status == 429
    assert result.describe() == "CRM: HubSpot rate limited (HTTP 429)"


def test_retry_after_longer_than_the_budget_is_not_waited_for(
    sandbox: CrmSandbox, http: httpx.Client
) -> None:
    sandbox.load_accounts([ACME])
    sandbox.hubspot.fail_next(1, 429, retry_after=30)
    result = client(sandbox, http, retries=3).fetch("acme", timeout=1)
    assert isinstance(result, ServiceFailure) and result.status == 429
    assert len(sandbox.hubspot.requests) == 1


def test_server_errors_are_retried_then_reported(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    sandbox.hubspot.fail_next(2, 503)
    result = client(sandbox, http, retries=1).fetch("acme", timeout=2)
    assert isinstance(result, ServiceFailure)
    assert result.status == 503 and result.retryable
    assert "HTTP 503" in result.describe()


def test_slow_hubspot_times_out_within_the_budget(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    sandbox.hubspot.set_delay(1.0)
    result = client(sandbox, http).fetch("acme", timeout=0.1)
    assert isinstance(result, ServiceFailure)
    assert result.describe() == "CRM: HubSpot timed out"


def test_unreachable_hubspot_is_a_failure(http: httpx.Client) -> None:
    with CrmSandbox() as crm:
        url = crm.hubspot_url
    dead = HubSpotClient(http, token="t", base_url=url, search_rate_per_second=None, retries=0)
    result = dead.fetch("acme", timeout=1)
    assert isinstance(result, ServiceFailure)
    assert "unreachable" in result.reason and result.retryable


def test_malformed_property_strings_become_problems_not_crashes(
    sandbox: CrmSandbox, http: httpx.Client
) -> None:
    sandbox.hubspot.add_company(
        {
            "baton_account_id": "weird",
            "name": "  Weird Inc  ",
            "baton_tier": "Gold",
            "baton_mrr": "12k",
            "baton_renewal_date": "soon",
            "createdate": "",
            "baton_at_risk": "maybe",
            "hubspot_owner_id": "",
        }
    )
    record = client(sandbox, http).fetch("weird", timeout=2)
    assert isinstance(record, CrmRecord)
    account = record.account
    assert account.name == "Weird Inc"
    assert account.tier == "self-serve" and account.mrr is None and account.renewal_date is None
    assert account.created_at is None and account.at_risk is False and account.owner == ""
    text = " | ".join(record.problems)
    for fragment in (
        "'Gold' is not a known tier",
        "'12k' is not a number",
        "'soon' is not a date",
        "'maybe'",
    ):
        assert fragment in text


def test_lenient_property_strings_are_understood(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.hubspot.add_company(
        {
            "baton_account_id": "lenient",
            "name": "Lenient",
            "baton_tier": "Mid_Market",
            "baton_mrr": "12,000.50",
            "baton_renewal_date": "2026-03-01T00:00:00.000Z",
            "createdate": "1700000000000",
            "baton_at_risk": "TRUE",
        }
    )
    record = client(sandbox, http).fetch("lenient", timeout=2)
    assert isinstance(record, CrmRecord), record
    account = record.account
    assert account.tier == "mid-market" and account.mrr == 12000.5
    assert account.renewal_date == date(2026, 3, 1)
    assert account.created_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert account.at_risk is True and record.problems == ()


def test_missing_owner_keeps_the_company(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.hubspot.add_company(
        {"baton_account_id": "orphan", "name": "Orphan", "hubspot_owner_id": "424242"}
    )
    record = client(sandbox, http).fetch("orphan", timeout=2)
    assert isinstance(record, CrmRecord)
    assert record.account.name == "Orphan" and record.account.owner == ""
    assert record.problems == ("owner 424242: has no owner '424242'",)


def test_duplicate_companies_are_noted(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.hubspot.add_company({"baton_account_id": "twin", "name": "First"})
    sandbox.hubspot.add_company({"baton_account_id": "twin", "name": "Second"})
    record = client(sandbox, http).fetch("twin", timeout=2)
    assert isinstance(record, CrmRecord) and record.account.name == "First"
    assert any("several companies" in p for p in record.problems)


def test_local_search_rate_limit_holds_back_bursts(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME])
    limited = client(sandbox, http, search_rate_per_second=0.5)  # bucket of 1, refills every 2 s
    assert isinstance(limited.fetch("acme", timeout=2), CrmRecord)
    second = limited.fetch("acme", timeout=0.05)
    assert isinstance(second, ServiceFailure) and second.retryable
    assert "held back locally" in second.reason
    assert len([r for r in sandbox.hubspot.requests if r.path.endswith("/search")]) == 1


def test_an_answer_without_results_is_a_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"total": 0})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        hs = HubSpotClient(http, token="t", base_url="http://hubspot.test", search_rate_per_second=None)
        result = hs.fetch("acme", timeout=1)
    assert isinstance(result, ServiceFailure) and "without results" in result.reason


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        ("", None, False),
        ("42", 42.0, False),
        ("$1,200.5", 1200.5, False),
        ("-5", None, True),
        ("abc", None, True),
    ],
)
def test_parse_number(raw: str, expected: float | None, problem: bool) -> None:
    value, text = parse_number(raw, "MRR")
    assert value == expected and bool(text) is problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-05-01", date(2026, 5, 1)),
        ("2026-05-01T23:30:00Z", date(2026, 5, 1)),
        ("2026-05-01T23:30:00-05:00", date(2026, 5, 2)),  # read in UTC
        ("1777593600000", date(2026, 5, 1)),
        ("", None),
        ("31/12/2026", None),
    ],
)
def test_parse_date(raw: str, expected: date | None) -> None:
    assert parse_date(raw, "renewal")[0] == expected


def test_parse_datetime_naive_is_utc_and_bad_is_a_problem() -> None:
    assert parse_datetime("2026-01-02T03:04:05", "x")[0] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    value, problem = parse_datetime("yesterday", "create date")
    assert value is None and "yesterday" in problem


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        ("enterprise", "enterprise", False),
        ("Self Serve", "self-serve", False),
        ("", "self-serve", False),
        ("platinum", "self-serve", True),
    ],
)
def test_parse_tier(raw: str, expected: str, problem: bool) -> None:
    tier, text = parse_tier(raw, "tier")
    assert tier == expected and bool(text) is problem


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        ("true", True, False),
        ("false", False, False),
        ("", False, False),
        ("Yes", True, False),
        ("2", False, True),
    ],
)
def test_parse_bool(raw: str, expected: bool, problem: bool) -> None:
    value, text = parse_bool(raw, "at-risk flag")
    assert value is expected and bool(text) is problem
