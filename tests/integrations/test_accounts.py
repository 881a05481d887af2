"""The combined account source, the static source and the shared HTTP helper."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bot.domain.errors import PolicyError
from bot.sandbox.crm import CrmSandbox
from integrations.accounts import (
    AccountFacts,
    CombinedAccountSource,
    JsonReply,
    ServiceFailure,
    StaticAccountSource,
    parse_account_dict,
    parse_account_list,
    request_json,
)
from integrations.hubspot import HubSpotClient


@pytest.fixture(scope="module")
def _servers() -> Iterator[CrmSandbox]:
    with CrmSandbox() as crm:
        yield crm


@pytest.fixture
def sandbox(_servers: CrmSandbox) -> CrmSandbox:
    _servers.reset()
    return _servers


@pytest.fixture
def hosts() -> list[str]:
    return []


@pytest.fixture
def http(hosts: list[str]) -> Iterator[httpx.Client]:
    def record(request: httpx.Request) -> None:
        hosts.append(request.url.host)

    with httpx.Client(event_hooks={"request": [record]}) as client:
        yield client


def source(sandbox: CrmSandbox, http: httpx.Client, **only: bool) -> CombinedAccountSource:
    def want(name: str) -> bool:
        return only.get(name, True)

    return CombinedAccountSource(
        sandbox.hubspot_client(http, search_rate_per_second=None) if want("crm") else None,
        sandbox.stripe_client(http) if want("billing") else None,
        sandbox.linear_client(http) if want("bugs") else None,
    )


ACME: dict[str, Any] = {
    "id": "acme",
    "name": "Acme Corp",
    "tier": "enterprise",
    "channel": "C0ACME",
    "mrr": 4990,
    "renewal_date": "2026-09-30",
    "owner": "Dana Lee",
    "owner_email": "dana@example.com",
    "created_at": "2023-02-01T10:00:00Z",
    "at_risk": True,
    "charges": [{"amount": 4990, "status": "failed", "created": "2026-05-02T00:00:00Z"}],
    "disputes": [{"amount": 120, "created": "2026-04-01T00:00:00Z"}],
    "open_bugs": ["Export broken", {"title": "SSO loop", "priority": 1, "identifier": "ENG-7"}],
}
NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


# ---- combined ----------------------------------------------------------------------------------------


def test_all_three_answer_and_are_merged(sandbox: CrmSandbox, http: httpx.Client, hosts: list[str]) -> None:
    sandbox.load_accounts([ACME], now=NOW)
    src = source(sandbox, http)
    try:
        facts = src.fetch("acme", deadline=3)
    finally:
        src.close()
    assert facts.missing == ()
    account = facts.account
    assert account is not None
    assert (account.name, account.tier, account.mrr, account.owner) == (
        "Acme Corp",
        "enterprise",
        4990.0,
        "Dana Lee",
    )
    assert account.renewal_date == date(2026, 9, 30) and account.at_risk
    extra = account.extra
    assert extra["owner_email"] == "dana@example.com"
    assert [c["status"] for c in extra["recent_charges"]] == ["failed", "succeeded"]
    assert [c["amount"] for c in extra["disputes"]] == [120.0]
    assert [b["title"] for b in extra["open_bugs"]] == ["Export broken", "SSO loop"]
    assert set(hosts) == {"127.0.0.1"}  # loopback only


def test_stripe_mrr_wins_and_crm_renewal_wins(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.hubspot.add_company(
        {"baton_account_id": "mix", "name": "Mix", "baton_mrr": "100", "baton_renewal_date": "2027-01-01"}
    )
    customer = sandbox.stripe.add_customer(name="Mix Billing", metadata={"baton_account_id": "mix"})
    sandbox.stripe.add_subscription(
        customer, [{"unit_amount": 25000}], period_end=datetime(2026, 6, 1, tzinfo=UTC)
    )
    facts = source(sandbox, http).fetch("mix", deadline=3)
    assert facts.account is not None
    assert facts.account.mrr == 250.0  # live billing beats the CRM's typed-in number
    assert facts.account.renewal_date == date(2027, 1, 1)  # contract renewal beats the billing period
    assert facts.account.name == "Mix"


def test_billing_fills_in_when_the_crm_does_not_know_the_account(
    sandbox: CrmSandbox, http: httpx.Client
) -> None:
    customer = sandbox.stripe.add_customer(name="Stripe Only", metadata={"baton_account_id": "solo"})
    sandbox.stripe.add_subscription(
        customer, [{"unit_amount": 1000}], period_end=datetime(2026, 6, 1, tzinfo=UTC)
    )
    facts = source(sandbox, http).fetch("solo", deadline=3)
    assert facts.account is not None
    assert (facts.account.name, facts.account.mrr, facts.account.renewal_date) == (
        "Stripe Only",
        10.0,
        date(2026, 6, 1),
    )
    assert facts.missing == ("CRM: HubSpot has no company with baton_account_id 'solo'",)


def test_one_slow_service_does_not_hold_back_the_others(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME], now=NOW)
    sandbox.stripe.set_delay(3.0)
    facts = source(sandbox, http).fetch("acme", deadline=0.6)
    assert facts.missing == ("billing: Stripe timed out",)
    account = facts.account
    assert account is not None
    assert account.name == "Acme Corp" and account.tier == "enterprise"
    assert account.mrr == 4990.0  # the CRM's own figure, since billing did not answer
    assert "recent_charges" not in account.extra
    assert len(account.extra["open_bugs"]) == 2


def test_slow_crm_still_gives_billing_and_bugs(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME], now=NOW)
    # The CRM far past the deadline; the deadline generous for the other two, so a loaded machine
    # does not make them time out as well.
    sandbox.hubspot.set_delay(6.0)
    facts = source(sandbox, http).fetch("acme", deadline=2.5)
    assert facts.missing == ("CRM: HubSpot timed out",)
    assert facts.account is not None
    assert facts.account.mrr == 4990.0 and facts.account.name == "Acme Corp"  # from Stripe
    assert facts.account.tier == "self-serve"  # unknown without the CRM


def test_all_down_gives_no_account_and_every_reason(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME], now=NOW)
    sandbox.hubspot.fail_next(10, 503)
    sandbox.stripe.fail_next(10, 401)
    sandbox.linear.fail_next_graphql("boom", count=10)
    facts = source(sandbox, http).fetch("acme", deadline=2)
    assert facts.account is None
    assert facts.missing == (
        "CRM: HubSpot failed (HTTP 503)",
        "billing: Stripe rejected the API key (HTTP 401)",
        "bugs: Linear query failed: boom",
    )


def test_unreachable_services_give_no_account(http: httpx.Client) -> None:
    with CrmSandbox() as crm:
        src = source(crm, http)
    facts = src.fetch("acme", deadline=1)
    assert facts.account is None
    assert len(facts.missing) == 3 and all("unreachable" in m or "timed out" in m for m in facts.missing)


def test_unknown_account_everywhere_is_none(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME], now=NOW)
    facts = source(sandbox, http).fetch("initech", deadline=2)
    assert facts.account is None
    assert [m.split(":")[0] for m in facts.missing] == ["CRM", "billing"]  # no bugs is not a failure


def test_only_configured_sources_are_asked(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.load_accounts([ACME], now=NOW)
    facts = source(sandbox, http, billing=False, bugs=False).fetch("acme", deadline=2)
    assert facts.account is not None and facts.missing == ()
    assert "open_bugs" not in facts.account.extra
    assert sandbox.stripe.requests == [] and sandbox.linear.requests == []


def test_nothing_configured() -> None:
    facts = CombinedAccountSource(None, None, None).fetch("acme", deadline=1)
    assert facts == AccountFacts(None, ("account: no CRM, billing or bug tracker is configured",))


def test_a_client_bug_becomes_a_missing_line(sandbox: CrmSandbox, http: httpx.Client) -> None:
    class Broken(HubSpotClient):
        def fetch(self, account_id: str, *, timeout: float | None = None) -> Any:
            raise KeyError("properties")

    broken = Broken(http, token="t", base_url=sandbox.hubspot_url)
    facts = CombinedAccountSource(broken, None, None).fetch("acme", deadline=1)
    assert facts.account is None
    assert facts.missing == ("CRM: HubSpot failed unexpectedly (KeyError: 'properties')",)


def test_crm_data_quality_notes_are_listed(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.hubspot.add_company({"baton_account_id": "odd", "name": "Odd", "baton_mrr": "lots"})
    facts = source(sandbox, http, billing=False, bugs=False).fetch("odd", deadline=2)
    assert facts.account is not None and facts.account.name == "Odd"
    assert facts.missing == ("CRM: HubSpot MRR value 'lots' is not a number",)


def test_sandbox_and_static_source_agree_on_the_same_dicts(sandbox: CrmSandbox, http: httpx.Client) -> None:
    dicts = [ACME, {"id": "tiny", "name": "Tiny", "owner": "U0TINY123"}]
    sandbox.load_accounts(dicts, now=NOW)
    static = StaticAccountSource(dicts)
    combined = source(sandbox, http)
    for account_id in ("acme", "tiny"):
        a = static.fetch(account_id).account
        b = combined.fetch(account_id, deadline=3).account
        assert a is not None and b is not None
        for name in ("id", "name", "tier", "mrr", "renewal_date", "owner", "at_risk"):
            assert getattr(a, name) == getattr(b, name), (account_id, name)
        assert [x["title"] for x in a.extra.get("open_bugs", [])] == [
            x["title"] for x in b.extra.get("open_bugs", [])
        ]


# ---- static source and dict parsing ------------------------------------------------------------------


def test_static_source_finds_by_id_and_channel() -> None:
    static = StaticAccountSource([ACME, {"account": "globex", "tier": "mid-market"}])
    facts = static.fetch("acme", deadline=0.5)
    assert facts.missing == () and facts.account is not None
    assert facts.account.created_at == datetime(2023, 2, 1, 10, 0, tzinfo=UTC)
    assert facts.account.extra["disputes"][0]["disputed"] is True
    assert static.account_for_channel("C0ACME") == "acme"
    assert static.account_for_channel("C0NOPE") is None
    assert static.account_ids == ("acme", "globex")
    missing = static.fetch("nope", deadline=0.5)
    assert missing.account is None and missing.missing == ("account: 'nope' is not in the account list",)


def test_yaml_dates_are_accepted() -> None:
    spec = parse_account_dict(
        {"id": "a", "renewal_date": date(2026, 1, 2), "created_at": datetime(2020, 1, 1, 9)}
    )
    assert spec.account.renewal_date == date(2026, 1, 2)
    assert spec.account.created_at == datetime(2020, 1, 1, 9, tzinfo=UTC)


def test_owner_as_a_mapping() -> None:
    spec = parse_account_dict({"id": "a", "owner": {"name": "Dana Lee", "email": "d@x.test"}})
    assert spec.account.owner == "Dana Lee" and spec.account.extra["owner_email"] == "d@x.test"


@pytest.mark.parametrize(
    ("raw", "path", "words"),
    [
        ("acme", ("accounts", 0), "must be a mapping"),
        ({"name": "x"}, ("accounts", 0), "needs an id"),
        ({"id": ""}, ("accounts", 0, "id"), "must not be empty"),
        ({"id": "a", "account": "b"}, ("accounts", 0, "account"), "once"),
        ({"id": "a", "tier": "gold"}, ("accounts", 0, "tier"), "unknown tier"),
        ({"id": "a", "renewl_date": "2026-01-01"}, ("accounts", 0, "renewl_date"), "unknown account key"),
        ({"id": "a", "renewal_date": "next year"}, ("accounts", 0, "renewal_date"), "not a date"),
        ({"id": "a", "created_at": "dawn"}, ("accounts", 0, "created_at"), "not a date-time"),
        ({"id": "a", "mrr": "lots"}, ("accounts", 0, "mrr"), "must be a number"),
        ({"id": "a", "mrr": -1}, ("accounts", 0, "mrr"), "negative"),
        ({"id": "a", "at_risk": "yes"}, ("accounts", 0, "at_risk"), "true or false"),
        ({"id": "a", "owner": 5}, ("accounts", 0, "owner"), "owner must be"),
        ({"id": "a", "owner": {"nick": "x"}}, ("accounts", 0, "owner", "nick"), "unknown owner key"),
        ({"id": "a", "charges": {"amount": 1}}, ("accounts", 0, "charges"), "must be a list"),
        ({"id": "a", "charges": [{"status": "failed"}]}, ("accounts", 0, "charges", 0), "needs an amount"),
        (
            {"id": "a", "charges": [{"amount": 1, "status": "lost"}]},
            ("accounts", 0, "charges", 0, "status"),
            "unknown charge status",
        ),
        (
            {"id": "a", "disputes": [{"amount": 1, "why": "x"}]},
            ("accounts", 0, "disputes", 0, "why"),
            "unknown key",
        ),
        (
            {"id": "a", "open_bugs": [{"title": "x", "priority": 7}]},
            ("accounts", 0, "open_bugs", 0, "priority"),
            "0-4",
        ),
        (
            {"id": "a", "open_bugs": [{"priority": 1}]},
            ("accounts", 0, "open_bugs", 0, "title"),
            "needs a title",
        ),
    ],
)
def test_bad_account_dicts_name_the_path(raw: Any, path: tuple[Any, ...], words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_account_list([raw])
    assert caught.value.path == path
    assert words in caught.value.message


def test_duplicate_ids_and_non_list_are_rejected() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_account_list([{"id": "a"}, {"account": "a"}])
    assert caught.value.path == ("accounts", 1, "id")
    with pytest.raises(PolicyError):
        parse_account_list({"id": "a"})
    assert parse_account_list(None) == []


def test_sandbox_load_rejects_bad_dicts(sandbox: CrmSandbox) -> None:
    with pytest.raises(PolicyError):
        sandbox.load_accounts([{"id": "a", "tier": "platinum"}])


# ---- request_json ------------------------------------------------------------------------------------


def call(handler: Any, **kwargs: Any) -> JsonReply | ServiceFailure:
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        kwargs.setdefault("timeout", 1.0)
        return request_json(http, "GET", "http://svc.test/x", service="CRM", provider="Svc", **kwargs)


def test_request_json_retries_a_5xx_then_returns_the_answer() -> None:
    answers = iter([httpx.Response(502), httpx.Response(200, json={"ok": True})])
    reply = call(lambda r: next(answers), retries=1, backoff=0.01)
    assert isinstance(reply, JsonReply) and reply.body == {"ok": True}


def test_request_json_hands_back_4xx_for_the_caller() -> None:
    reply = call(lambda r: httpx.Response(404, json={"message": "nope"}), retries=3)
    assert isinstance(reply, JsonReply) and reply.status == 404


def test_request_json_unreadable_body() -> None:
    reply = call(lambda r: httpx.Response(200, text="<html>"))
    assert isinstance(reply, ServiceFailure) and "unreadable" in reply.reason


def test_request_json_timeout_and_connect_errors() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    timed_out = call(slow)
    assert isinstance(timed_out, ServiceFailure) and timed_out.reason == "timed out"
    attempts: list[int] = []

    def refused(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        raise httpx.ConnectError("refused", request=request)

    failed = call(refused, retries=2, backoff=0.01)
    assert isinstance(failed, ServiceFailure) and "unreachable" in failed.reason
    assert len(attempts) == 3


def test_request_json_zero_budget_makes_no_call() -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(200, json={})

    reply = call(handler, timeout=0)
    assert isinstance(reply, ServiceFailure) and reply.reason == "timed out" and attempts == []


def test_loopback_urls_only(sandbox: CrmSandbox) -> None:
    for url in (sandbox.hubspot_url, sandbox.stripe_url, sandbox.linear_url):
        assert urlsplit(url).hostname == "127.0.0.1"
    assert set(sandbox.env()) == {
        "HUBSPOT_TOKEN",
        "HUBSPOT_API_URL",
        "STRIPE_API_KEY",
        "STRIPE_API_URL",
        "LINEAR_API_KEY",
        "LINEAR_API_URL",
    }
