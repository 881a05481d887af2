"""Account enrichment: what the CRM, billing and bug tracker know of a customer, fetched in parallel.

ARCHITECTURE principle 8 (degrade, never drop): every source is optional and deadline-bound. A slow
or failing service never raises here and never holds the caller past its deadline; the answer says
what is missing instead (`AccountFacts.missing`, shown on the card).

- `AccountSource` is the one interface the flows use: `fetch(account_id, deadline=seconds)`.
- `CombinedAccountSource` asks HubSpot (CRM), Stripe (billing) and Linear (bugs) at the same time.
- `StaticAccountSource` answers from a list of dicts (the policy's or a scenario's accounts), for
  installs without a CRM and for `baton simulate`.

The HTTP plumbing shared by the three clients (`ServiceFailure`, `request_json`) lives here too.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from bot.domain.errors import PolicyError
from bot.domain.model import TIERS, Account
from integrations.retry import parse_retry_after

if TYPE_CHECKING:
    from integrations.hubspot import CrmRecord, HubSpotClient
    from integrations.linear import LinearClient, LinearIssue
    from integrations.stripe import BillingRecord, StripeClient


# --------------------------------------------------------------------------------------------------
# The interface


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What could be learned about one account within the deadline.

    `account` is None when nothing at all is known. `missing` holds one human-readable line per
    source that failed or could not answer in time, e.g. "billing: Stripe timed out".
    """

    account: Account | None
    missing: tuple[str, ...] = ()


class AccountSource(Protocol):
    def fetch(self, account_id: str, *, deadline: float) -> AccountFacts:
        """Everything known about `account_id`, within `deadline` seconds from now. Never raises."""
        ...


# --------------------------------------------------------------------------------------------------
# Shared by the three HTTP clients


@dataclass(frozen=True, slots=True)
class ServiceFailure:
    """A call that did not give an answer. Clients return this instead of raising.

    `describe()` is the line for the card: f"{service}: {provider} {reason}", e.g.
    "billing: Stripe timed out" or "CRM: HubSpot has no company with baton_account_id 'acme'".
    """

    service: str  # "CRM" | "billing" | "bugs"
    provider: str  # "HubSpot" | "Stripe" | "Linear"
    reason: str
    retryable: bool = False
    status: int | None = None  # HTTP status when there was one
    not_found: bool = False  # the service answered: it does not know this account

    def describe(self) -> str:
        return f"{self.service}: {self.provider} {self.reason}"


@dataclass(frozen=True, slots=True)
class JsonReply:
    status: int
    body: Any  # parsed JSON, or None when the body was empty
    headers: httpx.Headers


def request_json(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    service: str,
    provider: str,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
    json_body: Any = None,
    retries: int = 1,
    backoff: float = 0.05,
    clock: Callable[[], float] = time.monotonic,
) -> JsonReply | ServiceFailure:
    """One JSON call within `timeout` seconds in total, retrying 429 / 5xx / connection errors.

    Retries only while the budget allows: a `Retry-After` longer than what is left ends the call
    (a deadline-bound enrichment must not sleep past its deadline). 4xx other than 429 are handed
    back as a `JsonReply` for the caller to interpret (auth, not found...). Never raises for
    transport errors.
    """
    until = clock() + max(0.0, timeout)
    attempt = 0
    last: ServiceFailure | None = None
    while True:
        left = until - clock()
        if left <= 0:
            return (
                last if last is not None else ServiceFailure(service, provider, "timed out", retryable=True)
            )
        try:
            response = http.request(
                method,
                url,
                headers=dict(headers or {}),
                params=params,  # type: ignore[arg-type]
                json=json_body,
                timeout=httpx.Timeout(left),
            )
        except httpx.TimeoutException:
            return ServiceFailure(service, provider, "timed out", retryable=True)
        except httpx.TransportError as exc:
            last = ServiceFailure(service, provider, f"unreachable ({type(exc).__name__})", retryable=True)
            wait: float | None = backoff * (2**attempt)
        else:
            status = response.status_code
            if status == 429 or status >= 500:
                what = "rate limited (HTTP 429)" if status == 429 else f"failed (HTTP {status})"
                last = ServiceFailure(service, provider, what, retryable=True, status=status)
                # an HTTP date (no `now` here) counts as unknown: no waiting for it inside a deadline
                wait = parse_retry_after(response.headers.get("retry-after"))
                if wait is None:
                    wait = backoff * (2**attempt)
            else:
                try:
                    body = response.json() if response.content else None
                except ValueError:
                    return ServiceFailure(
                        service, provider, f"sent an unreadable answer (HTTP {status})", status=status
                    )
                return JsonReply(status, body, response.headers)
        attempt += 1
        if attempt > retries or wait is None or clock() + wait >= until:
            return last
        time.sleep(wait)


