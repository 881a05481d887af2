"""Stripe client: MRR, period end and recent charges/disputes of the customer behind an account.

Convention (see docs/integrations.md): the Stripe customer carries Baton's account id in its
metadata (default key `baton_account_id`); we find it with the customer Search API,
`GET /v1/customers/search?query=metadata['baton_account_id']:'acme'`. This keeps the three lookups
independent, so they run in parallel. Then:
- `GET /v1/subscriptions?customer=...&status=all` -> MRR (only active / trialing / past_due count)
- `GET /v1/charges?customer=...&limit=N` -> recent charges; disputes are the disputed ones.

Auth `Authorization: Bearer sk_...`; the API version is pinned with `Stripe-Version` so response
shapes do not move under us (since 2025-03-31 the period end lives on each subscription item).
Errors come back as `{"error": {type, code, message, param}}` (PLATFORM-FACTS "CRM, billing, bugs").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import httpx

from integrations.accounts import JsonReply, ServiceFailure, request_json

DEFAULT_URL = "https://api.stripe.com"
STRIPE_VERSION = "2025-03-31.basil"  # first version with current_period_end on subscription items
SERVICE = "billing"
PROVIDER = "Stripe"

# Subscriptions that bring in money this month. canceled / incomplete / incomplete_expired / unpaid
# / paused do not count towards MRR.
COUNTED_STATUSES = ("active", "trialing", "past_due")

# Stripe amounts are in the currency's smallest unit, except these zero-decimal currencies
# (Stripe docs, "Zero-decimal currencies").
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())  # noqa: SIM905

_MONTHS_PER_INTERVAL = {
    "day": Decimal(12) / Decimal(365),  # a month is 365/12 days
    "week": Decimal(12) / Decimal(52),  # a month is 52/12 weeks
    "month": Decimal(1),
    "year": Decimal(12),
}


def to_major(amount_minor: Decimal | int, currency: str) -> Decimal:
    """Smallest currency unit -> major unit (cents -> dollars; yen stay yen)."""
    value = Decimal(amount_minor)
    return value if currency.lower() in ZERO_DECIMAL else value / 100


def monthly_amount(
    unit_amount_minor: Decimal | int, quantity: int, interval: str, interval_count: int
) -> Decimal:
    """One subscription item's recurring amount per month, in minor units.

    Billed every `interval_count` `interval`s: yearly / 12, weekly x 52/12, daily x 365/12.
    """
    if interval not in _MONTHS_PER_INTERVAL:
        raise ValueError(f"unknown billing interval {interval!r}")
    if interval_count < 1:
        raise ValueError(f"interval_count must be at least 1, got {interval_count}")
    per_period = Decimal(unit_amount_minor) * quantity
    return per_period / (_MONTHS_PER_INTERVAL[interval] * interval_count)


@dataclass(frozen=True, slots=True)
class MrrResult:
    mrr: float | None  # major units of `currency`; None when nothing could be counted
    currency: str
    period_end: date | None  # earliest current period end among counted items
    statuses: tuple[str, ...]  # status of every subscription seen
    canceling: bool  # a counted subscription is set to cancel at period end
    problems: tuple[str, ...]


def _item_unit_amount(price: dict[str, Any]) -> Decimal | None:
    if isinstance(price.get("unit_amount"), int) and not isinstance(price.get("unit_amount"), bool):
        return Decimal(price["unit_amount"])
    decimal_text = price.get("unit_amount_decimal")
    if isinstance(decimal_text, str):
        try:
            return Decimal(decimal_text)
        except InvalidOperation:
            return None
    return None


def compute_mrr(subscriptions: list[Any]) -> MrrResult:
    """Monthly recurring revenue from Stripe subscription objects (as the API returns them)."""
    per_currency: dict[str, Decimal] = {}
    problems: list[str] = []
    statuses: list[str] = []
    period_ends: list[int] = []
    canceling = False
    for sub in subscriptions:
        if not isinstance(sub, dict):
            problems.append("sent a subscription that is not an object")
            continue
        status = str(sub.get("status") or "")
        statuses.append(status)
        if status not in COUNTED_STATUSES:
            continue
        if sub.get("cancel_at_period_end") or sub.get("cancel_at"):
            canceling = True
        items = (sub.get("items") or {}).get("data") if isinstance(sub.get("items"), dict) else None
        if not isinstance(items, list):
            problems.append(f"subscription {sub.get('id')} has no items")
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            price = item.get("price") if isinstance(item.get("price"), dict) else item.get("plan")
            if not isinstance(price, dict):
                problems.append(f"subscription item {item.get('id')} has no price")
                continue
            recurring: dict[str, Any] = (
                price["recurring"] if isinstance(price.get("recurring"), dict) else price
            )
            interval = str(recurring.get("interval") or "")
            count = recurring.get("interval_count") or 1
            unit = _item_unit_amount(price)
            quantity = item.get("quantity")
            quantity = 1 if quantity is None else quantity
            currency = str(price.get("currency") or "usd").lower()
            if unit is None:
                problems.append(f"price {price.get('id')} has no unit amount (tiered?): left out of MRR")
                continue
            try:
                monthly = monthly_amount(unit, int(quantity), interval, int(count))
            except (ValueError, TypeError) as exc:
                problems.append(f"price {price.get('id')}: {exc}: left out of MRR")
                continue
            per_currency[currency] = per_currency.get(currency, Decimal(0)) + monthly
            end = item.get("current_period_end", sub.get("current_period_end"))
            if isinstance(end, int) and not isinstance(end, bool):
                period_ends.append(end)
    if not per_currency:
        mrr = 0.0 if not problems else None
        return MrrResult(mrr, "usd", None, tuple(statuses), canceling, tuple(problems))
    currency = max(per_currency, key=lambda c: per_currency[c])
    if len(per_currency) > 1:
        others = ", ".join(sorted(c for c in per_currency if c != currency))
        problems.append(f"bills in several currencies: MRR counts {currency} only (also {others})")
    mrr_major = to_major(per_currency[currency], currency).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    period_end = datetime.fromtimestamp(min(period_ends), tz=UTC).date() if period_ends else None
    return MrrResult(float(mrr_major), currency, period_end, tuple(statuses), canceling, tuple(problems))


@dataclass(frozen=True, slots=True)
class Charge:
    id: str
    amount: float  # major units
    currency: str
    status: str  # succeeded | pending | failed
    disputed: bool
    refunded: bool
    created: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for Account.extra (stored with the escalation and shown on the card)."""
        return {
            "id": self.id,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "disputed": self.disputed,
            "refunded": self.refunded,
            "created": self.created.isoformat() if self.created else None,
        }


