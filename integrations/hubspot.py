"""HubSpot CRM v3 client: the company behind a Baton account id, and its owner.

Convention (see docs/integrations.md): each HubSpot company carries a custom property holding
Baton's account id (default `baton_account_id`). We find it with
`POST /crm/v3/objects/companies/search` (EQ filter on that property), then the owner with
`GET /crm/v3/owners/{id}`. Auth: `Authorization: Bearer <private app token>`.

HubSpot returns every property value as a string ("" when unset): the parsers here are lenient
and report what they could not read as `problems` rather than failing the whole record.
Search is limited to about 4-5 requests/s per account (PLATFORM-FACTS "CRM, billing, bugs"), so
searches pass a small local token bucket first; a 429 is a retryable failure.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import httpx

from bot.domain.model import Account, Tier
from integrations.accounts import JsonReply, ServiceFailure, request_json

DEFAULT_URL = "https://api.hubapi.com"
SERVICE = "CRM"
PROVIDER = "HubSpot"
# PLATFORM-FACTS: CRM search is limited to ~4-5 requests/s; stay under it.
SEARCH_RATE_PER_SECOND = 4.0


@dataclass(frozen=True, slots=True)
class HubSpotProperties:
    """Names of the company properties Baton reads. Override to match a portal's own names."""

    account_id: str = "baton_account_id"  # custom, unique: Baton's account id
    name: str = "name"
    tier: str = "baton_tier"  # custom: enterprise | mid-market | self-serve
    mrr: str = "baton_mrr"  # custom number (major currency units)
    renewal_date: str = "baton_renewal_date"  # custom date
    owner_id: str = "hubspot_owner_id"  # standard
    created_at: str = "createdate"  # standard
    at_risk: str = "baton_at_risk"  # custom single checkbox: "true" / "false"

    def all(self) -> list[str]:
        return [
            self.account_id,
            self.name,
            self.tier,
            self.mrr,
            self.renewal_date,
            self.owner_id,
            self.created_at,
            self.at_risk,
        ]


@dataclass(frozen=True, slots=True)
class HubSpotOwner:
    id: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email or self.id


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """A HubSpot company read as an Account. `problems` lists values that could not be read."""

    company_id: str
    account: Account
    owner: HubSpotOwner | None = None
    problems: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------------
# Property parsers: HubSpot strings -> typed values. Each returns (value, problem or "").

_EPOCH_MS = re.compile(r"^\d{11,14}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_number(raw: str | None, what: str) -> tuple[float | None, str]:
    text = (raw or "").strip()
    if not text:
        return None, ""
    cleaned = text.replace(",", "").replace("_", "").lstrip("$€£").strip()
    if not _NUMBER.match(cleaned):
        return None, f"{what} value {text!r} is not a number"
    value = float(cleaned)
    if value < 0:
        return None, f"{what} value {text!r} is negative"
    return value, ""


def parse_datetime(raw: str | None, what: str) -> tuple[datetime | None, str]:
    """ISO 8601 (with Z or offset; naive = UTC), a bare date (midnight UTC), or epoch milliseconds."""
    text = (raw or "").strip()
    if not text:
        return None, ""
    if _EPOCH_MS.match(text):
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC), ""
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return None, f"{what} value {text!r} is not a date"
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)), ""


def parse_date(raw: str | None, what: str) -> tuple[date | None, str]:
    text = (raw or "").strip()
    if not text:
        return None, ""
    try:
        return date.fromisoformat(text), ""
    except ValueError:
        pass
    value, problem = parse_datetime(text, what)
    return (value.date() if value is not None else None), problem


_TRUE = {"true", "yes", "1", "on", "y"}
_FALSE = {"false", "no", "0", "off", "n"}


def parse_bool(raw: str | None, what: str) -> tuple[bool, str]:
    text = (raw or "").strip().lower()
    if not text or text in _FALSE:
        return False, ""
    if text in _TRUE:
        return True, ""
    return False, f"{what} value {raw!r} is not true/false"