# --------------------------------------------------------------------------------------------------
# Account dicts (policy / scenario) -> Account


ACCOUNT_KEYS: tuple[str, ...] = (
    "id",
    "account",  # the policy's spelling of the id ({channel: C0ACME, account: acme})
    "name",
    "tier",
    "channel",
    "mrr",
    "currency",
    "renewal_date",
    "owner",
    "owner_email",
    "created_at",
    "at_risk",
    "charges",
    "disputes",
    "open_bugs",
)


def _fail(path: Sequence[str | int], message: str, hint: str = "") -> PolicyError:
    return PolicyError(path, message, hint)


def parse_date_value(value: Any, path: Sequence[str | int]) -> date:
    """A date from YAML (already a date) or an ISO string 'YYYY-MM-DD'."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(path, f"{value!r} is not a date", "write it as YYYY-MM-DD, e.g. 2026-03-31")


def parse_datetime_value(value: Any, path: Sequence[str | int]) -> datetime:
    """An aware UTC datetime from YAML (datetime or date) or an ISO 8601 string; naive means UTC."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            result = datetime.fromisoformat(text)
        except ValueError:
            raise _fail(
                path, f"{value!r} is not a date-time", "write ISO 8601, e.g. 2026-03-31T09:00:00Z"
            ) from None
    else:
        raise _fail(path, f"{value!r} is not a date-time", "write ISO 8601, e.g. 2026-03-31T09:00:00Z")
    return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


def _number(value: Any, path: Sequence[str | int], what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"{what} must be a number, got {value!r}", "e.g. 4990 or 4990.50")
    if value < 0:
        raise _fail(path, f"{what} must not be negative, got {value!r}")
    return float(value)


def _text(value: Any, path: Sequence[str | int], what: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, f"{what} must be text, got {value!r}")
    return value.strip()


def _bool(value: Any, path: Sequence[str | int], what: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, f"{what} must be true or false, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class OwnerSpec:
    """An account owner as a scenario or policy writes it: a name or a Slack id, maybe an email."""

    name: str = ""  # a display name, or a Slack user id such as U012ABCDEF
    email: str = ""


def parse_owner(value: Any, email: Any, path: Sequence[str | int]) -> OwnerSpec:
    """`owner: "Dana Lee"` or `owner: U0123` (+ optional `owner_email`), or `owner: {name, email}`."""
    owner_email = "" if email is None else _text(email, (*path[:-1], "owner_email"), "owner_email")
    if value is None:
        return OwnerSpec(email=owner_email)
    if isinstance(value, str):
        return OwnerSpec(value.strip(), owner_email)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"name", "email", "slack_id"})
        if unknown:
            raise _fail((*path, str(unknown[0])), "unknown owner key", "allowed: name, email, slack_id")
        name = value.get("slack_id") or value.get("name") or ""
        mail = value.get("email") or owner_email
        return OwnerSpec(
            _text(name, path, "owner name"), _text(mail, (*path, "email"), "owner email") if mail else ""
        )
    raise _fail(path, f"owner must be a name, a Slack user id or {{name, email}}, got {value!r}")


