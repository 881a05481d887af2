"""Local stand-ins for HubSpot (CRM), Stripe (billing) and Linear (bugs).

Real HTTP servers on 127.0.0.1 speaking the request/response shapes the clients in `integrations/`
use: HubSpot CRM v3 company search and owners (all property values strings), Stripe list and
search objects with its error bodies, Linear GraphQL for the `BatonOpenBugs` query (auth and
variables checked). Each checks credentials like the real service and answers with its error body.

    with CrmSandbox() as crm:
        crm.load_accounts([{"id": "acme", "name": "Acme", "tier": "enterprise", "mrr": 4990}])
        source = crm.account_source(httpx.Client())      # a CombinedAccountSource on the stand-ins
        crm.stripe.set_delay(2.0)                        # a slow Stripe, for deadline tests
        crm.hubspot.fail_next(1, 429)                    # the next HubSpot call is rate limited

Every stand-in has `fail_next(count, status)`, `set_delay(seconds)` and a `requests` log.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bot.sandbox.httpserver import Request, Response, ServedStandIn, json_response
from integrations.accounts import AccountSpec, CombinedAccountSource, parse_account_list
from integrations.hubspot import HubSpotClient, HubSpotProperties
from integrations.linear import OPERATION, LinearClient
from integrations.linear_issues import LinearIssues
from integrations.stripe import ZERO_DECIMAL, StripeClient

HUBSPOT_TOKEN = "pat-sandbox-0000"
STRIPE_KEY = "sk_test_sandbox0000"
LINEAR_KEY = "lin_api_sandbox0000"
LINEAR_LABEL_PREFIX = "customer:"
DEFAULT_CREATED = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)  # when an account gives no created_at


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any


class _StandIn(ServedStandIn):
    """Shared plumbing of the CRM stand-ins (the server's lifecycle is ServedStandIn's): request log,
    injected failures and delay."""

    name = "stand-in"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._fail: list[tuple[int, str | None, str]] = []
        self._delay = 0.0
        self.requests: list[LoggedRequest] = []

    # test controls
    def fail_next(self, count: int, status: int, *, retry_after: int | None = None, path: str = "") -> None:
        """The next `count` requests (to paths starting with `path`) get `status` and this service's error body."""
        with self._lock:
            self._fail.extend([(status, None if retry_after is None else str(retry_after), path)] * count)

    def clear_failures(self) -> None:
        """The service is back: no more injected failures."""
        with self._lock:
            self._fail.clear()

    def set_delay(self, seconds: float) -> None:
        """Every answer waits this long first (a slow service, for deadline tests)."""
        with self._lock:
            self._delay = max(0.0, seconds)

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def reset(self) -> None:
        """Forget all data, injected failures, delay and the request log."""
        with self._lock:
            self.requests.clear()
            self._fail.clear()
            self._delay = 0.0
            self._reset_data()

    def _reset_data(self) -> None:
        raise NotImplementedError

    # request handling
    def _handle(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(
                LoggedRequest(request.method, request.path, request.query, dict(request.headers), body)
            )
            delay = self._delay
            index = next((i for i, f in enumerate(self._fail) if request.path.startswith(f[2])), None)
            failure = self._fail.pop(index) if index is not None else None
        if delay:
            time.sleep(delay)
        if failure is not None:
            status, retry_after, _path = failure
            response = self._failure(status)
            if retry_after is not None:
                response.headers["Retry-After"] = retry_after
            return response
        auth_error = self._check_auth(request)
        if auth_error is not None:
            return auth_error
        return self._route(request, body)

    def _failure(self, status: int) -> Response:
        raise NotImplementedError

    def _check_auth(self, request: Request) -> Response | None:
        raise NotImplementedError

    def _route(self, request: Request, body: Any) -> Response:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------------
# HubSpot


def _hs_error(status: int, message: str, category: str, **more: Any) -> Response:
    return json_response(
        {
            "status": "error",
            "message": message,
            "correlationId": "00000000-sandbox",
            "category": category,
            **more,
        },
        status,
    )


def _hs_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class HubSpotStandIn(_StandIn):
    """`POST /crm/v3/objects/companies/search` and `GET /crm/v3/owners/{id}`."""

    name = "HubSpot"
    SEARCH_OPERATORS = ("EQ", "NEQ", "HAS_PROPERTY", "NOT_HAS_PROPERTY")

    def __init__(self, token: str = HUBSPOT_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.companies: dict[str, dict[str, str]] = {}  # company id -> properties (all strings)
        self.owners: dict[str, dict[str, Any]] = {}  # owner id -> owner object
        self._ids = itertools.count(9_000_001)

    def _reset_data(self) -> None:
        self.companies.clear()
        self.owners.clear()

    def add_company(self, properties: Mapping[str, Any], company_id: str | None = None) -> str:
        """Store a company; values are stringified like HubSpot does (None -> "")."""
        with self._lock:
            cid = company_id or str(next(self._ids))
            props = {k: "" if v is None else str(v) for k, v in properties.items()}
            props.setdefault("createdate", _hs_time(DEFAULT_CREATED))
            props["hs_object_id"] = cid
            self.companies[cid] = props
            return cid

    def add_owner(
        self, email: str, first_name: str = "", last_name: str = "", owner_id: str | None = None
    ) -> str:
        with self._lock:
            oid = owner_id or str(next(self._ids))
            self.owners[oid] = {
                "id": oid,
                "email": email,
                "type": "PERSON",
                "firstName": first_name,
                "lastName": last_name,
                "userId": int(oid) if oid.isdigit() else 0,
                "createdAt": _hs_time(DEFAULT_CREATED),
                "updatedAt": _hs_time(DEFAULT_CREATED),
                "archived": False,
            }
            return oid

    def _failure(self, status: int) -> Response:
        if status == 429:
            return _hs_error(
                429,
                "You have reached your secondly limit.",
                "RATE_LIMITS",
                errorType="RATE_LIMIT",
                policyName="SECONDLY",
            )
        if status == 401:
            return self._auth_failure()
        return _hs_error(status, "internal error", "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")

    @staticmethod
    def _auth_failure() -> Response:
        return _hs_error(
            401,
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
            "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        )

    def _check_auth(self, request: Request) -> Response | None:
        if request.header("authorization") != f"Bearer {self.token}":
            return self._auth_failure()
        return None

    def _route(self, request: Request, body: Any) -> Response:
        if request.method == "POST" and request.path == "/crm/v3/objects/companies/search":
            return self._search(body)
        match = re.fullmatch(r"/crm/v3/owners/([^/]+)", request.path)
        if request.method == "GET" and match:
            with self._lock:
                owner = self.owners.get(match.group(1))
            if owner is None:
                return _hs_error(404, f"Owner not found for id {match.group(1)}", "OBJECT_NOT_FOUND")
            return json_response(owner)
        return _hs_error(404, f"Unable to route {request.method} request with {request.path}", "NOT_FOUND")

    def _search(self, body: Any) -> Response:
        if not isinstance(body, dict):
            return _hs_error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        groups = body.get("filterGroups", [])
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            return _hs_error(400, "limit must be between 1 and 200", "VALIDATION_ERROR")
        if not isinstance(groups, list) or len(groups) > 5:
            return _hs_error(400, "filterGroups must be a list of at most 5 groups", "VALIDATION_ERROR")
        for group in groups:
            filters = group.get("filters") if isinstance(group, dict) else None
            if not isinstance(filters, list):
                return _hs_error(400, "each filterGroup needs filters", "VALIDATION_ERROR")
            for flt in filters:
                if not isinstance(flt, dict) or flt.get("operator") not in self.SEARCH_OPERATORS:
                    return _hs_error(400, f"unsupported filter {flt!r}", "VALIDATION_ERROR")
        wanted = body.get("properties") or ["name", "domain", "createdate", "hs_lastmodifieddate"]
        with self._lock:
            companies = list(self.companies.items())
        results = []
        for cid, props in companies:
            if groups and not any(all(self._matches(props, f) for f in g["filters"]) for g in groups):
                continue
            shown = {name: props.get(name) for name in wanted}
            for always in ("createdate", "hs_lastmodifieddate", "hs_object_id"):
                shown[always] = props.get(always, props.get("createdate"))
            results.append(
                {
                    "id": cid,
                    "properties": shown,
                    "createdAt": props.get("createdate"),
                    "updatedAt": props.get("createdate"),
                    "archived": False,
                }
            )
        return json_response({"total": len(results), "results": results[:limit]})

    @staticmethod
    def _matches(props: dict[str, str], flt: dict[str, Any]) -> bool:
        value = props.get(str(flt.get("propertyName")), "")
        op = flt["operator"]
        if op == "HAS_PROPERTY":
            return value != ""
        if op == "NOT_HAS_PROPERTY":
            return value == ""
        equal = value.lower() == str(flt.get("value", "")).lower()  # HubSpot string EQ ignores case
        return equal if op == "EQ" else not equal


# ---------------------------------------------------------------------------------------------------
# Stripe


def _stripe_error(status: int, message: str, type_: str = "invalid_request_error", **more: Any) -> Response:
    return json_response({"error": {"type": type_, "message": message, **more}}, status)


def _stripe_list(url: str, data: list[Any], *, has_more: bool = False) -> Response:
    return json_response({"object": "list", "data": data, "has_more": has_more, "url": url})


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def _minor(amount: float, currency: str) -> int:
    return int(round(amount if currency in ZERO_DECIMAL else amount * 100))


class StripeStandIn(_StandIn):
    """`/v1/customers/search`, `/v1/customers?email=`, `/v1/subscriptions`, `/v1/charges`."""

    name = "Stripe"

    def __init__(self, api_key: str = STRIPE_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self._seq = itertools.count(1)

    def _reset_data(self) -> None:
        self.customers.clear()
        self.subscriptions.clear()
        self.charges.clear()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_Sbx{next(self._seq):010d}"

    def add_customer(
        self,
        *,
        name: str = "",
        email: str = "",
        metadata: Mapping[str, str] | None = None,
        created: datetime = DEFAULT_CREATED,
    ) -> str:
        with self._lock:
            cid = self._id("cus")
            self.customers[cid] = {
                "id": cid,
                "object": "customer",
                "name": name or None,
                "email": email or None,
                "created": _ts(created),
                "currency": "usd",
                "delinquent": False,
                "livemode": False,
                "metadata": dict(metadata or {}),
            }
            return cid

    def add_subscription(
        self,
        customer: str,
        items: Iterable[Mapping[str, Any]],
        *,
        status: str = "active",
        period_end: datetime | None = None,
        cancel_at_period_end: bool = False,
        created: datetime = DEFAULT_CREATED,
    ) -> str:
        """items: {unit_amount (minor units), currency, interval, interval_count, quantity}."""
        with self._lock:
            sid = self._id("sub")
            end = period_end or (created + timedelta(days=30))
            data = []
            for item in items:
                currency = str(item.get("currency", "usd"))
                data.append(
                    {
                        "id": self._id("si"),
                        "object": "subscription_item",
                        "quantity": item.get("quantity", 1),
                        "current_period_start": _ts(end - timedelta(days=30)),
                        "current_period_end": _ts(end),
                        "subscription": sid,
                        "price": {
                            "id": self._id("price"),
                            "object": "price",
                            "active": True,
                            "currency": currency,
                            "type": "recurring",
                            "unit_amount": item.get("unit_amount"),
                            "unit_amount_decimal": (
                                None if item.get("unit_amount") is None else str(item.get("unit_amount"))
                            ),
                            "recurring": {
                                "interval": item.get("interval", "month"),
                                "interval_count": item.get("interval_count", 1),
                                "usage_type": "licensed",
                            },
                        },
                    }
                )
            self.subscriptions[sid] = {
                "id": sid,
                "object": "subscription",
                "customer": customer,
                "status": status,
                "cancel_at_period_end": cancel_at_period_end,
                "created": _ts(created),
                "currency": data[0]["price"]["currency"] if data else "usd",
                "items": {
                    "object": "list",
                    "data": data,
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={sid}",
                },
            }
            return sid

    def add_charge(
        self,
        customer: str,
        amount_minor: int,
        *,
        currency: str = "usd",
        status: str = "succeeded",
        disputed: bool = False,
        refunded: bool = False,
        created: datetime = DEFAULT_CREATED,
    ) -> str:
        with self._lock:
            chid = self._id("ch")
            self.charges[chid] = {
                "id": chid,
                "object": "charge",
                "amount": amount_minor,
                "amount_refunded": amount_minor if refunded else 0,
                "currency": currency,
                "customer": customer,
                "status": status,
                "paid": status == "succeeded",
                "captured": status == "succeeded",
                "disputed": disputed,
                "dispute": self._id("dp") if disputed else None,
                "refunded": refunded,
                "created": _ts(created),
                "livemode": False,
            }
            return chid

    def _failure(self, status: int) -> Response:
        if status == 429:
            return _stripe_error(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                code="rate_limit",
            )
        if status == 401:
            return _stripe_error(401, "Invalid API Key provided: sk_test_****")
        return _stripe_error(status, "An unknown error occurred", type_="api_error")

    def _check_auth(self, request: Request) -> Response | None:
        auth = request.header("authorization")
        if not auth:
            return _stripe_error(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        if auth != f"Bearer {self.api_key}":
            shown = auth.removeprefix("Bearer ")
            return _stripe_error(401, f"Invalid API Key provided: {shown[:8]}****{shown[-4:]}")
        return None

    @staticmethod
    def _limit(query: dict[str, list[str]]) -> int | Response:
        raw = query.get("limit", ["10"])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            return _stripe_error(
                400,
                "This value must be between 1 and 100 (it currently is " + raw + ").",
                param="limit",
                code="parameter_invalid_integer",
            )
        return int(raw)

    def _route(self, request: Request, body: Any) -> Response:
        if request.method != "GET":
            return _stripe_error(404, f"Unrecognized request URL ({request.method}: {request.path}).")
        query = request.query
        limit = self._limit(query)
        if isinstance(limit, Response):
            return limit
        with self._lock:
            customers = list(self.customers.values())
            subs = list(self.subscriptions.values())
            charges = list(self.charges.values())
        if request.path == "/v1/customers/search":
            text = query.get("query", [""])[0]
            match = re.fullmatch(r"\s*metadata\['([^']+)'\]\s*:\s*'((?:[^'\\]|\\.)*)'\s*", text)
            if not match:
                return _stripe_error(
                    400,
                    f"Invalid search query: {text!r} (the stand-in supports metadata['key']:'value')",
                    param="query",
                    code="parameter_invalid",
                )
            key, value = match.group(1), re.sub(r"\\(.)", r"\1", match.group(2))
            found = [c for c in customers if c["metadata"].get(key) == value]
            return json_response(
                {
                    "object": "search_result",
                    "data": found[:limit],
                    "has_more": len(found) > limit,
                    "next_page": None,
                    "url": "/v1/customers/search",
                }
            )
        if request.path == "/v1/customers":
            email = query.get("email", [None])[0]
            found = [c for c in customers if email is None or c["email"] == email]
            return _stripe_list("/v1/customers", found[:limit], has_more=len(found) > limit)
        if request.path == "/v1/subscriptions":
            customer = query.get("customer", [None])[0]
            status = query.get("status", [None])[0]
            found = [
                s
                for s in subs
                if (customer is None or s["customer"] == customer)
                and (
                    status == "all" or (status is None and s["status"] != "canceled") or s["status"] == status
                )
            ]
            return _stripe_list("/v1/subscriptions", found[:limit], has_more=len(found) > limit)
        if request.path == "/v1/charges":
            customer = query.get("customer", [None])[0]
            found = sorted(
                (c for c in charges if customer is None or c["customer"] == customer),
                key=lambda c: c["created"],
                reverse=True,
            )
            return _stripe_list("/v1/charges", found[:limit], has_more=len(found) > limit)
        return _stripe_error(404, f"Unrecognized request URL (GET: {request.path}).")


# ---------------------------------------------------------------------------------------------------
# Linear


def _gql_error(status: int, message: str, code: str, type_: str) -> Response:
    return json_response(
        {
            "errors": [
                {
                    "message": message,
                    "extensions": {"type": type_, "code": code, "userPresentableMessage": message},
                }
            ]
        },
        status,
    )


class LinearStandIn(_StandIn):
    """`POST /graphql` answering Baton's operations: the `BatonOpenBugs` query, and for bug issues
    `BatonIssueById`, `BatonLabelByName`, `BatonLabelCreate` and `BatonIssueCreate` (the input
    validated as Linear does: unknown fields, teamId/title required, known label ids, a UUID `id`
    that can be used once)."""

    name = "Linear"

    def __init__(self, api_key: str = LINEAR_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.issues: list[dict[str, Any]] = []
        self._graphql_errors: list[str] = []
        self._numbers = itertools.count(101)
        self.labels: dict[str, str] = {}  # label id -> name
        self.teams: dict[str, str] = {}  # team id -> key (ENG); empty: any team id is accepted
        self.created: list[dict[str, Any]] = []  # issues made by issueCreate
        self._lose_creates = 0
        self._operations = {
            OPERATION: self._open_bugs,
            "BatonIssueById": self._issue_by_id,
            "BatonLabelByName": self._label_by_name,
            "BatonLabelCreate": self._label_create,
            "BatonIssueCreate": self._issue_create,
        }

    def _reset_data(self) -> None:
        self.issues.clear()
        self._graphql_errors.clear()
        self.labels.clear()
        self.teams.clear()
        self.created.clear()
        self._lose_creates = 0

    def add_team(self, team_id: str, key: str = "ENG") -> None:
        with self._lock:
            self.teams[team_id] = key

    def lose_next_create(self, count: int = 1) -> None:
        """The next `count` issueCreate calls create the issue but answer 503 (a lost answer: the
        caller cannot tell whether it happened)."""
        with self._lock:
            self._lose_creates += count

    def add_issue(
        self,
        title: str,
        *,
        labels: Iterable[str] = (),
        identifier: str | None = None,
        priority: int = 0,
        state: str = "In Progress",
        state_type: str = "started",
        url: str = "",
    ) -> str:
        with self._lock:
            ident = identifier or f"ENG-{next(self._numbers)}"
            self.issues.append(
                {
                    "id": f"00000000-0000-4000-8000-{len(self.issues) + 1:012d}",
                    "identifier": ident,
                    "title": title,
                    "url": url or f"https://linear.app/sandbox/issue/{ident.lower()}",
                    "priority": priority,
                    "priorityLabel": {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}[
                        priority
                    ],
                    "state": {"name": state, "type": state_type},
                    "labels": [label for label in labels],
                }
            )
            return ident

    def fail_next_graphql(self, message: str, count: int = 1) -> None:
        """The next `count` queries answer HTTP 200 with `errors[]` and `data: null`."""
        with self._lock:
            self._graphql_errors.extend([message] * count)

    def _failure(self, status: int) -> Response:
        if status == 429:  # Linear reports rate limiting as HTTP 400 with code RATELIMITED
            return _gql_error(400, "Rate limit exceeded", "RATELIMITED", "ratelimited")
        if status == 401:
            return self._auth_failure()
        return json_response({"errors": [{"message": "Internal server error"}]}, status)

    @staticmethod
    def _auth_failure() -> Response:
        return _gql_error(
            400, "Authentication required, not authenticated", "AUTHENTICATION_ERROR", "authentication error"
        )

    def _check_auth(self, request: Request) -> Response | None:
        # Personal API keys go in the header as they are; "Bearer <key>" is for OAuth tokens only.
        if request.header("authorization") != self.api_key:
            return self._auth_failure()
        return None

    def _route(self, request: Request, body: Any) -> Response:
        if request.method != "POST" or request.path != "/graphql":
            return json_response({"errors": [{"message": "Not found"}]}, 404)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _gql_error(400, "Must provide query string.", "GRAPHQL_PARSE_FAILED", "invalid input")
        with self._lock:
            injected = self._graphql_errors.pop(0) if self._graphql_errors else None
        if injected is not None:
            return json_response(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": injected,
                            "extensions": {"type": "internal error", "code": "INTERNAL_SERVER_ERROR"},
                        }
                    ],
                }
            )
        operation = body.get("operationName") or ""
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            variables = {}
        handler = self._operations.get(operation)
        if handler is None or not re.search(rf"\b(?:query|mutation) {re.escape(operation)}\b", body["query"]):
            return _gql_error(
                400,
                f"the stand-in only answers {', '.join(self._operations)}",
                "GRAPHQL_VALIDATION_FAILED",
                "invalid input",
            )
        with self._lock:
            lose = operation == "BatonIssueCreate" and self._lose_creates > 0
            if lose:
                self._lose_creates -= 1
        answer = handler(variables)
        if lose and answer.status == 200:  # created, but the answer never reaches the caller
            return json_response({"errors": [{"message": "Internal server error"}]}, 503)
        return answer

    def _open_bugs(self, variables: dict[str, Any]) -> Response:
        flt: Any = variables.get("filter")
        first = variables.get("first")
        try:
            label = flt["labels"]["some"]["name"]["eqIgnoreCase"]
            excluded = flt["state"]["type"]["nin"]
        except (KeyError, TypeError):
            return _invalid("filter")
        if not isinstance(first, int) or isinstance(first, bool) or not 1 <= first <= 250:
            return _invalid("first")
        if not isinstance(label, str) or not isinstance(excluded, list):
            return _invalid("filter")
        with self._lock:
            issues = list(self.issues)
        nodes = [
            _issue_node(issue)
            for issue in issues
            if any(name.lower() == label.lower() for name in issue["labels"])
            and issue["state"]["type"] not in excluded
        ]
        return json_response({"data": {"issues": {"nodes": nodes[:first]}}})

    def _issue_by_id(self, variables: dict[str, Any]) -> Response:
        try:
            wanted = variables["filter"]["id"]["eq"]
        except (KeyError, TypeError):
            return _invalid("filter")
        with self._lock:
            nodes = [_issue_node(i) for i in self.issues if i["id"] == wanted]
        return json_response({"data": {"issues": {"nodes": nodes[:1]}}})

    def _label_by_name(self, variables: dict[str, Any]) -> Response:
        try:
            name = variables["filter"]["name"]["eqIgnoreCase"]
        except (KeyError, TypeError):
            return _invalid("filter")
        if not isinstance(name, str):
            return _invalid("filter")
        with self._lock:
            nodes = [{"id": i, "name": n} for i, n in self.labels.items() if n.lower() == name.lower()]
        return json_response({"data": {"issueLabels": {"nodes": nodes[:1]}}})

    def _label_create(self, variables: dict[str, Any]) -> Response:
        data = variables.get("input")
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip():
            return _invalid("input", "name is required")
        with self._lock:
            if any(n.lower() == name.lower() for n in self.labels.values()):
                return _gql_error(400, "Label name already exists", "INVALID_INPUT", "invalid input")
            label_id = str(uuid.uuid4())
            self.labels[label_id] = name
        return json_response(
            {"data": {"issueLabelCreate": {"success": True, "issueLabel": {"id": label_id, "name": name}}}}
        )

    def _issue_create(self, variables: dict[str, Any]) -> Response:
        """IssueCreateInput: teamId and title required; an optional client-chosen UUID `id`;
        labelIds must exist; a second create with a used id is refused."""
        data = variables.get("input")
        if not isinstance(data, dict):
            return _invalid("input")
        unknown = set(data) - ISSUE_CREATE_FIELDS
        if unknown:
            return _invalid("input", f"Field \"{sorted(unknown)[0]}\" is not defined by type IssueCreateInput")
        team, title = data.get("teamId"), data.get("title")
        if not isinstance(team, str) or not isinstance(title, str) or not title.strip():
            return _invalid("input", "teamId and title are required")
        issue_id = data.get("id") or str(uuid.uuid4())
        labels = data.get("labelIds") or []
        with self._lock:
            if self.teams and team not in self.teams:
                return _gql_error(400, "Entity not found: Team", "INVALID_INPUT", "invalid input")
            if not isinstance(issue_id, str) or not _UUID.fullmatch(issue_id):
                return _invalid("input", "id must be a UUID")
            if any(i["id"] == issue_id for i in self.issues):
                return _gql_error(400, "Entity already exists", "INVALID_INPUT", "invalid input")
            if not isinstance(labels, list) or any(label not in self.labels for label in labels):
                return _gql_error(400, "Entity not found: IssueLabel", "INVALID_INPUT", "invalid input")
            ident = f"{self.teams.get(team, 'ENG')}-{next(self._numbers)}"
            issue = {
                "id": issue_id,
                "identifier": ident,
                "title": title,
                "url": f"https://linear.app/sandbox/issue/{ident.lower()}",
                "priority": int(data.get("priority") or 0),
                "priorityLabel": "No priority",
                "state": {"name": "Triage", "type": "triage"},
                "labels": [self.labels[label] for label in labels],
                "description": str(data.get("description") or ""),
                "teamId": team,
            }
            self.issues.append(issue)
            self.created.append(issue)
        return json_response({"data": {"issueCreate": {"success": True, "issue": _issue_node(issue)}}})


def _issue_node(issue: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in issue.items() if k not in ("labels", "description", "teamId")}


def _invalid(variable: str, detail: str = "") -> Response:
    message = f'Variable "${variable}" got invalid value' + (f": {detail}" if detail else "")
    return _gql_error(400, message, "GRAPHQL_VALIDATION_FAILED", "invalid input")


ISSUE_CREATE_FIELDS = frozenset(
    {"id", "teamId", "title", "description", "priority", "labelIds", "assigneeId", "stateId", "projectId"}
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ---------------------------------------------------------------------------------------------------
# All three together


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", text.lower()).strip(".") or "owner"


def _is_slack_user_id(text: str) -> bool:
    return bool(re.fullmatch(r"[UW][A-Z0-9]{6,}", text))


class CrmSandbox:
    """HubSpot, Stripe and Linear stand-ins started together; hands out base URLs and clients."""

    def __init__(
        self, properties: HubSpotProperties | None = None, metadata_key: str = "baton_account_id"
    ) -> None:
        self.hubspot = HubSpotStandIn()
        self.stripe = StripeStandIn()
        self.linear = LinearStandIn()
        self.properties = properties or HubSpotProperties()
        self.metadata_key = metadata_key

    def start(self) -> CrmSandbox:
        for stand_in in (self.hubspot, self.stripe, self.linear):
            stand_in.start()
        return self

    def stop(self) -> None:
        # Stop the three at once: each shutdown waits out its server's poll interval.
        stoppers = [threading.Thread(target=s.stop) for s in (self.hubspot, self.stripe, self.linear)]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()

    def reset(self) -> None:
        """Empty all three stand-ins (data, failures, delays, logs): reuse one sandbox across tests."""
        for stand_in in (self.hubspot, self.stripe, self.linear):
            stand_in.reset()

    def __enter__(self) -> CrmSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def hubspot_url(self) -> str:
        return self.hubspot.url

    @property
    def stripe_url(self) -> str:
        return self.stripe.url

    @property
    def linear_url(self) -> str:
        return self.linear.url

    def env(self) -> dict[str, str]:
        """Environment variables that point Baton's settings at these stand-ins."""
        return {
            "HUBSPOT_TOKEN": HUBSPOT_TOKEN,
            "HUBSPOT_API_URL": self.hubspot_url,
            "STRIPE_API_KEY": STRIPE_KEY,
            "STRIPE_API_URL": self.stripe_url,
            "LINEAR_API_KEY": LINEAR_KEY,
            "LINEAR_API_URL": self.linear_url,
        }

    # clients
    def hubspot_client(self, http: httpx.Client, **kwargs: Any) -> HubSpotClient:
        kwargs.setdefault("properties", self.properties)
        return HubSpotClient(http, token=HUBSPOT_TOKEN, base_url=self.hubspot_url, **kwargs)

    def stripe_client(self, http: httpx.Client, **kwargs: Any) -> StripeClient:
        kwargs.setdefault("metadata_key", self.metadata_key)
        return StripeClient(http, api_key=STRIPE_KEY, base_url=self.stripe_url, **kwargs)

    def linear_client(self, http: httpx.Client, **kwargs: Any) -> LinearClient:
        kwargs.setdefault("label_prefix", LINEAR_LABEL_PREFIX)
        return LinearClient(http, api_key=LINEAR_KEY, base_url=self.linear_url, **kwargs)

    def linear_issues(self, http: httpx.Client) -> LinearIssues:
        return LinearIssues(http, api_key=LINEAR_KEY, base_url=self.linear_url, label_prefix=LINEAR_LABEL_PREFIX)

    def account_source(self, http: httpx.Client) -> CombinedAccountSource:
        return CombinedAccountSource(
            self.hubspot_client(http), self.stripe_client(http), self.linear_client(http)
        )

    # data
    def load_accounts(self, accounts: Iterable[Any], *, now: datetime | None = None) -> list[AccountSpec]:
        """Build companies/owners, customers/subscriptions/charges and issues from account dicts.

        Same dict format as StaticAccountSource (validated the same way; PolicyError on bad input).
        A Stripe customer is created only for accounts with mrr, charges or disputes; `mrr` becomes
        one monthly subscription whose period ends on `renewal_date` (or 30 days after `now`).
        Charges without `created` are spread an hour apart before `now` (default: real time).
        """
        when = now or datetime.now(UTC)
        specs = parse_account_list(list(accounts))
        for spec in specs:
            self._load_one(spec, when)
        return specs

    def _load_one(self, spec: AccountSpec, now: datetime) -> None:
        account = spec.account
        names = self.properties
        owner_id = ""
        if spec.owner.name or spec.owner.email:
            name = spec.owner.name
            if _is_slack_user_id(name):
                first, last = name, ""  # HubSpot has no Slack id: keep it in the name so it round-trips
            else:
                first, _, last = name.partition(" ")
            email = spec.owner.email or f"{_slug(name)}@example.com"
            owner_id = self.hubspot.add_owner(email, first, last)
        self.hubspot.add_company(
            {
                names.account_id: account.id,
                names.name: account.name,
                names.tier: account.tier,
                names.mrr: "" if account.mrr is None else f"{account.mrr:g}",
                names.renewal_date: account.renewal_date.isoformat() if account.renewal_date else "",
                names.owner_id: owner_id,
                names.created_at: _hs_time(account.created_at or DEFAULT_CREATED),
                names.at_risk: "true" if account.at_risk else "false",
            }
        )
        if account.mrr is not None or spec.charges or spec.disputes:
            created = account.created_at or DEFAULT_CREATED
            customer = self.stripe.add_customer(
                name=account.name,
                email=f"billing@{_slug(account.id)}.example.com",
                metadata={self.metadata_key: account.id},
                created=created,
            )
            if account.mrr is not None:
                renewal = account.renewal_date
                period_end = (
                    datetime(renewal.year, renewal.month, renewal.day, tzinfo=UTC)
                    if isinstance(renewal, date)
                    else now + timedelta(days=30)
                )
                self.stripe.add_subscription(
                    customer,
                    [{"unit_amount": _minor(account.mrr, spec.currency), "currency": spec.currency}],
                    period_end=period_end,
                    created=created,
                )
            for i, charge in enumerate(spec.charges + spec.disputes):
                created_at = (
                    datetime.fromisoformat(charge["created"])
                    if charge["created"]
                    else now - timedelta(hours=i + 1)
                )
                self.stripe.add_charge(
                    customer,
                    _minor(charge["amount"], charge["currency"]),
                    currency=charge["currency"],
                    status=charge["status"],
                    disputed=charge["disputed"],
                    refunded=charge["refunded"],
                    created=created_at,
                )
        for bug in spec.open_bugs:
            self.linear.add_issue(
                bug["title"],
                labels=[f"{LINEAR_LABEL_PREFIX}{account.id}", "Bug"],
                identifier=bug["identifier"],
                priority=bug["priority"],
                state=bug["state"],
                url=bug["url"],
            )