def parse_charge(raw: dict[str, Any]) -> Charge:
    currency = str(raw.get("currency") or "usd").lower()
    amount = raw.get("amount")
    amount_major = float(to_major(amount, currency)) if isinstance(amount, int) else 0.0
    created = raw.get("created")
    return Charge(
        id=str(raw.get("id") or ""),
        amount=amount_major,
        currency=currency,
        status=str(raw.get("status") or ""),
        disputed=bool(raw.get("disputed")),
        refunded=bool(raw.get("refunded")),
        created=datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else None,
    )


@dataclass(frozen=True, slots=True)
class BillingRecord:
    customer_id: str
    name: str = ""
    email: str = ""
    created_at: datetime | None = None
    mrr: float | None = None
    currency: str = "usd"
    period_end: date | None = None
    subscription_statuses: tuple[str, ...] = ()
    canceling: bool = False
    recent_charges: tuple[Charge, ...] = ()
    disputes: tuple[Charge, ...] = ()
    problems: tuple[str, ...] = ()


class StripeClient:
    """Reads customers, subscriptions and charges. Methods never raise for transport errors."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_key: str,
        base_url: str = DEFAULT_URL,
        metadata_key: str = "baton_account_id",
        api_version: str = STRIPE_VERSION,
        timeout: float = 5.0,
        retries: int = 1,
        charges_shown: int = 5,
        charges_scanned: int = 20,
    ) -> None:
        self._http = http
        self._key = api_key
        self._base = base_url.rstrip("/")
        self.metadata_key = metadata_key
        self._version = api_version
        self._timeout = timeout
        self._retries = retries
        self._shown = charges_shown
        self._scanned = max(charges_shown, min(100, charges_scanned))  # Stripe list limit is 1..100

    def _get(self, path: str, params: dict[str, Any], timeout: float) -> JsonReply | ServiceFailure:
        return request_json(
            self._http,
            "GET",
            f"{self._base}{path}",
            service=SERVICE,
            provider=PROVIDER,
            timeout=timeout,
            headers={"Authorization": f"Bearer {self._key}", "Stripe-Version": self._version},
            params=params,
            retries=self._retries,
        )

    def _error(self, reply: JsonReply, what: str) -> ServiceFailure:
        error = reply.body.get("error") if isinstance(reply.body, dict) else None
        error = error if isinstance(error, dict) else {}
        if reply.status == 401:
            return ServiceFailure(SERVICE, PROVIDER, "rejected the API key (HTTP 401)", status=401)
        if reply.status == 403:
            return ServiceFailure(
                SERVICE, PROVIDER, f"refused {what}: restricted key lacks permission (HTTP 403)", status=403
            )
        detail = error.get("code") or error.get("type") or ""
        message = error.get("message") or ""
        text = ": ".join(str(x) for x in (detail, message) if x)
        return ServiceFailure(
            SERVICE,
            PROVIDER,
            f"refused {what} (HTTP {reply.status}{': ' + text if text else ''})",
            status=reply.status,
        )

    def _list(self, reply: JsonReply | ServiceFailure, what: str) -> list[Any] | ServiceFailure:
        if isinstance(reply, ServiceFailure):
            return reply
        if reply.status != 200:
            return self._error(reply, what)
        data = reply.body.get("data") if isinstance(reply.body, dict) else None
        if not isinstance(data, list):
            return ServiceFailure(SERVICE, PROVIDER, f"sent {what} that is not a list", status=reply.status)
        return data

    def find_customer(
        self, account_id: str, *, timeout: float | None = None
    ) -> dict[str, Any] | ServiceFailure:
        escaped = account_id.replace("\\", "\\\\").replace("'", "\\'")
        query = f"metadata['{self.metadata_key}']:'{escaped}'"
        found = self._list(
            self._get("/v1/customers/search", {"query": query, "limit": 2}, self._budget(timeout)),
            "customer search",
        )
        if isinstance(found, ServiceFailure):
            return found
        customers = [c for c in found if isinstance(c, dict) and not c.get("deleted")]
        if not customers:
            return ServiceFailure(
                SERVICE,
                PROVIDER,
                f"has no customer with metadata {self.metadata_key} {account_id!r}",
                status=200,
                not_found=True,
            )
        return customers[0]

    def subscriptions(self, customer_id: str, *, timeout: float | None = None) -> list[Any] | ServiceFailure:
        params = {"customer": customer_id, "status": "all", "limit": 100}
        return self._list(self._get("/v1/subscriptions", params, self._budget(timeout)), "subscriptions")

    def charges(self, customer_id: str, *, timeout: float | None = None) -> list[Charge] | ServiceFailure:
        params = {"customer": customer_id, "limit": self._scanned}
        found = self._list(self._get("/v1/charges", params, self._budget(timeout)), "charges")
        if isinstance(found, ServiceFailure):
            return found
        charges = [parse_charge(c) for c in found if isinstance(c, dict)]
        return sorted(charges, key=lambda c: c.created or datetime.min.replace(tzinfo=UTC), reverse=True)

    def _budget(self, timeout: float | None) -> float:
        return self._timeout if timeout is None else timeout

    def fetch(self, account_id: str, *, timeout: float | None = None) -> BillingRecord | ServiceFailure:
        """Customer, MRR and recent charges within `timeout` seconds in total.

        If the customer is found but subscriptions or charges fail, the record is still returned,
        with the failure as a problem line (partial billing data beats none).
        """
        until = time.monotonic() + self._budget(timeout)
        customer = self.find_customer(account_id, timeout=self._budget(timeout))
        if isinstance(customer, ServiceFailure):
            return customer
        customer_id = str(customer.get("id") or "")
        problems: list[str] = []

        def left() -> float:
            return max(0.0, until - time.monotonic())

        mrr: MrrResult | None = None
        subs = self.subscriptions(customer_id, timeout=left())
        if isinstance(subs, ServiceFailure):
            problems.append(f"subscriptions unavailable: {subs.reason}")
        else:
            mrr = compute_mrr(subs)
            problems.extend(mrr.problems)
        recent: list[Charge] = []
        charges = self.charges(customer_id, timeout=left())
        if isinstance(charges, ServiceFailure):
            problems.append(f"charges unavailable: {charges.reason}")
        else:
            recent = charges
        created = customer.get("created")
        return BillingRecord(
            customer_id=customer_id,
            name=str(customer.get("name") or ""),
            email=str(customer.get("email") or ""),
            created_at=datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else None,
            mrr=mrr.mrr if mrr else None,
            currency=mrr.currency if mrr else "usd",
            period_end=mrr.period_end if mrr else None,
            subscription_statuses=mrr.statuses if mrr else (),
            canceling=mrr.canceling if mrr else False,
            recent_charges=tuple(recent[: self._shown]),
            disputes=tuple(c for c in recent if c.disputed),
            problems=tuple(problems),
        )