def _charge_dict(
    raw: Any, path: Sequence[str | int], *, currency: str, disputed: bool, index: int, account_id: str
) -> dict[str, Any]:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = {"amount": raw}
    if not isinstance(raw, Mapping):
        raise _fail(path, f"a charge must be a mapping with at least 'amount', got {raw!r}")
    allowed = {"id", "amount", "currency", "status", "disputed", "refunded", "created", "reason"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail((*path, str(unknown[0])), "unknown key", "allowed: " + ", ".join(sorted(allowed)))
    if "amount" not in raw:
        raise _fail(path, "a charge needs an amount", "e.g. {amount: 499.00, status: failed}")
    status = _text(raw.get("status", "succeeded"), (*path, "status"), "status")
    if status not in ("succeeded", "pending", "failed"):
        raise _fail((*path, "status"), f"unknown charge status {status!r}", "succeeded, pending or failed")
    created = raw.get("created")
    return {
        "id": str(raw.get("id") or f"{'dp' if disputed else 'ch'}_{account_id}_{index}"),
        "amount": _number(raw["amount"], (*path, "amount"), "amount"),
        "currency": _text(raw.get("currency", currency), (*path, "currency"), "currency").lower(),
        "status": status,
        "disputed": disputed or _bool(raw.get("disputed", False), (*path, "disputed"), "disputed"),
        "refunded": _bool(raw.get("refunded", False), (*path, "refunded"), "refunded"),
        "created": (
            parse_datetime_value(created, (*path, "created")).isoformat() if created is not None else None
        ),
        "reason": _text(raw.get("reason", ""), (*path, "reason"), "reason"),
    }


def bug_dict(raw: Any, path: Sequence[str | int], *, index: int, account_id: str) -> dict[str, Any]:
    """An open bug from a scenario: a title, or {identifier, title, url, priority}."""
    if isinstance(raw, str):
        raw = {"title": raw}
    if not isinstance(raw, Mapping):
        raise _fail(path, f"an open bug must be a title or a mapping, got {raw!r}")
    allowed = {"identifier", "title", "url", "priority", "state"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail((*path, str(unknown[0])), "unknown key", "allowed: " + ", ".join(sorted(allowed)))
    title = _text(raw.get("title", ""), (*path, "title"), "title")
    if not title:
        raise _fail((*path, "title"), "an open bug needs a title")
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 4:
        raise _fail(
            (*path, "priority"),
            f"priority must be 0-4, got {priority!r}",
            "Linear: 0 none, 1 urgent, 2 high, 3 medium, 4 low",
        )
    identifier = _text(raw.get("identifier", f"BUG-{index + 1}"), (*path, "identifier"), "identifier")
    return {
        "identifier": identifier,
        "title": title,
        "url": _text(raw.get("url", ""), (*path, "url"), "url"),
        "priority": priority,
        "state": _text(raw.get("state", "In Progress"), (*path, "state"), "state"),
    }


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """A validated account dict: the `Account` plus what only the stand-ins need."""

    account: Account
    channel: str = ""
    owner: OwnerSpec = field(default_factory=OwnerSpec)
    currency: str = "usd"
    charges: tuple[dict[str, Any], ...] = ()
    disputes: tuple[dict[str, Any], ...] = ()
    open_bugs: tuple[dict[str, Any], ...] = ()


def parse_account_dict(raw: Any, path: Sequence[str | int] = ("accounts", 0)) -> AccountSpec:
    """Validate one policy/scenario account dict; raise PolicyError with the path of what is wrong."""
    if not isinstance(raw, Mapping):
        raise _fail(path, f"an account must be a mapping, got {type(raw).__name__}", "at least {id: ...}")
    unknown = sorted(str(k) for k in set(raw) - set(ACCOUNT_KEYS))
    if unknown:
        raise _fail((*path, unknown[0]), "unknown account key", "allowed: " + ", ".join(ACCOUNT_KEYS))
    if "id" in raw and "account" in raw:
        raise _fail((*path, "account"), "give the account id once", "use either id or account, not both")
    id_key = "id" if "id" in raw else "account"
    if id_key not in raw:
        raise _fail(path, "an account needs an id", "e.g. {id: acme, tier: enterprise}")
    account_id = raw[id_key]
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        account_id = str(account_id)
    account_id = _text(account_id, (*path, id_key), id_key)
    if not account_id:
        raise _fail((*path, id_key), "the account id must not be empty")
    tier = raw.get("tier", "self-serve")
    if tier not in TIERS:
        raise _fail((*path, "tier"), f"unknown tier {tier!r}", "one of: " + ", ".join(TIERS))
    currency = _text(raw.get("currency", "usd"), (*path, "currency"), "currency").lower()
    owner = parse_owner(raw.get("owner"), raw.get("owner_email"), (*path, "owner"))
    mrr = None if raw.get("mrr") is None else _number(raw["mrr"], (*path, "mrr"), "mrr")
    renewal = raw.get("renewal_date")
    created = raw.get("created_at")

    def _list(key: str) -> list[Any]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            raise _fail((*path, key), f"{key} must be a list")
        return value

    charges = tuple(
        _charge_dict(
            c, (*path, "charges", i), currency=currency, disputed=False, index=i, account_id=account_id
        )
        for i, c in enumerate(_list("charges"))
    )
    disputes = tuple(
        _charge_dict(
            c, (*path, "disputes", i), currency=currency, disputed=True, index=i, account_id=account_id
        )
        for i, c in enumerate(_list("disputes"))
    )
    bugs = tuple(
        bug_dict(b, (*path, "open_bugs", i), index=i, account_id=account_id)
        for i, b in enumerate(_list("open_bugs"))
    )
    extra: dict[str, Any] = {}
    if charges or disputes:
        recent = sorted(charges + disputes, key=lambda c: c["created"] or "", reverse=True)
        extra["recent_charges"] = [dict(c) for c in recent]
        extra["disputes"] = [dict(c) for c in recent if c["disputed"]]
    if bugs:
        extra["open_bugs"] = [dict(b) for b in bugs]
    if owner.email:
        extra["owner_email"] = owner.email
    channel = _text(raw.get("channel", ""), (*path, "channel"), "channel")
    if channel:
        extra["channel"] = channel
    account = Account(
        id=account_id,
        name=_text(raw.get("name", ""), (*path, "name"), "name"),
        tier=tier,
        mrr=mrr,
        renewal_date=None if renewal is None else parse_date_value(renewal, (*path, "renewal_date")),
        owner=owner.name,
        created_at=None if created is None else parse_datetime_value(created, (*path, "created_at")),
        at_risk=_bool(raw.get("at_risk", False), (*path, "at_risk"), "at_risk"),
        extra=extra,
    )
    return AccountSpec(account, channel, owner, currency, charges, disputes, bugs)


def parse_account_list(raw: Any, path: Sequence[str | int] = ("accounts",)) -> list[AccountSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(path, "accounts must be a list of mappings", "e.g. - {id: acme, tier: enterprise}")
    specs = [parse_account_dict(item, (*path, i)) for i, item in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, spec in enumerate(specs):
        if spec.account.id in seen:
            raise _fail((*path, i, "id"), f"account id {spec.account.id!r} is listed twice")
        seen[spec.account.id] = i
    return specs


class StaticAccountSource:
    """Accounts from a list of dicts (the policy's `accounts:` or a scenario's), for installs without a CRM."""

    def __init__(
        self, accounts: Iterable[Any] | None = None, *, path: Sequence[str | int] = ("accounts",)
    ) -> None:
        specs = parse_account_list(list(accounts) if accounts is not None else [], path)
        self._by_id = {s.account.id: s.account for s in specs}
        self._by_channel = {s.channel: s.account.id for s in specs if s.channel}

    def fetch(self, account_id: str, *, deadline: float = 0.0) -> AccountFacts:
        account = self._by_id.get(account_id)
        if account is None:
            return AccountFacts(None, (f"account: {account_id!r} is not in the account list",))
        return AccountFacts(account)

    def account_for_channel(self, channel_id: str) -> str | None:
        """The id of the account whose Slack channel this is, if listed."""
        return self._by_channel.get(channel_id)

    @property
    def account_ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)


# --------------------------------------------------------------------------------------------------
# The combined source


class CombinedAccountSource:
    """HubSpot + Stripe + Linear, each optional, asked in parallel threads under one overall deadline.

    Precedence when sources overlap: name, tier, owner, renewal date, created_at and at_risk come
    from the CRM; MRR is Stripe's (computed from live subscriptions) when Stripe answered, else the
    CRM's; Stripe's customer name and period end fill in when the CRM has none. Sources that are
    not configured (None) are simply not asked and not listed as missing.

    `fetch` returns after at most `deadline` seconds (plus scheduling noise). A call still running
    then is abandoned, not interrupted: its thread ends by its own HTTP timeout, which is set to
    the same budget. Pass your own `executor` to share or bound threads; otherwise one with
    `max_workers` threads is created on first use (close it with `close()`).
    """

    def __init__(
        self,
        crm: HubSpotClient | None,
        billing: StripeClient | None,
        bugs: LinearClient | None,
        executor: cf.Executor | None = None,
        *,
        max_workers: int = 12,
    ) -> None:
        self.crm = crm
        self.billing = billing
        self.bugs = bugs
        self._executor = executor
        self._own_executor = executor is None
        self._max_workers = max_workers
        self._lock = threading.Lock()

    def _pool(self) -> cf.Executor:
        with self._lock:
            if self._executor is None:
                self._executor = cf.ThreadPoolExecutor(self._max_workers, thread_name_prefix="baton-enrich")
            return self._executor

    def close(self) -> None:
        with self._lock:
            if self._own_executor and self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def fetch(self, account_id: str, *, deadline: float) -> AccountFacts:
        budget = max(0.0, float(deadline))
        jobs: dict[str, tuple[str, str, Callable[[], Any]]] = {}
        if self.crm is not None:
            crm = self.crm
            jobs["crm"] = ("CRM", "HubSpot", lambda: crm.fetch(account_id, timeout=budget))
        if self.billing is not None:
            billing = self.billing
            jobs["billing"] = ("billing", "Stripe", lambda: billing.fetch(account_id, timeout=budget))
        if self.bugs is not None:
            bugs = self.bugs
            jobs["bugs"] = ("bugs", "Linear", lambda: bugs.open_bugs(account_id, timeout=budget))
        if not jobs:
            return AccountFacts(None, ("account: no CRM, billing or bug tracker is configured",))

        pool = self._pool()
        futures = {
            key: pool.submit(_guarded, service, provider, call)
            for key, (service, provider, call) in jobs.items()
        }
        cf.wait(futures.values(), timeout=budget)

        results: dict[str, Any] = {}
        missing: list[str] = []
        for key, future in futures.items():
            service, provider, _call = jobs[key]
            if not future.done():
                future.cancel()  # if it never started, do not start it
                missing.append(ServiceFailure(service, provider, "timed out", retryable=True).describe())
                continue
            result = future.result()
            if isinstance(result, ServiceFailure):
                missing.append(result.describe())
            else:
                results[key] = result
        account, notes = merge_account(
            account_id, results.get("crm"), results.get("billing"), results.get("bugs")
        )
        return AccountFacts(account, tuple(missing) + notes)


def _guarded(service: str, provider: str, call: Callable[[], Any]) -> Any:
    """Run one client call; a bug in a client becomes a failure line, never an exception."""
    try:
        return call()
    except Exception as exc:
        return ServiceFailure(service, provider, f"failed unexpectedly ({type(exc).__name__}: {exc})")


def merge_account(
    account_id: str,
    crm: CrmRecord | None,
    billing: BillingRecord | None,
    bugs: Sequence[LinearIssue] | None,
) -> tuple[Account | None, tuple[str, ...]]:
    """Combine what each source said into one Account (see CombinedAccountSource for precedence).

    Returns the account (None when no source knows it) and the sources' data-quality notes, e.g.
    "CRM: HubSpot MRR value '12k' is not a number".
    """
    notes: list[str] = []
    if crm is None and billing is None and not bugs:
        return None, ()
    account = crm.account if crm is not None else Account(id=account_id)
    if crm is not None:
        notes.extend(f"CRM: HubSpot {p}" for p in crm.problems)
    extra = dict(account.extra)
    changes: dict[str, Any] = {}
    if billing is not None:
        notes.extend(f"billing: Stripe {p}" for p in billing.problems)
        if billing.mrr is not None:
            changes["mrr"] = billing.mrr
        if not account.name and billing.name:
            changes["name"] = billing.name
        if account.renewal_date is None and billing.period_end is not None:
            changes["renewal_date"] = billing.period_end
        if account.created_at is None and billing.created_at is not None:
            changes["created_at"] = billing.created_at
        extra["recent_charges"] = [c.to_dict() for c in billing.recent_charges]
        extra["disputes"] = [c.to_dict() for c in billing.disputes]
        extra["billing_currency"] = billing.currency
        extra["subscription_statuses"] = list(billing.subscription_statuses)
        if billing.canceling:
            extra["subscription_canceling"] = True
    if bugs is not None:
        extra["open_bugs"] = [b.to_dict() for b in bugs]
    return replace(account, extra=extra, **changes), tuple(notes)