_TIER_ALIASES: dict[str, Tier] = {
    "enterprise": "enterprise",
    "ent": "enterprise",
    "mid-market": "mid-market",
    "midmarket": "mid-market",
    "mid": "mid-market",
    "mm": "mid-market",
    "self-serve": "self-serve",
    "selfserve": "self-serve",
    "self-service": "self-serve",
    "smb": "self-serve",
}


def parse_tier(raw: str | None, what: str) -> tuple[Tier, str]:
    text = re.sub(r"[\s_]+", "-", (raw or "").strip().lower())
    if not text:
        return "self-serve", ""
    tier = _TIER_ALIASES.get(text)
    if tier is None:
        return "self-serve", f"{what} value {raw!r} is not a known tier (read as self-serve)"
    return tier, ""


def company_to_account(
    account_id: str, props: dict[str, Any], names: HubSpotProperties
) -> tuple[Account, list[str]]:
    """Read a company's string properties into an Account; unreadable values become problems."""
    problems: list[str] = []

    def prop(name: str) -> str | None:
        value = props.get(name)
        return None if value is None else str(value)

    def keep(result: tuple[Any, str]) -> Any:
        value, problem = result
        if problem:
            problems.append(problem)
        return value

    account = Account(
        id=account_id,
        name=(prop(names.name) or "").strip(),
        tier=keep(parse_tier(prop(names.tier), "tier")),
        mrr=keep(parse_number(prop(names.mrr), "MRR")),
        renewal_date=keep(parse_date(prop(names.renewal_date), "renewal date")),
        created_at=keep(parse_datetime(prop(names.created_at), "create date")),
        at_risk=keep(parse_bool(prop(names.at_risk), "at-risk flag")),
    )
    return account, problems


def _error_message(reply: JsonReply) -> str:
    body = reply.body if isinstance(reply.body, dict) else {}
    return str(body.get("message") or body.get("category") or "")


MAX_TOKEN_WAIT = 0.25  # seconds a lookup waits for the local search rate limit before giving up


class _TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self, max_wait: float) -> bool:
        """Take one token, waiting at most `max_wait` seconds for it."""
        until = time.monotonic() + max_wait
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return True
                wait = (1 - self._tokens) / self._rate
            if now + wait > until:
                return False
            time.sleep(wait)


