"""Account facts for a customer channel: the CRM when connected (deadline-bound, cached), else the policy."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.domain.model import TIERS, Account, Tier
from bot.policy import AccountEntry
from storage import repo

log = logging.getLogger(__name__)

ACCOUNT_TTL = 300.0  # seconds an account's facts are reused before asking the CRM again
PARTIAL_TTL = 30.0  # ... when some of them were missing


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def account_from_facts(account_id: str, facts: dict[str, Any]) -> Account:
    """An Account from policy/scenario-style facts (name, tier, mrr, renewal_date, owner, created_at, at_risk)."""
    tier: Tier = facts["tier"] if facts.get("tier") in TIERS else "self-serve"
    mrr = facts.get("mrr")
    return Account(
        id=account_id,
        name=str(facts.get("name") or account_id),
        tier=tier,
        mrr=float(mrr) if isinstance(mrr, int | float) else None,
        renewal_date=_as_date(facts.get("renewal_date")),
        owner=str(facts.get("owner") or ""),
        created_at=_as_datetime(facts.get("created_at")),
        at_risk=bool(facts.get("at_risk", False)),
    )


def facts_for(deps: Deps, entry: AccountEntry) -> Account:
    """What we know of the account behind a channel. Never raises: missing data is recorded in `extra`."""

    def fetch() -> Account:
        base = account_from_facts(entry.id, dict(entry.facts))
        if deps.accounts is None:
            return base
        try:
            got = deps.accounts.fetch(entry.id, deadline=deps.account_deadline)
        except Exception as exc:  # degrade, never drop: the card says what is missing
            log.warning("account enrichment failed for %s: %s", entry.id, exc)
            return replace(base, extra={**base.extra, "missing": [f"account data: {exc}"]})
        found = got.account or base
        merged = replace(
            found, name=found.name or base.name, extra={**found.extra, "missing": list(got.missing)}
        )
        return merged

    # Partial data (a service timed out) is kept briefly, so the next card tries again soon.
    account: Account = deps.cached(
        f"account:{entry.id}",
        ACCOUNT_TTL,
        fetch,
        lambda a: PARTIAL_TTL if a.extra.get("missing") else ACCOUNT_TTL,
    )
    return account


def with_history(session: Session, account: Account, conversation_id: int) -> Account:
    """Add the cooling-period inputs: when this account was last escalated, and who handled it.

    The conversation's own unresolved escalation is the present, not history: left out, it would put
    every conversation into the cooling period as soon as it escalates and add that as a reason.
    """
    last = repo.last_escalation_of_account(session, account.id)
    if last is not None and last.conversation_id == conversation_id and last.resolved_at is None:
        last = repo.last_escalation_of_account(session, account.id, exclude_conversation=conversation_id)
    if last is None:
        return account
    handler = last.resolved_by or last.claimed_by
    return replace(account, last_escalated_at=last.opened_at, last_handler=handler)
