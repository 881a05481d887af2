"""Stripe client and MRR maths, against the loopback Stripe stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.sandbox.crm import STRIPE_KEY, CrmSandbox
from integrations.accounts import ServiceFailure
from integrations.stripe import STRIPE_VERSION, BillingRecord, StripeClient, compute_mrr, monthly_amount


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


def ts(y: int, m: int, d: int) -> int:
    return int(datetime(y, m, d, tzinfo=UTC).timestamp())


def sub(status: str, *items: dict[str, Any], **more: Any) -> dict[str, Any]:
    data = []
    for item in items:
        data.append(
            {
                "id": "si_1",
                "quantity": item.get("quantity", 1),
                "current_period_end": item.get("end", ts(2026, 6, 1)),
                "price": {
                    "id": "price_1",
                    "currency": item.get("currency", "usd"),
                    "unit_amount": item.get("unit_amount"),
                    "unit_amount_decimal": item.get("unit_amount_decimal"),
                    "recurring": {
                        "interval": item.get("interval", "month"),
                        "interval_count": item.get("count", 1),
                    },
                },
            }
        )
    return {"id": "sub_1", "status": status, "items": {"object": "list", "data": data}, **more}


# ---- MRR maths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "qty", "interval", "count", "expected"),
    [
        (10000, 1, "month", 1, Decimal(10000)),
        (120000, 1, "year", 1, Decimal(10000)),
        (1200, 1, "week", 1, Decimal(5200)),  # 1200 x 52 / 12
        (100, 1, "day", 1, Decimal(100) * 365 / 12),
        (30000, 1, "month", 3, Decimal(10000)),  # quarterly
        (5000, 3, "month", 1, Decimal(15000)),
        (240000, 1, "year", 2, Decimal(10000)),
    ],
)
def test_monthly_amount_normalises_intervals(
    unit: int, qty: int, interval: str, count: int, expected: Decimal
) -> None:
    assert monthly_amount(unit, qty, interval, count).quantize(Decimal("0.0001")) == expected.quantize(
        Decimal("0.0001")
    )


@pytest.mark.parametrize(("interval", "count"), [("fortnight", 1), ("month", 0)])
def test_monthly_amount_rejects_bad_intervals(interval: str, count: int) -> None:
    with pytest.raises(ValueError):
        monthly_amount(100, 1, interval, count)


def test_mrr_sums_items_and_quantities_and_ignores_canceled() -> None:
    result = compute_mrr(
        [
            sub("active", {"unit_amount": 5000, "quantity": 3}, {"unit_amount": 120000, "interval": "year"}),
            sub("canceled", {"unit_amount": 99900}),
            sub("incomplete_expired", {"unit_amount": 99900}),
            sub("trialing", {"unit_amount": 1000}),
            sub("past_due", {"unit_amount": 2000}),
        ]
    )
    assert result.mrr == 150 + 100 + 10 + 20
    assert result.statuses == ("active", "canceled", "incomplete_expired", "trialing", "past_due")
    assert result.problems == ()


def test_mrr_of_no_subscriptions_is_zero() -> None:
    assert compute_mrr([]).mrr == 0.0
    assert compute_mrr([sub("canceled", {"unit_amount": 5000})]).mrr == 0.0


def test_mrr_period_end_is_the_earliest_item_end_and_legacy_field_is_read() -> None:
    result = compute_mrr(
        [
            sub(
                "active",
                {"unit_amount": 100, "end": ts(2026, 7, 1)},
                {"unit_amount": 100, "end": ts(2026, 5, 15)},
            ),
        ]
    )
    assert result.period_end == date(2026, 5, 15)
    legacy = sub("active", {"unit_amount": 100}, current_period_end=ts(2025, 1, 31))
    del legacy["items"]["data"][0]["current_period_end"]
    assert compute_mrr([legacy]).period_end == date(2025, 1, 31)


def test_mrr_uses_unit_amount_decimal_and_notes_tiered_prices() -> None:
    result = compute_mrr([sub("active", {"unit_amount_decimal": "1234.5"}, {"unit_amount": None})])
    assert result.mrr == 12.35
    assert any("no unit amount" in p for p in result.problems)


def test_mrr_zero_decimal_currency_and_mixed_currencies() -> None:
    yen = compute_mrr([sub("active", {"unit_amount": 12000, "currency": "jpy", "interval": "year"})])
    assert (yen.mrr, yen.currency) == (1000.0, "jpy")
    mixed = compute_mrr([sub("active", {"unit_amount": 10000}, {"unit_amount": 500, "currency": "eur"})])
    assert (mixed.mrr, mixed.currency) == (100.0, "usd")
    assert any("several currencies" in p for p in mixed.problems)


def test_mrr_flags_a_subscription_set_to_cancel() -> None:
    assert compute_mrr([sub("active", {"unit_amount": 100}, cancel_at_period_end=True)]).canceling
    assert not compute_mrr([sub("active", {"unit_amount": 100})]).canceling


def test_mrr_survives_malformed_subscriptions() -> None:
    result = compute_mrr(
        [
            "nonsense",
            {"id": "sub_x", "status": "active"},
            sub("active", {"unit_amount": 100, "interval": "hour"}),
        ]
    )
    assert result.mrr is None
    assert len(result.problems) == 3


# ---- against the stand-in --------------------------------------------------------------------------


def load_acme(sandbox: CrmSandbox) -> str:
    customer = sandbox.stripe.add_customer(
        name="Acme Corp",
        email="billing@acme.test",
        metadata={"baton_account_id": "acme"},
        created=datetime(2022, 3, 1, tzinfo=UTC),
    )
    sandbox.stripe.add_subscription(
        customer,
        [{"unit_amount": 5000, "quantity": 4}, {"unit_amount": 120000, "interval": "year"}],
        period_end=datetime(2026, 6, 30, tzinfo=UTC),
    )
    sandbox.stripe.add_subscription(customer, [{"unit_amount": 99900}], status="canceled")
    sandbox.stripe.add_charge(customer, 30000, status="succeeded", created=datetime(2026, 5, 1, tzinfo=UTC))
    sandbox.stripe.add_charge(customer, 30000, status="failed", created=datetime(2026, 5, 2, tzinfo=UTC))
    sandbox.stripe.add_charge(customer, 30000, disputed=True, created=datetime(2026, 4, 1, tzinfo=UTC))
    other = sandbox.stripe.add_customer(name="Other", metadata={"baton_account_id": "other"})
    sandbox.stripe.add_charge(other, 1, created=datetime(2026, 5, 3, tzinfo=UTC))
    return customer


def test_fetch_reads_customer_mrr_charges_and_disputes(sandbox: CrmSandbox, http: httpx.Client) -> None:
    customer = load_acme(sandbox)
    record = sandbox.stripe_client(http).fetch("acme", timeout=2)
    assert isinstance(record, BillingRecord), record
    assert record.customer_id == customer and record.name == "Acme Corp"
    assert record.mrr == 200 + 100  # 4 x $50 monthly + $1,200 yearly; the canceled $999 is ignored
    assert record.period_end == date(2026, 6, 30)
    assert record.created_at == datetime(2022, 3, 1, tzinfo=UTC)
    assert [c.status for c in record.recent_charges] == ["failed", "succeeded", "succeeded"]  # newest first
    assert [c.amount for c in record.disputes] == [300.0]
    assert record.subscription_statuses == ("active", "canceled")
    assert record.problems == ()


def test_requests_follow_the_stripe_contract(sandbox: CrmSandbox, http: httpx.Client) -> None:
    customer = load_acme(sandbox)
    sandbox.stripe_client(http).fetch("acme", timeout=2)
    search, subs, charges = sandbox.stripe.requests
    for request in (search, subs, charges):
        assert request.headers["authorization"] == f"Bearer {STRIPE_KEY}"
        assert request.headers["stripe-version"] == STRIPE_VERSION
    assert search.path == "/v1/customers/search"
    assert search.query["query"] == ["metadata['baton_account_id']:'acme'"]
    assert subs.query["customer"] == [customer] and subs.query["status"] == ["all"]
    assert charges.path == "/v1/charges" and charges.query["customer"] == [customer]


def test_only_the_newest_charges_are_shown(sandbox: CrmSandbox, http: httpx.Client) -> None:
    customer = sandbox.stripe.add_customer(metadata={"baton_account_id": "busy"})
    for day in range(1, 9):
        sandbox.stripe.add_charge(customer, day * 100, created=datetime(2026, 1, day, tzinfo=UTC))
    record = sandbox.stripe_client(http, charges_shown=5).fetch("busy", timeout=2)
    assert isinstance(record, BillingRecord)
    assert [c.amount for c in record.recent_charges] == [8.0, 7.0, 6.0, 5.0, 4.0]


def test_quotes_in_the_account_id_are_escaped(sandbox: CrmSandbox, http: httpx.Client) -> None:
    sandbox.stripe.add_customer(name="O'Brien", metadata={"baton_account_id": "o'brien"})
    record = sandbox.stripe_client(http).fetch("o'brien", timeout=2)
    assert isinstance(record, BillingRecord) and record.name == "O'Brien"


def test_unknown_customer_is_not_found(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load_acme(sandbox)
    result = sandbox.stripe_client(http).fetch("initech", timeout=2)
    assert isinstance(result, ServiceFailure) and result.not_found
    assert result.describe() == "billing: Stripe has no customer with metadata baton_account_id 'initech'"


def test_bad_key_gets_stripes_error(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load_acme(sandbox)
    bad = StripeClient(http, api_key="sk_test_wrongwrong", base_url=sandbox.stripe_url)
    result = bad.fetch("acme", timeout=2)
    assert isinstance(result, ServiceFailure) and result.status == 401 and not result.retryable
    assert "rejected the API key" in result.reason
    body = httpx.get(f"{sandbox.stripe_url}/v1/charges").json()
    assert (
        body["error"]["type"] == "invalid_request_error"
        and "did not provide an API key" in body["error"]["message"]
    )


def test_rate_limit_then_success(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load_acme(sandbox)
    sandbox.stripe.fail_next(1, 429)
    record = sandbox.stripe_client(http, retries=1).fetch("acme", timeout=2)
    assert isinstance(record, BillingRecord)
    assert len(sandbox.stripe.requests) == 4


def test_persistent_server_error_is_reported(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load_acme(sandbox)
    sandbox.stripe.fail_next(3, 500)
    result = sandbox.stripe_client(http, retries=1).fetch("acme", timeout=2)
    assert isinstance(result, ServiceFailure) and result.status == 500 and result.retryable


def test_failing_charges_keep_the_rest_of_the_record(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load_acme(sandbox)
    sandbox.stripe.fail_next(2, 503, path="/v1/charges")
    record = sandbox.stripe_client(http, retries=1).fetch("acme", timeout=2)
    assert isinstance(record, BillingRecord)
    assert record.mrr == 300.0 and record.recent_charges == ()
    assert record.problems == ("charges unavailable: failed (HTTP 503)",)


def test_slow_stripe_times_out(sandbox: CrmSandbox, http: httpx.Client) -> None:
    load_acme(sandbox)
    sandbox.stripe.set_delay(1.0)
    result = sandbox.stripe_client(http).fetch("acme", timeout=0.1)
    assert isinstance(result, ServiceFailure) and result.describe() == "billing: Stripe timed out"


def test_stand_in_validates_list_limit(sandbox: CrmSandbox) -> None:
    reply = httpx.get(
        f"{sandbox.stripe_url}/v1/charges",
        params={"limit": "0"},
        headers={"Authorization": f"Bearer {STRIPE_KEY}"},
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["param"] == "limit"


def test_stand_in_list_shape(sandbox: CrmSandbox) -> None:
    load_acme(sandbox)
    reply = httpx.get(
        f"{sandbox.stripe_url}/v1/subscriptions", headers={"Authorization": f"Bearer {STRIPE_KEY}"}
    ).json()
    assert reply["object"] == "list" and reply["has_more"] is False and reply["url"] == "/v1/subscriptions"
    assert [s["status"] for s in reply["data"]] == ["active"]  # without status=all, canceled ones are hidden


def test_error_body_code_and_message_are_kept() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "error": {
                    "type": "invalid_request_error",
                    "code": "parameter_unknown",
                    "message": "Received unknown parameter: x",
                    "param": "x",
                }
            },
        )

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        result = StripeClient(http, api_key="sk_test_x", base_url="http://stripe.test").fetch(
            "acme", timeout=1
        )
    assert isinstance(result, ServiceFailure)
    assert (
        result.reason
        == "refused customer search (HTTP 400: parameter_unknown: Received unknown parameter: x)"
    )