class HubSpotClient:
    """Reads companies and owners from HubSpot CRM v3. Methods never raise for transport errors."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        token: str,
        base_url: str = DEFAULT_URL,
        properties: HubSpotProperties | None = None,
        timeout: float = 5.0,
        retries: int = 1,
        search_rate_per_second: float | None = SEARCH_RATE_PER_SECOND,
    ) -> None:
        self._http = http
        self._token = token
        self._base = base_url.rstrip("/")
        self.properties = properties or HubSpotProperties()
        self._timeout = timeout
        self._retries = retries
        self._bucket = (
            _TokenBucket(search_rate_per_second, max(1.0, search_rate_per_second))
            if search_rate_per_second
            else None
        )

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def _failure_for(self, reply: JsonReply, what: str) -> ServiceFailure:
        status = reply.status
        if status == 401:
            return ServiceFailure(SERVICE, PROVIDER, "rejected the token (HTTP 401)", status=status)
        if status == 403:
            return ServiceFailure(
                SERVICE, PROVIDER, f"refused access to {what}: missing scope? (HTTP 403)", status=status
            )
        message = _error_message(reply)
        return ServiceFailure(
            SERVICE,
            PROVIDER,
            f"refused the {what} request (HTTP {status}{': ' + message if message else ''})",
            status=status,
        )

    def search_company(
        self, account_id: str, *, timeout: float | None = None
    ) -> dict[str, Any] | ServiceFailure:
        """The first company whose account-id property equals `account_id` (raw HubSpot object)."""
        budget = self._timeout if timeout is None else timeout
        until = time.monotonic() + budget
        # Wait only briefly for a search token: a listener thread blocked for the whole budget stalls
        # every message behind it; "held back" degrades to a card without CRM data, retried soon.
        if self._bucket is not None and not self._bucket.take(max_wait=min(budget, MAX_TOKEN_WAIT)):
            return ServiceFailure(
                SERVICE, PROVIDER, "search rate limit reached (held back locally)", retryable=True
            )
        names = self.properties
        body = {
            "filterGroups": [
                {"filters": [{"propertyName": names.account_id, "operator": "EQ", "value": account_id}]}
            ],
            "properties": names.all(),
            "limit": 2,  # two, to notice duplicates
        }
        reply = request_json(
            self._http,
            "POST",
            f"{self._base}/crm/v3/objects/companies/search",
            service=SERVICE,
            provider=PROVIDER,
            timeout=max(0.0, until - time.monotonic()),
            headers=self._headers(),
            json_body=body,
            retries=self._retries,
        )
        if isinstance(reply, ServiceFailure):
            return reply
        if reply.status != 200:
            return self._failure_for(reply, "company search")
        results = reply.body.get("results") if isinstance(reply.body, dict) else None
        if not isinstance(results, list):
            return ServiceFailure(SERVICE, PROVIDER, "sent a search answer without results", status=200)
        if not results:
            return ServiceFailure(
                SERVICE,
                PROVIDER,
                f"has no company with {names.account_id} {account_id!r}",
                status=200,
                not_found=True,
            )
        first = results[0]
        if not isinstance(first, dict) or not isinstance(first.get("properties"), dict):
            return ServiceFailure(SERVICE, PROVIDER, "sent a company without properties", status=200)
        if len(results) > 1:
            first = dict(first, _duplicate=True)
        return first

    def get_owner(self, owner_id: str, *, timeout: float | None = None) -> HubSpotOwner | ServiceFailure:
        reply = request_json(
            self._http,
            "GET",
            f"{self._base}/crm/v3/owners/{owner_id}",
            service=SERVICE,
            provider=PROVIDER,
            timeout=self._timeout if timeout is None else timeout,
            headers=self._headers(),
            params={"idProperty": "id", "archived": "false"},
            retries=self._retries,
        )
        if isinstance(reply, ServiceFailure):
            return reply
        if reply.status == 404:
            return ServiceFailure(SERVICE, PROVIDER, f"has no owner {owner_id!r}", status=404, not_found=True)
        if reply.status != 200 or not isinstance(reply.body, dict):
            return self._failure_for(reply, "owner")
        body = reply.body
        return HubSpotOwner(
            id=str(body.get("id") or owner_id),
            email=str(body.get("email") or ""),
            first_name=str(body.get("firstName") or ""),
            last_name=str(body.get("lastName") or ""),
        )

    def fetch(self, account_id: str, *, timeout: float | None = None) -> CrmRecord | ServiceFailure:
        """Company + owner as a CrmRecord, within `timeout` seconds in total.

        A missing or unreadable owner does not fail the record: it becomes a problem line.
        """
        budget = self._timeout if timeout is None else timeout
        until = time.monotonic() + budget
        company = self.search_company(account_id, timeout=budget)
        if isinstance(company, ServiceFailure):
            return company
        props = company["properties"]
        account, problems = company_to_account(account_id, props, self.properties)
        if company.get("_duplicate"):
            problems.append(
                f"has several companies with {self.properties.account_id} {account_id!r}; using the first"
            )
        owner: HubSpotOwner | None = None
        owner_id = str(props.get(self.properties.owner_id) or "").strip()
        if owner_id:
            left = until - time.monotonic()
            found = (
                self.get_owner(owner_id, timeout=left)
                if left > 0
                else ServiceFailure(SERVICE, PROVIDER, "timed out", retryable=True)
            )
            if isinstance(found, ServiceFailure):
                problems.append(f"owner {owner_id}: {found.reason}")
            else:
                owner = found
        extra: dict[str, Any] = {"hubspot_company_id": str(company.get("id") or "")}
        if owner is not None:
            extra["owner_email"] = owner.email
            account = replace(account, owner=owner.display_name, extra=extra)
        else:
            account = replace(account, extra=extra)
        return CrmRecord(str(company.get("id") or ""), account, owner, tuple(problems))
